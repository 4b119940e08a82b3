"""Every setting the application reads from the environment, in one place.

Modelled on ``ipfs_store.settings``: a pure function of a mapping (``os.environ`` by default)
that returns plain values. ``.env.example`` lists every variable read here; a test checks it.

==================  ======================================================================
FM_DATA_DIR         data folder: keystore, embedded IPFS repo, local chain state and
                    deployments (default ``$XDG_DATA_HOME/forecast-market``, else
                    ``~/.local/share/forecast-market``; computed by ``ipfs_store``)
FM_WORK_DIR         root of per-competition work folders (default ``out``)
FM_DEPLOYMENTS_DIR  where live networks' market records go (default ``deployments/`` in the project)
FM_DEMO_DIR         where ``market demo`` writes (default ``out/demo``)
FM_NETWORK          brownie network (default ``development``, the local anvil chain)
FM_NODE_PORT        port of the local chain on 127.0.0.1: ``market node`` listens there and every
                    command on a local network attaches there (default 8545)
FM_ACCOUNT          who signs on a local chain: an account index
MARKET_ADDRESS      the ForecastMarket contract (default: the one recorded for the network)
PRIVATE_KEY         the key that signs on live networks (when --account names no keystore account)
FM_ACCOUNT_PASSWORD unlocks the --account named in brownie's encrypted keystore
SEPOLIA_RPC_URL     the RPC URL behind the ``sepolia-rpc`` network
ETHERSCAN_TOKEN     a block explorer API key: when set, ``market deploy`` on a live network
                    publishes the contract's source (``market publish-source`` retries)
FM_EXPLORER_API_URL the explorer's Etherscan-v2-compatible API (default Etherscan's)
IPFS_API            a Kubo RPC multiaddr; empty = the embedded node (read by ``ipfs_store``)
FM_IPFS_MAX_BYTES   download size limit (read by ``ipfs_store``)
FM_IPFS_TIMEOUT_S   overall deadline of one download (read by ``ipfs_store``)
OPTUNA_STORAGE      Optuna storage URL for shared tuning (default: SQLite in the work folder)
==================  ======================================================================
"""
from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from ipfs_store import default_data_dir

from .errors import SettingsError

ROOT = Path(__file__).resolve().parents[1]
LOCAL_NETWORKS = frozenset({"development", "anvil", "hardhat", "ganache"})
DEFAULT_NETWORK = "development"
LOCAL_HOST = "127.0.0.1"
DEFAULT_NODE_PORT = 8545
#: Etherscan's API v2: one endpoint for every chain it indexes, chosen by ``chainid``.
DEFAULT_EXPLORER_API = "https://api.etherscan.io/v2/api"


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    work_root: Path
    deployments_dir: Path
    demo_dir: Path
    network: str
    node_port_text: str | None
    account: str | None
    market_address: str | None
    private_key: str | None
    account_password: str | None
    sepolia_rpc_url: str | None
    optuna_storage: str | None
    etherscan_token: str | None = None
    explorer_api_url: str = DEFAULT_EXPLORER_API

    @property
    def node_port(self) -> int:
        """FM_NODE_PORT, checked when a command needs it (a bad value fails that command, in one line)."""
        value = self.node_port_text
        if value is None:
            return DEFAULT_NODE_PORT
        if not value.isdigit() or not 1 <= int(value) <= 65535:
            raise SettingsError(f"FM_NODE_PORT={value!r} is not a TCP port: set a number from 1 to 65535 "
                                f"(default {DEFAULT_NODE_PORT})")
        return int(value)

    @property
    def keystore_dir(self) -> Path:
        return self.data_dir / "keystore"

    @property
    def anvil_state(self) -> Path:
        return self.data_dir / "anvil-state.json"

    def work_dir(self, comp_id: int, role: str) -> Path:
        """Where one role (a participant's address, ``organizer``, ``verify``) works on a competition."""
        return (self.work_root / f"competition-{comp_id}" / role.lower()).resolve()


def _get(env: Mapping[str, str], name: str) -> str | None:
    value = env.get(name, "").strip()
    return value or None


def settings(env: Mapping[str, str] | None = None) -> Settings:
    """The settings in ``env`` (default: ``os.environ``)."""
    env = os.environ if env is None else env
    return Settings(
        data_dir=default_data_dir(env),
        work_root=Path(_get(env, "FM_WORK_DIR") or "out").expanduser(),
        deployments_dir=Path(_get(env, "FM_DEPLOYMENTS_DIR") or ROOT / "deployments").expanduser(),
        demo_dir=Path(_get(env, "FM_DEMO_DIR") or "out/demo").expanduser().resolve(),
        network=_get(env, "FM_NETWORK") or DEFAULT_NETWORK,
        node_port_text=_get(env, "FM_NODE_PORT"),
        account=_get(env, "FM_ACCOUNT"),
        market_address=_get(env, "MARKET_ADDRESS"),
        private_key=_get(env, "PRIVATE_KEY"),
        account_password=_get(env, "FM_ACCOUNT_PASSWORD"),
        sepolia_rpc_url=_get(env, "SEPOLIA_RPC_URL"),
        optuna_storage=_get(env, "OPTUNA_STORAGE"),
        etherscan_token=_get(env, "ETHERSCAN_TOKEN"),
        explorer_api_url=_get(env, "FM_EXPLORER_API_URL") or DEFAULT_EXPLORER_API,
    )


def load_dotenv(path: Path = ROOT / ".env") -> None:
    """Put ``.env``'s values into the environment, without overriding what is set already
    (brownie expands ``$SEPOLIA_RPC_URL`` in its network config from there)."""
    from dotenv import dotenv_values

    if path.is_file():
        for key, value in dotenv_values(path).items():
            if value and key not in os.environ:
                os.environ[key] = value
