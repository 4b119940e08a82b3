"""Option types that turn a mistyped value into one line and exit code 2, never a traceback."""
from __future__ import annotations

from decimal import Decimal, InvalidOperation

import click

WEI_PER_ETHER = 10**18
#: A competition id: ids start at 1 and count competitions (uint64 on chain).
COMPETITION_ID = click.IntRange(min=1, max=2**64 - 1)


class Ether(click.ParamType):
    """An amount in ETH (``1``, ``0.5``, ``1e-3``), converted to wei; ``minimum`` in wei."""

    name = "ETH"

    def __init__(self, *, positive: bool = False):
        self.positive = positive

    def convert(self, value, param, ctx) -> int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        try:
            amount = Decimal(str(value).strip())
        except InvalidOperation:
            self.fail(f"{value!r} is not an amount of ETH; write it like 1 or 0.25", param, ctx)
        if not amount.is_finite() or amount < 0 or (self.positive and amount == 0):
            self.fail(f"{value!r}: give an amount {'above' if self.positive else 'of at least'} 0 ETH", param, ctx)
        wei = amount * WEI_PER_ETHER
        if wei != wei.to_integral_value():
            self.fail(f"{value!r} has more than 18 decimals (the smallest unit is 1 wei = 1e-18 ETH)", param, ctx)
        if wei >= 2**128:
            self.fail(f"{value!r} ETH is more than the contract can hold", param, ctx)
        return int(wei)


class Address(click.ParamType):
    """A 20-byte hex address (0x + 40 hex digits)."""

    name = "ADDRESS"

    def convert(self, value, param, ctx) -> str | None:
        if value is None:
            return None
        from eth_utils import is_address, to_checksum_address

        text = str(value).strip()
        if not is_address(text):
            self.fail(f"{value!r} is not an address: write 0x followed by 40 hex digits", param, ctx)
        return to_checksum_address(text)


class Hours(click.ParamType):
    """A positive number of hours, converted to whole seconds, within the contract's window limits
    (``minimum_s``/``maximum_s``; the rule named in the message is the contract's)."""

    name = "HOURS"

    def __init__(self, *, minimum_s: int = 1, maximum_s: int = 90 * 24 * 3600, what: str = "this window"):
        self.minimum_s, self.maximum_s, self.what = minimum_s, maximum_s, what

    def convert(self, value, param, ctx) -> int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        try:
            hours = float(value)
        except (TypeError, ValueError):
            self.fail(f"{value!r} is not a number of hours", param, ctx)
        if not 0 < hours < 1e6:
            self.fail(f"{value!r}: give a positive number of hours", param, ctx)
        seconds = int(round(hours * 3600))
        if not self.minimum_s <= seconds <= self.maximum_s:
            low = f"at least {self.minimum_s / 3600:g} hour(s)" if self.minimum_s > 1 else "more than 0 hours"
            self.fail(f"{value!r}: {self.what} must be {low} and at most {self.maximum_s // 3600:,} hours "
                      f"({self.maximum_s // 86400} days), the contract's limits", param, ctx)
        return seconds
