"""The download every backend shares: plan the whole tree from the DAG, refuse it or write it.

A backend only answers three questions about a CID (what is it, what does this folder list,
what are this file's bytes). The plan checks every name, the depth, the entry count and the
total size (`rules.TreeRules`) before anything is written; the writer then streams each file
with a running byte count. All of it runs in a worker thread under a `FetchGuard`, so the
caller gets control back at the deadline even if a node stops answering mid-read.
"""
from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from .errors import StorageError, show
from .rules import Deadline, TreeRules, too_large

_FILE_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
_GRACE_S = 0.25  # how long past the deadline the worker may take to report its own timeout


@dataclass(frozen=True)
class Link:
    """One entry of a folder as its backend lists it. `kind` is "file", "dir" or anything else
    (a symlink, a type we do not know), which is refused. `cid` is backend-specific."""

    name: str
    cid: Any
    kind: str
    size: int


@dataclass(frozen=True)
class Entry:
    rel: str  # relative POSIX path inside the download, "" for the root
    cid: Any
    is_dir: bool
    size: int


class Source(Protocol):
    """What a backend provides for a download (the Storage subclasses implement it)."""

    def _stat(self, cid: str, guard: FetchGuard) -> tuple[str, int]: ...
    def _list(self, cid: Any, guard: FetchGuard) -> Iterable[Link]: ...
    def _read(self, cid: Any, guard: FetchGuard) -> Iterable[bytes]: ...


class Cancelled(Exception):
    """Raised in a worker whose fetch was given up by its caller."""


class FetchGuard:
    """One fetch's deadline, its cancellation, and what must be closed when it ends.

    Backends call `check()` between network reads or block reads. Every change to the staging
    folder happens inside `step()`, which holds a lock that `cancel()` also takes: once the
    caller has cancelled, the worker writes nothing more, so the caller can delete the folder.
    """

    def __init__(self, deadline: Deadline, root: str = "") -> None:
        self.deadline = deadline
        self.root = root  # the CID being fetched, for messages
        self.interrupt: Callable[[], None] | None = None  # unblocks the worker's current read
        self._lock = threading.Lock()
        self._cancelled = False
        self._resources: dict[str, Any] = {}

    def check(self, step: str = "") -> None:
        if self._cancelled:
            raise Cancelled
        self.deadline.check(step)

    def remaining(self) -> float:
        return self.deadline.remaining()

    @contextlib.contextmanager
    def step(self, doing: str) -> Iterator[None]:
        with self._lock:
            self.check(doing)
            yield

    def resource(self, key: str, factory: Callable[[], Any]) -> Any:
        """A per-fetch object (e.g. an HTTP session), made on first use, closed at the end."""
        if key not in self._resources:
            self._resources[key] = factory()
        return self._resources[key]

    def run(self, work: Callable[[], None]) -> None:
        """Run `work` in a worker thread; return when it ends, or raise at the deadline."""
        failure: list[BaseException] = []

        def worker() -> None:
            try:
                work()
            except BaseException as e:  # handed to the caller below
                failure.append(e)
            finally:
                for res in self._resources.values():
                    with contextlib.suppress(Exception):
                        res.close()

        thread = threading.Thread(target=worker, name=f"fetch: {self.deadline.doing}", daemon=True)
        thread.start()
        thread.join(max(0.0, self.remaining()) + _GRACE_S)
        if thread.is_alive():
            raise self.deadline.error()
        if failure:
            if isinstance(failure[0], Cancelled):
                raise self.deadline.error()
            raise failure[0]

    def cancel(self) -> None:
        """Stop the worker from touching the staging folder again, and interrupt its read."""
        with self._lock:
            self._cancelled = True
        interrupt = self.interrupt
        if interrupt is not None:
            with contextlib.suppress(Exception):
                interrupt()


def plan(source: Source, cid: str, max_bytes: int, guard: FetchGuard) -> list[Entry]:
    """Every entry under `cid`, parents before children, checked against the rules and the limit."""
    kind, size = source._stat(cid, guard)
    rules = TreeRules(cid, max_bytes)
    if kind == "file":
        rules.add_bytes(size)
        return [Entry("", cid, False, size)]
    if kind != "dir":
        raise rules.refuse(f"is a {kind}, not a file or folder")
    entries = [Entry("", cid, True, 0)]
    pending = [entries[0]]
    while pending:
        folder = pending.pop()
        guard.check(f"listing {show(folder.rel or '/')}")
        for link in source._list(folder.cid, guard):
            rel = rules.add(folder.rel, link.name, link.kind == "dir", link.size)
            if link.kind not in ("file", "dir"):
                raise rules.refuse(f"has {show(rel)}, a {link.kind}; only files and folders are allowed")
            entry = Entry(rel, link.cid, link.kind == "dir", link.size)
            entries.append(entry)
            if entry.is_dir:
                pending.append(entry)
    return entries


def write(source: Source, root: str, entries: list[Entry], dest: Path, max_bytes: int, guard: FetchGuard) -> None:
    """Create `entries` under `dest` (which must not exist), streaming files with a running
    byte count that may never pass `max_bytes`."""
    written = 0
    for entry in entries:
        target = dest / entry.rel if entry.rel else dest
        if entry.is_dir:
            with guard.step(f"creating {show(entry.rel or '/')}"):
                os.mkdir(target, 0o755)  # its parent exists: entries come parents first
        else:
            written = _write_file(source, root, entry, target, written, max_bytes, guard)


def _write_file(
    source: Source, root: str, entry: Entry, target: Path, written: int, max_bytes: int, guard: FetchGuard
) -> int:
    shown = show(entry.rel or "/")
    got = 0
    with guard.step(f"writing {shown}"):
        out = os.fdopen(os.open(target, _FILE_FLAGS, 0o644), "wb")
    with out:
        for chunk in source._read(entry.cid, guard):
            got += len(chunk)
            written += len(chunk)
            if written > max_bytes:
                raise too_large(root, written, max_bytes, at_least=True)
            if got > entry.size:
                raise _inconsistent(root, shown, entry.size, "more")
            with guard.step(f"writing {shown}"):
                out.write(chunk)
    if got != entry.size:
        raise _inconsistent(root, shown, entry.size, "fewer")
    return written


def _inconsistent(root: str, shown: str, size: int, more_or_fewer: str) -> StorageError:
    return StorageError(
        f"{root}: the node sent {more_or_fewer} bytes for {shown} than the {size:,} its DAG lists; "
        "nothing was kept. The content or the node is broken: do not use it, or try another node"
    )
