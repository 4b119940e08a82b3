"""A competition where hostile bundles of every kind sit among honest ones: every honest score
is posted, every hostile entry fails with its reason, nothing is written outside the work
folder, memory stays bounded, and the ranking holds only honest entries."""
import json
import os
import resource
import shutil

import pytest
from brownie import accounts, web3

from forecast_market import artifacts
from forecast_market.chain import competition, mine_at, transact
from forecast_market.protocol import INT64_MAX, model_commitment
from forecast_market.stages import evaluate, reveal, submit

MiB = 1 << 20
LIMIT = 4 * MiB  # the download limit for this test's store


def _edit_spec(folder, edit):
    path = folder / "spec.json"
    doc = json.loads(path.read_text())
    edit(doc)
    path.write_text(json.dumps(doc))


def _set(keys, value):
    def edit(doc):
        target = doc
        for k in keys[:-1]:
            target = target[k]
        target[keys[-1]] = value
    return edit


def hostile_bundles(honest, tmp_path):
    """name -> (folder, expected words in the reason); each a copy of an honest RNN bundle, broken one way."""
    out = {}

    def variant(name, words, change):
        folder = tmp_path / "hostile" / name
        shutil.copytree(honest, folder)
        change(folder)
        out[name] = (folder, words)

    variant("zero-scale", ("scale",),  # standardising would divide by zero
            lambda f: _edit_spec(f, _set(["preprocessing", "scaler", "scale_q"], [0])))
    variant("scaler-number", ("invalid bundle", "scaler", "mean"),
            lambda f: _edit_spec(f, _set(["preprocessing", "scaler", "mean_q"], 5.0)))
    variant("huge-int", ("invalid bundle",),
            lambda f: (f / "spec.json").write_text((f / "spec.json").read_text().replace('"units": 32', '"units": '
                                                                                         + "9" * 100_000)))
    variant("pickle", ("invalid bundle", "safetensors", "weights", "header"),
            lambda f: (f / "weights.safetensors").write_bytes(b"\x80\x04\x95" + os.urandom(2000)))
    variant("absurd-spec", ("invalid bundle", "units"),
            lambda f: _edit_spec(f, _set(["spec", "units"], 10**9)))

    def deep(f):
        d = f
        for _ in range(40):
            d = d / "d"
        d.mkdir(parents=True)
        (d / "x").write_text("deep")
    variant("deep", ("deep", "depth", "level", "refused", "retrievable", "entry"), deep)
    variant("oversized", ("limit", "large", "bytes", "refused", "retrievable"),
            lambda f: (f / "padding.bin").write_bytes(os.urandom(LIMIT + MiB)))
    return out


@pytest.fixture
def small_store(monkeypatch):
    monkeypatch.setenv("FM_IPFS_MAX_BYTES", str(LIMIT))
    artifacts.close_store()
    yield
    artifacts.close_store()


def test_hostile_bundles_fail_alone(market, new_competition, tmp_path, small_store):
    cid = new_competition(deposit_wei=0)
    honest_naive = submit(market, accounts[1], cid, "naive", work_dir=tmp_path / "naive")
    honest_rnn = submit(market, accounts[2], cid, "default", work_dir=tmp_path / "rnn", epochs=1, progress=False)
    hostile = hostile_bundles(honest_rnn.bundle_dir, tmp_path)
    entries = {}
    for i, (name, (folder, words)) in enumerate(hostile.items()):
        who = accounts[3 + i]
        try:
            model_cid = artifacts.store().add_folder(folder)
            sha = artifacts.sha256_tree(folder)
        except Exception:  # our own tools may refuse to digest it: the attacker uses its own
            model_cid, sha = artifacts.store().add_folder(folder), "ab" * 32
        salt = os.urandom(32)
        transact(market.commit, cid, model_commitment(model_cid, sha, salt, who.address, cid, market.address),
                 sender=who)
        entries[who.address] = (name, words, model_cid, sha, salt, who)
    comp = competition(market, cid)
    mine_at(comp["submissionEnd"])
    reveal(market, accounts[1], cid)
    reveal(market, accounts[2], cid)
    for _name, _words, model_cid, sha, salt, who in entries.values():
        transact(market.reveal, cid, model_cid, bytes.fromhex(sha), salt, sender=who)
    mine_at(comp["revealEnd"])

    outside_before = sorted(p for p in tmp_path.rglob("*") if "org" not in p.parts)
    peak_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    result = evaluate(market, accounts[0], cid, work_dir=tmp_path / "org", timeout_s=120)
    peak_growth_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - peak_before) / 1024

    rows = {r.participant: r for r in result["rows"]}
    assert rows[honest_naive.participant].ok and rows[honest_rnn.participant].ok
    for who, (name, words, *_rest) in entries.items():
        row = rows[who]
        assert not row.ok, name
        assert row.score_int == INT64_MAX, name
        assert any(w in row.reason.lower() for w in words), (name, row.reason)
        assert len(row.reason) <= 300 and "\n" not in row.reason
    ranking = {str(r["participant"]) for r in market.ranking(cid)}
    assert ranking == {honest_naive.participant, honest_rnn.participant}
    assert result["comp"]["phase"].name == "FINALIZED"
    assert sorted(p for p in tmp_path.rglob("*") if "org" not in p.parts) == outside_before
    assert peak_growth_mb < 1024, f"the evaluator's memory grew by {peak_growth_mb:.0f} MB"
    assert web3.eth.get_balance(market.address) >= 0


def test_a_dataset_nobody_could_download_is_refused_before_publishing(data_dir, tmp_path, monkeypatch):
    from forecast_market.errors import ArtifactError
    from forecast_market.stages import preprocess

    monkeypatch.setenv("FM_IPFS_MAX_BYTES", "20000")  # the co2 training bundle is about 50 kB
    artifacts.close_store()
    try:
        with pytest.raises(ArtifactError, match="download limit"):
            preprocess("statsmodels:co2", tmp_path / "big", sequence_length=52, horizon=4)
    finally:
        artifacts.close_store()
    assert not (tmp_path / "big" / "dataset.json").exists()
