"""The tree keeps its shape: dependencies point one way, and no module or function grows into a
second home for logic."""
import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ["forecast_market", "ml_models", "ipfs_store"]
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 60
# what each library must never import: the application joins them, they know nothing of it or of each other
FORBIDDEN = {
    "ml_models": {"forecast_market", "ipfs_store", "brownie", "web3", "eth_abi", "eth_utils"},
    "ipfs_store": {"forecast_market", "ml_models", "brownie", "web3"},
}


def modules(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


def top_level_imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_libraries_import_nothing_of_the_application(package):
    offenders = {p.relative_to(ROOT).as_posix(): sorted(top_level_imports(p) & FORBIDDEN[package])
                 for p in modules(package)}
    assert not {k: v for k, v in offenders.items() if v}


@pytest.mark.parametrize("package", PACKAGES)
def test_no_module_is_over_the_size_limit(package):
    big = {p.relative_to(ROOT).as_posix(): n for p in modules(package)
           if (n := len(p.read_text().splitlines())) > MAX_MODULE_LINES}
    assert not big


@pytest.mark.parametrize("package", PACKAGES)
def test_no_function_is_over_the_length_limit(package):
    long = {}
    for path in modules(package):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                n = node.end_lineno - node.lineno + 1
                if n > MAX_FUNCTION_LINES:
                    long[f"{path.relative_to(ROOT).as_posix()}:{node.name}"] = n
    assert not long


def test_the_stages_show_in_the_tree():
    stages = ROOT / "forecast_market" / "stages"
    assert {p.stem for p in stages.glob("*.py")} >= {"preprocessing", "initialization", "submission", "evaluation",
                                                      "final"}
    assert sorted(p.stem for p in (ROOT / "scripts").glob("0*.py")) == [
        "01_preprocess", "02_initialize", "03_submit", "04_evaluate", "05_settle"]


def test_test_modules_have_unique_names():
    """pytest's rootdir import mode needs unique basenames across test folders without __init__.py."""
    names = [p.name for p in (ROOT / "tests").rglob("test_*.py") if not (p.parent / "__init__.py").exists()]
    assert len(names) == len(set(names)), sorted(n for n in names if names.count(n) > 1)
