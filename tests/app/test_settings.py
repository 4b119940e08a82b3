"""One settings function reads the environment; .env.example documents every variable the code reads."""
import re
from pathlib import Path

from forecast_market.settings import DEFAULT_NETWORK, settings
from ipfs_store import default_data_dir

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ["forecast_market", "ml_models", "ipfs_store", "tests"]
# read by libraries we configure, not by our code: documented too
THIRD_PARTY = {"ETHERSCAN_TOKEN"}
# set, not read, by the worker environment (ml_models.scoring and _keras pin TensorFlow's behaviour)
INTERNAL = {"TF_CPP_MIN_LOG_LEVEL", "KERAS_BACKEND", "TF_ENABLE_ONEDNN_OPTS", "CUDA_VISIBLE_DEVICES",
            "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "PYTHONHASHSEED", "PYTHONPATH"}


def variables_read_by_code() -> set[str]:
    names = set()
    pattern = re.compile(r"""(?:environ|env)(?:\.get\(|\[|\.setdefault\(|, )\s*["']([A-Z][A-Z0-9_]+)["']""")
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            names |= set(pattern.findall(path.read_text()))
    names |= set(re.findall(r"""_get\(env, "([A-Z0-9_]+)"\)""", (ROOT / "forecast_market" / "settings.py").read_text()))
    for script in (ROOT / "tools").glob("*.sh"):
        names |= set(re.findall(r"\$\{([A-Z][A-Z0-9_]+):-", script.read_text()))
    return names - INTERNAL


def documented() -> set[str]:
    text = (ROOT / ".env.example").read_text()
    return set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]+)=", text, flags=re.M))


def test_every_variable_the_code_reads_is_in_env_example():
    read = variables_read_by_code()
    assert {"FM_DATA_DIR", "IPFS_API", "MARKET_ADDRESS", "PRIVATE_KEY"} <= read  # the scan finds them
    missing = read - documented()
    assert not missing, f"add to .env.example: {sorted(missing)}"


def test_env_example_names_no_variable_nobody_reads():
    stale = documented() - variables_read_by_code() - THIRD_PARTY
    assert not stale, f".env.example documents variables nothing reads: {sorted(stale)}"


def test_defaults_and_overrides(tmp_path):
    plain = settings({})
    assert plain.network == DEFAULT_NETWORK and plain.market_address is None and plain.private_key is None
    assert plain.data_dir == default_data_dir({})
    custom = settings({"FM_DATA_DIR": str(tmp_path), "FM_WORK_DIR": str(tmp_path / "w"), "FM_NETWORK": "sepolia-rpc",
                       "MARKET_ADDRESS": " 0xabc ", "PRIVATE_KEY": ""})
    assert custom.data_dir == tmp_path and custom.keystore_dir == tmp_path / "keystore"
    assert custom.network == "sepolia-rpc" and custom.market_address == "0xabc" and custom.private_key is None
    assert custom.work_dir(3, "0xABC") == (tmp_path / "w" / "competition-3" / "0xabc").resolve()


def test_the_data_folder_is_computed_in_one_place_with_xdg(tmp_path):
    assert settings({"XDG_DATA_HOME": str(tmp_path)}).data_dir == tmp_path / "forecast-market"
    assert settings({"XDG_DATA_HOME": str(tmp_path), "FM_DATA_DIR": str(tmp_path / "x")}).data_dir == tmp_path / "x"
