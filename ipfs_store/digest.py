"""Deterministic sha256 digests of files and folders (what the chain records for a bundle).

A CID says where content lives on IPFS; these digests let anyone check, with nothing but
`hashlib`, that what they downloaded is the bundle the chain committed to.
"""
from __future__ import annotations

import hashlib
import os
from pathlib import Path

from .tree import path_size, tree_entries

__all__ = ["path_size", "sha256_file", "sha256_path", "sha256_tree", "tree_entries"]

_BLOCK = 1 << 20


def sha256_file(path: str | os.PathLike[str]) -> str:
    """Hex sha256 of a file's bytes (the same as `sha256sum FILE`)."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(_BLOCK):
            h.update(block)
    return h.hexdigest()


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
    bits do not. Symlinks and special files are refused (StorageError), and so are folders
    nested deeper than 32 levels or holding more than 10,000 entries (the bundle limits). The folder's own name
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
