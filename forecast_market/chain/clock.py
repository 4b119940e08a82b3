"""A local chain's clock (anvil/hardhat RPC), for the stages, the demo and the tests.

Brownie's ``chain.mine(timestamp=...)`` sends a request anvil rejects, and ``chain.time()``
drifts from block time once the clock is moved; these helpers speak the RPC directly and read
time from the latest block.
"""
from __future__ import annotations

from ..errors import ChainError


def _rpc(method: str, params: list) -> object:
    from brownie import web3

    response = web3.provider.make_request(method, params)
    if "error" in response:
        raise ChainError(f"{method} failed: {response['error']}")
    return response.get("result")


def now() -> int:
    """Timestamp of the latest block."""
    from brownie import web3

    return int(web3.eth.get_block("latest")["timestamp"])


def set_next_block_time(timestamp: int) -> None:
    """The next block (e.g. the next transaction's) gets exactly this timestamp."""
    _rpc("evm_setNextBlockTimestamp", [int(timestamp)])


def mine_at(timestamp: int) -> None:
    """Mine one empty block at exactly ``timestamp`` (later than the latest block)."""
    set_next_block_time(timestamp)
    _rpc("evm_mine", [])


def advance_past(deadline: int) -> None:
    """Mine a block at ``deadline`` (or do nothing if the chain is already past it)."""
    if now() < deadline:
        mine_at(deadline)
