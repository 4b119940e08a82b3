"""sha256_file / sha256_tree: deterministic, documented, sensitive to what matters."""
from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from ipfs_store import StorageError, sha256_file, sha256_path, sha256_tree


def test_sha256_file_matches_hashlib(tmp_path: Path) -> None:
    f = tmp_path / "f"
    f.write_bytes(b"hello world\n")
    assert sha256_file(f) == hashlib.sha256(b"hello world\n").hexdigest()


def test_sha256_tree_follows_its_documented_definition(tmp_path: Path) -> None:
    (tmp_path / "b" / "c").mkdir(parents=True)
    (tmp_path / "a.txt").write_bytes(b"A")
    (tmp_path / "b" / "c" / "d.bin").write_bytes(b"D")
    hexof = lambda data: hashlib.sha256(data).hexdigest().encode()  # noqa: E731
    expected = hashlib.sha256(
        b"fa.txt\x00" + hexof(b"A") + b"db\x00" + b"db/c\x00" + b"fb/c/d.bin\x00" + hexof(b"D")
    ).hexdigest()
    assert sha256_tree(tmp_path) == expected
    assert sha256_path(tmp_path) == expected


def test_sha256_tree_of_empty_folder_is_sha256_of_nothing(tmp_path: Path) -> None:
    assert sha256_tree(tmp_path) == hashlib.sha256(b"").hexdigest()


def test_sha256_tree_ignores_folder_name_and_mtime(tmp_path: Path) -> None:
    for name in ("one", "two"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "x").write_bytes(b"same")
    os.utime(tmp_path / "two" / "x", (0, 0))
    assert sha256_tree(tmp_path / "one") == sha256_tree(tmp_path / "two")


@pytest.mark.parametrize("change", ["content", "rename", "empty_dir", "hidden_file"])
def test_sha256_tree_changes_when_the_bundle_changes(tmp_path: Path, change: str) -> None:
    (tmp_path / "x").write_bytes(b"x")
    before = sha256_tree(tmp_path)
    if change == "content":
        (tmp_path / "x").write_bytes(b"y")
    elif change == "rename":
        (tmp_path / "x").rename(tmp_path / "z")
    elif change == "empty_dir":
        (tmp_path / "d").mkdir()
    else:
        (tmp_path / ".h").write_bytes(b"")
    assert sha256_tree(tmp_path) != before


def test_sha256_tree_refuses_symlinks(tmp_path: Path) -> None:
    (tmp_path / "real").write_bytes(b"r")
    (tmp_path / "link").symlink_to(tmp_path / "real")
    with pytest.raises(StorageError, match="symlink"):
        sha256_tree(tmp_path)
