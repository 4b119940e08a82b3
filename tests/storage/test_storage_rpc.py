"""KuboRPC specifics: errors that say what to do, and what it sends over the wire."""
from __future__ import annotations

import socket
import time
from pathlib import Path

import pytest

from ipfs_store import KuboRPC, StorageError

from .conftest import LIVE_API
from .kubo_standin import KuboStandIn

# ipfshttpclient 0.7.0 passes urllib3 2.x a deprecated argument; ipfs_store silences this at
# import, but pytest resets warning filters after collection.
pytestmark = pytest.mark.filterwarnings("ignore:The 'strict' parameter:FutureWarning")


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_unreachable_api_gives_a_clear_error() -> None:
    addr = f"/ip4/127.0.0.1/tcp/{free_port()}"
    with KuboRPC(addr, timeout=5) as store:
        with pytest.raises(StorageError) as info:
            store.add_bytes(b"x")
    message = str(info.value)
    assert message.startswith(f"cannot reach the IPFS API at {addr}: ")
    assert "start your node or unset IPFS_API to use the embedded node" in message


def test_malformed_api_address_says_what_is_expected() -> None:
    with pytest.raises(StorageError, match=r"not a Kubo RPC address.*/ip4/127\.0\.0\.1/tcp/5001"):
        KuboRPC("localhost:5001").version()


def test_constructor_does_no_io() -> None:
    KuboRPC(f"/ip4/127.0.0.1/tcp/{free_port()}").close()  # nothing listens: still fine


def test_version_check_is_skipped_for_current_kubo(rpc: KuboRPC) -> None:
    # ipfshttpclient.connect() would raise VersionMismatch for anything >= 0.8.0.
    assert rpc.version().startswith("0.22.0")


def test_talks_to_the_standin_over_http(rpc: KuboRPC, standin: KuboStandIn, tmp_path: Path) -> None:
    standin.requests.clear()
    cid = rpc.add_bytes(b"over the wire")
    rpc.pin(cid)
    assert rpc.get(cid, tmp_path / "f").read_bytes() == b"over the wire"
    assert standin.requests == ["add", "pin_add", "files_stat", "cat"]
    assert standin.node.has(cid)  # it really landed in the stand-in's Kubo node


def test_node_errors_become_storage_errors(rpc: KuboRPC, tmp_path: Path) -> None:
    missing = "QmWATWQ7fVPP2EFGu71UkfnqhYXDYH566qy47CnJDgvs8u"  # never added anywhere here
    with pytest.raises(StorageError, match=f"failed while looking up {missing}"):
        rpc.get(missing, tmp_path / "x")
    assert list(tmp_path.iterdir()) == []


def test_unsafe_entry_names_from_the_node_are_refused(
    rpc: KuboRPC, standin: KuboStandIn, bundle: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cid = rpc.add_folder(bundle)
    real_ls = standin.ls

    def evil_ls(*args):  # a hostile node that names an entry "../escape"
        answer = real_ls(*args)
        answer["Objects"][0]["Links"][0]["Name"] = "../escape"
        return answer

    monkeypatch.setattr(standin, "ls", evil_ls)
    with pytest.raises(StorageError, match="unsafe entry name '../escape'"):
        rpc.get(cid, tmp_path / "dl" / "x")
    assert not (tmp_path / "dl" / "escape").exists() and not (tmp_path / "escape").exists()
    assert list((tmp_path / "dl").iterdir()) == []


def test_a_node_that_under_reports_sizes_is_still_capped(
    rpc: KuboRPC, standin: KuboStandIn, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cid = rpc.add_bytes(b"z" * 10_000)
    real_stat = standin.files_stat
    monkeypatch.setattr(standin, "files_stat", lambda *a: {**real_stat(*a), "Size": 10})
    with pytest.raises(StorageError, match="more than the 4,096-byte limit"):
        rpc.get(cid, tmp_path / "x", max_bytes=4096)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.skipif(not LIVE_API, reason="set FM_TEST_IPFS_API to a live Kubo RPC API to run")
def test_live_daemon_round_trip(bundle: Path, tmp_path: Path) -> None:
    from ipfs_store import sha256_tree

    with KuboRPC(LIVE_API) as store:
        assert store.version()
        assert store.add_bytes(b"hello world\n") == "QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o"
        cid = store.add_folder(bundle)
        out = store.get_verified(cid, tmp_path / "out", sha256_tree(bundle))
        assert sha256_tree(out) == sha256_tree(bundle)


def test_an_rpc_node_that_never_answers_is_cut_off(rpc: KuboRPC, standin: KuboStandIn, tmp_path: Path) -> None:
    cid = rpc.add_bytes(b"anything")
    standin.stall_s = 30  # every command waits 30 s before its answer (headers included)
    try:
        started = time.monotonic()
        with pytest.raises(StorageError, match="took longer than the 2 s deadline.*pass a larger timeout_s"):
            rpc.get(cid, tmp_path / "dl" / "x", timeout_s=2)
        assert time.monotonic() - started < 4
    finally:
        standin.stall_s = None
    assert list((tmp_path / "dl").iterdir()) == []
