"""A stand-in for a block explorer's verification API (Etherscan API v2): the real one cannot be
reached from here.

It answers the three calls a publisher makes (``getsourcecode``, ``verifysourcecode``,
``checkverifystatus``) and verifies as Etherscan does: it compiles the submitted standard-JSON
input with the real compiler (the solc launcher tools/setup.sh installs) and accepts the source
only if the compiled runtime bytecode equals the code at the address on the chain it serves,
except in the byte ranges the compiler names as immutables (values the constructor writes into
the code, such as the market's dispute-game address), which Etherscan also leaves out of the match.
Requests without an API key are refused; verdicts are "Pending in queue" until compiled.
"""
from __future__ import annotations

import json
import os
import subprocess
import tempfile
import threading
import uuid
from pathlib import Path
from urllib.parse import parse_qs, urlparse

from hosted_rpc import JSONHandler, _post, free_port, serve

SOLC = Path(os.environ.get("SOLCX_BINARY_PATH", Path.home() / ".solcx")) / "solc-v0.8.28"


class ExplorerStandIn:
    """``with ExplorerStandIn(rpc_url, chain_id) as ex:``; clients use ``ex.url``."""

    def __init__(self, rpc_url: str, chain_id: int):
        self.rpc_url, self.chain_id = rpc_url, chain_id
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/v2/api"
        self.verified: dict[str, dict] = {}  # address (lower case) -> the standard JSON input
        self.jobs: dict[str, str] = {}  # guid -> verdict
        self.requests: list[dict] = []

    # --- Etherscan's answers -----------------------------------------------------------------
    @staticmethod
    def _ok(result) -> dict:
        return {"status": "1", "message": "OK", "result": result}

    @staticmethod
    def _notok(result) -> dict:
        return {"status": "0", "message": "NOTOK", "result": result}

    def answer(self, params: dict) -> dict:
        self.requests.append(params)
        if not params.get("apikey"):
            return self._notok("Missing/Invalid API Key")
        if str(params.get("chainid")) != str(self.chain_id):
            return self._notok(f"Missing or unsupported chainid parameter: {params.get('chainid')}")
        action = params.get("action")
        if action == "getsourcecode":
            std = self.verified.get(str(params.get("address", "")).lower())
            return self._ok([{"SourceCode": json.dumps(std) if std else "", "ContractName": ""}])
        if action == "verifysourcecode":
            address = str(params.get("contractaddress", "")).lower()
            if address in self.verified:
                return self._notok("Contract source code already verified")
            guid = uuid.uuid4().hex
            self.jobs[guid] = "Pending in queue"
            threading.Thread(target=self._verify, args=(guid, address, params), daemon=True).start()
            return self._ok(guid)
        if action == "checkverifystatus":
            verdict = self.jobs.get(str(params.get("guid")))
            return self._ok(verdict) if verdict else self._notok("Unknown UID")
        return self._notok(f"Error! Missing or invalid action name: {action}")

    def _verify(self, guid: str, address: str, params: dict) -> None:
        self.jobs[guid] = self._check(address, params)

    def _check(self, address: str, params: dict) -> str:
        if params.get("codeformat") != "solidity-standard-json-input":
            return "Fail - Unable to verify. Only solidity-standard-json-input is supported here"
        if not str(params.get("compilerversion", "")).startswith("v0.8.28"):
            return f"Fail - Unable to verify. Compiler {params.get('compilerversion')} is not available"
        try:
            std = json.loads(params["sourceCode"])
            path, name = str(params["contractname"]).rsplit(":", 1)
        except (KeyError, ValueError):
            return "Fail - Unable to verify. Invalid sourceCode or contractname"
        job = dict(std, settings=dict(std.get("settings", {}),
                                      outputSelection={"*": {"*": ["evm.deployedBytecode.object",
                                                                                 "evm.deployedBytecode.immutableReferences"]}}))
        with tempfile.TemporaryDirectory() as empty:  # like the real explorer: no file outside the input
            out = subprocess.run([str(SOLC), "--standard-json"], input=json.dumps(job), capture_output=True,
                                 text=True, timeout=300, cwd=empty)
        try:
            runtime = json.loads(out.stdout)["contracts"][path][name]["evm"]["deployedBytecode"]
            compiled, immutables = runtime["object"].lower(), runtime.get("immutableReferences", {})
        except (ValueError, KeyError):
            return "Fail - Unable to verify. Compilation failed"
        code = _post(self.rpc_url, {"jsonrpc": "2.0", "id": 1, "method": "eth_getCode",
                                    "params": [address, "latest"]})["result"].lower().removeprefix("0x")
        if len(code) == len(compiled):
            for ranges in immutables.values():
                for r in ranges:  # byte offsets into the runtime code: the constructor's values, not the source's
                    a, b = 2 * r["start"], 2 * (r["start"] + r["length"])
                    code = code[:a] + compiled[a:b] + code[b:]
        if code != compiled:
            return "Fail - Unable to verify. Compiled contract deployment bytecode does NOT match the transaction"
        self.verified[address] = std
        return "Pass - Verified"

    # --- the server -------------------------------------------------------------------------
    def __enter__(self) -> ExplorerStandIn:
        explorer = self

        class Handler(JSONHandler):
            def _reply(self, params: dict) -> None:
                self.reply_json(explorer.answer(params))

            @staticmethod
            def _flat(query: str) -> dict:
                return {k: v[-1] for k, v in parse_qs(query, keep_blank_values=True).items()}

            def do_GET(self):  # noqa: N802 -- http.server's naming
                self._reply(self._flat(urlparse(self.path).query))

            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
                self._reply(self._flat(urlparse(self.path).query) | self._flat(body))

        self._server = serve(Handler, self.port)
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
