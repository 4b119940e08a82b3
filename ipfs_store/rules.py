"""What a tree must look like to be fetched (or published), and the deadline of one fetch.

The same rules apply to every backend and are checked on the DAG's listing, before a byte is
written; `add_folder` checks them on the local folder, so what one can publish others can fetch.
"""
from __future__ import annotations

import re
import time
import unicodedata

from .errors import StorageError, TooLargeError, show

MAX_DEPTH = 32
"""Most path components below the root (a bundle's `a/b/c` is 3 levels deep)."""
MAX_ENTRIES = 10_000
"""Most files and folders below the root."""
MAX_NAME_BYTES = 255
"""Longest entry name, in UTF-8 bytes (what ext4, APFS and NTFS accept)."""
MAX_PATH_BYTES = 1024
"""Longest relative path, in UTF-8 bytes (well inside every system's PATH_MAX)."""
DEFAULT_TIMEOUT_S = 300.0
"""Default overall deadline of one fetch (`get`, `get_verified`, `cat`) or pin."""

# control characters, lone surrogates (bytes that are not UTF-8), line and paragraph separators
_CONTROL = {"Cc", "Zl", "Zp"}
_DRIVE = re.compile(r"^[A-Za-z]:")

FETCH_ADVICE = "nothing was written. Do not use this content; ask its publisher for a plain bundle"
LOCAL_ADVICE = "rename or move it so the bundle can be fetched by others"


def name_problem(name: str) -> str | None:
    """Why `name` cannot be a file or folder name in a bundle, or None if it can."""
    if not name:
        return "is empty"
    if name in (".", ".."):
        return "is '.' or '..'"
    if name[0] in "/\\" or _DRIVE.match(name):
        return "is an absolute path"
    if "/" in name or "\\" in name:
        return "contains a path separator"
    if "\0" in name:
        return "contains a NUL character"
    categories = {unicodedata.category(c) for c in name}
    if "Cs" in categories or "\ufffd" in name:  # U+FFFD: what a node's JSON makes of invalid UTF-8
        return "is not valid UTF-8"
    if categories & _CONTROL:
        return "contains a control character"
    if len(name.encode("utf-8")) > MAX_NAME_BYTES:
        return f"is longer than {MAX_NAME_BYTES} bytes"
    return None


def fold(name: str) -> str:
    """The key under which two names clash: NFC, case folded (as macOS or Windows would see them)."""
    return unicodedata.normalize("NFC", unicodedata.normalize("NFC", name).casefold())


def too_large(what: str, size: int, limit: int, *, at_least: bool = False) -> TooLargeError:
    """The TooLargeError for `what` holding `size` bytes against `limit`."""
    return TooLargeError(
        f"{what} holds {size:,} bytes{' or more' if at_least else ''}, more than the {limit:,}-byte "
        "limit; nothing was kept. If you trust this content, raise the limit (max_bytes=..., or "
        "FM_IPFS_MAX_BYTES in the environment)"
    )


class TreeRules:
    """Checks entries one by one as a tree is listed: names, clashes, depth, count, total size.

    `what` names the tree in messages (a CID or a folder); `max_bytes` None means no size limit.
    """

    def __init__(self, what: str, max_bytes: int | None = None, advice: str = FETCH_ADVICE) -> None:
        self.what, self.max_bytes, self.advice = what, max_bytes, advice
        self.entries = 0
        self.total = 0
        self._seen: dict[str, set[str]] = {}

    def refuse(self, problem: str) -> StorageError:
        return StorageError(f"{self.what} {problem}; refused, {self.advice}")

    def add(self, parent: str, name: str, is_dir: bool, size: int = 0) -> str:
        """Check entry `name` inside `parent` (a relative path, "" for the root); return its path."""
        problem = name_problem(name)
        if problem:
            raise self.refuse(f"has an unsafe entry name {show(name)} that {problem}")
        rel = f"{parent}/{name}" if parent else name
        if rel.count("/") >= MAX_DEPTH:
            raise self.refuse(f"is nested more than {MAX_DEPTH} levels deep (at {show(rel)})")
        self.entries += 1
        if self.entries > MAX_ENTRIES:
            raise self.refuse(f"holds more than {MAX_ENTRIES:,} files and folders (the limit)")
        if len(rel.encode("utf-8")) > MAX_PATH_BYTES:
            raise self.refuse(f"has a path longer than {MAX_PATH_BYTES} bytes ({show(rel)})")
        seen = self._seen.setdefault(parent, set())
        key = fold(name)
        if key in seen:
            raise self.refuse(
                f"has two entries named {show(name)} in {show(parent or '/')} (after Unicode "
                "normalisation and case folding)"
            )
        seen.add(key)
        if not is_dir:
            self.add_bytes(size)
        return rel

    def add_bytes(self, size: int) -> None:
        """Count `size` more bytes; TooLargeError as soon as the total passes the limit."""
        if size < 0:
            raise self.refuse(f"lists a negative size ({size})")
        self.total += size
        if self.max_bytes is not None and self.total > self.max_bytes:
            raise too_large(self.what, self.total, self.max_bytes, at_least=self.entries > 0)


class Deadline:
    """The moment by which one operation (`doing`, e.g. "fetching Qm...") must be over."""

    def __init__(self, timeout_s: float, doing: str) -> None:
        if not (isinstance(timeout_s, int | float) and timeout_s > 0):
            raise StorageError(f"timeout_s={timeout_s!r} is not a positive number of seconds; pass e.g. 300")
        self.timeout_s, self.doing = float(timeout_s), doing
        self.end = time.monotonic() + self.timeout_s

    def remaining(self) -> float:
        return self.end - time.monotonic()

    def expired(self) -> bool:
        return self.remaining() <= 0

    def error(self, step: str = "") -> StorageError:
        during = f" (while {step})" if step else ""
        return StorageError(
            f"{self.doing} took longer than the {self.timeout_s:g} s deadline{during}; nothing was "
            "kept. The node or its peers may be stalling: try again later, or pass a larger timeout_s"
        )

    def check(self, step: str = "") -> None:
        if self.expired():
            raise self.error(step)
