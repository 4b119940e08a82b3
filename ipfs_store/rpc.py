"""KuboRPC: a Kubo node you run yourself, or a pinning service, over the Kubo RPC API.

Uses ipfshttpclient 0.7.0. Its `connect()` refuses every Kubo newer than 0.7 (VersionMismatch),
so we construct `ipfshttpclient.Client` directly, which skips the version check; the calls we
make (`add`, `cat`, `ls`, `files/stat`, `pin/add`, `version`) are stable across Kubo releases.

Downloads walk the folder with `ls` and stream each file with `cat`, instead of `get`: the
whole size is known (and refused if too large) before anything is written, entry names are
checked before they become paths, and no tar archive from the network is ever extracted.
"""
from __future__ import annotations

import contextlib
import io
import os
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import ipfshttpclient
from ipfshttpclient import exceptions as rpc_errors

from .base import CHUNK_SIZE, DEFAULT_MAX_BYTES, PathLike, Storage, check_cid, too_large
from .digest import tree_entries
from .errors import StorageError

# `ipfs add` defaults, spelled out so a node configured otherwise (Import.CidVersion=1,
# raw leaves, another chunker) still produces the CIDs recorded on chain.
ADD_OPTIONS: dict[str, Any] = {
    "cid_version": 0,
    "raw_leaves": False,
    "chunker": f"size-{CHUNK_SIZE}",
    "trickle": False,
    "pin": True,
}
_DIR, _FILE = 1, 2  # UnixFS types reported by `ls`

# ipfshttpclient 0.7.0 passes urllib3 an argument that urllib3 2.x only warns about.
warnings.filterwarnings("ignore", message="The 'strict' parameter", category=FutureWarning)


@dataclass(frozen=True)
class _Entry:
    rel: str  # relative POSIX path inside the download, "" for the root
    cid: str
    size: int
    is_dir: bool


class KuboRPC(Storage):
    """A Kubo RPC API at `api` (a multiaddr such as ``/ip4/127.0.0.1/tcp/5001``, or
    ``/dns/host/tcp/443/https`` for a remote service). No I/O until the first call."""

    def __init__(
        self,
        api: str,
        *,
        max_bytes: int = DEFAULT_MAX_BYTES,
        timeout: float = 120.0,
        auth: tuple[str, str] | None = None,
    ) -> None:
        super().__init__(max_bytes=max_bytes)
        self.api = api
        self.timeout = timeout
        self._auth = auth
        self._client: Any = None
        self._closed = False

    def __repr__(self) -> str:
        return f"KuboRPC({self.api!r})"

    def _rpc(self) -> Any:
        if self._closed:
            raise StorageError(f"{self!r} is closed; open a new KuboRPC")
        if self._client is None:
            try:
                self._client = ipfshttpclient.Client(
                    self.api, timeout=self.timeout, auth=self._auth, session=True
                )
            except rpc_errors.AddressError as e:
                raise StorageError(
                    f"IPFS_API={self.api!r} is not a Kubo RPC address; use a multiaddr like "
                    "/ip4/127.0.0.1/tcp/5001 (or /dns/<host>/tcp/443/https), or unset "
                    "IPFS_API to use the embedded node"
                ) from e
        return self._client

    @contextlib.contextmanager
    def _errors(self, doing: str) -> Iterator[None]:
        """Turn ipfshttpclient's exceptions into StorageError messages that say what to do."""
        try:
            yield
        except rpc_errors.ConnectionError as e:
            raise StorageError(
                f"cannot reach the IPFS API at {self.api}: {_first_line(e)}; start your node "
                "or unset IPFS_API to use the embedded node"
            ) from e
        except rpc_errors.TimeoutError as e:
            raise StorageError(
                f"the IPFS API at {self.api} did not answer within {self.timeout:g} s while "
                f"{doing}; the content may have no reachable provider. Check the CID and "
                "your node's connectivity, or raise the timeout"
            ) from e
        except rpc_errors.Error as e:
            raise StorageError(
                f"the IPFS node at {self.api} failed while {doing}: {e}; check the CID and "
                "that the node is healthy, or unset IPFS_API to use the embedded node"
            ) from e

    def version(self) -> str:
        """The node's Kubo version (also a cheap reachability check)."""
        with self._errors("asking for its version"):
            return str(self._rpc().version()["Version"])

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None
        self._closed = True

    # --- adding ------------------------------------------------------------------------

    def add_file(self, path: PathLike) -> str:
        p = Path(path)
        if not p.is_file():
            raise StorageError(f"{p} is not a file; use add_folder() for a directory")
        with self._errors(f"adding {p}"):
            return str(self._rpc().add(str(p), **ADD_OPTIONS)["Hash"])

    def add_bytes(self, data: bytes) -> str:
        with self._errors("adding bytes"):
            return str(self._rpc().add(io.BytesIO(data), **ADD_OPTIONS)["Hash"])

    def add_folder(self, path: PathLike) -> str:
        return self._add_folder(path, only_hash=False)

    def folder_cid(self, path: PathLike) -> str:
        """Hash the folder on the node (`ipfs add --only-hash`): nothing is stored or announced."""
        return self._add_folder(path, only_hash=True)

    def _add_folder(self, path: PathLike, *, only_hash: bool) -> str:
        p = Path(path)
        tree_entries(p)  # symlinks would be skipped silently by the client: refuse them
        name = os.path.basename(os.path.normpath(p))
        with self._errors(f"adding {p}"):
            added = self._rpc().add(str(p), recursive=True, only_hash=only_hash, **ADD_OPTIONS)
        for item in added:
            if item["Name"] == name:
                return str(item["Hash"])
        raise StorageError(f"the IPFS node at {self.api} did not report a CID for folder {p}")

    def pin(self, cid: str) -> None:
        check_cid(cid)
        with self._errors(f"pinning {cid}"):
            self._rpc().pin.add(cid)

    # --- fetching ----------------------------------------------------------------------

    def _fetch(self, cid: str, dest: Path, max_bytes: int) -> None:
        entries = self._plan(cid)
        total = sum(e.size for e in entries if not e.is_dir)
        if total > max_bytes:
            raise too_large(cid, total, max_bytes)
        written = 0
        for e in entries:
            target = dest / e.rel if e.rel else dest
            if e.is_dir:
                target.mkdir(parents=True, exist_ok=True)
            else:
                written = self._download_file(e.cid, target, written, max_bytes, root=cid)

    def _plan(self, cid: str) -> list[_Entry]:
        """Every entry under `cid`, parents before children, with file sizes."""
        with self._errors(f"looking up {cid}"):
            stat = self._rpc().files.stat(f"/ipfs/{cid}")
        kind = stat["Type"]
        if kind == "file":
            return [_Entry("", cid, int(stat["Size"]), False)]
        if kind != "directory":
            raise StorageError(f"{cid} is a {kind}, not a file or folder; it cannot be downloaded")
        entries = [_Entry("", cid, 0, True)]
        pending = [entries[0]]
        while pending:
            folder = pending.pop()
            with self._errors(f"listing {folder.cid}"):
                links = self._rpc().ls(folder.cid)["Objects"][0]["Links"]
            for link in links:
                name = link["Name"]
                if name in ("", ".", "..") or "/" in name or "\\" in name or "\0" in name:
                    raise StorageError(f"{cid} contains an unsafe entry name {name!r}; refusing it")
                rel = f"{folder.rel}/{name}" if folder.rel else name
                if link["Type"] == _DIR:
                    entry = _Entry(rel, link["Hash"], 0, True)
                    pending.append(entry)
                elif link["Type"] == _FILE:
                    entry = _Entry(rel, link["Hash"], int(link["Size"]), False)
                else:
                    raise StorageError(
                        f"{cid} contains {rel!r} of UnixFS type {link['Type']} (e.g. a symlink); "
                        "only files and folders are supported"
                    )
                entries.append(entry)
        return entries

    def _download_file(self, cid: str, target: Path, written: int, limit: int, root: str) -> int:
        """Stream file `cid` to `target`; return the running total of bytes written for
        `root`, which may never exceed `limit` (the node may under-report sizes)."""
        with self._errors(f"downloading {cid}"), open(target, "wb") as out:
            with self._rpc().cat(cid, stream=True) as chunks:
                for chunk in chunks:
                    written += len(chunk)
                    if written > limit:
                        raise too_large(root, written, limit)
                    out.write(chunk)
        return written


def _first_line(e: Exception) -> str:
    cause = e.__cause__ or e
    return str(cause).splitlines()[0] if str(cause) else type(cause).__name__
