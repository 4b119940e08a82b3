"""Local tree walks (digest, size, entries, delete) without recursion, within the bundle
limits; partial downloads always cleaned up; what a fetch refuses cannot be published; real
Kubo-sharded (HAMT) folders fetched by every backend."""
from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest

from ipfs_store import (
    MAX_DEPTH,
    MAX_ENTRIES,
    Storage,
    StorageError,
    check_tree,
    path_size,
    remove_tree,
    sha256_tree,
)
from ipfs_store.digest import tree_entries
from ipfs_store.errors import MAX_MESSAGE

from .conftest import Crafted
from .unixfs_reference import HAMT, decode_node, read_block

pytestmark = pytest.mark.filterwarnings("ignore:The 'strict' parameter:FutureWarning")

DEEP = 1200  # far past Python's recursion limit (1,000), as a hostile bundle was


def make_chain(root: Path, levels: int, name: str = "d") -> Path:
    """`levels` nested folders under `root` (built by descriptor: no path-length limit), a file
    at the bottom; returns `root`."""
    root.mkdir()
    fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY)
    try:
        for _ in range(levels):
            os.mkdir(name, dir_fd=fd)
            child = os.open(name, os.O_RDONLY | os.O_DIRECTORY, dir_fd=fd)
            os.close(fd)
            fd = child
        os.close(os.open("bottom.txt", os.O_WRONLY | os.O_CREAT, dir_fd=fd))
    finally:
        os.close(fd)
    return root


def test_a_1200_level_folder_gives_the_limit_error_not_recursion_error(tmp_path: Path) -> None:
    root = make_chain(tmp_path / "deep", DEEP)
    assert sys.getrecursionlimit() < DEEP
    for walk in (sha256_tree, path_size, tree_entries):
        with pytest.raises(StorageError, match=f"nested more than {MAX_DEPTH} levels deep") as info:
            walk(root)
        assert len(str(info.value)) <= MAX_MESSAGE
    remove_tree(root)
    assert list(tmp_path.iterdir()) == []


def test_remove_tree_copes_with_paths_longer_than_path_max(tmp_path: Path) -> None:
    make_chain(tmp_path / "long", 40, name="n" * 200)  # ~8,000-character paths
    remove_tree(tmp_path / "long")
    assert list(tmp_path.iterdir()) == []


def test_remove_tree_never_follows_symlinks(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "keep.txt").write_text("keep")
    doomed = tmp_path / "doomed"
    (doomed / "sub").mkdir(parents=True)
    (doomed / "sub" / "link").symlink_to(outside)
    (doomed / "file-link").symlink_to(outside / "keep.txt")
    remove_tree(doomed)
    remove_tree(tmp_path / "missing")  # nothing there: fine
    assert not doomed.exists() and (outside / "keep.txt").read_text() == "keep"


def test_a_failed_fetch_of_a_deep_tree_leaves_no_partial_folder(
    embedded: Storage, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def deep_then_fail(cid: str, dest: Path, max_bytes: int, guard: object) -> None:
        make_chain(dest, DEEP)
        raise StorageError("simulated failure after writing a 1,200-level tree")

    monkeypatch.setattr(embedded, "_fetch", deep_then_fail)
    with pytest.raises(StorageError, match="simulated failure"):
        embedded.get(embedded.add_bytes(b"x"), tmp_path / "dl" / "bundle")
    assert list((tmp_path / "dl").iterdir()) == []


def test_a_folder_at_the_depth_limit_is_fine(tmp_path: Path) -> None:
    root = make_chain(tmp_path / "ok", MAX_DEPTH - 1)  # the file at the bottom is level 32
    assert len(tree_entries(root)) == MAX_DEPTH and path_size(root) == 0
    assert sha256_tree(root) == sha256_tree(root)


def test_a_folder_with_too_many_entries_is_refused(tmp_path: Path) -> None:
    root = tmp_path / "wide"
    root.mkdir()
    (tmp_path / "empty").touch()
    for i in range(MAX_ENTRIES + 1):
        os.link(tmp_path / "empty", root / str(i))  # ten times faster than creating files
    with pytest.raises(StorageError, match=f"more than {MAX_ENTRIES:,} files and folders"):
        sha256_tree(root)
    (root / "0").unlink()
    assert len(tree_entries(root)) == MAX_ENTRIES


@pytest.mark.parametrize("names, reason", [
    (["ok", "bad\x1bname"], "control character"),
    (["README", "readme"], "two entries named"),
    (["caf\u00e9", "cafe\u0301"], "two entries named"),
    (["/".join(["d"] * (MAX_DEPTH + 8))], "levels deep"),
])
def test_a_folder_every_fetch_refuses_is_published_as_is_but_check_tree_says_why(
    store: Storage, tmp_path: Path, names, reason
) -> None:
    root = tmp_path / "bundle"
    for name in names:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(b"x")
    with pytest.raises(StorageError, match=reason):
        check_tree(root)
    cid = store.add_folder(root)  # what an attacker's own Kubo would do
    assert store.folder_cid(root) == cid
    with pytest.raises(StorageError, match=reason):
        store.get(cid, tmp_path / "dl" / "x")
    assert list((tmp_path / "dl").iterdir()) == []


def test_check_tree_refuses_names_a_file_system_holds_but_utf8_cannot(tmp_path: Path) -> None:
    root = tmp_path / "bundle"
    root.mkdir()
    (root / os.fsdecode(b"\xff.bin")).write_bytes(b"x")
    with pytest.raises(StorageError, match="not valid UTF-8"):
        check_tree(root)
    assert len(sha256_tree(root)) == 64  # the digest itself does not judge names


@pytest.fixture(scope="session")
def sharded(tmp_path_factory: pytest.TempPathFactory, embedded: Storage, standin) -> tuple[str, Path]:
    """A folder big enough that Kubo stores it as a HAMT shard, added by the real node; its
    blocks are copied into the stand-in's repo too."""
    root = tmp_path_factory.mktemp("sharded") / "bundle"
    root.mkdir()
    for i in range(1100):  # ~260 KiB of links: over Kubo's 256 KiB sharding threshold
        (root / f"{i:04d}-{'n' * 200}").write_bytes(b"%d" % i)
    (root / "sub").mkdir()
    (root / "sub" / "spec.json").write_text("{}")
    cid = embedded.add_folder(root)
    assert decode_node(read_block(embedded.repo_path, cid))[1]["type"] == HAMT
    standin.node.start()
    shutil.copytree(embedded.repo_path / "blocks", standin.node.repo_path / "blocks", dirs_exist_ok=True)
    return cid, root


def test_a_kubo_sharded_folder_is_fetched_whole(crafted: Crafted, sharded: tuple[str, Path], tmp_path: Path) -> None:
    cid, root = sharded
    out = crafted.store.get_verified(cid, tmp_path / "out", sha256_tree(root))
    assert len(list(out.iterdir())) == 1101
