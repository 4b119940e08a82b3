"""An independent, pure-Python computation of the CIDv0 a default `ipfs add` gives a file.

Used only to cross-check the node: UnixFS "File" nodes in dag-pb, 256 KiB fixed-size chunks,
dag-pb leaves (not raw), balanced layout with up to 174 links per node, sha256 multihash,
base58btc. Written from the UnixFS and dag-pb specs, not from the node's code.
"""
from __future__ import annotations

import base64
import hashlib
import os
from pathlib import Path

CHUNK = 256 * 1024
MAX_LINKS = 174
_B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte, n = n & 0x7F, n >> 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _field(number: int, value: bytes | int) -> bytes:
    if isinstance(value, int):
        return _varint(number << 3) + _varint(value)
    return _varint(number << 3 | 2) + _varint(len(value)) + value


def _unixfs_file(data: bytes, filesize: int, blocksizes: list[int]) -> bytes:
    msg = _field(1, 2)  # Type = File
    if data:
        msg += _field(2, data)
    msg += _field(3, filesize)
    for size in blocksizes:
        msg += _field(4, size)
    return msg


def _pbnode(links: list[tuple[bytes, int]], data: bytes) -> bytes:
    # dag-pb canonical order: Links (field 2) first, then Data (field 1).
    out = b""
    for multihash, tsize in links:
        out += _field(2, _field(1, multihash) + _field(2, b"") + _field(3, tsize))
    return out + _field(1, data)


def _multihash(block: bytes) -> bytes:
    return b"\x12\x20" + hashlib.sha256(block).digest()


def _base58(raw: bytes) -> str:
    n = int.from_bytes(raw, "big")
    out = ""
    while n:
        n, r = divmod(n, 58)
        out = _B58[r] + out
    return "1" * (len(raw) - len(raw.lstrip(b"\0"))) + out


def cidv0_of_bytes(content: bytes) -> str:
    """CIDv0 of `content` as `ipfs add` (default options) would report it."""
    # Each node is (serialized block, file bytes below it, Tsize = block + all descendants).
    chunks = [content[i : i + CHUNK] for i in range(0, len(content), CHUNK)] or [b""]
    level = []
    for chunk in chunks:
        block = _pbnode([], _unixfs_file(chunk, len(chunk), []))
        level.append((block, len(chunk), len(block)))
    while len(level) > 1:
        parents = []
        for i in range(0, len(level), MAX_LINKS):
            group = level[i : i + MAX_LINKS]
            filesize = sum(size for _, size, _ in group)
            data = _unixfs_file(b"", filesize, [size for _, size, _ in group])
            block = _pbnode([(_multihash(b), tsize) for b, _, tsize in group], data)
            parents.append((block, filesize, len(block) + sum(t for _, _, t in group)))
        level = parents
    return _base58(_multihash(level[0][0]))


# --- decoding, and writing crafted blocks into a Kubo repo (for hostile-DAG tests) ---------
#
# Kubo's default blockstore is flatfs: blocks/<next-to-last 2 chars of key>/<key>.data, the key
# being the multihash in unpadded RFC 4648 base32. Independent of ipfs_store's own reader.

DIRECTORY, FILE, HAMT = 1, 2, 5


def _read_varint(buf: bytes, pos: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        byte = buf[pos]
        value |= (byte & 0x7F) << shift
        pos += 1
        if byte < 0x80:
            return value, pos
        shift += 7


def _fields(buf: bytes) -> list[tuple[int, int | bytes]]:
    out, pos = [], 0
    while pos < len(buf):
        key, pos = _read_varint(buf, pos)
        if key & 7 == 0:
            value, pos = _read_varint(buf, pos)
        else:  # length-delimited (the only other wire type dag-pb and UnixFS use)
            length, pos = _read_varint(buf, pos)
            value, pos = buf[pos : pos + length], pos + length
        out.append((key >> 3, value))
    return out


def decode_node(block: bytes) -> tuple[list[tuple[bytes, bytes, int]], dict]:
    """([(hash, name, tsize)], {type, data, filesize, fanout}) of a dag-pb UnixFS block."""
    links, unixfs = [], {"type": None, "data": b"", "filesize": None, "fanout": None}
    for number, value in _fields(block):
        if number == 2:
            link = dict(_fields(value))
            links.append((link.get(1, b""), link.get(2, b""), link.get(3, 0)))
        else:
            names = {1: "type", 2: "data", 3: "filesize", 6: "fanout"}
            unixfs.update({names[n]: v for n, v in _fields(value) if n in names})
    return links, unixfs


def b58decode(text: str) -> bytes:
    n = 0
    for c in text:
        n = n * 58 + _B58.index(c)
    return n.to_bytes(34, "big")


def cid_of_block(block: bytes) -> str:
    return _base58(_multihash(block))


def block_path(repo: Path, cid: str | bytes) -> Path:
    multihash = b58decode(cid) if isinstance(cid, str) else cid
    key = base64.b32encode(multihash).decode().rstrip("=")
    return repo / "blocks" / key[-3:-1] / f"{key}.data"


def read_block(repo: Path, cid: str | bytes) -> bytes:
    return block_path(repo, cid).read_bytes()


def put_block(repo: Path, block: bytes) -> str:
    """Write `block` straight into the Kubo repo's flatfs store; return its CIDv0."""
    cid = cid_of_block(block)
    path = block_path(repo, cid)
    path.parent.mkdir(exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(block)
    os.replace(tmp, path)
    return cid


def file_block(data: bytes) -> bytes:
    """A single-block UnixFS file holding `data` (what `ipfs add` makes for up to 256 KiB)."""
    return _pbnode([], _unixfs_file(data, len(data), []))


def file_of_leaves(leaves: list[tuple[str, int]], filesize: int | None = None) -> bytes:
    """A UnixFS file root over leaf blocks [(CID, size)]; `filesize` defaults to their sum (may lie)."""
    sizes = [size for _, size in leaves]
    total = sum(sizes) if filesize is None else filesize
    return _pbnode([(b58decode(cid), size) for cid, size in leaves], _unixfs_file(b"", total, sizes))


def dir_block(entries: list[tuple[str | bytes, str]]) -> bytes:
    """A UnixFS folder with links [(name, CID)] in the given order, names taken verbatim."""
    out = b""
    for name, cid in entries:
        raw = name.encode("utf-8", "surrogatepass") if isinstance(name, str) else name
        out += _field(2, _field(1, b58decode(cid)) + _field(2, raw) + _field(3, 0))
    return out + _field(1, _field(1, DIRECTORY))
