"""The brownie scripts are thin wrappers over the application package, and they still run a
whole competition: `brownie run scripts/NN_stage.py [function] [args]` calls these `main()`s."""
import ast
import importlib.util
from pathlib import Path

import pytest
from brownie import ForecastMarket

from forecast_market.chain import competition, mine_at
from forecast_market.protocol import Phase

SCRIPTS = Path(__file__).resolve().parents[2] / "scripts"
STAGES = ["01_preprocess", "02_initialize", "03_submit", "04_evaluate", "05_settle"]


def load(name: str):
    spec = importlib.util.spec_from_file_location(f"scripts_{name}", SCRIPTS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("path", sorted(SCRIPTS.glob("*.py")), ids=lambda p: p.name)
def test_each_script_is_a_thin_wrapper(path):
    tree = ast.parse(path.read_text())
    imported = {(n.module or "").split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    imported |= {a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    assert imported <= {"brownie", "forecast_market"}, f"{path.name} imports {imported}"
    functions = [n for n in tree.body if isinstance(n, ast.FunctionDef)]
    assert "main" in {f.name for f in functions}
    assert all(f.end_lineno - f.lineno < 8 for f in functions), "a script function holds logic"
    assert sorted(p.stem for p in SCRIPTS.glob("0*.py")) == STAGES


def test_the_numbered_scripts_run_a_competition(data_dir, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the scripts write to out/ by default
    market = load("deploy").main()
    assert ForecastMarket[-1] == market
    info = load("01_preprocess").main("statsmodels:co2", "out/dataset")
    assert info["data_cid"] and (tmp_path / "out" / "dataset" / "dataset.json").is_file()
    comp_id = load("02_initialize").main("out/dataset", "1")
    submit = load("03_submit")
    assert submit.main(comp_id, "naive").model_cid
    comp = competition(market, comp_id)
    mine_at(comp["submissionEnd"])
    submit.reveal(comp_id)
    evaluate = load("04_evaluate")
    evaluate.main(comp_id)  # reveals the test set
    mine_at(comp["revealEnd"])
    result = evaluate.main(comp_id)
    assert result["comp"]["phase"] == Phase.FINALIZED and [r.ok for r in result["rows"]] == [True]
    evaluate.verify(comp_id)  # raises SystemExit(3) on a mismatch
    settle = load("05_settle")
    assert settle.main(comp_id) > 0  # the organizer was also the only participant: prize and deposit
    assert settle.status(comp_id)["competition"]["phase"] == Phase.FINALIZED
