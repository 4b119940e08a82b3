"""Posted failures disputed through the CLI on anvil and embedded IPFS (docs/FRAUD_PROOFS.md, "Posted
failures"): a valid entry posted as failed is overturned by its participant's `market challenge` and the
corrected ranking is paid; a false claim about a failure loses its bond to `market defend`; an entry whose
weights were requested and never published is failed for good."""
import json

import pytest
from brownie import accounts
from test_challenge import CBOND, DAY, OBOND, _credits, _init, tampered, wrong_root_entry

from forecast_market.chain import competition, events, submission_status, transact
from forecast_market.fraud.play import Stage, next_move, open_dispute
from forecast_market.protocol import CreditReason, Phase, Status, failure_score, model_commitment
from forecast_market.stages.dispute import game_of, recompute
from forecast_market.stages.evaluation import reveal_test_set

FAILED = failure_score(False)


@pytest.fixture(scope="module")
def spec_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("specs") / "gru.json"
    path.write_text(json.dumps({"cell": "GRU", "units": 4, "epochs": 1, "patience": 0, "seed": 3}))
    return path


def _entered(cli, dataset, spec, tmp_path, *extra):
    comp_id = _init(cli, dataset, "--organizer-bond", "1", "--challenge-bond", "0.5", "--metric", "rmse", *extra)
    code, out = cli("--account", "1", "submit", str(comp_id), "--spec", str(spec), "--work-dir", str(tmp_path / "p1"))
    assert code == 0, out
    assert cli("advance", str(comp_id), "--to", "reveal")[0] == 0
    assert cli("--account", "1", "reveal", str(comp_id))[0] == 0
    return comp_id


def test_a_valid_entry_posted_as_failed_is_overturned_by_its_participant(cli, market, small_dataset, spec_file, tmp_path):
    comp_id = _entered(cli, small_dataset, spec_file, tmp_path)
    assert cli("advance", str(comp_id), "--to", "evaluation")[0] == 0
    alice = accounts[1].address
    reveal_test_set(market, accounts[0], competition(market, comp_id))
    transact(market.postScores, comp_id, [alice], [FAILED], sender=accounts[0])  # the organizer lies: "failed"
    assert submission_status(market, comp_id, alice) == Status.FAILED

    code, out = cli("--account", "1", "challenge", str(comp_id), alice, "--wait", "0", "--poll", "0", "--json",
                    "--work-dir", str(tmp_path / "c"))
    assert code == 5, out  # opened, defended and bisected: the organizer is to choose
    result = json.loads(out[out.index("{"):])
    assert result["posted"] == "failed" and result["status"] == "open"
    game = game_of(market)
    assert game.dispute(comp_id, alice, alice)["failure"]
    code, out = cli("defend", str(comp_id), "--wait", "0", "--poll", "0", "--work-dir", str(tmp_path / "o"))
    assert code == 4 and "cannot be defended" in out, out  # the claim is the model's own: nothing to answer

    assert cli("advance", str(comp_id), "--seconds", str(DAY + 60))[0] == 0
    code, out = cli("--account", "1", "challenge", str(comp_id), alice, "--wait", "0", "--poll", "0", "--json",
                    "--work-dir", str(tmp_path / "c"))
    assert code == 0, out
    result = json.loads(out[out.index("{"):])
    assert result["status"] == "won" and result["how"] == "timeout"
    assert submission_status(market, comp_id, alice) == Status.SCORED
    assert int(market.claimOf(comp_id, alice)["score"]) == result["recomputed"]
    assert _credits(market, comp_id, alice, CreditReason.DISPUTE_WON) == OBOND

    assert cli("advance", str(comp_id), "--to", "finalize")[0] == 0
    code, out = cli("finalize", str(comp_id))
    assert code == 0, out
    assert competition(market, comp_id)["phase"] == Phase.FINALIZED  # the corrected ranking, not the refund
    assert _credits(market, comp_id, alice, CreditReason.PRIZE) == 2 * 10**18


def test_a_false_claim_about_a_failure_loses_its_bond_to_market_defend(cli, market, small_dataset, spec_file, tmp_path):
    comp_id = _entered(cli, small_dataset, spec_file, tmp_path)
    assert cli("advance", str(comp_id), "--to", "evaluation")[0] == 0
    alice = accounts[1].address
    comp = reveal_test_set(market, accounts[0], competition(market, comp_id))
    transact(market.postScores, comp_id, [alice], [FAILED], sender=accounts[0])
    mallory = accounts[3]
    lie = tampered(recompute(market, comp, alice, tmp_path / "m").evaluation)
    open_dispute(market, comp_id, alice, mallory, lie, CBOND)
    game = game_of(market)
    for _ in range(30):
        next_move(market, game, comp_id, alice, mallory.address, mallory, lie, defender=True)  # the claimant's moves
        code, out = cli("defend", str(comp_id), "--wait", "0", "--poll", "0", "--work-dir", str(tmp_path / "o"))
        if code != 5:
            break
    assert code == 0, out
    assert Stage(game.dispute(comp_id, alice, mallory.address)["stage"]) == Stage.NONE
    ended = events(market, "DisputeEnded", comp_id)[-1]
    assert ended["defenderWon"] and int(ended["how"]) == 0
    assert submission_status(market, comp_id, alice) == Status.FAILED
    assert _credits(market, comp_id, accounts[0].address, CreditReason.CHALLENGE_BOND) == CBOND


def test_an_unanswered_weights_request_fails_the_entry_for_good(cli, market, small_dataset, spec_file, tmp_path):
    comp_id = _init(cli, small_dataset, "--organizer-bond", "1", "--challenge-bond", "0.5", "--metric", "rmse",
                    "--evaluation-hours", "72")
    code, out = cli("--account", "1", "submit", str(comp_id), "--spec", str(spec_file), "--work-dir", str(tmp_path / "p1"))
    assert code == 0, out
    # trudy reveals alice's bundle under a weights root it does not hash to: the organizer cannot use it
    trudy, _ = wrong_root_entry(cli, market, comp_id, tmp_path / "p1")
    code, out = cli("evaluate", str(comp_id), "--work-dir", str(tmp_path / "o"))
    assert code == 0, out
    assert "its weights were requested on chain" in out and f"run `market evaluate {comp_id}` again" in out, out
    assert submission_status(market, comp_id, trudy.address) == Status.REVEALED
    assert submission_status(market, comp_id, accounts[1].address) == Status.SCORED
    code, out = cli("status", str(comp_id))
    assert code == 0 and f"weights requested from {trudy.address}: publish by" in out, out
    assert f"`market publish-weights {comp_id}`" in out, out
    code, out = cli("--account", "4", "mine")
    assert code == 0 and f"publish your weights (`market publish-weights {comp_id}`)" in out, out
    code, out = cli("--account", "4", "publish-weights", str(comp_id), "--work-dir", str(tmp_path / "t"))
    assert code == 1 and "Traceback" not in out and "does not hash to its revealed weights root" in out, out

    assert cli("advance", str(comp_id), "--seconds", str(DAY + 60))[0] == 0
    code, out = cli("evaluate", str(comp_id), "--work-dir", str(tmp_path / "o"))
    assert code == 0, out
    assert "not published in time: posted as failed" in out, out
    assert submission_status(market, comp_id, trudy.address) == Status.FAILED
    code, out = cli("status", str(comp_id))
    assert code == 0 and "its failure cannot be disputed" in out, out
    code, out = cli("--account", "5", "challenge", str(comp_id), trudy.address, "--work-dir", str(tmp_path / "c"))
    assert code == 1 and "not published in time" in out and "Traceback" not in out, out


def test_published_weights_are_scored_from_the_chain(cli, market, small_dataset, spec_file, tmp_path):
    comp_id = _init(cli, small_dataset, "--organizer-bond", "1", "--challenge-bond", "0.5", "--metric", "rmse",
                    "--evaluation-hours", "72")
    code, out = cli("--account", "1", "submit", str(comp_id), "--spec", str(spec_file), "--work-dir", str(tmp_path / "p1"))
    assert code == 0, out
    # trudy commits alice's model (its true weights root) under a digest nobody's download matches
    sub = json.loads((tmp_path / "p1" / "submission.json").read_text())
    root = bytes.fromhex(sub["weights_root"])
    trudy, salt, sha = accounts[4], b"\x09" * 32, "ab" * 32
    transact(market.commit, comp_id, model_commitment(sub["model_cid"], sha, salt, trudy.address, comp_id,
                                                      market.address, weights_root=root), sender=trudy)
    assert cli("advance", str(comp_id), "--to", "reveal")[0] == 0
    assert cli("--account", "1", "reveal", str(comp_id))[0] == 0
    transact(market.revealWithRoot, comp_id, sub["model_cid"], bytes.fromhex(sha), root, salt, sender=trudy)
    assert cli("advance", str(comp_id), "--to", "evaluation")[0] == 0
    code, out = cli("evaluate", str(comp_id), "--work-dir", str(tmp_path / "o"))
    assert code == 0 and "its weights were requested on chain" in out, out
    code, out = cli("--account", "4", "publish-weights", str(comp_id), "--bundle", sub["bundle_dir"], "--json",
                    "--work-dir", str(tmp_path / "t"))
    assert code == 0, out
    result = json.loads(out[out.index("{"):])
    assert result["status"] == "published" and result["gas"] > 0
    code, out = cli("evaluate", str(comp_id), "--work-dir", str(tmp_path / "o"))
    assert code == 0 and "scored from its weights tree" in out, out
    scores = {p: int(market.claimOf(comp_id, p)["score"]) for p in (accounts[1].address, trudy.address)}
    assert submission_status(market, comp_id, trudy.address) == Status.SCORED
    assert scores[trudy.address] == scores[accounts[1].address]  # the same weights, the same score

