"""Sending transactions: dry-run first, so a transaction that would revert is never mined (and
costs no gas); a revert or a value the ABI cannot encode becomes a ChainError that says what to do."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

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


class NonceClash(ChainError):
    """The node refused a transaction because another one from the same key holds its nonce."""


#: What nodes say about nonces and fees (lower case), and the line a user can act on.
NODE_ERRORS = (
    (("replacement transaction underpriced", "already known", "already imported", "nonce too low",
      "nonce too high"),
     "another transaction from {sender} is pending or was just mined (a nonce clash): two commands that "
     "sign with one key must not run at the same time; wait for the other one, then run this again"),
    (("max fee per gas less than block base fee", "fee cap less than block base fee", "transaction underpriced",
      "intrinsic gas too low"),
     "the node refused the fee offered for {sender}'s transaction (the network's fees moved): run the "
     "command again"),
)


def _node_error(exc: Exception, sender, value: int) -> ChainError | None:
    """A one-line ChainError for what a node says before executing a transaction, if it is known."""
    text = str(exc).lower()
    if "insufficient funds" in text or "insufficientfunds" in text:
        return _not_enough_funds(sender, value)
    for needles, line in NODE_ERRORS:
        if any(n in text for n in needles):
            kind = NonceClash if "replacement transaction underpriced" in text else ChainError
            return kind(line.format(sender=sender.address))
    return None


@contextmanager
def explained(sender, value: int = 0) -> Iterator[None]:
    """Turn what can go wrong sending a transaction from ``sender`` into a one-line ChainError:
    a revert (brownie's or web3's custom-error data), a value the ABI cannot encode, a node's
    refusal (funds, nonce, fees). Anything else passes through."""
    from brownie.exceptions import RPCRequestError, VirtualMachineError
    from web3.exceptions import ContractCustomError

    try:
        yield
    except VirtualMachineError as exc:
        raise ChainError(explain_revert(exc.revert_msg)) from exc
    except ContractCustomError as exc:
        raise ChainError(_custom_error_text(exc)) from exc
    except (OverflowError, TypeError) as exc:  # brownie's ABI encoder refusing a value
        raise ChainError(one_line(f"a value does not fit the contract's types: {exc}")) from exc
    except (ValueError, RPCRequestError) as exc:  # the node refused it before execution
        known = _node_error(exc, sender, value)
        if known is None:
            raise
        raise known from exc


#: How often a transaction is re-sent with a fresh nonce after a nonce clash.
CLASH_ATTEMPTS = 3


def send(submit, sender, value: int = 0):
    """``submit(tx_params)`` (a brownie call or deploy) from ``sender`` with ``value`` wei.

    On live networks the nonce is the account's *pending* transaction count, so a command signing
    with a key whose other transaction waits in the pool (another command, another machine) takes
    the next nonce instead of trying to replace that one. When two commands still pick one nonce
    at the same moment, the node refuses the later one ("replacement transaction underpriced"),
    which was therefore never sent: it is re-sent with a fresh nonce, up to CLASH_ATTEMPTS times.
    """
    import time

    from brownie import web3

    from .network import is_local

    for attempt in range(1, CLASH_ATTEMPTS + 1):
        params = {"from": sender, "value": value}
        if not is_local():
            # brownie's own choice (its history of this process's transactions: nodes can report a
            # receipt before the account's count moves), unless the pool holds more from this key
            params["nonce"] = max(sender._pending_nonce(), web3.eth.get_transaction_count(sender.address, "pending"))
        try:
            with explained(sender, value):
                return submit(params)
        except NonceClash:
            if attempt == CLASH_ATTEMPTS:
                raise
            time.sleep(0.5 * attempt)


def transact(fn, *args, sender, value: int = 0):
    """Call ``fn(*args)`` from ``sender`` with ``value`` wei: simulated first, then sent."""
    with explained(sender, value):
        fn.call(*args, {"from": sender, "value": value})  # eth_call: the contract's own checks, no mined revert
    return send(lambda params: fn(*args, params), sender, value)
