"""The deployed market: finding it, and reading competitions, submissions and events from it."""
from __future__ import annotations

import json
from pathlib import Path

from ..errors import ChainError
from ..protocol import Phase, Status
from ..settings import ROOT, settings
from .network import is_local
from .reverts import explain_revert


def deployment_file() -> Path:
    """Live networks: deployments/<network>.json (worth committing). Local chains: in the data
    folder beside the chain state, since they live and die with it."""
    from brownie import network

    folder = settings().data_dir / "deployments" if is_local() else settings().deployments_dir
    return folder / f"{network.show_active()}.json"


def record_deployment(market) -> Path:
    """Remember the market's address for this network."""
    from brownie import network

    path = deployment_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"network": network.show_active(), "chain_id": network.chain.id,
                                "ForecastMarket": market.address, "block": market.tx.block_number},
                               indent=2) + "\n")
    return path


def deploy_market(account):
    """Deploy a ForecastMarket from ``account``; returns the contract."""
    from brownie import ForecastMarket, network

    from .tx import send

    market = send(lambda params: ForecastMarket.deploy(params, publish_source=False), account)
    print(f"ForecastMarket deployed at {market.address} on '{network.show_active()}' "
          f"(chain id {network.chain.id}) by {account.address}; gas used {market.tx.gas_used:,}")
    return market


def get_market(address: str | None = None):
    """The market at ``address``, else MARKET_ADDRESS, else the one recorded or deployed here last."""
    from brownie import ForecastMarket  # present once the project is loaded

    address = address or settings().market_address
    if address:
        return ForecastMarket.at(_contract_address(address))
    if len(ForecastMarket) > 0:
        return ForecastMarket[-1]
    path = deployment_file()
    if path.is_file():
        return ForecastMarket.at(_contract_address(json.loads(path.read_text())["ForecastMarket"]))
    from brownie import network

    raise ChainError(f"no ForecastMarket known on '{network.show_active()}': deploy one with `market deploy` "
                     "(or `brownie run scripts/deploy.py`) or pass its address (--market / MARKET_ADDRESS)")


ABI_FILE = ROOT / "abi" / "ForecastMarket.json"


def market_abi() -> list[dict]:
    """The market's ABI, from the committed artifact (kept in sync with the contract by a test)."""
    return json.loads(ABI_FILE.read_text())


def _contract_address(address: str, w3=None, network_name: str | None = None) -> str:
    """``address`` checksummed, if a contract is deployed there; else a ChainError saying what to check.
    ``w3``: a web3 connected to ``network_name`` (default: brownie's)."""
    from eth_utils import is_address, to_checksum_address

    if w3 is None:
        from brownie import network, web3

        w3, network_name = web3, network.show_active()
    if not is_address(str(address)):
        raise ChainError(f"{address!r} is not an address: write 0x followed by 40 hex digits (--market / MARKET_ADDRESS)")
    address = to_checksum_address(str(address))
    if not w3.eth.get_code(address):
        raise ChainError(f"there is no contract at {address} on '{network_name}': check --market / "
                         "MARKET_ADDRESS and --network")
    return address


def competition(market, comp_id: int) -> dict:
    """A competition's parameters and phase (a :class:`Phase`) as plain Python values."""
    from brownie.exceptions import VirtualMachineError

    try:
        c = market.competition(comp_id)
    except (VirtualMachineError, ValueError) as exc:
        reason = getattr(exc, "revert_msg", None) or f"UnknownCompetition: {comp_id}"
        raise ChainError(explain_revert(reason)) from exc
    out = {k: (int(v) if isinstance(v, int) and not isinstance(v, bool) else v) for k, v in c.dict().items()}
    out["id"] = comp_id
    out["prizeBps"] = [int(b) for b in c["prizeBps"]][: out["prizeCount"]]
    out["testCommitment"] = str(c["testCommitment"])
    out["phase"] = Phase(int(market.phase(comp_id)))
    return out


def submission_status(market, comp_id: int, participant: str) -> Status:
    return Status(int(market.submission(comp_id, participant)["status"]))


#: Blocks per ``eth_getLogs`` request: hosted RPC providers cap the range of one query.
LOG_CHUNK = 5_000


def deployment_block(market) -> int:
    """The block the market was deployed in, when known (this process deployed it, or the deployment
    record has it); else 0."""
    tx = getattr(market, "tx", None)
    if tx is not None and getattr(tx, "block_number", None) is not None:
        return int(tx.block_number)
    path = deployment_file()
    if path.is_file():
        record = json.loads(path.read_text())
        if str(record.get("ForecastMarket", "")).lower() == market.address.lower():
            return int(record.get("block", 0))
    return 0


#: Words with which providers refuse an eth_getLogs range or result that is too large.
_TOO_WIDE = ("range", "too many", "more than", "limit", "exceed", "too large")


def _logs(event, low: int, high: int, filters: dict, attempts: int = 3) -> list:
    """One eth_getLogs over [low, high]; a refused range is split in two, a transient failure retried."""
    import time

    from web3.exceptions import Web3RPCError

    for attempt in range(attempts):
        try:
            return event.get_logs(from_block=low, to_block=high, argument_filters=filters)
        except (ConnectionError, TimeoutError, OSError) as exc:
            if attempt == attempts - 1:
                raise ChainError(f"reading events failed {attempts} times: {exc}; check the RPC URL") from exc
            time.sleep(0.5 * 2**attempt)
        except (Web3RPCError, ValueError) as exc:  # a JSON-RPC error
            if high <= low or not any(w in str(exc).lower() for w in _TOO_WIDE):
                raise
            middle = (low + high) // 2
            return _logs(event, low, middle, filters) + _logs(event, middle + 1, high, filters)
    return []


def events(market, name: str, comp_id: int | None = None, *, chunk: int = LOG_CHUNK, **filters) -> list[dict]:
    """All ``name`` events of competition ``comp_id`` (None: of every competition) matching the
    indexed ``filters``, oldest first, queried from the market's deployment block in ranges of
    ``chunk`` blocks (halved where a provider refuses a range; retried on transient failures)."""
    from brownie import web3

    event = getattr(market.events, name)
    start, end = deployment_block(market), web3.eth.block_number
    if comp_id is not None:
        filters["id"] = comp_id
    out = []
    for low in range(start, end + 1, chunk):
        logs = _logs(event, low, min(end, low + chunk - 1), filters)
        out += [dict(log["args"]) | {"blockNumber": log["blockNumber"]} for log in logs]
    return out


def revealed_submissions(market, comp_id: int) -> list[dict]:
    """Revealed submissions: participant, modelCid, modelSha256 and weightsRoot (hex, no 0x), commit order, status."""
    out = []
    for ev in events(market, "Revealed", comp_id):
        who = ev["participant"]
        sub = market.submission(comp_id, who)
        out.append({"participant": who, "modelCid": ev["modelCid"], "modelSha256": bytes(ev["modelSha256"]).hex(),
                    "order": int(sub["order"]), "status": Status(int(sub["status"])),
                    "weightsRoot": bytes(market.weightsRootOf(comp_id, who)).hex()})
    return out


def posted_scores(market, comp_id: int) -> dict[str, int]:
    return {ev["participant"]: int(ev["score"]) for ev in events(market, "ScorePosted", comp_id)}
