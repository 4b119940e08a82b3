"""Reading the market without brownie: web3 and the committed ABI (abi/ForecastMarket.json).

Read-only commands (`market list`, `status`, `leaderboard`, `mine`) connect through this module:
loading brownie's project and network costs 2-4 s, a plain web3 HTTP provider a fraction of that.
Inside a process where brownie is already connected (the stages, the tests, a brownie script),
:func:`reader_for` reuses brownie's web3 connection instead.

Events are read from the market's deployment block in ranges (:data:`LOG_CHUNK`), split further
where a provider refuses a range, as :mod:`forecast_market.chain.market` does.
"""
from __future__ import annotations

import json
import os
import sys
from functools import cached_property
from pathlib import Path

from .chain.market import ABI_FILE, LOG_CHUNK, _contract_address, _logs, market_abi
from .chain.reverts import explain_revert
from .errors import ChainError, unknown_network
from .protocol import Phase, Status
from .settings import LOCAL_HOST, LOCAL_NETWORKS, load_dotenv, settings

#: Where brownie keeps its network list and keystore.
BROWNIE_HOME = Path.home() / ".brownie"


def _brownie_networks() -> dict[str, dict]:
    """brownie's networks by id (``~/.brownie/network-config.yaml``), without loading brownie."""
    import yaml

    path = BROWNIE_HOME / "network-config.yaml"
    if not path.is_file():
        return {name: {"host": f"http://{LOCAL_HOST}", "port": settings().node_port} for name in LOCAL_NETWORKS}
    config = yaml.load(path.read_text(), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)) or {}
    found = {n["id"]: n for n in config.get("development", [])}
    for chain in config.get("live", []):
        found |= {n["id"]: n for n in chain.get("networks", [])}
    return found


def rpc_url(network_name: str) -> str:
    """The JSON-RPC URL of a brownie network; a ChainError naming the fix when it has none."""
    if network_name in LOCAL_NETWORKS:  # no need to parse brownie's long network list; FM_NODE_PORT says where
        return f"http://{LOCAL_HOST}:{settings().node_port}"
    networks = _brownie_networks()
    if network_name not in networks:
        raise unknown_network(network_name)
    net = networks[network_name]
    load_dotenv()
    host = os.path.expandvars(str(net.get("host", "")))
    if not host or "$" in host:
        variable = "SEPOLIA_RPC_URL" if network_name == "sepolia-rpc" else host
        raise ChainError(f"{variable} is not set: put the RPC URL of '{network_name}' in .env")
    return host


def deployment_path(network_name: str) -> Path:
    """Where `market deploy` recorded the market of ``network_name`` (see chain.market.deployment_file)."""
    local = network_name in LOCAL_NETWORKS or network_name.endswith("-fork")
    folder = settings().data_dir / "deployments" if local else settings().deployments_dir
    return folder / f"{network_name}.json"


def _brownie_web3():
    """brownie's web3, when this process has already connected brownie; else None."""
    if "brownie" not in sys.modules:
        return None
    from brownie import network, web3

    return web3 if network.is_connected() else None


class Reader:
    """Read calls and events of one ForecastMarket."""

    def __init__(self, w3, address: str, start_block: int = 0, network_name: str = ""):
        self.w3, self.address, self.start_block, self.network_name = w3, address, int(start_block), network_name
        self.contract = w3.eth.contract(address=address, abi=market_abi())

    # ---------------------------------------------------------------- calls
    def call(self, name: str, *args, sender: str | None = None):
        from web3.exceptions import ContractCustomError, ContractLogicError

        from .chain.tx import decode_custom_error

        try:
            return getattr(self.contract.functions, name)(*args).call({"from": sender} if sender else {})
        except ContractCustomError as exc:
            data = exc.data if isinstance(exc.data, str | bytes) else ""
            raise ChainError(explain_revert(decode_custom_error(market_abi(), data) or str(exc))) from exc
        except ContractLogicError as exc:
            raise ChainError(explain_revert(str(exc))) from exc
        except ValueError as exc:  # brownie's web3 passes the node's error on as it came
            error = exc.args[0] if exc.args and isinstance(exc.args[0], dict) else None
            if error is None or "data" not in error:
                raise
            raise ChainError(explain_revert(decode_custom_error(market_abi(), error["data"]) or error.get("message")
                                            )) from exc

    def would_succeed(self, name: str, *args, sender: str) -> bool:
        """Whether ``sender`` calling ``name(*args)`` would go through now (simulated, never sent)."""
        try:
            self.call(name, *args, sender=sender)
        except ChainError:
            return False
        return True

    @cached_property
    def _struct_names(self) -> dict[str, list[str]]:
        return {i["name"]: [c["name"] for c in i["outputs"][0].get("components", [])]
                for i in market_abi() if i.get("type") == "function" and i.get("outputs")}

    def now(self) -> int:
        """Timestamp of the latest block: the chain's clock."""
        return int(self.w3.eth.get_block("latest")["timestamp"])

    def count(self) -> int:
        return int(self.call("competitionCount"))

    def competition(self, comp_id: int) -> dict:
        """A competition as plain values, its phase a :class:`Phase` (as chain.market.competition)."""
        if not 1 <= comp_id <= self.count():
            raise ChainError(explain_revert(f"UnknownCompetition: {comp_id}"))
        raw = self.call("competition", comp_id)
        out = dict(zip(self._struct_names["competition"], raw, strict=True))
        out = {k: (int(v) if isinstance(v, int) and not isinstance(v, bool) else v) for k, v in out.items()}
        out["id"] = comp_id
        out["prizeBps"] = [int(b) for b in out["prizeBps"]][: out["prizeCount"]]
        out["testCommitment"] = "0x" + bytes(out["testCommitment"]).hex()
        out["phase"] = Phase(int(self.call("phase", comp_id)))
        return out

    def submission(self, comp_id: int, who: str) -> dict:
        seal, order, status = self.call("submission", comp_id, who)
        return {"order": int(order), "status": Status(int(status))}

    def ranking(self, comp_id: int) -> list[dict]:
        return [{"participant": str(p), "score": int(s), "order": int(o)} for p, s, o in self.call("ranking", comp_id)]

    def balance(self, who: str) -> int:
        return int(self.call("balanceOf", who))

    # ---------------------------------------------------------------- events
    def events(self, name: str, comp_id: int | None = None, **filters) -> list[dict]:
        """All ``name`` events (of one competition, or all) matching the indexed ``filters``, oldest first."""
        event = getattr(self.contract.events, name)
        end = self.w3.eth.block_number
        if comp_id is not None:
            filters["id"] = comp_id
        out = []
        for low in range(self.start_block, end + 1, LOG_CHUNK):
            logs = _logs(event, low, min(end, low + LOG_CHUNK - 1), filters)
            out += [dict(log["args"]) | {"blockNumber": log["blockNumber"]} for log in logs]
        return out


    def weights_requests(self, comp_id: int) -> list[dict]:
        """Every weights request of a bonded competition (docs/FRAUD_PROOFS.md, "Posted failures"): participant,
        deadline, leaves published of total, complete, and ``pending`` (neither complete nor past its deadline)."""
        import json

        abi = json.loads((ABI_FILE.parent / "DisputeGame.json").read_text())
        game = self.w3.eth.contract(address=self.call("disputeGame"), abi=abi)
        end, now, out = self.w3.eth.block_number, self.now(), []
        for low in range(self.start_block, end + 1, LOG_CHUNK):
            for log in _logs(game.events.WeightsRequested, low, min(end, low + LOG_CHUNK - 1), {"id": comp_id}):
                who = str(log["args"]["participant"])
                deadline, published, total, _, _, complete, _ = game.functions.weightsRequest(comp_id, who).call()
                out.append({"participant": who, "deadline": int(deadline), "published": int(published),
                            "total": int(total), "complete": bool(complete),
                            "pending": not complete and now < int(deadline)})
        return out


def reader_for(market) -> Reader:
    """A Reader over a brownie contract, through brownie's own connection."""
    from brownie import network, web3

    from .chain.market import deployment_block

    return Reader(web3, market.address, deployment_block(market), network.show_active() or "")


def open_reader(network_name: str, market_address: str | None = None) -> Reader:
    """A Reader for the market on ``network_name``: ``market_address``, else MARKET_ADDRESS, else the one
    `market deploy` recorded. Reuses brownie's connection when this process has one."""
    w3 = _brownie_web3()
    if w3 is None:
        from web3 import HTTPProvider, Web3

        url = rpc_url(network_name)
        w3 = Web3(HTTPProvider(url, request_kwargs={"timeout": 30}))
        try:
            w3.eth.chain_id  # noqa: B018 -- the first request: is anything there?
        except (OSError, ConnectionError) as exc:
            if network_name in LOCAL_NETWORKS:
                raise ChainError(f"no local chain is running on {url.removeprefix('http://')}: start `market node` "
                                 "in another terminal (FM_NODE_PORT sets the port), or pass --network") from exc
            raise ChainError(f"cannot reach the chain at {url}: check the RPC URL in .env and --network") from exc
    else:  # brownie connected: its network, and the market it deployed last
        from brownie import network

        network_name = network.show_active() or network_name
    address = market_address or settings().market_address
    start = 0
    record = deployment_path(network_name)
    if record.is_file():
        saved = json.loads(record.read_text())
        if address is None or str(saved.get("ForecastMarket", "")).lower() == address.lower():
            address, start = saved["ForecastMarket"], int(saved.get("block", 0))
    if address is None and "brownie" in sys.modules:
        from .chain import get_market

        return reader_for(get_market())
    if address is None:
        raise ChainError(f"no ForecastMarket known on '{network_name}': deploy one with `market deploy` "
                         "or pass its address (--market / MARKET_ADDRESS)")
    return Reader(w3, _contract_address(address, w3, network_name), start, network_name)
