"""Publishing the market's source code to a block explorer (Etherscan's API v2, or any explorer
that speaks it), so anyone can read the code the chain runs.

brownie's own ``publish_source`` is not used: it is wired to api.etherscan.io, waits 10 s
between polls, raises bare exceptions, and its flattener fails on imports outside ``contracts/``
(``interfaces/``). This sends the exact standard-JSON input brownie compiled (every source file
the contract imports, by the names the compiler saw, and the same settings), so the explorer's
build reproduces the deployed code byte for byte, metadata hash included, and reports each
outcome in one line.
"""
from __future__ import annotations

import posixpath
import re
import time
from collections.abc import Callable
from pathlib import Path

from ..errors import ChainError

#: https://etherscan.io/contract-license-types
_LICENSES = {"unlicense": 2, "mit": 3, "gpl-2.0": 4, "gpl-3.0": 5, "lgpl-2.1": 6, "lgpl-3.0": 7,
             "bsd-2-clause": 8, "bsd-3-clause": 9, "mpl-2.0": 10, "osl-3.0": 11, "apache-2.0": 12,
             "agpl-3.0": 13}


def license_code(spdx: str) -> int:
    """Etherscan's licence number for an SPDX identifier (1, "no licence", when unknown)."""
    spdx = spdx.strip().lower().removesuffix("-only").removesuffix("-or-later")
    return _LICENSES.get(spdx, 1)


_IMPORT = re.compile(r"""^\s*import\s+(?:[^'";]*?\bfrom\s+)?["']([^"']+)["']""", re.MULTILINE)


def standard_json_input(root: Path, source: str, remappings: list[str], settings: dict) -> dict:
    """The compiler's standard-JSON input for ``source`` (a path relative to ``root``): it and
    every file it imports, transitively, under the names the compiler resolves them to."""
    prefixes = [tuple(r.split("=", 1)) for r in remappings]
    sources: dict[str, dict] = {}
    todo = [source]
    while todo:
        unit = todo.pop()
        if unit in sources:
            continue
        text = (root / unit).read_text()
        sources[unit] = {"content": text}
        for target in _IMPORT.findall(text):
            if target.startswith("."):
                target = posixpath.normpath(posixpath.join(posixpath.dirname(unit), target))
            else:
                for prefix, to in prefixes:
                    if target.startswith(prefix):
                        target = to + target[len(prefix):]
                        break
            todo.append(target)
    return {"language": "Solidity", "sources": dict(sorted(sources.items())),
            "settings": {**settings, "remappings": remappings}}


class Explorer:
    """A client of an Etherscan-v2-compatible API for one chain."""

    def __init__(self, api_url: str, api_key: str, chain_id: int, *, timeout_s: float = 30.0):
        self.api_url, self.api_key, self.chain_id, self.timeout_s = api_url, api_key, chain_id, timeout_s

    def _call(self, method: str, **params) -> dict:
        import requests

        query = {"chainid": self.chain_id, "apikey": self.api_key}
        try:
            if method == "GET":
                response = requests.get(self.api_url, params=query | params, timeout=self.timeout_s)
            else:
                response = requests.post(self.api_url, params=query, data=params, timeout=self.timeout_s)
        except requests.RequestException as exc:
            raise ChainError(f"cannot reach the block explorer at {self.api_url}: {exc.__class__.__name__}; "
                             "check FM_EXPLORER_API_URL and the network, then run `market publish-source`") from exc
        try:
            data = response.json()
        except ValueError:
            data = None
        if response.status_code != 200 or not isinstance(data, dict) or "result" not in data:
            raise ChainError(f"the block explorer at {self.api_url} answered HTTP {response.status_code} "
                             f"{response.text[:120]!r}: check FM_EXPLORER_API_URL")
        return data

    def source_of(self, address: str) -> str:
        """The verified source the explorer shows for ``address`` ('' if none)."""
        data = self._call("GET", module="contract", action="getsourcecode", address=address)
        result = data["result"]
        if isinstance(result, list) and result and isinstance(result[0], dict):
            return str(result[0].get("SourceCode") or "")
        return ""

    def publish(self, address: str, info: dict, *, poll_s: float = 2.0, wait_s: float = 180.0,
                echo: Callable[[str], None] = print) -> str:
        """Submit ``info`` (brownie's ``get_verification_info()``) for ``address`` and wait for the
        verdict; returns it. Raises ChainError when the explorer refuses the source."""
        import json

        if self.source_of(address):
            return "already verified"
        standard = info["standard_json_input"]
        target = next(path for path, src in standard["sources"].items()
                      if f"contract {info['contract_name']}" in src["content"])
        data = self._call("POST", module="contract", action="verifysourcecode", contractaddress=address,
                          sourceCode=json.dumps(standard), codeformat="solidity-standard-json-input",
                          contractname=f"{target}:{info['contract_name']}",
                          compilerversion=f"v{info['compiler_version']}",
                          optimizationUsed=int(bool(info["optimizer_enabled"])), runs=info["optimizer_runs"],
                          constructorArguements="",  # sic: Etherscan's spelling; the market has no constructor
                          licenseType=license_code(info["license_identifier"]))
        if str(data.get("status")) != "1":
            if "already verified" in str(data["result"]).lower():
                return "already verified"
            raise ChainError(f"the block explorer refused the verification request: {data['result']}")
        guid, deadline = data["result"], time.monotonic() + wait_s
        echo(f"source submitted to {self.api_url} (request {guid}); waiting for the verdict")
        while True:
            verdict = str(self._call("GET", module="contract", action="checkverifystatus", guid=guid)["result"])
            if "pending" not in verdict.lower():
                break
            if time.monotonic() > deadline:
                raise ChainError(f"the block explorer has not decided after {wait_s:.0f} s (request {guid}): "
                                 "run `market publish-source` again later")
            time.sleep(poll_s)
        if verdict.lower().startswith("pass") or "already verified" in verdict.lower():
            return verdict
        raise ChainError(f"the block explorer did not verify the source: {verdict}")


def verification_info(container) -> dict:
    """What an explorer needs to rebuild a brownie contract (``container``, e.g. ``ForecastMarket``)."""
    from brownie.project.compiler import _get_solc_remappings

    build, project = container._build, container._project
    config = project._compiler_config["solc"]
    settings = {"evmVersion": build["compiler"]["evm_version"], "optimizer": build["compiler"]["optimizer"]}
    source = build["sourcePath"]
    licence = re.search(r"SPDX-License-Identifier:\s*(\S+)", (Path(project._path) / source).read_text())
    return {"standard_json_input": standard_json_input(Path(project._path), source,
                                                       _get_solc_remappings(config["remappings"]), settings),
            "contract_name": build["contractName"], "compiler_version": build["compiler"]["version"],
            "optimizer_enabled": build["compiler"]["optimizer"]["enabled"],
            "optimizer_runs": build["compiler"]["optimizer"]["runs"],
            "license_identifier": licence.group(1) if licence else "NONE"}


def publish_market_source(market, api_key: str, api_url: str,
                          echo: Callable[[str], None] = print) -> list[tuple[str, str, str]]:
    """Publish the deployed market's source and that of the dispute game its constructor deployed;
    returns ``(contract name, address, verdict)`` for each, the market first. The game is published
    too because a bonded competition's disputes are settled by its code, not the market's."""
    from brownie import DisputeGame, ForecastMarket, network

    explorer = Explorer(api_url, api_key, network.chain.id)
    out = []
    for container, address in ((ForecastMarket, market.address), (DisputeGame, market.disputeGame())):
        out.append((container._name, address, explorer.publish(address, verification_info(container), echo=echo)))
    return out
