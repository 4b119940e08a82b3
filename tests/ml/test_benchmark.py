"""The benchmark's code paths on a tiny real configuration (seconds), and its errors."""

from __future__ import annotations

import subprocess
import sys

import pytest

from ml_models import benchmark
from ml_models.benchmark import DatasetConfig, markdown_table, parse_datasets
from ml_models.errors import DataError


def test_tiny_run_prints_markdown_tables_and_the_ratio_summary(monkeypatch, tmp_path, capsys):
    tiny = DatasetConfig("sunspots, last 90 years", "statsmodels:sunspots", "sunactivity", horizon=1, season=1,
                         sequence_length=6, last_rows=90)
    monkeypatch.setitem(benchmark.DATASETS, "tiny", tiny)
    argv = ["--datasets", "tiny", "--budget-seconds", "1", "--epochs", "1", "--out", str(tmp_path), "--random-search"]
    assert benchmark.main(argv) == 0
    out = capsys.readouterr().out
    for row in ("| naive |", "| AutoARIMA |", "| AutoETS |", "| AutoTheta |", f"| {benchmark.BASELINE_MEAN} |",
                f"| {benchmark.RNN_TUNED} |", f"| {benchmark.ENSEMBLE} |", f"| {benchmark.ENSEMBLE_VAL} |",
                f"| {benchmark.ENSEMBLE_W} |", "| **median** |", "| **worst** |"):
        assert row in out, row
    assert "seasonal naive" not in out  # season 1: the same as naive, left out
    assert "Goal: median ratio" in out and "TPE + successive halving vs random search" in out
    assert "load average" in out
    assert len(list(tmp_path.glob("tiny-baselines-*.npz"))) == 2  # test and validation forecasts, cached for a re-run
    assert "validation-best statistical baseline" in out and "ensemble weight of the tuned RNN" in out


def test_the_ensemble_weight_is_the_least_squares_weight_clipped_to_0_1():
    import numpy as np

    a, b = np.array([1.0, 2.0, 4.0, 3.0]), np.array([2.0, 1.0, 3.0, 5.0])
    assert benchmark.ensemble_weight(a, b, 0.3 * a + 0.7 * b) == pytest.approx(0.3)
    assert benchmark.ensemble_weight(a, b, a + 2 * (a - b)) == 1.0  # beyond the RNN: clipped, no extrapolation
    assert benchmark.ensemble_weight(a, b, b - (a - b)) == 0.0
    assert benchmark.ensemble_weight(a, a, b) == 0.5  # the same forecasts: any weight, the mean


def test_unknown_dataset_names_are_one_line_errors(capsys):
    with pytest.raises(DataError, match="unknown dataset.*'nope'.*choose from taylor"):
        parse_datasets("co2,nope")
    with pytest.raises(DataError, match="none given"):
        parse_datasets(" , ")
    assert parse_datasets("co2, goog,co2") == ["co2", "goog"]
    assert benchmark.main(["--datasets", "nope"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: unknown dataset") and "\n" not in err


def test_markdown_table_formats_numbers():
    assert markdown_table(["a", "b"], [["x", 1.23456], ["y", 12345.678]]).splitlines() == [
        "| a | b |", "|---|---|", "| x | 1.2346 |", "| y | 12345.7 |"]


def test_help_lists_every_dataset():
    out = subprocess.run([sys.executable, "-m", "ml_models.benchmark", "--help"], capture_output=True, text=True,
                         timeout=60, check=False)
    assert out.returncode == 0, out.stderr
    assert all(k in out.stdout for k in benchmark.DATASETS) and "--budget-seconds" in out.stdout
