"""`market report`: a competition as one self-contained HTML page."""
from __future__ import annotations

import sys
from pathlib import Path

import click

from ..settings import settings
from .context import EXIT_MISMATCH, Ctx, on_chain
from .params import COMPETITION_ID


@click.command()
@click.argument("competition_id", type=COMPETITION_ID)
@click.option("--out", "out", type=click.Path(dir_okay=False, writable=True, path_type=Path), default=None,
              help="Where to write the page. Default: $FM_WORK_DIR/competition-<id>/report.html (FM_WORK_DIR: out).")
@click.option("--verify/--no-verify", "run_verify", default=None,
              help="Recompute every posted score (downloads the test set and every revealed model, as "
                   "`market verify` does; exact integer scoring, seconds for a hundred models), report the result "
                   "and draw the forecasts; exit 3 on a mismatch. Default: verify once the test set is revealed; "
                   "--no-verify draws only what the chain holds.")
@click.option("--work-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Folder for the verification's downloads. Default: $FM_WORK_DIR/competition-<id>/verify.")
@on_chain(signs=False)
def report(ctx: Ctx, competition_id, out, run_verify, work_dir):
    """Anyone: write one static HTML page about a competition, to open in a browser or host anywhere.

    \b
    The page shows the terms and deadlines, the leaderboard (ranks, posted scores, what each
    account was credited, failed and forfeited entries), the plots and whether the scores were
    verified. It is one file: the images are inline and it loads nothing from the network.
    """
    from ..report import write_report

    out = out or settings().work_root.resolve() / f"competition-{competition_id}" / "report.html"
    path, verification = write_report(ctx.market(), competition_id, out, verify=run_verify, work_dir=work_dir)
    click.echo(f"report: {path}")
    if verification is not None and not verification.ok:
        sys.exit(EXIT_MISMATCH)
