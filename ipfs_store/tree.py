"""Walking and deleting local folder trees without recursion, within the bundle limits.

Every walk keeps an explicit stack, so a folder nested thousands of levels deep gives a
StorageError naming the limit instead of a RecursionError; `remove_tree` deletes a tree of any
depth with one folder open at a time.
"""
from __future__ import annotations

import os
import shutil
import stat
from collections.abc import Iterator
from pathlib import Path

from .errors import StorageError
from .rules import LOCAL_ADVICE, MAX_DEPTH, MAX_ENTRIES, TreeRules

PathLike = str | os.PathLike[str]

_DIR_FLAGS = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
_FD_WALK = {os.open, os.unlink, os.rmdir} <= os.supports_dir_fd and os.scandir in os.supports_fd


def iter_tree(
    folder: PathLike, *, check_names: bool = False, bounded: bool = True
) -> Iterator[tuple[str, Path, bool, int]]:
    """(relative POSIX path, full path, is_dir, size) for every entry below `folder`, any order.

    Raises StorageError for a symlink or special file, for more than MAX_DEPTH levels or
    MAX_ENTRIES entries (unless not `bounded`), and (with `check_names`) for any name a fetch
    would refuse.
    """
    root = Path(folder)
    if not root.is_dir() or root.is_symlink():
        raise StorageError(f"{root} is not a folder; pass the bundle's directory")
    rules = TreeRules(str(root), None, LOCAL_ADVICE) if check_names else None
    count = 0
    pending: list[tuple[Path, str]] = [(root, "")]
    while pending:
        folder_path, parent = pending.pop()
        with os.scandir(folder_path) as it:
            children = sorted(it, key=lambda e: e.name)
        for child in children:
            full = Path(child.path)
            mode = child.stat(follow_symlinks=False).st_mode
            if not (stat.S_ISDIR(mode) or stat.S_ISREG(mode)):
                raise StorageError(
                    f"{full} is not a regular file or folder (symlink or special file); "
                    "replace it with a real file or remove it from the bundle"
                )
            is_dir = stat.S_ISDIR(mode)
            size = 0 if is_dir else child.stat(follow_symlinks=False).st_size
            if rules is not None:
                rules.add(parent, child.name, is_dir, size)
            rel = f"{parent}/{child.name}" if parent else child.name
            count += 1
            if bounded:
                _check_limits(root, rel, count)
            if is_dir:
                pending.append((full, rel))
            yield rel, full, is_dir, size


def _check_limits(root: Path, rel: str, count: int) -> None:
    if rel.count("/") >= MAX_DEPTH:
        raise StorageError(
            f"{root} is nested more than {MAX_DEPTH} levels deep (at {rel[:80]!r}...); a bundle may "
            f"be at most {MAX_DEPTH} levels deep: flatten it"
        )
    if count > MAX_ENTRIES:
        raise StorageError(
            f"{root} holds more than {MAX_ENTRIES:,} files and folders, the most a bundle may hold; "
            "pack them into fewer files (e.g. one archive-free .npz)"
        )


def tree_entries(folder: PathLike, *, check_names: bool = False, bounded: bool = True) -> list[tuple[str, bool]]:
    """Every entry below `folder` as (relative POSIX path, is_dir), sorted by UTF-8 path bytes.

    Raises StorageError for anything that is not a regular file or a directory (symlinks,
    sockets, devices): a bundle must be plain files so that its digest, its CID and what a
    downloader gets are all the same thing. Also refuses trees deeper than MAX_DEPTH levels or
    with more than MAX_ENTRIES entries, unless not `bounded` (see `iter_tree`).
    """
    walk = iter_tree(folder, check_names=check_names, bounded=bounded)
    entries = [(rel, is_dir) for rel, _, is_dir, _ in walk]
    entries.sort(key=lambda e: e[0].encode("utf-8", "surrogateescape"))
    return entries


def check_tree(folder: PathLike) -> None:
    """Refuse (StorageError) a local folder that a fetch would refuse: unsafe or clashing names,
    more than MAX_DEPTH levels, more than MAX_ENTRIES entries, symlinks or special files. Call it
    before publishing a bundle: `add_folder` publishes whatever Kubo can add."""
    for _ in iter_tree(folder, check_names=True):
        pass


def path_size(path: PathLike) -> int:
    """Total bytes of a file, or of every file below a folder (symlinks are not followed).

    Folders deeper than MAX_DEPTH levels or with more than MAX_ENTRIES entries: StorageError.
    """
    p = Path(path)
    if not p.is_dir() or p.is_symlink():
        return p.lstat().st_size
    return sum(size for _, _, is_dir, size in iter_tree(p) if not is_dir)


def remove_tree(path: PathLike) -> None:
    """Delete `path`: a file, a symlink (not its target) or a folder tree of any depth.

    Iterative, never follows symlinks, and holds one folder open at a time (by descriptor, so
    path length does not matter either). Missing `path` is fine.
    """
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        return
    if not stat.S_ISDIR(mode):
        os.unlink(path)
        return
    if not _FD_WALK:  # e.g. Windows: no descriptor-relative calls
        shutil.rmtree(path)
        return
    _empty_folder(os.open(path, _DIR_FLAGS), os.fspath(path))
    os.rmdir(path)


def _empty_folder(fd: int, shown: str) -> None:
    """Delete everything inside the open folder `fd` (which this closes), depth first, holding
    one descriptor at a time."""
    above: list[tuple[tuple[int, int], list[str], str]] = []  # (identity, subfolders left, child)
    try:
        pending = _unlink_files(fd)
        while pending or above:
            if pending:
                name = pending.pop()
                child = os.open(name, _DIR_FLAGS, dir_fd=fd)
                above.append((_identity(fd), pending, name))
                os.close(fd)
                fd = child
                pending = _unlink_files(fd)
                continue
            identity, pending, name = above.pop()
            parent = os.open("..", _DIR_FLAGS, dir_fd=fd)
            os.close(fd)
            fd = parent
            if _identity(fd) != identity:
                raise StorageError(f"{shown} was moved while being deleted; delete what is left by hand")
            os.rmdir(name, dir_fd=fd)
    finally:
        os.close(fd)


def _unlink_files(fd: int) -> list[str]:
    """Unlink every non-folder inside `fd`; return the names of its subfolders."""
    folders, others = [], []
    with os.scandir(fd) as it:
        for entry in it:
            (folders if entry.is_dir(follow_symlinks=False) else others).append(entry.name)
    for name in others:
        os.unlink(name, dir_fd=fd)
    return folders


def _identity(fd: int) -> tuple[int, int]:
    st = os.fstat(fd)
    return st.st_dev, st.st_ino
