"""Property-based fuzzing (hypothesis) of the tree walkers, the name rules and the block decoder:
whatever the input, they answer deterministically or raise the library's own StorageError,
never anything else (no RecursionError, no UnicodeError, no IndexError...)."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

# Not `hypothesis.given`, which brownie wraps to warn about chain isolation between examples:
# these tests never touch a chain.
from hypothesis.core import given

from ipfs_store import MAX_DEPTH, StorageError, path_size, remove_tree, sha256_tree
from ipfs_store.blocks import decode_pb, decode_unixfs
from ipfs_store.digest import tree_entries
from ipfs_store.rules import TreeRules, name_problem

from .unixfs_reference import _field, _pbnode

FUZZ = settings(max_examples=300, deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
ON_DISK = settings(FUZZ, max_examples=60)  # each example builds a tree on disk

HOSTILE_CHARS = st.sampled_from(["..", ".", "\\", "\x1b", "\n", "\u2028", "\u202e", "e\u0301", "\u00e9",
                                 "A", "a", "\ufffd", " ", ":", "C:"])
TEXT_NAMES = st.lists(st.one_of(HOSTILE_CHARS, st.text(min_size=1, max_size=8)), min_size=1, max_size=4).map("".join)
BYTE_NAMES = st.binary(min_size=1, max_size=12).map(os.fsdecode)  # includes bytes that are not UTF-8
NAMES = st.one_of(TEXT_NAMES, BYTE_NAMES)


def disk_name(name: str) -> bool:
    """Whether the file system can hold `name` as one entry."""
    raw = os.fsencode(name)
    return raw not in (b".", b"..") and b"/" not in raw and b"\0" not in raw and 0 < len(raw) <= 255


TREES = st.recursive(
    st.binary(max_size=64),
    lambda children: st.dictionaries(NAMES.filter(disk_name), children, max_size=4),
    max_leaves=12,
)


def build(root: Path, tree: dict | bytes, depth: int = 0) -> tuple[int, int]:
    """Write `tree` (dict: folder, bytes: file) at `root`, `depth` levels below the walk's root;
    return (bytes in files, deepest level reached)."""
    size, deepest = 0, depth
    pending = [(root, tree, depth)]
    while pending:
        path, node, level = pending.pop()
        deepest = max(deepest, level)
        if isinstance(node, bytes):
            path.write_bytes(node)
            size += len(node)
            continue
        path.mkdir()
        pending.extend((path / name, child, level + 1) for name, child in node.items())
    return size, deepest


def outcome(fn, *args):
    """("ok", result) or ("refused", message) for StorageError; anything else propagates."""
    try:
        return "ok", fn(*args)
    except StorageError as e:
        return "refused", str(e)


@ON_DISK
@given(tree=st.dictionaries(NAMES.filter(disk_name), TREES, max_size=4), chain=st.integers(0, MAX_DEPTH + 4))
def test_walkers_succeed_deterministically_or_refuse(tree: dict, chain: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp, "root")
        root.mkdir()
        size, deepest = build(root / "t", tree, 1)
        chained = root.joinpath("c", *["d"] * chain)
        chained.mkdir(parents=True)
        deepest = max(deepest, chain + 1)
        first, again, sized = outcome(sha256_tree, root), outcome(sha256_tree, root), outcome(path_size, root)
        assert first == again
        if deepest > MAX_DEPTH:
            assert first[0] == sized[0] == "refused" and "levels deep" in first[1] and "levels deep" in sized[1]
        else:
            assert first[0] == "ok" and len(first[1]) == 64 and sized == ("ok", size)
        listed = outcome(lambda: tree_entries(root, check_names=True))  # the publish check: names too
        if listed[0] == "ok":
            for rel, _ in listed[1]:
                assert all(name_problem(part) is None for part in rel.split("/"))
        remove_tree(root)
        assert not root.exists()


@FUZZ
@given(name=st.one_of(NAMES, st.text(max_size=300)))
def test_name_rules_never_let_a_path_out(name: str) -> None:
    problem = name_problem(name)
    if problem is None:
        joined = os.path.normpath(os.path.join("/dest", name))
        assert os.path.dirname(joined) == "/dest" and os.path.basename(joined) == name
        assert not any(c in name for c in "/\\\0\n\r") and len(name.encode("utf-8")) <= 255


@FUZZ
@given(names=st.lists(NAMES, max_size=8))
def test_tree_rules_accept_or_refuse_with_storage_error(names: list[str]) -> None:
    rules = TreeRules("QmTest", max_bytes=1000)
    accepted = []
    for name in names:
        kind, result = outcome(rules.add, "", name, False, 100)
        if kind == "refused":
            break
        accepted.append(result)
    assert len(set(accepted)) == len(accepted) and sum(100 for _ in accepted) <= 1000


@FUZZ
@given(block=st.one_of(
    st.binary(max_size=200),
    st.builds(lambda links, data: _pbnode(links, data),
              st.lists(st.tuples(st.binary(max_size=40), st.integers(0, 2**64)), max_size=3),
              st.binary(max_size=40)),
    st.builds(lambda kind, data, size: _field(1, kind) + _field(2, data) + _field(3, size),
              st.integers(0, 2**64), st.binary(max_size=20), st.integers(0, 2**64)),
))
def test_block_decoder_decodes_or_refuses(block: bytes) -> None:
    kind, decoded = outcome(decode_pb, block)
    if kind == "ok":
        outcome(decode_unixfs, decoded[1])
    outcome(decode_unixfs, block)
