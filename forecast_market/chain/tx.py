"""Sending transactions: dry-run first, so a transaction that would revert is never mined (and
costs no gas); a revert or a value the ABI cannot encode becomes a ChainError that says what to do."""
from __future__ import annotations

from ..errors import ChainError, one_line
from .market import market_abi
from .reverts import explain_revert


def _not_enough_funds(sender, value: int) -> ChainError:
    from brownie import web3

    return ChainError(f"not enough funds: {sender.address} holds {web3.from_wei(sender.balance(), 'ether')} ETH "
                      f"and this needs {web3.from_wei(value, 'ether')} ETH plus gas; fund the account")


def decode_custom_error(abi: list[dict], data: str | bytes) -> str | None:
    """``Name: arg, arg`` (brownie's revert text) for revert data that encodes one of ``abi``'s
    custom errors; None if it encodes none. web3 7 raises ``ContractCustomError`` with only this
    data on live networks, where brownie cannot trace the transaction."""
    from eth_abi import decode
    from eth_utils import keccak

    raw = bytes.fromhex(data.removeprefix("0x")) if isinstance(data, str) else bytes(data)
    for item in abi:
        if item.get("type") != "error":
            continue
        types = [i["type"] for i in item.get("inputs", [])]
        if keccak(text=f"{item['name']}({','.join(types)})")[:4] == raw[:4]:
            try:
                values = decode(types, raw[4:])
            except Exception:  # noqa: BLE001 -- malformed data: not this error
                return None
            return f"{item['name']}: " + ", ".join(str(v).lower() if isinstance(v, str) else str(v) for v in values)
    return None


def _custom_error_text(exc) -> str:
    data = exc.data if isinstance(exc.data, str | bytes) else (exc.data or {}).get("data", "")
    return explain_revert(decode_custom_error(market_abi(), data or "") or f"the transaction reverted ({exc})")


def transact(fn, *args, sender, value: int = 0):
    """Call ``fn(*args)`` from ``sender`` with ``value`` wei: simulated first, then sent."""
    from brownie.exceptions import VirtualMachineError
    from web3.exceptions import ContractCustomError

    tx = {"from": sender, "value": value}
    try:
        fn.call(*args, tx)  # eth_call: the contract's own checks, without a mined revert
        return fn(*args, tx)
    except VirtualMachineError as exc:
        raise ChainError(explain_revert(exc.revert_msg)) from exc
    except ContractCustomError as exc:
        raise ChainError(_custom_error_text(exc)) from exc
    except (OverflowError, TypeError) as exc:  # brownie's ABI encoder refusing a value
        raise ChainError(one_line(f"a value does not fit the contract's types: {exc}")) from exc
    except ValueError as exc:  # raised by the node before execution, e.g. insufficient funds
        text = str(exc).lower()
        if "insufficient funds" in text or "insufficientfunds" in text:
            raise _not_enough_funds(sender, value) from exc
        raise
