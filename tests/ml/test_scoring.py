"""Scoring in resource-limited subprocesses: one bad bundle never stops the run."""

from __future__ import annotations

import json
import shutil
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from ml_models.bundle import load_bundle, save_bundle
from ml_models.intinfer import quantize
from ml_models.model import train
from ml_models.scoring import DEADLINE_REASON, score_bundles, score_predictions_q
from ml_models.spec import ModelSpec

FAKE_WORKER = [sys.executable, str(Path(__file__).with_name("fake_worker.py"))]


@pytest.fixture(scope="module")
def naive_bundle(split, schema, tmp_path_factory):
    fc = train(ModelSpec(kind="naive", sequence_length=10, horizon=2), split.train, schema)
    return save_bundle(tmp_path_factory.mktemp("b") / "naive", fc)


def test_scores_are_the_metric_of_exact_test_predictions_and_deterministic(bundle, naive_bundle, trained, split, schema):
    results = score_bundles([bundle, naive_bundle, bundle], split.train, split.test, schema, "rmse", timeout_s=120)
    assert [r.ok for r in results] == [True, True, True], [r.reason for r in results]
    rnn, naive, rnn_again = results
    assert rnn.score_int == rnn_again.score_int and rnn.predictions_q == rnn_again.predictions_q  # exact
    assert all(type(p) is int for p in rnn.predictions_q)
    assert rnn.score == rnn.score_int / 10**6 and not rnn.higher_is_better and rnn.metric == "rmse"
    assert rnn.score_int == score_predictions_q(rnn.predictions_q, split.train, split.test, schema, "rmse")
    assert rnn.predictions_q == load_bundle(bundle).forecast_test_q(split.train, split.test).tolist()
    expected_naive = np.concatenate([split.train["y"].to_numpy(), split.test["y"].to_numpy()])[len(split.train) - 2:-2]
    assert naive.predictions_q == quantize(expected_naive).tolist()
    assert naive.score_int == score_predictions_q(quantize(expected_naive), split.train, split.test, schema, 0)
    np.testing.assert_allclose(rnn.predictions, trained.forecast_test(split.train, split.test), atol=1e-5)


def _edit_scaler(bundle, folder, **changes):
    shutil.copytree(bundle, folder)
    doc = json.loads((folder / "spec.json").read_text())
    doc["preprocessing"]["scaler"].update(changes)
    (folder / "spec.json").write_text(json.dumps(doc))
    return folder


def test_invalid_and_overflowing_bundles_fail_with_reasons(bundle, naive_bundle, split, schema, tmp_path):
    from safetensors.numpy import load_file, save_file

    evil = tmp_path / "lambda"
    shutil.copytree(bundle, evil)
    (evil / "model.keras").write_bytes(b"PK\x03\x04 not really")
    def set_tensor(folder, name, value):
        tensors = load_file(str(folder / "weights.safetensors"))
        tensors[name][:] = value
        save_file(tensors, str(folder / "weights.safetensors"))
        return folder

    # outputs about 10 times a change of 2**61 / 2**24: forecasts beyond the format's safe range
    overflow = set_tensor(_edit_scaler(bundle, tmp_path / "overflow", delta_scale_q=2**61), "output.1.bias", 10 << 24)
    big = set_tensor(shutil.copytree(bundle, tmp_path / "big_weights"), "output.0.kernel", 2**50)
    wrong = tmp_path / "wrong_horizon"
    save_bundle(wrong, train(ModelSpec(kind="naive", sequence_length=10, horizon=3), split.train))
    results = score_bundles([evil, overflow, tmp_path / "missing", wrong, big, naive_bundle], split.train, split.test,
                            schema, "mae", timeout_s=120)
    assert [r.ok for r in results] == [False, False, False, False, False, True]
    assert "invalid bundle: unexpected entry 'model.keras'" in results[0].reason
    assert "prediction failed: IntInferError: a forecast in target units does not fit" in results[1].reason
    assert "invalid bundle: cannot open bundle folder" in results[2].reason
    assert "horizon 3 is not the competition's horizon 2" in results[3].reason
    assert "invalid bundle: the network cannot run exactly in the fixed-point format: output: the dot product" in results[4].reason


@pytest.mark.parametrize("workers", [1, 2, 3])
def test_crashing_hanging_and_memory_hungry_workers_fail_alone(workers, naive_bundle, split, schema, tmp_path):
    for name in ("crash", "hang", "oom"):
        (tmp_path / name).mkdir()
    t = time.monotonic()
    order = [tmp_path / "crash", naive_bundle, tmp_path / "hang", naive_bundle, tmp_path / "oom", naive_bundle]
    seen = []
    results = score_bundles(order, split.train, split.test, schema, "rmse", timeout_s=4, memory_mb=1024,
                            worker_cmd=FAKE_WORKER, workers=workers, progress=lambda i, r: seen.append(i))
    assert time.monotonic() - t < 60 and sorted(seen) == list(range(6))
    crash, ok1, hang, ok2, oom, ok3 = results
    assert not crash.ok and crash.reason == "worker crashed with SIGABRT"
    assert not hang.ok and hang.reason == "timed out after 4 s" and 4 <= hang.seconds < 15
    assert not oom.ok and oom.reason.startswith("memory limit of 1024 MB exceeded")
    assert ok1.ok and ok2.ok and ok3.ok and ok1.score_int == ok2.score_int == ok3.score_int


def test_the_deadline_fails_what_is_not_finished(naive_bundle, split, schema, tmp_path):
    (tmp_path / "hang").mkdir()
    t = time.monotonic()
    results = score_bundles([naive_bundle, tmp_path / "hang", naive_bundle], split.train, split.test, schema, "rmse",
                            timeout_s=60, worker_cmd=FAKE_WORKER, workers=1, deadline=time.monotonic() + 5)
    assert time.monotonic() - t < 20
    assert results[0].ok and [r.reason for r in results[1:]] == [DEADLINE_REASON] * 2


def test_scoring_imports_no_tensorflow(bundle, naive_bundle, split, schema, tmp_path):
    """The worker (and the parent) run numpy only: a worker that finds TensorFlow or Keras loaded exits 97."""
    import subprocess

    check = ("import sys; from ml_models.scoring_worker import main; rc = main(sys.argv[1:]); "
             "sys.exit(97 if {'tensorflow', 'keras'} & set(sys.modules) else rc)")
    results = score_bundles([bundle, naive_bundle], split.train, split.test, schema, "rmse", timeout_s=60,
                            worker_cmd=[sys.executable, "-c", check])
    assert [r.ok for r in results] == [True, True], [r.reason for r in results]
    import pickle

    (tmp_path / "args.pkl").write_bytes(pickle.dumps(([str(bundle)], split.train, split.test, schema, "rmse")))
    code = (f"import pickle, sys; from ml_models.scoring import score_bundles; "
            f"(r,) = score_bundles(*pickle.loads(open({str(tmp_path / 'args.pkl')!r}, 'rb').read())); "
            f"assert r.ok, r.reason; print(sorted({{'tensorflow', 'keras'}} & set(sys.modules)))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and done.stdout.strip() == "[]", done.stderr[-2000:]


def test_results_serialise_to_json(naive_bundle, split, schema):
    (r,) = score_bundles([naive_bundle], split.train, split.test, schema, 4, timeout_s=60)
    doc = json.loads(json.dumps(r.to_dict()))
    assert doc["ok"] and doc["metric"] == "directional_accuracy" and doc["higher_is_better"] is True
    assert 0.0 <= doc["score"] <= 1.0


def test_a_direction_competition_is_scored_on_probabilities_and_the_constant_loses(split, schema, tmp_path):
    from dataclasses import replace

    s = replace(schema, task="direction")
    spec = ModelSpec(task="direction", units=8, epochs=15, patience=0, sequence_length=10, horizon=2, season=7, seed=3)
    net = save_bundle(tmp_path / "net", train(spec, split.train, s))
    naive = save_bundle(tmp_path / "naive", train(spec.replace(kind="naive"), split.train, s))
    for metric, coin in (("brier", 0.25), ("log_loss", np.log(2))):
        rnn, constant = score_bundles([net, naive], split.train, split.test, s, metric, timeout_s=120)
        assert rnn.ok and constant.ok, (rnn.reason, constant.reason)
        assert all(0.0 <= p <= 1.0 for p in rnn.predictions) and set(constant.predictions) == {0.0}
        assert rnn.score < coin < constant.score  # the weekly cycle is learnt; "never a rise" is punished
        assert rnn.score_int == score_predictions_q(rnn.predictions_q, split.train, split.test, s, metric)
    # a regression bundle (values, not probabilities) does not fit a direction competition
    regression = save_bundle(tmp_path / "regression", train(spec.replace(kind="naive", task="regression"), split.train, schema))
    (wrong,) = score_bundles([regression], split.train, split.test, s, "brier", timeout_s=60)
    assert not wrong.ok and "task 'regression' is not the competition's task 'direction'" in wrong.reason
