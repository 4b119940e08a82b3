"""An independent, pure-Python computation of the CIDv0 a default `ipfs add` gives a file.

Used only to cross-check the node: UnixFS "File" nodes in dag-pb, 256 KiB fixed-size chunks,
dag-pb leaves (not raw), balanced layout with up to 174 links per node, sha256 multihash,
base58btc. Written from the UnixFS and dag-pb specs, not from the node's code.
"""
from __future__ import annotations

import hashlib

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
