"""Read-only `market` commands: list, status, leaderboard, mine (web3 only, no brownie), and download."""
from __future__ import annotations

import json
from pathlib import Path

import click

from .context import Ctx, reads
from .output import emit, emit_json, progress, routed
from .params import COMPETITION_ID, Address

json_option = click.option("--json", "as_json", is_flag=True,
                           help="Print JSON for scripts instead of the table (amounts in wei, times in Unix seconds).")


def _show(as_json: bool, view: dict, lines) -> None:
    if as_json:
        emit_json(view)
    else:
        emit("\n".join(lines(view)))


@click.command("list")
@json_option
@reads
def list_(reader, as_json):
    """Anyone: every competition on the market, newest first: phase, reward, metric, entries, and
    what closes next with the time left."""
    from ..show import list_lines
    from ..views import list_view

    with routed(results_only=as_json):
        _show(as_json, list_view(reader), list_lines)


@click.command()
@click.argument("competition_id", type=COMPETITION_ID)
@json_option
@reads
def status(reader, competition_id, as_json):
    """Anyone: one competition in full: phase and time left, terms, deadlines (local time and UTC),
    every entry with its score, prize and withdrawable balance."""
    from ..show import status_lines
    from ..status import status_view

    with routed(results_only=as_json):
        _show(as_json, status_view(reader, competition_id), status_lines)


@click.command()
@click.argument("competition_id", type=COMPETITION_ID)
@json_option
@reads
def leaderboard(reader, competition_id, as_json):
    """Anyone: every entry of a competition: rank, score under the metric's name, prize (or the payout
    credited once it is settled) and status, failed and unrevealed (forfeited) entries included.

    Ranked entries come first in the contract's order, then the other scored ones, then the rest."""
    from ..show import leaderboard_lines
    from ..views import leaderboard_view

    with routed(results_only=as_json):
        _show(as_json, leaderboard_view(reader, competition_id), leaderboard_lines)


def _my_address(reader, ctx: Ctx) -> str:
    """The address --account names, found without unlocking anything: a local chain's account by index,
    a keystore file's address, or PRIVATE_KEY's."""
    from eth_utils import to_checksum_address

    from ..errors import ChainError
    from ..reader import BROWNIE_HOME
    from ..settings import LOCAL_NETWORKS, settings

    spec = ctx.account_spec
    if reader.network_name in LOCAL_NETWORKS:
        accounts = reader.w3.eth.accounts
        index = int(spec) if spec and spec.isdigit() else 0
        if spec and not spec.isdigit() or index >= len(accounts):
            raise ChainError(f"on a local chain, --account is an index from 0 to {len(accounts) - 1}")
        return accounts[index]
    if spec:
        keyfile = BROWNIE_HOME / "accounts" / f"{spec}.json"
        if not keyfile.is_file():
            raise ChainError(f"no account named {spec!r} in brownie's keystore ({keyfile.parent}); or pass --address")
        return to_checksum_address(json.loads(keyfile.read_text())["address"])
    if settings().private_key:
        from eth_account import Account

        return Account.from_key(settings().private_key).address
    raise ChainError("whose entries? pass --address, --account NAME, or set PRIVATE_KEY in .env")


@click.command()
@click.option("--address", type=Address(), default=None,
              help="Show this address's entries instead of the --account's (no key needed).")
@json_option
@click.pass_obj
@reads
def mine(reader, ctx: Ctx, address, as_json):
    """Participant or organizer: your entries and competitions across the market, what to do next and
    by when, and what you can withdraw now (`market settle` collects it)."""
    from ..show import mine_lines
    from ..views import mine_view

    with routed(results_only=as_json):
        _show(as_json, mine_view(reader, address or _my_address(reader, ctx)), mine_lines)


@click.command()
@click.argument("competition_id", type=COMPETITION_ID)
@click.argument("out_dir", type=click.Path(file_okay=False, path_type=Path), required=False)
@reads
def download(reader, competition_id, out_dir):
    """Participant: download a competition's training data alone (to OUT_DIR, default
    $FM_WORK_DIR/competition-<id>/data), checked against its CID on chain and the task's target and horizon.
    Prints the folder."""
    from ..settings import settings
    from ..stages.submission import fetch_training_data

    comp = reader.competition(competition_id)
    work = out_dir.resolve() if out_dir else settings().work_dir(competition_id, "data")
    progress(f"fetching {comp['dataCid']} from IPFS ...")
    df, schema = fetch_training_data(comp, work)
    folder = work / "data" / comp["dataCid"]
    progress(f"{len(df)} rows of {schema.target!r}, {comp['sequenceLength']}-step windows, horizon {comp['horizon']}")
    emit(str(folder))

