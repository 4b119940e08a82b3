"""A stand-in for a hosted JSON-RPC provider (Infura, Alchemy): the real thing cannot run here.

It is anvil with Sepolia's chain id, mining a block every second, behind a small proxy that
answers as hosted providers do: no unlocked accounts (``eth_accounts`` is empty,
``eth_sendTransaction`` refused), no ``debug_*``, ``trace_*``, ``evm_*``, ``anvil_*`` or
``hardhat_*`` methods, and ``eth_getLogs`` capped to a block range. Clients reach only the proxy;
the test that owns it moves time through anvil's own port.
"""
from __future__ import annotations

import json
import socket
import subprocess
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

SEPOLIA_CHAIN_ID = 11155111
REFUSED_PREFIXES = ("debug_", "trace_", "evm_", "anvil_", "hardhat_", "personal_", "miner_")
MAX_LOG_RANGE = 1_000


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class HostedRPC:
    """``with HostedRPC(anvil_path) as rpc:`` then clients use ``rpc.url``; the test uses ``rpc.anvil``."""

    def __init__(self, anvil: str | Path, *, block_time: int = 1):
        self.anvil_port, self.port = free_port(), free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.anvil_url = f"http://127.0.0.1:{self.anvil_port}"
        self._cmd = [str(anvil), "--port", str(self.anvil_port), "--chain-id", str(SEPOLIA_CHAIN_ID),
                     "--block-time", str(block_time), "--accounts", "1", "--silent"]
        self.refused: list[str] = []

    # --- the test's own access to anvil -----------------------------------------------------
    def anvil(self, method: str, params: list | None = None):
        return _post(self.anvil_url, {"jsonrpc": "2.0", "id": 1, "method": method, "params": params or []})["result"]

    def fund(self, address: str, wei: int) -> None:
        self.anvil("anvil_setBalance", [address, hex(wei)])

    def sleep(self, seconds: int) -> None:
        """Move chain time forward and mine (what only the test may do)."""
        self.anvil("evm_increaseTime", [int(seconds)])
        self.anvil("evm_mine", [])

    # --- the proxy --------------------------------------------------------------------------
    def _handle(self, call: dict) -> dict:
        method, cid = call.get("method", ""), call.get("id")
        if method == "eth_accounts":
            return {"jsonrpc": "2.0", "id": cid, "result": []}
        if method == "eth_sendTransaction" or method.startswith(REFUSED_PREFIXES):
            self.refused.append(method)
            return {"jsonrpc": "2.0", "id": cid,
                    "error": {"code": -32601, "message": f"the method {method} does not exist/is not available"}}
        if method == "eth_getLogs" and not _range_ok(call.get("params") or [{}], self):
            return {"jsonrpc": "2.0", "id": cid,
                    "error": {"code": -32005, "message": f"block range too wide: at most {MAX_LOG_RANGE} blocks"}}
        return _post(self.anvil_url, call)

    def __enter__(self) -> HostedRPC:
        self._proc = subprocess.Popen(self._cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(100):
            try:
                self.anvil("eth_chainId")
                break
            except OSError:
                time.sleep(0.1)
        rpc = self

        class Handler(JSONHandler):
            def do_POST(self):  # noqa: N802 -- http.server's naming
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
                self.reply_json([rpc._handle(c) for c in body] if isinstance(body, list) else rpc._handle(body))

        self._server = serve(Handler, self.port)
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._proc.kill()
        self._proc.wait()


class JSONHandler(BaseHTTPRequestHandler):
    """A quiet request handler that answers JSON."""

    def reply_json(self, obj) -> None:
        data = json.dumps(obj).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


def serve(handler: type, port: int) -> ThreadingHTTPServer:
    """Serve ``handler`` on 127.0.0.1:``port`` from a daemon thread (shut it down when done)."""
    server = ThreadingHTTPServer(("127.0.0.1", port), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def _range_ok(params: list, rpc: HostedRPC) -> bool:
    query = params[0] if params else {}
    latest = int(rpc.anvil("eth_blockNumber"), 16)

    def block(tag, default):
        if tag is None or tag == "latest" or tag == "pending":
            return latest if default is None else default
        if tag == "earliest":
            return 0
        return int(tag, 16)

    low = block(query.get("fromBlock"), latest)
    high = block(query.get("toBlock"), latest)
    return "blockHash" in query or high - low < MAX_LOG_RANGE


def _post(url: str, payload) -> dict:
    req = urllib.request.Request(url, data=json.dumps(payload).encode(), headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=60) as resp:
        return json.loads(resp.read())
