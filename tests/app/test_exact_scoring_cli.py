"""`market upgrade-bundle` (a version 1 bundle re-exported as version 2) and `verify`'s checks of itself."""
import json

from click.testing import CliRunner

from forecast_market.cli import main
from ml_models.bundle import load_bundle
from ml_models.spec import ModelSpec


def test_a_version_1_naive_bundle_is_upgraded_and_a_wrong_folder_is_one_line(tmp_path):
    old = tmp_path / "v1"
    old.mkdir()
    doc = {"format": "forecast-market/model-bundle", "format_version": 1, "kind": "naive",
           "spec": ModelSpec(kind="naive", sequence_length=8, horizon=2).to_dict(),
           "preprocessing": {"feature_columns": ["y"], "target": "y", "scaler": None}, "data": {}, "tensors": []}
    (old / "spec.json").write_text(json.dumps(doc))
    result = CliRunner().invoke(main, ["upgrade-bundle", str(old), str(tmp_path / "v2")])
    assert result.exit_code == 0 and "wrote the version 2 bundle" in result.output, result.output
    assert load_bundle(tmp_path / "v2").spec.kind == "naive"
    assert json.loads((tmp_path / "v2" / "spec.json").read_text())["format_version"] == 2
    again = CliRunner().invoke(main, ["upgrade-bundle", str(tmp_path / "v2"), str(tmp_path / "v3")])
    assert again.exit_code == 1 and len(again.output.strip().splitlines()) == 1
    assert "cannot upgrade" in again.output and "not a forecast-market/model-bundle version 1" in again.output


def test_verify_refuses_to_judge_scores_on_a_machine_that_misses_the_golden_values(monkeypatch):
    import pytest

    import ml_models.intinfer.golden as golden
    from forecast_market.audit import verify
    from ml_models.intinfer import IntInferError

    monkeypatch.setattr(golden, "self_check", lambda: ["network", "scores"])
    with pytest.raises(IntInferError, match=r"other integers than the reference's golden values \(in: network, scores\)"):
        verify(None, 1)  # refused before the chain is read
    result = CliRunner().invoke(main, ["verify", "1", "--tolerance", "0.001"])
    assert result.exit_code == 2 and "verify has no tolerance any more" in result.output
