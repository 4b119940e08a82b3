"""Bonded competitions through the CLI on anvil and embedded IPFS (docs/FRAUD_PROOFS.md): `market init
--organizer-bond`, reveals with the weights root, `market challenge` against a lying organizer (played to
the last step, and won by timeout), `market defend` against a false challenge, `market finalize` after
the window. Tiny GRUs on a short window keep every evaluation to a few hundred steps."""
import json

import pytest
from brownie import accounts

from forecast_market.chain import (
    competition,
    events,
    now,
    posted_scores,
    revealed_submissions,
    submission_status,
    transact,
)
from forecast_market.fraud import Evaluation, score_from_sums
from forecast_market.fraud.play import Stage, next_move, open_dispute
from forecast_market.protocol import CreditReason, Phase, Status, model_commitment
from forecast_market.stages.dispute import game_of, recompute
from forecast_market.stages.evaluation import reveal_test_set

ETHER = 10**18
DAY = 86_400
OBOND, CBOND = ETHER, ETHER // 2


@pytest.fixture(scope="module")
def spec_files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("specs")
    out = []
    for seed in (1, 2):
        path = folder / f"gru{seed}.json"
        path.write_text(json.dumps({"cell": "GRU", "units": 4, "epochs": 1, "patience": 0, "seed": seed}))
        out.append(path)
    return out


def _init(cli, dataset, *extra):
    code, out = cli("init", str(dataset), "--reward", "2", "--prizes", "7000,3000", "--again", *extra)
    assert code == 0, out
    return int(out.strip().splitlines()[-1])


def _credits(market, comp_id, who, reason):
    return sum(int(e["amount"]) for e in events(market, "Credited", comp_id)
               if e["account"] == who and int(e["reason"]) == reason)


def tampered(ev: Evaluation, delta: float = 3.0) -> Evaluation:
    """The same bundle scored on test rows with some targets changed: what a lying organizer computes."""
    m = ev.machine
    rows = m.rows.copy()
    rows[m.train_rows + 1 : m.train_rows + 6, 0] += int(delta * 2**24)
    return Evaluation(type(m)(m.model, rows, m.train_rows, m.test_rows))


def wrong_root_entry(cli, market, comp_id: int, submitted) -> tuple:
    """Trudy (accounts[4]) commits alice's submission (in folder ``submitted``) under a weights root it does not
    hash to; alice (accounts[1]) and trudy reveal; the clock moves to the evaluation. Returns (trudy, root)."""
    sub = json.loads((submitted / "submission.json").read_text())
    trudy, wrong, salt = accounts[4], b"\x42" * 32, b"\x07" * 32
    transact(market.commit, comp_id, model_commitment(sub["model_cid"], sub["model_sha256"], salt, trudy.address,
                                                      comp_id, market.address, weights_root=wrong), sender=trudy)
    assert cli("advance", str(comp_id), "--to", "reveal")[0] == 0
    assert cli("--account", "1", "reveal", str(comp_id))[0] == 0
    transact(market.revealWithRoot, comp_id, sub["model_cid"], bytes.fromhex(sub["model_sha256"]), wrong, salt,
             sender=trudy)
    assert cli("advance", str(comp_id), "--to", "evaluation")[0] == 0
    return trudy, wrong


def test_a_training_root_that_is_not_the_published_data_is_refused_before_training(cli, market, small_dataset,
                                                                                   spec_files, tmp_path, monkeypatch):
    """A lying organizer commits a training root over other rows than the published ones (one extreme value that
    the first windows read would make every model provably invalid, proveInvalid kind 3): `market submit`
    checks the root against the data it downloaded and refuses, before anything is trained, published or sent."""
    from forecast_market.stages import initialization

    honest = initialization.data_roots
    monkeypatch.setattr(initialization, "data_roots", lambda info: honest(info) | {"train_root": "11" * 32})
    comp_id = _init(cli, small_dataset, "--organizer-bond", "1", "--challenge-bond", "0.5")
    monkeypatch.undo()
    balance = accounts[1].balance()
    code, out = cli("--account", "1", "submit", str(comp_id), "--spec", str(spec_files[0]),
                    "--work-dir", str(tmp_path / "p1"))
    assert code == 1 and "Traceback" not in out, out
    assert f"competition {comp_id}'s training root on chain" in out and "do not enter it (nothing sent)" in out, out
    assert submission_status(market, comp_id, accounts[1].address) == Status.NONE
    assert accounts[1].balance() == balance and not (tmp_path / "p1" / "bundle").exists()


def test_a_bond_needs_a_step_verifiable_metric(cli, market, small_dataset):
    before = market.competitionCount()
    balance = accounts[0].balance()
    code, out = cli("init", str(small_dataset), "--metric", "mase", "--organizer-bond", "1", "--again")
    assert code == 1 and "Traceback" not in out, out
    assert "bonded competition needs a metric whose scores can be disputed on chain (rmse or mae), not mase" in out
    assert accounts[0].balance() == balance
    assert market.competitionCount() == before


def test_a_bond_needs_an_evaluation_window_long_enough_to_request_weights(cli, market, small_dataset):
    """In a window of a day or less the organizer could not request an unfetchable bundle's weights, and a
    participant who withheld its bundle could win the dispute about its failure: refused before escrow."""
    before, balance = market.competitionCount(), accounts[0].balance()
    code, out = cli("init", str(small_dataset), "--metric", "rmse", "--organizer-bond", "1", "--again",
                    "--evaluation-hours", "12")
    assert code == 1 and "Traceback" not in out, out
    assert "a bonded competition needs an evaluation window of at least 30 hours, not 12" in out
    assert accounts[0].balance() == balance and market.competitionCount() == before
    # without --evaluation-hours a bonded competition gets 48 hours, an unbonded one 12
    bonded = market.competition(_init(cli, small_dataset, "--metric", "rmse", "--organizer-bond", "1"))
    plain = market.competition(_init(cli, small_dataset))
    assert bonded["evaluationEnd"] - bonded["revealEnd"] == 48 * 3600
    assert plain["evaluationEnd"] - plain["revealEnd"] == 12 * 3600


def test_a_lying_organizer_is_overturned_and_the_right_winner_paid(cli, market, small_dataset, spec_files, tmp_path):
    comp_id = _init(cli, small_dataset, "--organizer-bond", "1", "--challenge-bond", "0.5", "--metric", "rmse")
    comp = competition(market, comp_id)
    assert comp["bonded"] and comp["organizerBond"] == OBOND and comp["challengeBond"] == CBOND
    assert comp["reward"] == 2 * ETHER and comp["trainRows"] > 0
    alice, bob = accounts[1], accounts[2]
    for idx, spec in ((1, spec_files[0]), (2, spec_files[1])):
        code, out = cli("--account", str(idx), "submit", str(comp_id), "--spec", str(spec),
                        "--work-dir", str(tmp_path / f"p{idx}"))
        assert code == 0, out
    assert cli("advance", str(comp_id), "--to", "reveal")[0] == 0
    for idx in (1, 2):
        code, out = cli("--account", str(idx), "reveal", str(comp_id))
        assert code == 0, out
    roots = {s["participant"]: s["weightsRoot"] for s in revealed_submissions(market, comp_id)}
    assert all(r.strip("0") for r in roots.values()), "every rnn is revealed with its weights root"
    assert cli("advance", str(comp_id), "--to", "evaluation")[0] == 0

    # the organizer lies about both scores: it scores each bundle on test rows it changed
    comp = reveal_test_set(market, accounts[0], competition(market, comp_id))
    honest = {who.address: recompute(market, comp, who.address, tmp_path / "o") for who in (alice, bob)}
    true = {who: r.score for who, r in honest.items()}
    lies = {who: tampered(r.evaluation) for who, r in honest.items()}
    false = {who: score_from_sums(0, ev.final().sum_sq, ev.final().sum_abs, ev.machine.test_rows)
             for who, ev in lies.items()}
    assert all(false[w] != true[w] for w in true)
    code, out = cli("--account", "1", "challenge", str(comp_id), alice.address, "--work-dir", str(tmp_path / "ca"))
    assert code == 1 and "has no posted score yet" in out and "Traceback" not in out, out
    transact(market.postScores, comp_id, list(false), list(false.values()), sender=accounts[0])
    best = min(true, key=true.get)
    worst = max(true, key=true.get)
    code, out = cli("verify", str(comp_id), "--work-dir", str(tmp_path / "v"))
    assert code == 3, out
    for who in true:
        assert f"-> market challenge {comp_id} {who}  (until " in out, out

    # bob opens his challenge first, then nobody answers it
    code, out = cli("--account", "2", "challenge", str(comp_id), bob.address, "--wait", "0", "--poll", "0",
                    "--work-dir", str(tmp_path / "cb"))
    assert code == 5, out
    assert "awaits the other side's move" in out

    # alice's challenge is played to the last step against the organizer's (lying) moves
    game = game_of(market)
    for _ in range(30):
        code, out = cli("--account", "1", "challenge", str(comp_id), alice.address, "--wait", "0", "--poll", "0",
                        "--json", "--work-dir", str(tmp_path / "ca"))
        if code != 5:
            break
        next_move(market, game, comp_id, alice.address, alice.address, accounts[0], lies[alice.address], defender=True)
    assert code == 0, out
    result = json.loads(out[out.index("{"):])
    assert result["status"] == "won" and result["how"] == "step"
    assert result["posted"] == false[alice.address] and result["recomputed"] == true[alice.address]
    assert int(market.claimOf(comp_id, alice.address)["score"]) == true[alice.address]
    assert _credits(market, comp_id, alice.address, CreditReason.DISPUTE_WON) == OBOND

    # a second run finds the score right now: nothing sent
    code, out = cli("--account", "1", "challenge", str(comp_id), alice.address, "--work-dir", str(tmp_path / "ca"))
    assert code == 0 and "is right: nothing to challenge, nothing sent" in out, out

    # the organizer cannot finalize while the window is open
    code, out = cli("finalize", str(comp_id))
    assert code == 1 and "challenge window closes" in out, out

    # bob's dispute: the organizer missed its defense; a day later bob's run ends it and wins
    assert cli("advance", str(comp_id), "--seconds", str(DAY + 60))[0] == 0
    code, out = cli("--account", "2", "challenge", str(comp_id), bob.address, "--wait", "0", "--poll", "0",
                    "--json", "--work-dir", str(tmp_path / "cb"))
    assert code == 0, out
    result = json.loads(out[out.index("{"):])
    assert result["status"] == "won" and result["how"] == "timeout"
    assert int(market.claimOf(comp_id, bob.address)["score"]) == true[bob.address]

    # after the window, finalize pays the truly best model first
    assert cli("advance", str(comp_id), "--to", "finalize")[0] == 0
    code, out = cli("finalize", str(comp_id))
    assert code == 0, out
    assert competition(market, comp_id)["phase"] == Phase.FINALIZED
    ranking = [str(r["participant"]) for r in market.ranking(comp_id)]
    assert ranking[:2] == [best, worst]
    prize = {who: _credits(market, comp_id, who, CreditReason.PRIZE) for who in (best, worst)}
    assert prize[best] > prize[worst] > 0


def test_a_false_challenge_loses_its_bond_to_the_defending_organizer(cli, market, small_dataset, spec_files, tmp_path):
    comp_id = _init(cli, small_dataset, "--organizer-bond", "1", "--challenge-bond", "0.5", "--metric", "mae")
    code, out = cli("--account", "1", "submit", str(comp_id), "--spec", str(spec_files[0]),
                    "--work-dir", str(tmp_path / "p1"))
    assert code == 0, out
    # a baseline cannot enter: refused before anything is published or sent
    code, out = cli("--account", "5", "submit", str(comp_id), "--strategy", "naive", "--work-dir", str(tmp_path / "n"))
    assert code == 1 and "a bonded competition scores only recurrent networks" in out, out
    assert submission_status(market, comp_id, accounts[5].address) == Status.NONE
    # trudy reveals the same bundle under a weights root it does not hash to
    trudy, wrong = wrong_root_entry(cli, market, comp_id, tmp_path / "p1")
    code, out = cli("evaluate", str(comp_id), "--work-dir", str(tmp_path / "o"))
    assert code == 0 and "its weights were requested on chain" in out, out  # 48 h window: time to request
    first = {r["participant"]: r for r in json.loads((tmp_path / "o" / "scores.json").read_text())["rows"]}
    assert "the bundle's weights hash to root" in first[trudy.address]["reason"]
    assert f"not the revealed {wrong.hex()[:16]}" in first[trudy.address]["reason"]
    assert cli("advance", str(comp_id), "--seconds", str(DAY + 60))[0] == 0  # trudy never publishes
    code, out = cli("evaluate", str(comp_id), "--work-dir", str(tmp_path / "o"))
    assert code == 0, out
    assert "is bonded: its scores can be challenged until" in out and "market finalize" in out
    assert submission_status(market, comp_id, trudy.address) == Status.FAILED
    rows = {r["participant"]: r for r in json.loads((tmp_path / "o" / "scores.json").read_text())["rows"]}
    assert rows[trudy.address]["reason"] == first[trudy.address]["reason"] and not rows[trudy.address]["ok"]
    comp = competition(market, comp_id)
    assert comp["phase"] == Phase.EVALUATION and comp["challengeEnd"] > now()
    participant = accounts[1].address
    assert participant in posted_scores(market, comp_id)

    # mallory claims other sums (the test rows changed) and plays them; the organizer runs `market defend`
    mallory = accounts[3]
    lie = tampered(recompute(market, comp, participant, tmp_path / "m").evaluation)
    open_dispute(market, comp_id, participant, mallory, lie, CBOND)
    code, out = cli("status", str(comp_id))
    assert code == 0 and "bonded: organizer bond 1 ETH, challenge bond 0.5 ETH; challenges until" in out, out
    assert f"1 dispute(s) open (`market defend {comp_id}`)" in out, out
    game = game_of(market)
    for _ in range(30):
        code, out = cli("defend", str(comp_id), "--wait", "0", "--poll", "0", "--work-dir", str(tmp_path / "o"))
        if code != 5:
            break
        next_move(market, game, comp_id, participant, mallory.address, mallory, lie, defender=False)
    assert code == 0, out
    assert Stage(game.dispute(comp_id, participant, mallory.address)["stage"]) == Stage.NONE
    ended = events(market, "DisputeEnded", comp_id)[-1]
    assert ended["defenderWon"] and int(ended["how"]) == 0
    assert _credits(market, comp_id, accounts[0].address, CreditReason.CHALLENGE_BOND) == CBOND
    code, out = cli("defend", str(comp_id), "--json")
    assert code == 0 and json.loads(out[out.index("{"):])["status"] == "none open", out

    # once the window has closed, the participant's settle finalizes and withdraws its prize
    assert cli("advance", str(comp_id), "--to", "finalize")[0] == 0
    code, out = cli("--account", "1", "settle", str(comp_id))
    assert code == 0 and f"competition {comp_id} finalized: its challenge window has closed" in out, out
    assert competition(market, comp_id)["phase"] == Phase.FINALIZED
    assert _credits(market, comp_id, accounts[1].address, CreditReason.PRIZE) == 2 * ETHER  # the only ranked entry
    assert int(market.balanceOf(accounts[1].address)) == 0, "settle withdrew it"
    assert _credits(market, comp_id, accounts[0].address, CreditReason.BOND) == OBOND  # the bond stood: back
