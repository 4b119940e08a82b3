"""The storage interface every backend implements, with the shared download logic.

Backends only know how to add content and how to write one CID's content to a path that
does not exist yet (`_fetch`). Size limits, atomic placement and digest checks live here,
once, so both backends behave the same.
"""
from __future__ import annotations

import os
import re
import shutil
import tempfile
from abc import ABC, abstractmethod
from pathlib import Path
from types import TracebackType

from .digest import path_size, sha256_path
from .errors import IntegrityError, StorageError, TooLargeError

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

    def __init__(self, *, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self.max_bytes = max_bytes

    # --- what a backend implements -------------------------------------------------------

    @abstractmethod
    def add_file(self, path: PathLike) -> str:
        """Add one regular file; return its CID (no wrapping directory)."""

    @abstractmethod
    def add_folder(self, path: PathLike) -> str:
        """Add a directory tree as one UnixFS folder; return the folder's CID.

        Hidden entries are included; symlinks and special files are refused (StorageError).
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
    def pin(self, cid: str) -> None:
        """Keep `cid` (recursively) on the node so garbage collection never drops it."""

    @abstractmethod
    def close(self) -> None:
        """Release the node or connection. Safe to call twice."""

    @abstractmethod
    def _fetch(self, cid: str, dest: Path, max_bytes: int) -> None:
        """Write the content of `cid` (file or folder) at `dest`, which does not exist.

        Refuse with TooLargeError before writing when the size is known in advance.
        """

    # --- shared behaviour ----------------------------------------------------------------

    def get(
        self, cid: str, dest: PathLike, *, max_bytes: int | None = None, overwrite: bool = False
    ) -> Path:
        """Download `cid` (a file or a folder) to `dest` and return `dest` as a Path.

        The content is written to a hidden temporary path beside `dest` and renamed into
        place only when complete, so a failure leaves nothing at `dest`. Content larger than
        `max_bytes` (default: this storage's `max_bytes`) raises TooLargeError.
        """
        return self._get(cid, dest, max_bytes, overwrite, expected_sha256=None)

    def get_verified(
        self,
        cid: str,
        dest: PathLike,
        expected_sha256_hex: str,
        *,
        max_bytes: int | None = None,
        overwrite: bool = False,
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
        return self._get(cid, dest, max_bytes, overwrite, expected_sha256=expected)

    def cat(self, cid: str, *, max_bytes: int | None = None) -> bytes:
        """Return the bytes of the file `cid` (TooLargeError over `max_bytes`)."""
        limit = self.max_bytes if max_bytes is None else max_bytes
        with tempfile.TemporaryDirectory(prefix="fm-ipfs-cat-") as tmp:
            out = self._get(cid, Path(tmp, "content"), limit, False, None)
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
    ) -> Path:
        check_cid(cid)
        limit = self.max_bytes if max_bytes is None else max_bytes
        dest = Path(dest)
        if (dest.exists() or dest.is_symlink()) and not overwrite:
            raise StorageError(
                f"{dest} already exists; remove it, choose another destination, "
                "or pass overwrite=True"
            )
        dest.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{dest.name}.", suffix=".partial", dir=dest.parent))
        try:
            staged = staging / "content"
            self._fetch(cid, staged, limit)
            if not (staged.exists() or staged.is_symlink()):
                raise StorageError(f"the IPFS node returned nothing for {cid}; try again")
            size = path_size(staged)
            if size > limit:
                raise too_large(cid, size, limit)
            if expected_sha256 is not None:
                actual = sha256_path(staged)
                if actual != expected_sha256:
                    raise IntegrityError(
                        f"content of {cid} has sha256 {actual}, but {expected_sha256} was "
                        "expected; the download was deleted. Do not use this CID: check that "
                        "the CID and digest come from the same on-chain record, and report "
                        "the mismatch to whoever published it"
                    )
            if overwrite and (dest.exists() or dest.is_symlink()):
                os.replace(dest, staging / "old")
            os.replace(staged, dest)
            return dest
        finally:
            shutil.rmtree(staging, ignore_errors=True)

    def __enter__(self) -> Storage:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def too_large(cid: str, size: int, limit: int) -> TooLargeError:
    """The TooLargeError for `cid` of `size` bytes against `limit`."""
    return TooLargeError(
        f"{cid} holds {size:,} bytes, more than the {limit:,}-byte limit; nothing was kept. "
        "If you trust this content, raise the limit (max_bytes=..., or FM_IPFS_MAX_BYTES "
        "in the environment)"
    )
