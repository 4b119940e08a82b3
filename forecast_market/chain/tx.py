"""Sending transactions: dry-run first, so a transaction that would revert is never mined (and
costs no gas); a revert or a value the ABI cannot encode becomes a ChainError that says what to do."""
from __future__ import annotations

from ..errors import ChainError, one_line
from .reverts import explain_revert


def _not_enough_funds(sender, value: int) -> ChainError:
    from brownie import web3

    return ChainError(f"not enough funds: {sender.address} holds {web3.from_wei(sender.balance(), 'ether')} ETH "
                      f"and this needs {web3.from_wei(value, 'ether')} ETH plus gas; fund the account")


def transact(fn, *args, sender, value: int = 0):
    """Call ``fn(*args)`` from ``sender`` with ``value`` wei: simulated first, then sent."""
    from brownie.exceptions import VirtualMachineError

    tx = {"from": sender, "value": value}
    try:
        fn.call(*args, tx)  # eth_call: the contract's own checks, without a mined revert
        return fn(*args, tx)
    except VirtualMachineError as exc:
        raise ChainError(explain_revert(exc.revert_msg)) from exc
    except (OverflowError, TypeError) as exc:  # brownie's ABI encoder refusing a value
        raise ChainError(one_line(f"a value does not fit the contract's types: {exc}")) from exc
    except ValueError as exc:  # raised by the node before execution, e.g. insufficient funds
        text = str(exc).lower()
        if "insufficient funds" in text or "insufficientfunds" in text:
            raise _not_enough_funds(sender, value) from exc
        raise
