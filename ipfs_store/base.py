"""The storage interface every backend implements, with the shared download logic.

Backends only know how to add content and how to describe a CID (`_stat`, `_list`, `_read`).
The download plan and its rules (`fetch`, `rules`), the deadline, atomic placement and digest
checks live here, once, so both backends behave the same.
"""
from __future__ import annotations

import contextlib
import os
import re
import tempfile
from abc import ABC, abstractmethod
from collections.abc import Iterable
from pathlib import Path
from types import TracebackType
from typing import Any

from . import fetch
from .digest import sha256_path
from .errors import IntegrityError, StorageError
from .fetch import FetchGuard, Link
from .rules import DEFAULT_TIMEOUT_S, Deadline, too_large
from .tree import path_size, remove_tree

__all__ = ["DEFAULT_MAX_BYTES", "DEFAULT_TIMEOUT_S", "Storage", "check_cid", "too_large"]

MiB = 1 << 20
DEFAULT_MAX_BYTES = 200 * MiB
"""Default limit for anything fetched (`get`, `get_verified`, `cat`)."""

# Options that make `ipfs add` produce the classic CIDv0 (what this project records on chain).
CHUNK_SIZE = 256 * 1024

_CID = re.compile(r"^(Qm[1-9A-HJ-NP-Za-km-z]{44}|b[a-z2-7]{58,})$")

PathLike = str | os.PathLike[str]


def check_cid(cid: str) -> str:
    """Return `cid` if it looks like a CIDv0 (Qm...) or base32 CIDv1 (b...); else StorageError."""
    if not isinstance(cid, str) or not _CID.match(cid):
        raise StorageError(
            f"{cid!r} is not a CID; expected a CIDv0 like 'Qm...' (46 characters) or a base32 "
            "CIDv1 like 'bafy...'; copy it exactly as recorded on chain"
        )
    return cid


class Storage(ABC):
    """Content-addressed storage: put files and folders in, get them back by CID.

    CIDs are those of a plain `ipfs add` (CIDv0, 256 KiB chunks, dag-pb leaves); folders are
    added like `ipfs add -r --hidden`. Use as a context manager, or call `close()`.
    """

    def __init__(self, *, max_bytes: int = DEFAULT_MAX_BYTES, timeout_s: float = DEFAULT_TIMEOUT_S) -> None:
        self.max_bytes = max_bytes
        self.timeout_s = timeout_s

    # --- what a backend implements -------------------------------------------------------

    @abstractmethod
    def add_file(self, path: PathLike) -> str:
        """Add one regular file; return its CID (no wrapping directory)."""

    @abstractmethod
    def add_folder(self, path: PathLike) -> str:
        """Add a directory tree as one UnixFS folder; return the folder's CID.

        Hidden entries are included; symlinks and special files are refused (StorageError).
        Anything else is published as it is, even a tree that every fetch will refuse (too
        deep, clashing names...): call `check_tree(path)` first to be told.
        """

    def folder_cid(self, path: PathLike) -> str:
        """The CID `add_folder(path)` would give, without publishing the folder.

        For content that must stay private until later (an organizer's hidden test set). The
        default adds it to this node: right for the embedded node, which is isolated (no peers,
        no announcements). Network backends override it to hash only.
        """
        return self.add_folder(path)

    @abstractmethod
    def add_bytes(self, data: bytes) -> str:
        """Add `data` as a file; return its CID."""

    @abstractmethod
    def pin(self, cid: str, *, timeout_s: float | None = None) -> None:
        """Keep `cid` (recursively) on the node so garbage collection never drops it; give up
        with StorageError after `timeout_s` (default: this storage's `timeout_s`)."""

    @abstractmethod
    def close(self) -> None:
        """Release the node or connection. Safe to call twice."""

    @abstractmethod
    def _stat(self, cid: str, guard: FetchGuard) -> tuple[str, int]:
        """(kind, size) of the root `cid`: ("file", bytes), ("dir", 0), or another kind (refused)."""

    @abstractmethod
    def _list(self, cid: Any, guard: FetchGuard) -> Iterable[Link]:
        """The entries of folder `cid`, as named in its DAG (the caller checks the names)."""

    @abstractmethod
    def _read(self, cid: Any, guard: FetchGuard) -> Iterable[bytes]:
        """The bytes of file `cid`, in pieces of bounded size; call `guard.check()` between them."""

    def _fetch(self, cid: str, dest: Path, max_bytes: int, guard: FetchGuard) -> None:
        """Write the content of `cid` (file or folder) at `dest`, which does not exist: plan the
        whole tree (refusing bad names, depth, count or size before writing), then write it."""
        entries = fetch.plan(self, cid, max_bytes, guard)
        fetch.write(self, cid, entries, dest, max_bytes, guard)

    # --- shared behaviour ----------------------------------------------------------------

    def get(
        self,
        cid: str,
        dest: PathLike,
        *,
        max_bytes: int | None = None,
        overwrite: bool = False,
        timeout_s: float | None = None,
    ) -> Path:
        """Download `cid` (a file or a folder) to `dest` and return `dest` as a Path.

        The whole tree is listed first and refused, before a byte is written, if an entry name
        is unsafe, if it is deeper than 32 levels, holds more than 10,000 entries, or more than
        `max_bytes` (default: this storage's `max_bytes`; TooLargeError). The content is written
        to a private temporary folder beside `dest` and renamed into place only when complete,
        so a failure leaves nothing behind. A fetch that takes longer than `timeout_s` (default:
        this storage's `timeout_s`, 300 s) raises StorageError.
        """
        return self._get(cid, dest, max_bytes, overwrite, None, timeout_s)

    def get_verified(
        self,
        cid: str,
        dest: PathLike,
        expected_sha256_hex: str,
        *,
        max_bytes: int | None = None,
        overwrite: bool = False,
        timeout_s: float | None = None,
    ) -> Path:
        """Like `get`, but only place the content at `dest` if its digest matches.

        The digest is `sha256_file` for a file and `sha256_tree` for a folder. On mismatch
        the download is deleted and IntegrityError names both digests.
        """
        expected = expected_sha256_hex.lower().removeprefix("0x")
        if not re.fullmatch(r"[0-9a-f]{64}", expected):
            raise StorageError(
                f"expected digest {expected_sha256_hex!r} is not 64 hex characters; pass the "
                "bundle's sha256 as recorded on chain"
            )
        return self._get(cid, dest, max_bytes, overwrite, expected, timeout_s)

    def cat(self, cid: str, *, max_bytes: int | None = None, timeout_s: float | None = None) -> bytes:
        """Return the bytes of the file `cid` (TooLargeError over `max_bytes`; StorageError
        after `timeout_s`)."""
        limit = self.max_bytes if max_bytes is None else max_bytes
        with tempfile.TemporaryDirectory(prefix="fm-ipfs-cat-") as tmp:
            out = self._get(cid, Path(tmp, "content"), limit, False, None, timeout_s)
            if out.is_dir():
                raise StorageError(f"{cid} is a folder, not a file; use get() to download it")
            return out.read_bytes()

    def _get(
        self,
        cid: str,
        dest: PathLike,
        max_bytes: int | None,
        overwrite: bool,
        expected_sha256: str | None,
        timeout_s: float | None = None,
    ) -> Path:
        check_cid(cid)
        limit = self.max_bytes if max_bytes is None else max_bytes
        guard = FetchGuard(Deadline(self.timeout_s if timeout_s is None else timeout_s, f"fetching {cid}"), cid)
        dest = Path(dest)
        if (dest.exists() or dest.is_symlink()) and not overwrite:
            raise StorageError(
                f"{dest} already exists; remove it, choose another destination, "
                "or pass overwrite=True"
            )
        dest.parent.mkdir(parents=True, exist_ok=True)
        # private (mode 0700), beside `dest` so the final rename stays on one file system
        staging = Path(tempfile.mkdtemp(prefix=f".{dest.name[:100]}.", suffix=".partial", dir=dest.parent))
        try:
            staged = staging / "content"
            guard.run(lambda: self._fetch(cid, staged, limit, guard))
            if not (staged.exists() or staged.is_symlink()):
                raise StorageError(f"the IPFS node returned nothing for {cid}; try again")
            size = path_size(staged)
            if size > limit:
                raise too_large(cid, size, limit)
            if expected_sha256 is not None:
                _check_digest(cid, staged, expected_sha256)
            if overwrite and (dest.exists() or dest.is_symlink()):
                os.replace(dest, staging / "old")
            os.replace(staged, dest)
            return dest
        finally:
            guard.cancel()  # the worker, if still running, writes nothing more
            with contextlib.suppress(OSError, StorageError):
                remove_tree(staging)

    def __enter__(self) -> Storage:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def _check_digest(cid: str, staged: Path, expected_sha256: str) -> None:
    actual = sha256_path(staged)
    if actual != expected_sha256:
        raise IntegrityError(
            f"content of {cid} has sha256 {actual}, expected {expected_sha256}; deleted it. "
            "Do not use this CID; check that CID and digest come from one on-chain record"
        )
