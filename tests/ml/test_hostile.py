"""Hostile participants can neither halt nor escape evaluation: every failure of one bundle is that
bundle's row with a one-line reason, and the honest bundles beside it are scored as usual."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest

from ml_models.errors import MAX_MESSAGE, ScoringError
from ml_models.metrics import score_fits
from ml_models.scoring import score_bundles, score_predictions_q

FAKE_WORKER = [sys.executable, str(Path(__file__).with_name("fake_worker.py"))]


def _variant(honest: Path, folder: Path, change) -> Path:
    shutil.copytree(honest, folder)
    change(folder)
    return folder


def _edit(fn):
    def change(folder: Path) -> None:
        doc = json.loads((folder / "spec.json").read_text())
        fn(doc)
        (folder / "spec.json").write_text(json.dumps(doc))

    return change


def _replace_text(old: str, new: str):
    def change(folder: Path) -> None:
        text = (folder / "spec.json").read_text()
        assert old in text
        (folder / "spec.json").write_text(text.replace(old, new, 1))

    return change


def _scaler(**changes):
    return _edit(lambda doc: doc["preprocessing"]["scaler"].update(changes))


def _level_with_mean(value: int):
    def fn(doc):
        doc["spec"]["target_transform"] = "level"
        doc["preprocessing"]["scaler"]["mean_q"][0] = value

    return _edit(fn)


def _truncate_weights(folder: Path) -> None:
    data = (folder / "weights.safetensors").read_bytes()
    (folder / "weights.safetensors").write_bytes(data[: len(data) // 2])


HOSTILE = {  # name -> (how the honest bundle is broken, words the reason must hold)
    "mean_2_62": (_level_with_mean(2**62), "invalid bundle: invalid scaler statistics: a value is beyond the fixed-point"),
    "mean_1e200": (_replace_text('"mean_q": [', '"mean_q": [1e200, '), "mean_q must be a list of 2 integer(s)"),
    "digits_1e5": (_replace_text('"units": 6', '"units": ' + "9" * 100_000),
                   "bytes; the limit is 65536"),  # 100,000 digits: spec.json over its 64 KiB limit
    "digits_5000": (_replace_text('"units": 6', '"units": ' + "9" * 5000),
                    "invalid bundle: spec.json holds an integer of 5000 digits; at most 20 are allowed"),
    "mean_is_a_number": (_scaler(mean_q=5), "invalid bundle: invalid scaler statistics: preprocessing.scaler.mean_q "
                                            "must be a list of 2 integer(s)"),
    "truncated_weights": (_truncate_weights, "invalid bundle: tensor"),
}


def test_one_honest_bundle_is_scored_among_hostile_ones(bundle, trained, split, schema, tmp_path):
    folders = [_variant(bundle, tmp_path / name, change) for name, (change, _) in HOSTILE.items()]
    results = score_bundles([folders[0], bundle, *folders[1:]], split.train, split.test, schema, "rmse", timeout_s=120)
    honest = results.pop(1)
    assert honest.ok and honest.reason == "", honest.reason
    assert honest.score_int == score_predictions_q(honest.predictions_q, split.train, split.test, schema, "rmse")
    np.testing.assert_allclose(honest.predictions, trained.forecast_test(split.train, split.test), rtol=1e-5)
    for (name, (_, words)), res in zip(HOSTILE.items(), results, strict=True):
        assert not res.ok and res.score is None and res.score_int is None and res.predictions is None, name
        assert words in res.reason, (name, res.reason)
        assert len(res.reason) <= MAX_MESSAGE and "\n" not in res.reason, name


@pytest.mark.parametrize("metric", ["rmse", "mae", "mase", "smape", "directional_accuracy"])
def test_huge_forecasts_get_an_exact_bounded_score_or_fail_with_every_metric(metric, split, schema, tmp_path):
    names = ("huge", "negative", "beyond")  # every forecast +-(2**62 - 1), or 2**62 (see fake_worker.py)
    for name in names:
        (tmp_path / name).mkdir()
    huge, negative, beyond = score_bundles([tmp_path / n for n in names], split.train, split.test, schema, metric,
                                           timeout_s=60, worker_cmd=FAKE_WORKER)
    for res in (huge, negative):  # integers: no overflow, and the worst possible forecasts still have a score
        assert res.ok and score_fits(res.score), res.reason
        assert res.score_int == score_predictions_q(res.predictions_q, split.train, split.test, schema, metric)
    if metric == "smape":
        assert huge.score_int == negative.score_int == 200_000_000
    assert not beyond.ok and "beyond the fixed-point format's range" in beyond.reason, beyond.reason


GARBAGE = {  # fake worker result -> words its reason must hold
    "garbage": "worker wrote no readable result (the result is not UTF-8",
    "empty": "worker wrote no readable result (the result is not valid JSON",
    "big": "worker wrote no readable result (the result is larger than",
    "floats": "worker returned predictions that are not all integers",
    "deep": "worker wrote no readable result (the result nests too deeply",
    "nested": "worker wrote no readable result (the result nests 5 levels deep; at most 2",
    "hugeint": "worker wrote no readable result (the result holds an integer of 5000 digits",
    "bigint": "worker wrote no readable result (the result holds an integer of 400 digits",
    "nan": "worker wrote no readable result (the result contains NaN",
    "strings": "worker returned predictions that are not all integers",
    "notok": "worker reported a failure without a reason",
    "longreason": "line one line two xxxx",
    "listreason": "worker reported a failure without a reason",
    "dupkey": "worker wrote no readable result (duplicate key 'ok' in the result)",
    "noisy": "worker exited with code 3: RuntimeError: yyyy",
}


def test_garbage_from_the_worker_is_that_bundles_failure(split, schema, tmp_path):
    for name in GARBAGE:
        (tmp_path / name).mkdir()
    results = score_bundles([tmp_path / name for name in GARBAGE], split.train, split.test, schema, "rmse",
                            timeout_s=60, worker_cmd=FAKE_WORKER)
    for (name, words), res in zip(GARBAGE.items(), results, strict=True):
        assert not res.ok and res.score_int is None, name
        assert words in res.reason, (name, res.reason)
        assert len(res.reason) <= MAX_MESSAGE and "\n" not in res.reason, (name, res.reason)


def test_only_problems_that_are_not_about_a_bundle_raise(bundle, split, schema):
    constant = split.train.assign(y=1.0)
    with pytest.raises(ScoringError, match="cannot be computed on this data even for perfect forecasts: MASE is undefined"):
        score_bundles([bundle], constant, split.test, schema, "mase")
    with pytest.raises(ScoringError, match="the test set is empty"):
        score_bundles([bundle], split.train, split.test.iloc[:0], schema, "rmse")
    with pytest.raises(ScoringError, match="cannot start the scoring worker"):
        score_bundles([bundle], split.train, split.test, schema, "rmse", worker_cmd=["/nonexistent/worker"])
