"""Hostile DAGs, crafted block by block, against every backend: each is refused for its reason,
before anything is written, and nothing is left behind (no file outside the destination, no
`.partial` folder). The blocks go straight into the repo the backend reads: the embedded node's
own, or the one behind the RPC stand-in, which serves them as a Kubo daemon would."""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
import unicodedata
from pathlib import Path

import pytest

from ipfs_store import MAX_DEPTH, MAX_ENTRIES, StorageError, TooLargeError, sha256_tree
from ipfs_store.blocks import BlockStore, parse_cid
from ipfs_store.errors import MAX_MESSAGE

from .conftest import Crafted
from .unixfs_reference import _field, _pbnode, file_of_leaves

pytestmark = pytest.mark.filterwarnings("ignore:The 'strict' parameter:FutureWarning")

UNSAFE_NAMES = [
    ("../x", "path separator"),
    ("../../../../../../../../tmp/x", "path separator"),
    ("a/b", "path separator"),
    ("a\\b", "path separator"),
    ("/etc/x", "absolute path"),
    ("C:x", "absolute path"),
    ("a\x00b", "NUL character"),
    (".", "is '.' or '..'"),
    ("..", "is '.' or '..'"),
    ("", "is empty"),
    ("evil\x1b[2Jname", "control character"),
    ("line\nbreak", "control character"),
    ("sep\u2028arator", "control character"),
    (b"\xff\xfe.npz", "not valid UTF-8"),
    ("x" * 256, "longer than 255 bytes"),
    ("\u00e9" * 128, "longer than 255 bytes"),  # 128 characters, 256 bytes
]


def fetch_area(tmp_path: Path) -> Path:
    """A destination two folders down, so that escapes upwards would land inside tmp_path."""
    return tmp_path / "a" / "b" / "dest"


def assert_nothing_left(tmp_path: Path) -> None:
    """Only the destination's parent folders exist: no file anywhere, no .partial folder."""
    assert sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*")) == ["a", "a/b"]


def refused(c: Crafted, cid: str, tmp_path: Path, match: str, error: type[Exception] = StorageError, **kw) -> str:
    with pytest.raises(error, match=match) as info:
        c.store.get(cid, fetch_area(tmp_path), **kw)
    message = str(info.value)
    assert "\n" not in message and len(message) <= MAX_MESSAGE
    assert_nothing_left(tmp_path)
    return message


@pytest.mark.parametrize("name, reason", UNSAFE_NAMES, ids=[repr(n)[:24] for n, _ in UNSAFE_NAMES])
def test_unsafe_entry_names_are_refused_before_writing(crafted: Crafted, tmp_path: Path, name, reason) -> None:
    good = crafted.file(b"harmless\n")
    cid = crafted.folder([("aaa-first", good), (name, crafted.file()), ("zzz-last", good)])
    message = refused(crafted, cid, tmp_path, "unsafe entry name")
    assert reason in message


def test_an_escaping_name_deep_inside_is_refused_too(crafted: Crafted, tmp_path: Path) -> None:
    inner = crafted.folder([("../../../../x", crafted.file())])
    cid = crafted.folder([("sub", crafted.folder([("deeper", inner)]))])
    refused(crafted, cid, tmp_path, r"unsafe entry name '\.\./\.\./\.\./\.\./x'")


@pytest.mark.parametrize("first, second", [
    ("\u00e9t\u00e9.txt", "e\u0301te\u0301.txt"),  # NFC and NFD spellings of the same name
    ("README", "readme"),
    ("Stra\u00dfe", "STRASSE"),  # case folding, not just lower()
])
def test_names_that_clash_after_normalisation_are_refused(crafted: Crafted, tmp_path: Path, first, second) -> None:
    assert first != second and unicodedata.normalize("NFC", first.casefold()) == unicodedata.normalize(
        "NFC", second.casefold())
    cid = crafted.folder([(first, crafted.file(b"1")), (second, crafted.file(b"2"))])
    refused(crafted, cid, tmp_path, "two entries named .*after Unicode normalisation and case folding")


def nested(c: Crafted, levels: int) -> str:
    """A folder chain `levels` deep below the root (the deepest entry is a file)."""
    cid = c.file(b"bottom\n")
    name = "f"
    for _ in range(levels):
        cid, name = c.folder([(name, cid)]), "d"
    return cid


def test_a_tree_deeper_than_the_limit_is_refused(crafted: Crafted, tmp_path: Path) -> None:
    refused(crafted, nested(crafted, MAX_DEPTH + 1), tmp_path, f"nested more than {MAX_DEPTH} levels deep")
    refused(crafted, nested(crafted, 1200), tmp_path, f"nested more than {MAX_DEPTH} levels deep")


def test_a_tree_exactly_at_the_depth_limit_is_fetched(crafted: Crafted, tmp_path: Path) -> None:
    out = crafted.store.get(nested(crafted, MAX_DEPTH), tmp_path / "ok")
    assert (out / "/".join(["d"] * (MAX_DEPTH - 1)) / "f").read_bytes() == b"bottom\n"
    assert len(sha256_tree(out)) == 64


def test_a_tree_with_too_many_entries_is_refused(crafted: Crafted, tmp_path: Path) -> None:
    leaf = crafted.file(b"")
    cid = crafted.folder([(f"{i:05d}", leaf) for i in range(MAX_ENTRIES + 1)])
    refused(crafted, cid, tmp_path, f"more than {MAX_ENTRIES:,} files and folders")


def test_a_symlink_entry_is_refused(crafted: Crafted, tmp_path: Path) -> None:
    symlink = crafted.put(_pbnode([], _field(1, 4) + _field(2, b"/etc/passwd")))  # UnixFS Symlink
    refused(crafted, crafted.folder([("link", symlink)]), tmp_path, "'link', a symlink; only files and folders")


def test_a_file_dag_that_lies_about_its_size_is_refused(crafted: Crafted, tmp_path: Path) -> None:
    chunk = b"z" * 1000
    leaf = crafted.file(chunk)
    more = crafted.put(file_of_leaves([(leaf, 1000)] * 3, filesize=10))  # says 10, holds 3,000
    refused(crafted, crafted.folder([("w.npz", more)]), tmp_path, "sent more bytes for 'w.npz' than the 10")
    fewer = crafted.put(file_of_leaves([(leaf, 1000)], filesize=5000))
    refused(crafted, crafted.folder([("w.npz", fewer)]), tmp_path, "sent fewer bytes")


def shared_leaf_file(c: Crafted, leaves: int) -> tuple[str, str]:
    """A file of `leaves` x 256 KiB that reuses one leaf block: (file CID, leaf CID)."""
    leaf = c.file(b"\xab" * (256 * 1024))
    return c.put(file_of_leaves([(leaf, 256 * 1024)] * leaves)), leaf


def test_content_over_the_size_limit_is_refused_before_its_bytes_are_read(
    crafted: Crafted, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    big, leaf = shared_leaf_file(crafted, 1200)  # 300 MiB declared; a few KiB of blocks
    reads: list[bytes] = []
    real_get = BlockStore.get
    monkeypatch.setattr(BlockStore, "get", lambda self, cid: reads.append(cid) or real_get(self, cid))
    if crafted.standin:
        crafted.standin.requests.clear()
    refused(crafted, big, tmp_path, "314,572,800 bytes, more than the 209,715,200-byte limit", TooLargeError)
    refused(crafted, crafted.folder([("w.npz", big)]), tmp_path, "limit", TooLargeError)
    if crafted.standin:
        assert "cat" not in crafted.standin.requests  # the plan refused it: no byte was asked for
    else:
        assert reads and parse_cid(leaf) not in reads  # only the file's root block was read


def test_a_stalling_source_is_cut_off_at_the_deadline(
    crafted: Crafted, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cid = crafted.folder([("w.npz", crafted.file(b"x" * 5000))])
    if crafted.standin:
        crafted.standin.drip_s = 2.0  # one byte every two seconds: 5,000 bytes would take ~3 hours
    else:
        real_get = BlockStore.get

        def slow_get(self, block_cid):
            time.sleep(2.0)
            return real_get(self, block_cid)

        monkeypatch.setattr(BlockStore, "get", slow_get)
    started = time.monotonic()
    refused(crafted, cid, tmp_path, "took longer than the 3 s deadline", timeout_s=3)
    assert time.monotonic() - started < 5


def test_a_bad_timeout_is_refused(crafted: Crafted, tmp_path: Path) -> None:
    with pytest.raises(StorageError, match="not a positive number of seconds"):
        crafted.store.get(crafted.file(), tmp_path / "x", timeout_s=0)


MEMORY_PROBE = textwrap.dedent(
    """
    import resource, sys
    from pathlib import Path
    from ipfs_store import EmbeddedKubo, KuboRPC, TooLargeError
    from tests.storage.kubo_standin import KuboStandIn
    from tests.storage.unixfs_reference import file_block, file_of_leaves, put_block

    backend, tmp = sys.argv[1], Path(sys.argv[2])
    peak_mib = lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    with EmbeddedKubo(tmp / "repo") as node:
        node.start()
        leaf = put_block(node.repo_path, file_block(bytes(range(256)) * 1024))
        big = put_block(node.repo_path, file_of_leaves([(leaf, 256 * 1024)] * 1200))  # 300 MiB
        with KuboStandIn(node) as server, KuboRPC(server.multiaddr) as rpc:
            store = node if backend == "embedded" else rpc
            store.cat(node.add_bytes(b"warm up"))
            before = peak_mib()
            try:
                store.get(big, tmp / "refused")  # the default 200 MiB limit
            except TooLargeError:
                pass
            refused = peak_mib()
            out = store.get(big, tmp / "fetched", max_bytes=400 << 20)
            assert out.stat().st_size == 1200 * 256 * 1024
            print(before, refused, peak_mib())
    """
)


@pytest.mark.parametrize("backend", ["embedded", "rpc-standin"])
def test_memory_stays_bounded_for_a_300_mib_file(backend: str, tmp_path: Path) -> None:
    """Peak RSS in a fresh process: refusing 300 MiB costs nothing, fetching it streams."""
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[2])}
    done = subprocess.run([sys.executable, "-c", MEMORY_PROBE, backend, str(tmp_path)], env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    before, refused, fetched = map(float, done.stdout.split())
    assert refused - before < 8, "refusing an oversized file must not read it"
    assert fetched - before < 64, f"fetching 300 MiB raised peak RSS by {fetched - before:.0f} MiB"
