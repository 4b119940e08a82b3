"""Deterministic sha256 digests of files and folders (what the chain records for a bundle).

A CID says where content lives on IPFS; these digests let anyone check, with nothing but
`hashlib`, that what they downloaded is the bundle the chain committed to.
"""
from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path

from .errors import StorageError

_BLOCK = 1 << 20


def sha256_file(path: str | os.PathLike[str]) -> str:
    """Hex sha256 of a file's bytes (the same as `sha256sum FILE`)."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(_BLOCK):
            h.update(block)
    return h.hexdigest()


def tree_entries(folder: str | os.PathLike[str]) -> list[tuple[str, bool]]:
    """Every entry below `folder` as (relative POSIX path, is_dir), sorted by UTF-8 path bytes.

    Raises StorageError for anything that is not a regular file or a directory (symlinks,
    sockets, devices): a bundle must be plain files so that its digest, its CID and what a
    downloader gets are all the same thing.
    """
    root = Path(folder)
    if not root.is_dir() or root.is_symlink():
        raise StorageError(f"{root} is not a folder; pass the bundle's directory")
    entries: list[tuple[str, bool]] = []
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            full = Path(dirpath, name)
            mode = full.lstat().st_mode
            rel = full.relative_to(root).as_posix()
            if stat.S_ISDIR(mode):
                entries.append((rel, True))
            elif stat.S_ISREG(mode):
                entries.append((rel, False))
            else:
                raise StorageError(
                    f"{full} is not a regular file or folder (symlink or special file); "
                    "replace it with a real file or remove it from the bundle"
                )
    entries.sort(key=lambda e: e[0].encode("utf-8", "surrogateescape"))
    return entries


def sha256_tree(folder: str | os.PathLike[str]) -> str:
    """Hex sha256 of a folder's structure and content.

    Definition (stable, implementable in a few lines anywhere):

    - list every entry below `folder` (not `folder` itself), recursively, hidden entries
      included; paths are relative, '/'-separated, UTF-8;
    - sort the list by the path's UTF-8 bytes;
    - feed sha256 one record per entry, in that order:
      - a directory: ``b"d" + path + b"\\x00"``
      - a regular file: ``b"f" + path + b"\\x00" + sha256_file(file).encode("ascii")``
        (the file's digest as 64 lowercase hex characters);
    - the result is the final hexdigest.

    Names are NUL-terminated and the file digest has a fixed length, so the encoding is
    unambiguous. File names, content and empty directories count; timestamps and permission
    bits do not. Symlinks and special files are refused (StorageError). The folder's own name
    does not count, so a bundle keeps its digest when it is downloaded under another name.
    An empty folder hashes to sha256(b"").
    """
    root = Path(folder)
    h = hashlib.sha256()
    for rel, is_dir in tree_entries(root):
        name = rel.encode("utf-8", "surrogateescape")
        if is_dir:
            h.update(b"d" + name + b"\x00")
        else:
            h.update(b"f" + name + b"\x00" + sha256_file(root / rel).encode("ascii"))
    return h.hexdigest()


def sha256_path(path: str | os.PathLike[str]) -> str:
    """sha256_file for a file, sha256_tree for a folder."""
    p = Path(path)
    return sha256_tree(p) if p.is_dir() and not p.is_symlink() else sha256_file(p)


def path_size(path: str | os.PathLike[str]) -> int:
    """Total bytes of a file, or of every file below a folder (symlinks are not followed)."""
    p = Path(path)
    if not p.is_dir() or p.is_symlink():
        return p.lstat().st_size
    return sum(
        Path(d, f).lstat().st_size for d, _, files in os.walk(p) for f in files
    )
