"""What every `market` command shares: the global options, connecting, and one error policy.

:func:`on_chain` plays the part of Flask's ``with_appcontext``: it connects to the chain the
global options name, runs the command, and turns every error a user can act on into one line
and exit code 1.
"""
from __future__ import annotations

import functools
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import click

EXIT_MISMATCH = 3


class Ctx:
    """The global options (``--network``, ``--market``, ``--account``) and what they select."""

    def __init__(self, network_name: str, market: str | None, account: str | None):
        self.network_name, self.market_address, self.account_spec = network_name, market, account

    def reader(self):
        """Read-only access through web3 alone (no brownie project to load): see forecast_market.reader."""
        from ..reader import open_reader

        return open_reader(self.network_name, self.market_address)

    def connect(self, *, allow_ephemeral: bool = False, needs_key: bool = True) -> None:
        from ..chain import connect

        # a named keystore account (--account) signs instead of PRIVATE_KEY
        connect(self.network_name, allow_ephemeral=allow_ephemeral,
                needs_key=needs_key and self.account_spec is None)

    def market(self):
        from ..chain import get_market

        return get_market(self.market_address)

    def account(self, default_index: int = 0):
        """The signing account: ``--account`` (an index on a local chain, a keystore name on live
        networks), else ``default_index`` locally and the key in PRIVATE_KEY on live networks."""
        from brownie import accounts

        from ..chain import get_account, is_local

        spec = self.account_spec
        if is_local() and spec is not None:
            if not spec.isdigit():
                raise click.BadParameter("on a local chain, --account is an index such as 0 or 3",
                                         param_hint="--account")
            if int(spec) >= len(accounts):
                raise click.BadParameter(f"the local chain has {len(accounts)} accounts (0-{len(accounts) - 1})",
                                         param_hint="--account")
        return get_account(spec, default_index=default_index)


@contextmanager
def one_line_errors() -> Iterator[None]:
    """Errors a user can act on become one line (click prints ``Error: ...``) and exit code 1.
    Output is routed as :mod:`.output` describes: stdout carries only the application's lines."""
    from ipfs_store import StorageError
    from ml_models.errors import MLError

    from ..errors import AppError, ProblemsError, one_line
    from .output import routed

    try:
        with routed():
            yield
    except ProblemsError as exc:  # one line per problem
        raise click.ClickException("\n".join([one_line(exc.what) + ":"] + [f"  - {p}" for p in exc.problems])) from exc
    except (AppError, StorageError, MLError) as exc:
        raise click.ClickException(one_line(exc)) from exc
    except ConnectionError as exc:
        raise click.ClickException(one_line(f"cannot reach the chain: {exc}; check --network and the RPC URL "
                                            "in .env")) from exc
    except Exception as exc:
        if "brownie" in sys.modules:  # loaded by commands that sign; read-only ones never load it
            from brownie.exceptions import VirtualMachineError

            from ..chain import explain_revert

            if isinstance(exc, VirtualMachineError):
                raise click.ClickException(one_line(explain_revert(exc.revert_msg))) from exc
        raise


def on_chain(f: Callable | None = None, *, ephemeral: bool = False, signs: bool = True) -> Callable:
    """Decorate a command that needs the chain: it receives the connected :class:`Ctx` first.

    ``ephemeral``: on the local network, launch a chain for this command alone if none runs.
    ``signs``: the command sends transactions, so a live network needs a key (False: read-only).
    """
    def decorate(fn: Callable) -> Callable:
        @click.pass_obj
        @functools.wraps(fn)
        def wrapper(ctx: Ctx, *args, **kwargs):
            with one_line_errors():
                ctx.connect(allow_ephemeral=ephemeral, needs_key=signs)
                return fn(ctx, *args, **kwargs)

        return wrapper

    return decorate(f) if f is not None else decorate


def reads(fn: Callable) -> Callable:
    """Decorate a read-only command: it receives a :class:`~forecast_market.reader.Reader` first
    (web3 only, no brownie), with the same one-line errors."""
    @click.pass_obj
    @functools.wraps(fn)
    def wrapper(ctx: Ctx, *args, **kwargs):
        with one_line_errors():
            return fn(ctx.reader(), *args, **kwargs)

    return wrapper


def off_chain(fn: Callable) -> Callable:
    """Decorate a command that does not touch the chain: the same one-line errors."""
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        with one_line_errors():
            return fn(*args, **kwargs)

    return wrapper
