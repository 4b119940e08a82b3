"""The Storage contract, run against every backend (embedded Kubo; KuboRPC on a live API)."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from ipfs_store import (
    IntegrityError,
    Storage,
    StorageError,
    TooLargeError,
    sha256_file,
    sha256_tree,
)

from .unixfs_reference import cidv0_of_bytes

EMPTY_CID = "QmbFMke1KXqnYyBBWxB74N4c5SBnJMVAiMNRcGu6x1AwQH"
HELLO_CID = "QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o"


# ipfshttpclient 0.7.0 passes urllib3 2.x a deprecated argument; ipfs_store silences this at
# import, but pytest resets warning filters after collection.
pytestmark = pytest.mark.filterwarnings("ignore:The 'strict' parameter:FutureWarning")


def leftovers(folder: Path) -> list[str]:
    """Names of temporary/partial entries a download may have left in `folder`."""
    return [p.name for p in folder.iterdir() if p.name.startswith(".")]


@pytest.mark.parametrize("data, cid", [(b"", EMPTY_CID), (b"hello world\n", HELLO_CID)])
def test_known_cid_vectors(store: Storage, tmp_path: Path, data: bytes, cid: str) -> None:
    assert store.add_bytes(data) == cid
    f = tmp_path / "f"
    f.write_bytes(data)
    assert store.add_file(f) == cid


def test_multi_chunk_file_cid_matches_reference_and_round_trips(store: Storage, tmp_path: Path) -> None:
    data = os.urandom(1024 * 1024 + 12345)  # 5 chunks of 256 KiB: a two-level DAG
    src = tmp_path / "big.bin"
    src.write_bytes(data)
    cid = store.add_file(src)
    assert cid == cidv0_of_bytes(data)
    out = store.get(cid, tmp_path / "out" / "big.bin")
    assert out == tmp_path / "out" / "big.bin"
    assert out.read_bytes() == data
    assert leftovers(out.parent) == []


def test_folder_round_trips_with_same_tree_digest(store: Storage, bundle: Path, tmp_path: Path) -> None:
    cid = store.add_folder(bundle)
    out = store.get(cid, tmp_path / "downloaded")
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*")) == [
        ".meta", "empty", "spec.json", "weights", "weights/w.npz"
    ]
    assert sha256_tree(out) == sha256_tree(bundle)
    assert store.add_folder(out) == cid  # same content, same CID


def test_folder_cid_is_the_same_on_every_backend(store: Storage, embedded: Storage, bundle: Path) -> None:
    assert store.add_folder(bundle) == embedded.add_folder(bundle)


def test_cat_returns_bytes(store: Storage) -> None:
    assert store.cat(store.add_bytes(b"some bytes")) == b"some bytes"


def test_cat_refuses_a_folder(store: Storage, bundle: Path) -> None:
    with pytest.raises(StorageError, match="is a folder"):
        store.cat(store.add_folder(bundle))


def test_pin_accepts_added_content(store: Storage) -> None:
    store.pin(store.add_bytes(b"pin me"))


def test_get_verified_keeps_matching_content(store: Storage, bundle: Path, tmp_path: Path) -> None:
    cid = store.add_folder(bundle)
    out = store.get_verified(cid, tmp_path / "ok", sha256_tree(bundle))
    assert sha256_tree(out) == sha256_tree(bundle)
    f = tmp_path / "one.txt"
    f.write_bytes(b"single file bundle")
    fcid = store.add_file(f)
    assert store.get_verified(fcid, tmp_path / "one-out", "0x" + sha256_file(f).upper()).read_bytes() == (
        b"single file bundle"
    )


def test_get_verified_deletes_mismatching_content_and_names_both_digests(
    store: Storage, bundle: Path, tmp_path: Path
) -> None:
    cid = store.add_folder(bundle)
    wrong = "ab" * 32
    dest = tmp_path / "dl" / "bundle"
    with pytest.raises(IntegrityError) as info:
        store.get_verified(cid, dest, wrong)
    assert wrong in str(info.value) and sha256_tree(bundle) in str(info.value)
    assert not dest.exists()
    assert list(dest.parent.iterdir()) == []


def test_get_refuses_content_over_the_limit_and_keeps_nothing(store: Storage, tmp_path: Path) -> None:
    cid = store.add_bytes(os.urandom(5000))
    dest = tmp_path / "too-big"
    with pytest.raises(TooLargeError, match="5,000 bytes.*4,096-byte limit"):
        store.get(cid, dest, max_bytes=4096)
    with pytest.raises(TooLargeError):
        store.cat(cid, max_bytes=4096)
    assert list(tmp_path.iterdir()) == []
    assert len(store.cat(cid, max_bytes=5000)) == 5000  # exactly at the limit is fine


def test_folder_over_the_limit_is_refused(store: Storage, bundle: Path, tmp_path: Path) -> None:
    with pytest.raises(TooLargeError):
        store.get(store.add_folder(bundle), tmp_path / "x", max_bytes=100 * 1024)
    assert list(tmp_path.iterdir()) == [bundle]


def test_get_does_not_overwrite_unless_asked(store: Storage, tmp_path: Path) -> None:
    dest = tmp_path / "f"
    dest.write_bytes(b"old")
    cid = store.add_bytes(b"new")
    with pytest.raises(StorageError, match="already exists"):
        store.get(cid, dest)
    assert dest.read_bytes() == b"old"
    assert store.get(cid, dest, overwrite=True).read_bytes() == b"new"
    assert leftovers(tmp_path) == []


def test_invalid_cid_is_refused_with_a_hint(store: Storage, tmp_path: Path) -> None:
    with pytest.raises(StorageError, match="not a CID"):
        store.get("/etc/passwd", tmp_path / "x")


def test_add_folder_refuses_symlinks(store: Storage, tmp_path: Path) -> None:
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "link").symlink_to("/etc/hostname")
    with pytest.raises(StorageError, match="symlink"):
        store.add_folder(tmp_path / "b")


def test_add_file_refuses_a_folder(store: Storage, tmp_path: Path) -> None:
    with pytest.raises(StorageError, match="add_folder"):
        store.add_file(tmp_path)
