"""A whole competition through the stage scripts, and what goes wrong on the way."""
import json
import shutil

import pytest
from brownie import accounts, web3

from forecast_market.artifacts import fetch_bundle, publish_folder
from forecast_market.audit import verify
from forecast_market.chain import competition, mine_at, submission_status, transact
from forecast_market.errors import ChainError, KeystoreError
from forecast_market.protocol import INT64_MAX, Phase, Status, model_commitment
from forecast_market.stages import evaluate, reveal, settle, submit
from ipfs_store import IntegrityError, sha256_tree

DEPOSIT = web3.to_wei("0.01", "ether")


def test_full_lifecycle_pays_the_best_model_and_verifies(market, new_competition, tmp_path):
    cid = new_competition()
    naive = submit(market, accounts[1], cid, "naive", work_dir=tmp_path / "naive")
    rnn = submit(market, accounts[2], cid, "default", work_dir=tmp_path / "rnn", epochs=3)
    # a copycat replays the RNN's commitment, then tries to reveal the RNN's bundle
    commitment = model_commitment(rnn.model_cid, rnn.model_sha256, bytes.fromhex(
        json.loads((tmp_path / "rnn" / "submission.json").read_text())["salt"]), accounts[2].address, cid,
        market.address)
    transact(market.commit, cid, commitment, sender=accounts[3], value=DEPOSIT)

    comp = competition(market, cid)
    mine_at(comp["submissionEnd"])
    reveal(market, accounts[1], cid)
    reveal(market, accounts[2], cid)
    salt = json.loads((tmp_path / "rnn" / "submission.json").read_text())["salt"]
    with pytest.raises(ChainError, match="do not match"):
        transact(market.reveal, cid, rnn.model_cid, bytes.fromhex(rnn.model_sha256), bytes.fromhex(salt),
                 sender=accounts[3])

    early = evaluate(market, accounts[0], cid, work_dir=tmp_path / "org")  # reveals still open: nothing to do
    assert early["rows"] == [] and not competition(market, cid)["testRevealed"]
    mine_at(comp["revealEnd"])
    result = evaluate(market, accounts[0], cid, work_dir=tmp_path / "org")
    rows = result["rows"]
    assert [r.ok for r in rows] == [True, True]
    assert result["comp"]["phase"] == Phase.FINALIZED
    assert all(p.exists() for p in result["figures"].values())
    winner, second = rows
    pool = web3.to_wei(1, "ether") + DEPOSIT  # the copycat's deposit was forfeited
    assert market.balanceOf(winner.participant) == DEPOSIT + pool * 7000 // 10_000 + (pool - pool * 7000 // 10_000 - pool * 3000 // 10_000)
    assert market.balanceOf(second.participant) == DEPOSIT + pool * 3000 // 10_000
    assert market.balanceOf(accounts[3]) == 0
    assert {naive.participant, rnn.participant} == {winner.participant, second.participant}

    paid = settle(market, accounts[1], cid) + settle(market, accounts[2], cid)
    assert paid == pool + 2 * DEPOSIT
    ok, checks = verify(market, cid, work_dir=tmp_path / "audit")
    assert ok and len(checks) == 2 and all(c.match for c in checks)


def test_organizer_vanishing_pays_revealed_participants_through_settle(market, new_competition, tmp_path, capsys):
    cid = new_competition()
    submit(market, accounts[4], cid, "naive", work_dir=tmp_path / "a")
    submit(market, accounts[5], cid, "naive", work_dir=tmp_path / "b")
    comp = competition(market, cid)
    mine_at(comp["submissionEnd"])
    reveal(market, accounts[4], cid)
    reveal(market, accounts[5], cid)
    mine_at(comp["evaluationEnd"])  # the organizer never reveals the test set
    pool = web3.to_wei(1, "ether")
    got = settle(market, accounts[4], cid)
    assert competition(market, cid)["phase"] == Phase.FALLBACK
    assert got == DEPOSIT + pool // 2
    share = web3.from_wei(DEPOSIT + pool // 2, "ether")
    assert f"claimed what competition {cid} owed it: {share} ETH (fallback share)" in capsys.readouterr().out
    assert settle(market, accounts[5], cid) == DEPOSIT + pool // 2


def test_bundle_whose_digest_differs_from_the_commitment_is_refused(market, new_competition, tmp_path):
    cid = new_competition()
    honest = submit(market, accounts[6], cid, "naive", work_dir=tmp_path / "honest")
    # A tampered submission: the bundle on IPFS is not the one whose digest was committed.
    shutil.copytree(honest.bundle_dir, tmp_path / "committed")
    spec = json.loads((tmp_path / "committed" / "spec.json").read_text())
    spec["seed"] = 1
    (tmp_path / "committed" / "spec.json").write_text(json.dumps(spec))
    committed_sha = sha256_tree(tmp_path / "committed")
    published_cid, published_sha = publish_folder(tmp_path / "honest" / "bundle")
    assert committed_sha != published_sha
    salt = b"\x11" * 32
    transact(market.commit, cid, model_commitment(published_cid, committed_sha, salt, accounts[7].address, cid,
                                                  market.address), sender=accounts[7], value=DEPOSIT)
    comp = competition(market, cid)
    mine_at(comp["submissionEnd"])
    reveal(market, accounts[6], cid)
    transact(market.reveal, cid, published_cid, bytes.fromhex(committed_sha), salt, sender=accounts[7])

    with pytest.raises(IntegrityError):
        fetch_bundle(published_cid, committed_sha, tmp_path / "check")
    assert not (tmp_path / "check").exists()  # nothing half-written is left behind

    evaluate(market, accounts[0], cid, work_dir=tmp_path / "org")
    mine_at(comp["revealEnd"])
    rows = {r.participant: r for r in evaluate(market, accounts[0], cid, work_dir=tmp_path / "org")["rows"]}
    assert rows[accounts[6].address].ok
    assert not rows[accounts[7].address].ok and "refused" in rows[accounts[7].address].reason
    assert rows[accounts[7].address].score_int == INT64_MAX
    assert [str(r["participant"]) for r in market.ranking(cid)] == [accounts[6].address]


def test_lost_salt_gives_a_clear_error_and_sends_nothing(market, new_competition, tmp_path):
    cid = new_competition()
    sub = submit(market, accounts[8], cid, "naive", work_dir=tmp_path / "p")
    shutil.move(sub.keystore_path, tmp_path / "backup.json")
    mine_at(competition(market, cid)["submissionEnd"])
    with pytest.raises(KeystoreError, match="no saved salt"):
        reveal(market, accounts[8], cid)
    assert submission_status(market, cid, accounts[8]) == Status.COMMITTED  # still committed, nothing sent
    shutil.move(tmp_path / "backup.json", sub.keystore_path)  # restoring the file is enough
    reveal(market, accounts[8], cid)
    assert submission_status(market, cid, accounts[8]) == Status.REVEALED


def test_events_are_read_in_block_ranges_from_the_deployment(market, new_competition):
    from forecast_market.chain import events
    from forecast_market.chain.market import deployment_block

    cid = new_competition()
    submit(market, accounts[9], cid, "naive")
    whole = events(market, "Committed", cid)
    assert len(whole) == 1 and deployment_block(market) == market.tx.block_number > 0
    assert events(market, "Committed", cid, chunk=1) == whole == events(market, "Committed", cid, chunk=3)
