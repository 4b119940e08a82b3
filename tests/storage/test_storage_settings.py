"""open_storage: one setting (IPFS_API) picks the backend; FM_DATA_DIR places the repo."""
from __future__ import annotations

from pathlib import Path

import pytest

from ipfs_store import EmbeddedKubo, KuboRPC, StorageError, default_repo_path, open_storage


def test_ipfs_api_selects_kubo_rpc() -> None:
    store = open_storage({"IPFS_API": "/ip4/127.0.0.1/tcp/5001"})
    assert isinstance(store, KuboRPC) and store.api == "/ip4/127.0.0.1/tcp/5001"


def test_no_ipfs_api_selects_embedded_node_under_fm_data_dir(tmp_path: Path) -> None:
    store = open_storage({"IPFS_API": "  ", "FM_DATA_DIR": str(tmp_path)})
    assert isinstance(store, EmbeddedKubo)
    assert store.repo_path == (tmp_path / "ipfs").resolve()


def test_default_repo_path_without_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    assert default_repo_path({}) == tmp_path / ".local/share/forecast-market/ipfs"
    assert default_repo_path({"XDG_DATA_HOME": "/xdg"}) == Path("/xdg/forecast-market/ipfs")


def test_size_limit_setting(tmp_path: Path) -> None:
    assert open_storage({"FM_IPFS_MAX_BYTES": "1024", "FM_DATA_DIR": str(tmp_path)}).max_bytes == 1024
    with pytest.raises(StorageError, match="FM_IPFS_MAX_BYTES='lots' is not a whole number"):
        open_storage({"FM_IPFS_MAX_BYTES": "lots"})


def test_timeout_setting(tmp_path: Path) -> None:
    assert open_storage({"FM_DATA_DIR": str(tmp_path)}).timeout_s == 300
    assert open_storage({"FM_IPFS_TIMEOUT_S": "2.5", "IPFS_API": "/ip4/127.0.0.1/tcp/5001"}).timeout_s == 2.5
    for bad in ("soon", "0", "-1", "inf", "nan"):
        with pytest.raises(StorageError, match=f"FM_IPFS_TIMEOUT_S='{bad}' is not a positive number"):
            open_storage({"FM_IPFS_TIMEOUT_S": bad})
