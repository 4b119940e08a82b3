"""UnixFS files and folders, read block by block from a `BlockStore`, without recursion.

What the embedded backend answers for a download: the kind and size of a node, the entries of
a folder (plain or HAMT-sharded), and a file's bytes one block at a time, so memory stays at
one block however large the file is.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator

from .blocks import DAG_PB, RAW, BlockStore, MissingBlock, PBLink, cid_text, decode_pb, decode_unixfs
from .errors import StorageError
from .fetch import Link

RAW_T, DIRECTORY, FILE, METADATA, SYMLINK, HAMT = range(6)
KINDS = {RAW_T: "file", FILE: "file", DIRECTORY: "dir", HAMT: "dir", METADATA: "metadata node", SYMLINK: "symlink"}
MAX_FILE_LEVELS = 64
"""Deepest file DAG read (Kubo's balanced layout needs 4 levels for a terabyte)."""
MAX_SHARD_LEVELS = 16
"""Deepest HAMT shard nesting (a 256-way HAMT runs out of hash bits long before)."""

Check = Callable[[str], None]


class UnixfsReader:
    def __init__(self, store: BlockStore) -> None:
        self.store = store

    def _node(self, cid: bytes) -> tuple[int, bytes, list[PBLink], int, int | None]:
        """(UnixFS type, inline data, links, file size, fanout) of block `cid`."""
        codec, block = self.store.get(cid)
        if codec == RAW:
            return RAW_T, block, [], len(block), None
        if codec != DAG_PB:
            raise StorageError(f"{cid_text(cid)} has codec 0x{codec:x}, not a UnixFS file or folder")
        links, data = decode_pb(block)
        fs = decode_unixfs(data)
        size = fs.filesize if fs.filesize is not None else len(fs.data)
        return fs.type, fs.data, links, size, fs.fanout

    def stat(self, cid: bytes) -> tuple[str, int]:
        """("file", size), ("dir", 0), or (another kind, 0)."""
        kind, _, _, size, _ = self._node(cid)
        name = KINDS.get(kind, f"UnixFS node of unknown type {kind}")
        return name, size if name == "file" else 0

    def links(self, cid: bytes, check: Check) -> Iterator[Link]:
        """The entries of folder `cid`, each with its kind and size (one block read per entry)."""
        kind, _, links, _, fanout = self._node(cid)
        if kind == DIRECTORY:
            named = ((link.name, link.cid) for link in links)
        elif kind == HAMT:
            named = self._shard_entries(links, fanout, check)
        else:
            raise StorageError(f"{cid_text(cid)} is not a folder")
        for name, child in named:
            check("listing a folder")
            child_kind, size = self.stat(child)
            yield Link(name.decode("utf-8", "surrogateescape"), child, child_kind, size)

    def _shard_entries(self, links: list[PBLink], fanout: int | None, check: Check) -> Iterator[tuple[bytes, bytes]]:
        """(name, CID) of every entry of a HAMT-sharded folder, from its root shard's links."""
        if not fanout or fanout > 4096 or fanout & (fanout - 1):
            raise StorageError(f"a HAMT folder with fanout {fanout}; the DAG is corrupt")
        width = len(f"{fanout - 1:X}")
        pending = [(links, 1)]
        while pending:
            shard_links, level = pending.pop()
            for link in shard_links:
                if len(link.name) > width:
                    yield link.name[width:], link.cid
                    continue
                check("listing a sharded folder")
                kind, _, sub_links, _, _ = self._node(link.cid)
                if len(link.name) < width or kind != HAMT or level >= MAX_SHARD_LEVELS:
                    raise StorageError(f"a HAMT folder with a malformed shard {cid_text(link.cid)}; the DAG is corrupt")
                pending.append((sub_links, level + 1))

    def read(self, cid: bytes, check: Check) -> Iterator[bytes]:
        """The bytes of file `cid`, one block's data at a time, in order."""
        pending = [(cid, 1)]
        while pending:
            check("reading a file")
            block_cid, level = pending.pop()
            kind, data, links, _, _ = self._node(block_cid)
            if kind not in (FILE, RAW_T):
                raise StorageError(f"a file's DAG holds a {KINDS.get(kind, kind)} node ({cid_text(block_cid)}); it is corrupt")
            if links and level >= MAX_FILE_LEVELS:
                raise StorageError(f"a file's DAG is more than {MAX_FILE_LEVELS} levels deep; it is corrupt")
            if data:
                yield data
            pending.extend((link.cid, level + 1) for link in reversed(links))

    def present(self, cid: bytes, check: Check) -> bool:
        """True if every block below `cid` (any dag-pb DAG) is in the store."""
        seen: set[bytes] = set()
        pending = [cid]
        while pending:
            check("checking the blocks are local")
            block_cid = pending.pop()
            if block_cid in seen:
                continue
            seen.add(block_cid)
            try:
                codec, block = self.store.get(block_cid)
            except MissingBlock:
                return False
            if codec == DAG_PB:
                pending.extend(link.cid for link in decode_pb(block)[0])
        return True
