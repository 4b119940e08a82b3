"""Connecting to a chain and choosing who signs."""
from __future__ import annotations

import os

from ..errors import ChainError, unknown_network
from ..settings import LOCAL_HOST, LOCAL_NETWORKS, ROOT, load_dotenv, settings
from .node import port_open


def is_local() -> bool:
    from brownie import network

    name = network.show_active() or ""
    return name in LOCAL_NETWORKS or name.endswith("-fork")


def _point_at_port(network_name: str, port: int) -> None:
    """Make brownie's local network attach to (or launch) anvil on ``LOCAL_HOST:port``."""
    from brownie._config import CONFIG

    net = CONFIG.networks[network_name]
    net["host"] = f"http://{LOCAL_HOST}"
    net.setdefault("cmd_settings", {})["port"] = port


def _check_live_settings(network_name: str, needs_key: bool) -> None:
    conf = settings()
    if needs_key and not conf.private_key:
        raise ChainError(f"no key to sign with on '{network_name}': set PRIVATE_KEY in .env (see .env.example)")
    if network_name == "sepolia-rpc" and not conf.sepolia_rpc_url:
        raise ChainError("SEPOLIA_RPC_URL is not set: put your Sepolia RPC URL in .env")


def _check_known(network_name: str) -> None:
    from brownie._config import CONFIG

    if network_name not in CONFIG.networks:
        raise unknown_network(network_name)


def _skip_brownie_deployment_cache() -> None:
    """Neither write nor read brownie's deployment caches on live networks.

    brownie 1.22.2 caches every contract it meets on a live network in its deployments database
    (~/.brownie). In a checkout that has not yet recorded a deployment on that chain (every
    participant's), the write raises ``TypeError: dict object expected; got
    brownie.project.sources.Sources``: in ``Contract.at``, and in a background thread after a deploy.
    It also copies each deployment into build/deployments/<chainid>/ and reloads those files on every
    connect; a contract with immutables (the market keeps its dispute game's address in one) never
    matches the compiled runtime code, so its copy is stored without a pcMap, and brownie then refuses
    to connect at all once that address holds no code (``ContractNotFound``: a restarted test chain,
    a reset testnet). Nothing here reads either cache: the market's record is
    deployments/<network>.json (``record_deployment``)."""
    from brownie.network import contract as module
    from brownie.project import main as project_main

    module._add_deployment = _no_deployment_cache
    module._DeployedContractBase._save_deployment = _no_deployment_cache
    project_main.Project._load_deployments = _no_deployment_cache


def _no_deployment_cache(*args, **kwargs) -> None:
    return None


def connect(network_name: str, *, allow_ephemeral: bool = False, needs_key: bool = True,
            port: int | None = None) -> None:
    """Load the brownie project and connect, unless this process is connected already.

    On a local network, the chain is the one on 127.0.0.1:``port`` (default FM_NODE_PORT, 8545);
    it must be running (``market node``) unless ``allow_ephemeral``: one launched for a single
    command would vanish with it. ``needs_key``: on a live network, refuse at once when no key is
    configured (read-only commands pass False).
    """
    from brownie import network, project

    if network.is_connected():
        return
    load_dotenv()
    _check_known(network_name)
    if network_name not in LOCAL_NETWORKS:
        _check_live_settings(network_name, needs_key)
    else:
        port = port or settings().node_port
        if not allow_ephemeral and not port_open(port):
            raise ChainError(
                f"no local chain is running on {LOCAL_HOST}:{port}, and one launched for this command alone would "
                "vanish with it: start `market node` in another terminal (FM_NODE_PORT sets the port), "
                "or pass --network")
        _point_at_port(network_name, port)
    _skip_brownie_deployment_cache()
    here = os.getcwd()
    os.chdir(ROOT)  # brownie resolves the remapped OpenZeppelin sources relative to the working directory
    try:
        if not project.get_loaded_projects():
            loaded = project.load(ROOT, name="ForecastMarketProject")
            loaded.load_config()
            loaded._add_to_main_namespace()  # as `brownie run` does: `from brownie import ForecastMarket`
        network.connect(network_name)
    finally:
        os.chdir(here)


def _keystore_account(name: str):
    """A named account from brownie's encrypted keystore (``brownie accounts new|import NAME``),
    unlocked with FM_ACCOUNT_PASSWORD (else brownie asks for the password)."""
    from brownie import accounts
    from brownie._config import _get_data_folder

    if not (_get_data_folder() / "accounts" / f"{name}.json").is_file():
        raise ChainError(f"no account named {name!r} in brownie's keystore ({_get_data_folder() / 'accounts'}): "
                         f"create one with `brownie accounts new {name}` or `brownie accounts import {name} FILE`")
    try:
        return accounts.load(name, password=settings().account_password)
    except ValueError as exc:
        raise ChainError(f"cannot unlock the account {name!r}: {exc}; check FM_ACCOUNT_PASSWORD") from exc


def get_account(index: int | str | None = None, *, default_index: int = 0):
    """Who signs: a local chain's account by index (default ``default_index``); on live networks
    a named account from brownie's encrypted keystore, else the key in PRIVATE_KEY."""
    from brownie import accounts, config, network

    if is_local():
        if index is not None and not str(index).isdigit():
            raise ChainError(f"on a local chain, the account is an index such as 0 or 3, not {index!r}")
        i = int(index) if index is not None else default_index
        if i >= len(accounts):
            raise ChainError(f"the local chain has {len(accounts)} accounts (0-{len(accounts) - 1}), not {i}")
        return accounts[i]
    if index is not None:
        if str(index).isdigit():
            raise ChainError(f"on '{network.show_active()}', --account names an account in brownie's keystore "
                             "(`brownie accounts list`), not an index")
        return _keystore_account(str(index))
    key = settings().private_key or config["wallets"].get("from_key")
    if not key or key.startswith("${"):
        raise ChainError(f"no key to sign with on '{network.show_active()}': set PRIVATE_KEY in .env "
                         "(see .env.example)")
    return accounts.add(key)
