"""Helpers shared by the stage scripts: accounts, network checks, the deployed market.

Brownie style: each stage is `scripts/<stage>.py` with a `main()`; this module is the glue
they share. It knows the chain; it knows nothing of Keras or IPFS.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

from brownie import ForecastMarket, accounts, config, network

LOCAL_NETWORKS = {"development", "anvil", "hardhat", "ganache"}
ROOT = Path(__file__).resolve().parents[1]
DEPLOYMENTS = ROOT / "deployments"


class ChainError(RuntimeError):
    """A chain-side problem a user can fix; the message says how."""


def is_local() -> bool:
    name = network.show_active() or ""
    return name in LOCAL_NETWORKS or name.endswith("-fork")


def get_account(index: int = 0):
    """The signing account: a local unlocked account, or the key in PRIVATE_KEY on live networks."""
    if is_local():
        return accounts[index]
    key = os.environ.get("PRIVATE_KEY") or config["wallets"].get("from_key")
    if not key or key.startswith("${"):
        raise ChainError(
            f"no key to sign with on '{network.show_active()}': set PRIVATE_KEY in .env "
            "(see .env.example)"
        )
    return accounts.add(key)


def _deployment_file() -> Path:
    return DEPLOYMENTS / f"{network.show_active()}.json"


def record_deployment(market) -> Path:
    """Remember the market's address for this network (live networks; local chains are ephemeral)."""
    path = _deployment_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"network": network.show_active(), "chain_id": network.chain.id,
                                "ForecastMarket": market.address}, indent=2) + "\n")
    return path


def get_market(address: str | None = None):
    """The market at `address`, else MARKET_ADDRESS, else the one recorded or deployed here last."""
    address = address or os.environ.get("MARKET_ADDRESS")
    if address:
        return ForecastMarket.at(address)
    if len(ForecastMarket) > 0:
        return ForecastMarket[-1]
    path = _deployment_file()
    if path.is_file():
        return ForecastMarket.at(json.loads(path.read_text())["ForecastMarket"])
    raise ChainError(
        f"no ForecastMarket known on '{network.show_active()}': deploy one with "
        "`brownie run scripts/deploy.py` or pass its address (--market / MARKET_ADDRESS)"
    )
