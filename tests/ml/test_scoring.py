"""Scoring in resource-limited subprocesses: one bad bundle never stops the run."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from ml_models.bundle import save_bundle
from ml_models.metrics import to_score_int
from ml_models.model import train
from ml_models.scoring import score_bundles, score_predictions
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
    assert rnn.score == rnn_again.score and rnn.predictions == rnn_again.predictions  # bit-identical
    assert rnn.score_int == to_score_int(rnn.score) and not rnn.higher_is_better and rnn.metric == "rmse"
    expected_naive = np.concatenate([split.train["y"].to_numpy(), split.test["y"].to_numpy()])[len(split.train) - 2:-2]
    assert naive.predictions == expected_naive.tolist()
    assert naive.score == score_predictions(expected_naive, split.train, split.test, schema, 0)
    in_process = trained.forecast_test(split.train, split.test)
    np.testing.assert_allclose(rnn.predictions, in_process, rtol=1e-5)


def test_invalid_and_nan_bundles_fail_with_reasons(bundle, naive_bundle, trained, split, schema, tmp_path):
    import shutil
    from dataclasses import replace

    from ml_models.model import build_model

    evil = tmp_path / "lambda"
    shutil.copytree(bundle, evil)
    (evil / "model.keras").write_bytes(b"PK\x03\x04 not really")
    # Finite weights whose forecasts overflow float32: a ReLU head that always outputs 1, then 3e38 * 4 + 3e38.
    spec = trained.spec.replace(dense_units=4)
    model = build_model(spec, 2)
    weights = [np.zeros_like(w) for w in model.get_weights()]
    weights[-3][:] = 1.0  # dense_head bias
    weights[-2][:] = 3e38  # output kernel
    weights[-1][:] = 3e38  # output bias
    model.set_weights(weights)
    overflow = save_bundle(tmp_path / "overflow", replace(trained, spec=spec, model=model))
    wrong = tmp_path / "wrong_horizon"
    save_bundle(wrong, train(ModelSpec(kind="naive", sequence_length=10, horizon=3), split.train))
    results = score_bundles([evil, overflow, tmp_path / "missing", wrong, naive_bundle], split.train, split.test,
                            schema, "mae", timeout_s=120)
    assert [r.ok for r in results] == [False, False, False, False, True]
    assert "invalid bundle: unexpected entry 'model.keras'" in results[0].reason
    assert "NaN or infinite" in results[1].reason
    assert "invalid bundle: cannot open bundle folder" in results[2].reason
    assert "horizon 3 is not the competition's horizon 2" in results[3].reason


def test_crashing_hanging_and_memory_hungry_workers_are_contained(naive_bundle, split, schema, tmp_path):
    for name in ("crash", "hang", "oom"):
        (tmp_path / name).mkdir()
    t = time.monotonic()
    results = score_bundles([tmp_path / "crash", tmp_path / "hang", naive_bundle, tmp_path / "oom", naive_bundle],
                            split.train, split.test, schema, "rmse", timeout_s=4, memory_mb=1024,
                            worker_cmd=FAKE_WORKER)
    assert time.monotonic() - t < 60
    crash, hang, ok1, oom, ok2 = results
    assert not crash.ok and crash.reason == "worker crashed with SIGABRT"
    assert not hang.ok and hang.reason == "timed out after 4 s" and 4 <= hang.seconds < 15
    assert not oom.ok and oom.reason.startswith("memory limit of 1024 MB exceeded")
    assert ok1.ok and ok2.ok and ok1.score == ok2.score


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
        assert rnn.score_int == to_score_int(score_predictions(rnn.predictions, split.train, split.test, s, metric))
    # a regression bundle (values, not probabilities) does not fit a direction competition
    regression = save_bundle(tmp_path / "regression", train(spec.replace(kind="naive", task="regression"), split.train, schema))
    (wrong,) = score_bundles([regression], split.train, split.test, s, "brier", timeout_s=60)
    assert not wrong.ok and "task 'regression' is not the competition's task 'direction'" in wrong.reason
