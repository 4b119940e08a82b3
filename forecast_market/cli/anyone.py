"""`market` commands outside the stages: a local node and its clock, deployment, status, audit, demo."""
from __future__ import annotations

import sys
from pathlib import Path

import click

from ..protocol import SCORING_LIMITS
from ..settings import settings
from ..show import when
from .context import EXIT_MISMATCH, Ctx, off_chain, on_chain
from .output import emit, emit_json, progress, routed
from .params import COMPETITION_ID
from .stages import work_dir_option


@click.command()
@click.option("--state", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="File where anvil keeps the chain between runs (default: <data dir>/anvil-state.json).")
@click.option("--port", default=None, show_default="$FM_NODE_PORT or 8545", type=click.IntRange(1, 65535),
              help="Port on 127.0.0.1. Other commands attach to FM_NODE_PORT: set it to the same number.")
@off_chain
def node(state, port):
    """Run a local anvil chain in the foreground; other commands attach to it.

    \b
    The chain (blocks, balances, contracts) and its clock survive a restart: the state is saved
    to --state when the node stops (Ctrl-C, `kill PID`, a closed terminal) and loaded when it
    starts, and the clock goes on from where `market advance` left it, never back. Stopping the
    node always stops anvil with it. One node per port and per state file.
    """
    from ..chain.node import run

    sys.exit(run(port or settings().node_port, state or settings().anvil_state, echo=click.echo))


@click.command()
@on_chain
def deploy(ctx: Ctx):
    """Deploy the ForecastMarket contract and record its address for this network.

    On a live network with ETHERSCAN_TOKEN set, the contract's source is then published to the
    block explorer (FM_EXPLORER_API_URL, default Etherscan). If that fails the deployment stands:
    a warning says why, and `market publish-source` tries again.
    """
    from ..chain import deploy_market, is_local, record_deployment
    from ..errors import ChainError

    market = deploy_market(ctx.account(0))
    path = record_deployment(market)
    emit(f"ForecastMarket {market.address} deployed by {market.tx.sender}")
    emit(f"recorded in {path}")
    if settings().etherscan_token and not is_local():
        try:
            _publish(market)
        except ChainError as exc:
            click.echo(f"warning: the market is deployed, but its source is not published: {exc}", err=True)


@click.command("publish-source")
@on_chain(signs=False)
def publish_source(ctx: Ctx):
    """Publish the market's source, and its dispute game's, to the block explorer (needs ETHERSCAN_TOKEN).

    Sends each contract's source and compiler settings (standard JSON) to the explorer's
    Etherscan-v2-compatible API (FM_EXPLORER_API_URL) and waits for its verdict. `market deploy`
    does this by itself when the token is set; this command retries, or publishes a market
    someone else deployed (--market).
    """
    from ..errors import SettingsError

    if not settings().etherscan_token:
        raise SettingsError("ETHERSCAN_TOKEN is not set: put a block explorer API key in .env (or the environment)")
    _publish(ctx.market())


def _publish(market) -> None:
    from ..chain.explorer import publish_market_source

    for name, address, verdict in publish_market_source(market, settings().etherscan_token,
                                                        settings().explorer_api_url,
                                                        echo=lambda line: click.echo(line, err=True)):
        emit(f"source of {name} {address} on the block explorer: {verdict}")


def _no_tolerance(_ctx, _param, value):
    if value is not None:
        raise click.BadParameter("verify has no tolerance any more: scores are integers that every machine "
                                 "recomputes exactly; run it without --tolerance")


@click.command()
@click.argument("competition_id", type=COMPETITION_ID)
@click.option("--tolerance", hidden=True, expose_value=False, callback=_no_tolerance,
              help="Gone: scores are integers recomputed exactly.")
@work_dir_option
@click.option("--json", "as_json", is_flag=True,
              help="Print JSON for scripts: every check (participant, posted and recomputed scores as integers "
                   "with 6 decimals, match) and whether all matched.")
@on_chain(signs=False)
def verify(ctx: Ctx, competition_id, work_dir, as_json):
    """Anyone: recompute every posted score from chain + IPFS; exit 3 on any mismatch.

    Fetches the revealed test set and every revealed bundle (checked against the digests on chain),
    scores them as the organizer must have (exactly, in fixed-point integers, in resource-limited
    worker processes), and compares the scores and the ranking with what is on chain. A score
    matches only when it is the same integer: there is no tolerance, because every machine computes
    the same integers; this one first checks itself against the reference's golden values (exit 1
    if it does not reproduce them). Progress goes to stderr."""
    from dataclasses import asdict

    from ..audit import verify as run

    with routed(results_only=as_json):
        ok, checks = run(ctx.market(), competition_id, work_dir=work_dir,
                         timeout_s=SCORING_LIMITS.timeout_s, memory_mb=SCORING_LIMITS.memory_mb)
        if as_json:
            emit_json({"competition": competition_id, "ok": ok, "checks": [asdict(c) for c in checks]})
    if not ok:
        sys.exit(EXIT_MISMATCH)


@click.command()
@click.argument("competition_id", type=COMPETITION_ID, required=False)
@click.option("--seconds", type=click.IntRange(min=1), default=None, help="Move the clock forward this much.")
@click.option("--to", "to", type=click.Choice(["reveal", "evaluation", "expiry", "finalize"]), default=None,
              help="Move the clock to the start of COMPETITION_ID's phase: reveal (its submission deadline), "
                   "evaluation (its reveal deadline), expiry (its evaluation deadline) or, for a bonded competition "
                   "once scored, finalize (the end of its challenge window).")
@click.option("--competition", "old_comp_id", type=COMPETITION_ID, default=None, hidden=True,
              help="Deprecated: give the id as the first argument.")
@on_chain
def advance(ctx: Ctx, competition_id, seconds, to, old_comp_id):
    """Local chains only: move block time forward, by --seconds or to a competition's next phase
    (`market advance 3 --to reveal`). COMPETITION_ID defaults to 1."""
    from ..chain import advance_past, competition, is_local, mine_at, now
    from ..errors import ChainError

    if (seconds is None) == (to is None):
        raise click.UsageError("give exactly one of --seconds or --to")
    if old_comp_id is not None:
        progress("--competition is deprecated: write the id first, `market advance ID --to ...`")
    comp_id = competition_id or old_comp_id or 1
    if not is_local():
        raise ChainError("advance moves time only on a local chain")
    if seconds is not None:
        mine_at(now() + seconds)
    else:
        c = competition(ctx.market(), comp_id)
        if to == "finalize" and not c["challengeEnd"]:
            raise ChainError(f"competition {comp_id} has no challenge window running (unbonded, or not fully scored)")
        advance_past({"reveal": c["submissionEnd"], "evaluation": c["revealEnd"], "expiry": c["evaluationEnd"],
                      "finalize": c["challengeEnd"]}[to])
    emit(f"block time is now {now()} ({when(now())})")


@click.command()
@off_chain
def demo():
    """Run a whole competition on a chain of its own (deploy, publish, 3 participants + a copycat, score, pay,
    verify).

    The demo launches a fresh anvil on a free port and stops it at the end: it never touches a
    chain started with `market node`, nor the competitions on it. It writes to $FM_DEMO_DIR (out/demo).
    """
    from ..demo import run, start_own_chain

    start_own_chain()
    run()
