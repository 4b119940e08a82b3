"""KuboRPC: a Kubo node you run yourself, or a pinning service, over the Kubo RPC API.

Uses ipfshttpclient 0.7.0. Its `connect()` refuses every Kubo newer than 0.7 (VersionMismatch),
so we construct `ipfshttpclient.Client` directly, which skips the version check; the calls we
make (`add`, `cat`, `ls`, `files/stat`, `pin/add`, `version`) are stable across Kubo releases.

Downloads walk the folder with `ls` and stream each file with `cat`, instead of `get`: the
whole tree (names, depth, entry count, size) is checked by the shared download plan before
anything is written, and no tar archive from the network is ever extracted. Those reads use
`requests` directly (through ipfshttpclient's address handling), one HTTP session per fetch,
reading with `read1` so every piece that arrives is checked against the fetch's deadline: a
node that drips bytes or stalls is cut off at `timeout_s`.
"""
from __future__ import annotations

import contextlib
import io
import json
import os
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import ipfshttpclient
import requests
import urllib3
from ipfshttpclient import exceptions as rpc_errors
from ipfshttpclient import requests_wrapper
from ipfshttpclient.http_common import multiaddr_to_url_data

from .base import CHUNK_SIZE, DEFAULT_MAX_BYTES, PathLike, Storage, check_cid
from .errors import StorageError, show
from .fetch import FetchGuard, Link
from .rules import DEFAULT_TIMEOUT_S
from .tree import tree_entries

# `ipfs add` defaults, spelled out so a node configured otherwise (Import.CidVersion=1,
# raw leaves, another chunker) still produces the CIDs recorded on chain.
ADD_OPTIONS: dict[str, Any] = {
    "cid_version": 0,
    "raw_leaves": False,
    "chunker": f"size-{CHUNK_SIZE}",
    "trickle": False,
    "pin": True,
}
_KINDS = {1: "dir", 5: "dir", 2: "file", 0: "file", 4: "symlink"}  # UnixFS types reported by `ls`
MAX_JSON = 32 << 20  # largest `ls` / `files/stat` answer read (10,000 entries take ~2 MB)
_PIECE = 1 << 16

# ipfshttpclient 0.7.0 passes urllib3 an argument that urllib3 2.x only warns about.
warnings.filterwarnings("ignore", message="The 'strict' parameter", category=FutureWarning)


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
        timeout_s: float = DEFAULT_TIMEOUT_S,
    ) -> None:
        """`timeout` bounds each request's silences; `timeout_s` bounds a whole fetch."""
        super().__init__(max_bytes=max_bytes, timeout_s=timeout_s)
        self.api = api
        self.timeout = timeout
        self._auth = auth
        self._client: Any = None
        self._closed = False
        self._url, self._family = "", 0  # set by _session()

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
        tree_entries(p, bounded=False)  # the client would skip symlinks silently: refuse them
        name = os.path.basename(os.path.normpath(p))
        with self._errors(f"adding {p}"):
            added = self._rpc().add(str(p), recursive=True, only_hash=only_hash, **ADD_OPTIONS)
        for item in added:
            if item["Name"] == name:
                return str(item["Hash"])
        raise StorageError(f"the IPFS node at {self.api} did not report a CID for folder {p}")

    def pin(self, cid: str, *, timeout_s: float | None = None) -> None:
        check_cid(cid)
        with self._errors(f"pinning {cid}"):
            self._rpc().pin.add(cid, timeout=min(self.timeout, self.timeout_s if timeout_s is None else timeout_s))

    # --- reading, for the shared download (Storage._fetch) -------------------------------

    def _stat(self, cid: str, guard: FetchGuard) -> tuple[str, int]:
        stat = self._json(guard, "files/stat", f"/ipfs/{cid}", f"looking up {cid}")
        kind = {"file": "file", "directory": "dir"}.get(stat.get("Type"), str(stat.get("Type"))[:20])
        return kind, _int(stat.get("Size", 0), self.api) if kind == "file" else 0

    def _list(self, cid: Any, guard: FetchGuard) -> list[Link]:
        answer = self._json(guard, "ls", cid, f"listing {cid}")
        try:
            links = answer["Objects"][0]["Links"] or []
            return [self._link(link) for link in links]
        except (KeyError, IndexError, TypeError, StorageError) as e:
            raise StorageError(f"the IPFS node at {self.api} gave a malformed `ls` answer for {cid}; is it Kubo?") from e

    def _link(self, link: dict[str, Any]) -> Link:
        kind = _KINDS.get(link["Type"], f"UnixFS type {str(link['Type'])[:10]}")
        return Link(str(link["Name"]), check_cid(link["Hash"]), kind, _int(link["Size"], self.api))

    def _read(self, cid: Any, guard: FetchGuard) -> Iterator[bytes]:
        return self._stream(guard, "cat", cid, f"downloading {cid}")

    def _json(self, guard: FetchGuard, command: str, arg: str, doing: str) -> dict[str, Any]:
        body = bytearray()
        for piece in self._stream(guard, command, arg, doing):
            body += piece
            if len(body) > MAX_JSON:
                raise StorageError(f"the IPFS node at {self.api} sent over {MAX_JSON >> 20} MiB while {doing}; refused")
        try:
            answer = json.loads(body)
        except ValueError as e:
            raise StorageError(f"the IPFS node at {self.api} sent no JSON while {doing}; is it a Kubo RPC API?") from e
        if not isinstance(answer, dict):
            raise StorageError(f"the IPFS node at {self.api} sent unexpected JSON while {doing}; is it Kubo?")
        return answer

    def _stream(self, guard: FetchGuard, command: str, arg: str, doing: str) -> Iterator[bytes]:
        """POST /api/v0/`command`?arg=`arg`; yield the body as it arrives, within the deadline."""
        with self._net_errors(guard, doing):
            session = guard.resource("session", self._session)
            guard.check(doing)
            wait = min(self.timeout, guard.remaining())
            response = session.post(
                self._url + command, params={"arg": arg}, stream=True, timeout=(wait, wait), family=self._family
            )
        with contextlib.closing(response):
            guard.interrupt = response.raw.shutdown
            try:
                if response.status_code != 200:
                    raise self._node_failed(response, guard, doing)
                yield from self._pieces(response, guard, doing)
            finally:
                guard.interrupt = None

    def _pieces(self, response: requests.Response, guard: FetchGuard, doing: str) -> Iterator[bytes]:
        """The body of `response` in pieces as they arrive; no single wait outlasts the deadline."""
        while True:
            guard.check(doing)
            with self._net_errors(guard, doing):
                sock = getattr(response.raw.connection, "sock", None)
                if sock is not None:
                    sock.settimeout(max(0.01, min(self.timeout, guard.remaining() + 0.01)))
                piece = response.raw.read1(_PIECE)
            if not piece:
                return
            yield piece

    def _session(self) -> requests.Session:
        if self._closed:
            raise StorageError(f"{self!r} is closed; open a new KuboRPC")
        try:
            url, _, self._family, _ = multiaddr_to_url_data(self.api, "api/v0")
        except rpc_errors.AddressError as e:
            raise StorageError(
                f"IPFS_API={self.api!r} is not a Kubo RPC address; use a multiaddr like "
                "/ip4/127.0.0.1/tcp/5001, or unset IPFS_API to use the embedded node"
            ) from e
        self._url = url
        session = requests_wrapper.Session()
        session.auth = self._auth
        return session

    @contextlib.contextmanager
    def _net_errors(self, guard: FetchGuard, doing: str) -> Iterator[None]:
        try:
            yield
        except (requests.RequestException, urllib3.exceptions.HTTPError, OSError) as e:
            if guard.deadline.expired():
                raise guard.deadline.error(doing) from e
            if isinstance(e, requests.ConnectionError) and not isinstance(e, requests.ReadTimeout):
                raise StorageError(
                    f"cannot reach the IPFS API at {self.api}: {_first_line(e)}; start your node "
                    "or unset IPFS_API to use the embedded node"
                ) from e
            raise StorageError(
                f"the IPFS API at {self.api} stopped answering while {doing} ({type(e).__name__}); "
                "the content may have no reachable provider. Try again, or raise the timeout"
            ) from e

    def _node_failed(self, response: requests.Response, guard: FetchGuard, doing: str) -> StorageError:
        body = b""
        for piece in self._pieces(response, guard, doing):
            body += piece
            if len(body) > 65536:
                break
        try:
            message = str(json.loads(body)["Message"])
        except (ValueError, KeyError, TypeError):
            message = f"HTTP {response.status_code}"
        return StorageError(
            f"the IPFS node at {self.api} failed while {doing}: {show(message, 120)}; check the CID "
            "and that the node is healthy, or unset IPFS_API to use the embedded node"
        )


def _int(value: Any, api: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str) or not str(value).isdigit():
        raise StorageError(f"the IPFS node at {api} reported a size {show(str(value), 30)}; is it Kubo?")
    return int(value)


def _first_line(e: Exception) -> str:
    cause = e.__cause__ or e
    return str(cause).splitlines()[0] if str(cause) else type(cause).__name__
