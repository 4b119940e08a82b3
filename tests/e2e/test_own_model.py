"""Bring your own model: `market submit --spec FILE` and `market submit --bundle DIR`, on anvil and
embedded IPFS. What the evaluator would refuse is refused before anything is published or sent."""
import json
import shutil
from pathlib import Path

import pytest
from brownie import accounts

from forecast_market.chain import submission_status
from forecast_market.protocol import Status
from ipfs_store import sha256_tree
from ml_models import ModelSpec, read_dataset_bundle, save_bundle, train

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def trained_elsewhere(dataset, tmp_path_factory):
    """A network trained outside the market, from the published training data, saved as a bundle."""
    df, schema = read_dataset_bundle(dataset / "train", part="train")
    spec = ModelSpec(cell="GRU", units=6, epochs=2, patience=0, sequence_length=20, horizon=schema.horizon,
                     season=schema.season, seed=5)
    return save_bundle(tmp_path_factory.mktemp("elsewhere") / "bundle", train(spec, df, schema))


def _write(path: Path, doc) -> Path:
    path.write_text(json.dumps(doc))
    return path


def test_a_spec_with_mistakes_lists_each_one_and_sends_nothing(cli, market, new_competition, tmp_path):
    cid = new_competition()
    bad = _write(tmp_path / "bad.json", {"cell": "Transformer", "units": 100000, "dropout": "lots", "optimizer": "sgd",
                                         "horizon": 3})
    code, out = cli("--account", "3", "submit", str(cid), "--spec", str(bad), "--work-dir", str(tmp_path / "w"))
    assert code == 1 and "Traceback" not in out, out
    lines = out.strip().splitlines()
    assert lines[0].startswith("Error: ") and "is not a model spec competition" in lines[0]
    for words in ("unknown cell 'Transformer'", "units=100000 is out of range", "dropout must be a finite number",
                  "unknown field 'optimizer'"):
        assert sum(words in line for line in lines[1:]) == 1, (words, out)
    assert submission_status(market, cid, accounts[3].address) == Status.NONE
    assert not (tmp_path / "w" / "bundle").exists()
    # valid fields that do not fit the competition (horizon 4): one line, still nothing sent
    code, out = cli("--account", "3", "submit", str(cid), "--spec", str(_write(tmp_path / "h.json", {"horizon": 3})))
    assert code == 1 and "horizon 3 is not the competition's horizon 4" in out, out
    for text, words in (("{", "not valid JSON"), ('{"units": 8, "units": 9}', "duplicate key 'units'"),
                        ("[1, 2]", "must be a JSON object")):
        (tmp_path / "t.json").write_text(text)
        code, out = cli("--account", "3", "submit", str(cid), "--spec", str(tmp_path / "t.json"))
        assert code == 1 and words in out and "Traceback" not in out, (text, out)
    code, out = cli("--account", "3", "submit", str(cid), "--spec", str(tmp_path / "missing.json"))
    assert code == 1 and "cannot read the spec file" in out, out
    code, out = cli("--account", "3", "submit", str(cid), "--spec", str(bad), "--strategy", "naive")
    assert code == 2 and "give one of --strategy, --spec or --bundle, not --strategy and --spec" in out, out
    assert submission_status(market, cid, accounts[3].address) == Status.NONE


def test_a_spec_file_is_trained_and_committed(cli, market, new_competition, tmp_path):
    cid = new_competition()
    spec = _write(tmp_path / "mine.json", {"cell": "SimpleRNN", "units": 5, "epochs": 2, "patience": 0, "seed": 11})
    code, out = cli("--account", "3", "submit", str(cid), "--spec", str(spec), "--work-dir", str(tmp_path / "w"))
    assert code == 0, out
    doc = json.loads((tmp_path / "w" / "bundle" / "spec.json").read_text())["spec"]
    assert (doc["cell"], doc["units"], doc["seed"], doc["horizon"], doc["sequence_length"]) == ("SimpleRNN", 5, 11, 4, 52)
    assert submission_status(market, cid, accounts[3].address) == Status.COMMITTED


def test_a_bundle_trained_elsewhere_is_checked_then_committed(cli, market, new_competition, trained_elsewhere,
                                                              tmp_path):
    cid = new_competition()
    code, out = cli("--account", "4", "submit", str(cid), "--bundle", str(trained_elsewhere),
                    "--work-dir", str(tmp_path / "w"))
    assert code == 0, out
    record = json.loads((tmp_path / "w" / "submission.json").read_text())
    assert record["model_sha256"] == sha256_tree(trained_elsewhere)  # exactly the bundle given
    assert record["strategy"] == f"bundle {trained_elsewhere}"
    assert submission_status(market, cid, accounts[4].address) == Status.COMMITTED


def _tampered(src: Path, dest: Path, how: str) -> Path:
    shutil.copytree(src, dest)
    spec = json.loads((dest / "spec.json").read_text())
    if how == "pickle":
        (dest / "model.pkl").write_bytes(b"\x80\x04cos\nsystem\n.")
    elif how == "horizon":
        spec["spec"]["horizon"] = 2
        spec["preprocessing"]["scaler"]["horizon"] = 2
    elif how == "units":
        spec["spec"]["units"] = 7  # the tensors no longer fit the network the spec describes
    elif how == "symlink":
        (dest / "weights.safetensors").unlink()
        (dest / "weights.safetensors").symlink_to(src / "weights.safetensors")
    elif how == "target":
        spec["preprocessing"]["feature_columns"] = ["price"]
        spec["preprocessing"]["target"] = "price"
        spec["preprocessing"]["scaler"].update(columns=["price"], target="price")
    (dest / "spec.json").write_text(json.dumps(spec))
    return dest


@pytest.mark.parametrize("how, words", [
    ("pickle", "unexpected entry 'model.pkl' in the bundle"),
    ("horizon", "horizon 2 is not the competition's horizon 4"),
    ("units", "has shape"),
    ("symlink", "is not a regular file"),
    ("target", "target 'price' is not the competition's target"),
])
def test_a_bundle_the_evaluator_would_refuse_is_refused_before_anything_is_sent(
        cli, market, new_competition, trained_elsewhere, tmp_path, how, words):
    cid = new_competition()
    bad = _tampered(trained_elsewhere, tmp_path / how, how)
    code, out = cli("--account", "5", "submit", str(cid), "--bundle", str(bad), "--work-dir", str(tmp_path / "w"))
    assert code == 1 and "Traceback" not in out, out
    assert "is not a bundle the evaluator of competition" in out and words in out, out
    assert submission_status(market, cid, accounts[5].address) == Status.NONE
    assert not (tmp_path / "w" / "bundle").exists() and not (tmp_path / "w" / "submission.json").exists()


def test_the_example_spec_is_valid_for_the_demo_competition(market, new_competition, dataset):
    from forecast_market.chain import competition
    from forecast_market.stages.submission import spec_from_file

    df, schema = read_dataset_bundle(dataset / "train", part="train")
    spec = spec_from_file(ROOT / "examples" / "spec.json", competition(market, new_competition()), schema, len(df))
    assert spec.cell == "GRU" and spec.horizon == schema.horizon


def test_backtest_scores_a_bundle_next_to_the_baselines_and_sends_nothing(cli, market, new_competition,
                                                                          trained_elsewhere):
    from brownie import web3

    cid = new_competition()
    before = (web3.eth.block_number, accounts[0].balance())
    code, out = cli("backtest", str(cid), "--bundle", str(trained_elsewhere), "--folds", "2", "--json")
    assert code == 0, out
    result = json.loads(out)
    assert (result["competition"], result["metric"], result["folds"], result["in_sample"]) == (cid, "rmse", 2, True)
    names = [r["name"] for r in result["rows"]]
    assert sorted(names) == sorted(["bundle bundle", "naive", "seasonal naive"])
    assert all(r["mean"] is not None and len(r["scores"]) == 2 for r in result["rows"])
    means = [r["mean"] for r in result["rows"]]
    assert means == sorted(means)  # best first
    assert (web3.eth.block_number, accounts[0].balance()) == before
    code, out = cli("backtest", str(cid), "--strategy", "naive", "--folds", "2")
    assert code == 0 and "rmse (lower is better)" in out and "seasonal naive" in out, out


def test_backtest_refuses_what_submit_would_refuse(cli, new_competition, dataset, trained_elsewhere, tmp_path):
    cid = new_competition()
    bad = _tampered(trained_elsewhere, tmp_path / "bad", "pickle")
    code, out = cli("backtest", str(cid), "--bundle", str(bad))
    assert code == 1 and "unexpected entry 'model.pkl'" in out and "Traceback" not in out, out
    code, out = cli("backtest", "--data", str(dataset), "--spec", str(_write(tmp_path / "s.json", {"units": 1})))
    assert code == 1 and "units=1 is out of range" in out, out
    code, out = cli("backtest", "--data", str(dataset), "--metric", "brier")
    assert code == 1 and "this is a regression task" in out, out
    for args, words in ((("backtest",), "give a COMPETITION_ID or --data DIR"),
                        (("backtest", str(cid), "--metric", "mae"), "--metric goes with --data"),
                        (("backtest", str(cid), "--strategy", "tuned"), "Invalid value for '--strategy'")):
        code, out = cli(*args)
        assert code == 2 and words in out, (args, out)


def test_seasonal_naive_is_submitted_with_the_look_back_its_season_needs(cli, market, new_competition, tmp_path):
    cid = new_competition()  # sequence length 52, season 52, horizon 4: seasonal naive looks 49 rows back
    code, out = cli("--account", "6", "submit", str(cid), "--strategy", "seasonal_naive", "--work-dir", str(tmp_path))
    assert code == 0, out
    spec = json.loads((tmp_path / "bundle" / "spec.json").read_text())["spec"]
    assert (spec["kind"], spec["sequence_length"]) == ("seasonal_naive", 52)  # the competition's window
    assert submission_status(market, cid, accounts[6].address) == Status.COMMITTED
