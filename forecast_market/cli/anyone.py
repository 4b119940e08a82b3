"""`market` commands outside the stages: a local node and its clock, deployment, status, audit, demo."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import click

from ..protocol import SCORING_LIMITS
from ..settings import LOCAL_RPC, ROOT, settings
from ..show import when
from .context import EXIT_MISMATCH, Ctx, on_chain
from .output import emit, emit_json, progress, routed
from .params import COMPETITION_ID
from .stages import work_dir_option


@click.command()
@click.option("--state", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="File where anvil keeps the chain between runs (default: <data dir>/anvil-state.json).")
@click.option("--port", default=LOCAL_RPC[1], show_default=True, type=click.IntRange(1, 65535),
              help="TCP port of the chain's JSON-RPC; the other commands look for it on 8545.")
def node(state, port):
    """Run a local anvil chain in the foreground; other commands attach to it.

    The chain state is saved to --state when the node stops and loaded when it starts again.
    """
    state = state or settings().anvil_state
    state.parent.mkdir(parents=True, exist_ok=True)
    cmd = [str(ROOT / ".venv" / "bin" / "anvil"), "--port", str(port), "--accounts", "10", "--balance", "1000",
           "--block-base-fee-per-gas", "0", "--gas-limit", "30000000", "--state", str(state)]
    click.echo(f"anvil on 127.0.0.1:{port}, state in {state} (Ctrl-C to stop)")
    sys.exit(subprocess.call(cmd))


@click.command()
@on_chain
def deploy(ctx: Ctx):
    """Deploy the ForecastMarket contract and record its address for this network."""
    from ..chain import deploy_market, record_deployment

    market = deploy_market(ctx.account(0))
    path = record_deployment(market)
    emit(f"ForecastMarket {market.address} deployed by {market.tx.sender}")
    emit(f"recorded in {path}")


@click.command()
@click.argument("competition_id", type=COMPETITION_ID)
@click.option("--tolerance", default=1e-5, show_default=True, type=click.FloatRange(min=0),
              help="Largest difference (metric units) still counted as a match; floating point can differ "
                   "across CPUs.")
@work_dir_option
@click.option("--json", "as_json", is_flag=True,
              help="Print JSON for scripts: every check (participant, posted and recomputed scores as integers "
                   "with 6 decimals, match) and whether all matched.")
@on_chain(signs=False)
def verify(ctx: Ctx, competition_id, tolerance, work_dir, as_json):
    """Anyone: recompute every posted score from chain + IPFS; exit 3 on any mismatch.

    Fetches the revealed test set and every revealed bundle (checked against the digests on chain),
    scores each in its own resource-limited process as the organizer must have, and compares the
    scores and the ranking with what is on chain. Progress goes to stderr."""
    from dataclasses import asdict

    from ..audit import verify as run

    with routed(results_only=as_json):
        ok, checks = run(ctx.market(), competition_id, work_dir=work_dir, tolerance=tolerance,
                         timeout_s=SCORING_LIMITS.timeout_s, memory_mb=SCORING_LIMITS.memory_mb)
        if as_json:
            emit_json({"competition": competition_id, "ok": ok, "checks": [asdict(c) for c in checks]})
    if not ok:
        sys.exit(EXIT_MISMATCH)


@click.command()
@click.argument("competition_id", type=COMPETITION_ID, required=False)
@click.option("--seconds", type=click.IntRange(min=1), default=None, help="Move the clock forward this much.")
@click.option("--to", "to", type=click.Choice(["reveal", "evaluation", "expiry"]), default=None,
              help="Move the clock to the start of COMPETITION_ID's phase: reveal (its submission deadline), "
                   "evaluation (its reveal deadline) or expiry (its evaluation deadline).")
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
        advance_past({"reveal": c["submissionEnd"], "evaluation": c["revealEnd"], "expiry": c["evaluationEnd"]}[to])
    emit(f"block time is now {now()} ({when(now())})")


@click.command()
@on_chain(ephemeral=True)
def demo(ctx: Ctx):
    """Run a whole competition locally (deploy, publish, 3 participants + a copycat, score, pay, verify)."""
    from ..demo import run

    run()
