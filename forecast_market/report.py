"""`market report ID`: one static HTML page per competition that a person can open or host.

The page holds the competition's terms and deadlines, the leaderboard (ranks, posted scores,
payouts, failed and forfeited entries), the plots as inline ``data:`` images and the verification
status. It is self-contained: no script, no stylesheet, image or font fetched from anywhere
(a Content-Security-Policy says so to the browser). Everything read from the chain or IPFS is
escaped: names, CIDs and failure reasons are chosen by strangers.
"""
from __future__ import annotations

import base64
import html
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from . import plots
from .chain import competition, events, posted_scores
from .protocol import SCORE_SCALE, is_failure
from .scoring import Row

SHOWN = {"ranked": "ranked (prize)", "scored": "scored, no prize"}
CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"


def standing(market, comp_id: int) -> dict:
    """From the chain: the contract's ranking (addresses, best first), the wei credited to each
    account by this competition (prizes and deposits back), and who committed but never revealed."""
    ranked = [str(r["participant"]) for r in market.ranking(comp_id)]
    payouts: dict[str, int] = {}
    for ev in events(market, "Credited", comp_id):
        payouts[str(ev["account"])] = payouts.get(str(ev["account"]), 0) + int(ev["amount"])
    committed = [str(e["participant"]) for e in events(market, "Committed", comp_id)]
    revealed = {str(e["participant"]) for e in events(market, "Revealed", comp_id)}
    return {"ranked": ranked, "payouts": payouts, "forfeited": [a for a in committed if a not in revealed]}


def posted_rows(market, comp: dict) -> list[Row]:
    """The posted scores as rows, ranked best first (failures last), for the leaderboard."""
    from .protocol import ranked

    orders = {str(e["participant"]): int(e["order"]) for e in events(market, "Committed", comp["id"])}
    rows = []
    for who, score in posted_scores(market, comp["id"]).items():
        row = Row(str(who), "", "", orders.get(str(who), 0), score_int=score)
        if is_failure(score):
            row.fail("the organizer posted it as failed")
        else:
            row.ok, row.score = True, score / SCORE_SCALE
        rows.append(row)
    return ranked(rows, comp["higherIsBetter"])


@dataclass
class Verification:
    """What ``market verify`` found (None: not checked for this report)."""

    confirmed: int = 0
    total: int = 0
    ok: bool | None = None
    mismatches: list[str] = field(default_factory=list)


def _data_uri(path: Path) -> str:
    return "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode("ascii")


def _when(ts: int) -> str:
    return datetime.fromtimestamp(int(ts), tz=UTC).strftime("%Y-%m-%d %H:%M UTC")


def _e(value) -> str:
    return html.escape(str(value), quote=True)


def _terms(comp: dict, metric_name: str, chain_now: int) -> str:
    eth = 10**18
    deadlines = [("submissions close", comp["submissionEnd"]), ("reveals close", comp["revealEnd"]),
                 ("evaluation closes", comp["evaluationEnd"])]
    rows = [("phase", str(comp["phase"])), ("organizer", comp["organizer"]),
            ("reward", f"{comp['reward'] / eth:g} ETH"), ("entry deposit", f"{comp['entryDeposit'] / eth:g} ETH"),
            ("prizes", " / ".join(f"{b / 100:g}%" for b in comp["prizeBps"])),
            ("task", f"forecast {comp['target']} {comp['horizon']} step(s) ahead from {comp['sequenceLength']} steps"),
            ("metric", f"{metric_name} ({'higher' if comp['higherIsBetter'] else 'lower'} is better)"),
            ("training data", comp["dataCid"]), ("test set", comp["testCid"] or "not revealed yet")]
    rows += [(name, f"{_when(ts)} ({'passed' if chain_now >= ts else 'open'})") for name, ts in deadlines]
    body = "".join(f"<tr><th>{_e(k)}</th><td>{_e(v)}</td></tr>" for k, v in rows)
    return f'<table class="terms">{body}</table>'


def _leaderboard_table(entries: list[plots.Entry]) -> str:
    if not entries:
        return '<p id="leaderboard-empty">No submission has been scored yet.</p>'
    head = "<tr><th>rank</th><th>participant</th><th>state</th><th>score</th><th>credited (prize + deposit back)</th></tr>"
    body = "".join(
        f'<tr class="{_e(e.state)}"><td>{e.rank or "–"}</td><td title="{_e(e.participant)}">{_e(e.label)}</td>'
        f"<td>{_e(SHOWN.get(e.state, e.state))}{': ' + _e(e.reason) if e.reason else ''}</td>"
        f"<td>{'' if e.score is None else f'{e.score:.6f}'}</td>"
        f"<td>{'' if not e.payout_wei else f'{e.payout_wei / 10**18:.6g} ETH'}</td></tr>" for e in entries)
    return f'<table id="leaderboard">{head}{body}</table>'


def _verification(v: Verification | None, comp_id: int) -> str:
    if v is None or v.ok is None:
        return (f'<p id="verification">Not verified for this report: run <code>market verify {comp_id}</code> '
                f"or <code>market report {comp_id} --verify</code> (the default once the test set is revealed) to recompute every posted score.</p>")
    if v.ok:
        return f'<p id="verification" class="ok">Verified: {v.confirmed}/{v.total} posted scores recomputed and confirmed.</p>'
    items = "".join(f"<li>{_e(m)}</li>" for m in v.mismatches)
    return (f'<div id="verification" class="bad"><p>MISMATCH: {v.confirmed}/{v.total} posted scores confirmed.</p>'
            f"<ul>{items}</ul></div>")


STYLE = """body{font-family:system-ui,sans-serif;max-width:1000px;margin:2em auto;padding:0 1em;color:#222}
table{border-collapse:collapse;margin:1em 0}th,td{border:1px solid #ccc;padding:.3em .6em;text-align:left}
tr.failed td{color:#c0392b}tr.forfeited td{color:#888}img{max-width:100%}.ok{color:#1e7d32}.bad{color:#c0392b}
.terms th{background:#f4f4f4}"""


def render(comp: dict, metric_name: str, entries: list[plots.Entry], figures: dict[str, Path],
           verification: Verification | None, chain_now: int, network: str) -> str:
    """The page, as a string."""
    images = "".join(f'<figure><img alt="{_e(name)}" src="{_data_uri(path)}"><figcaption>{_e(name)}</figcaption>'
                     "</figure>" for name, path in figures.items())
    title = f"Competition {comp['id']}: forecasting {comp['target']}"
    return (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
            f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
            f"<title>{_e(title)}</title><style>{STYLE}</style></head><body>"
            f"<h1>{_e(title)}</h1><p>On {_e(network)}, contract {_e(comp.get('market', ''))}; "
            f"chain time {_e(_when(chain_now))}.</p>"
            f"<h2>Terms and deadlines</h2>{_terms(comp, metric_name, chain_now)}"
            f"<h2>Leaderboard</h2>{_leaderboard_table(entries)}"
            f"<h2>Verification</h2>{_verification(verification, comp['id'])}"
            f"<h2>Plots</h2>{images or '<p>No plot yet: nothing is scored.</p>'}"
            "</body></html>")


def _verify(market, comp_id: int, work_dir: Path | None) -> tuple[Verification, list[Row]]:
    from .audit import verify

    rows: list[Row] = []
    ok, checks = verify(market, comp_id, work_dir=work_dir, rows_out=rows)
    mismatches = [f"{c.participant}: posted {c.posted}, recomputed {c.recomputed}" for c in checks if not c.match]
    return Verification(sum(c.match for c in checks), len(checks), ok, mismatches), rows


def write_report(market, comp_id: int, out: Path, *, verify: bool | None = None, work_dir: Path | None = None,
                 names: dict[str, str] | None = None) -> tuple[Path, Verification | None]:
    """Write the page for competition ``comp_id`` to ``out``; with ``verify`` (default: once the test set
    is revealed), recompute every score first (and draw the forecasts). Returns (the page, the verification
    or None)."""
    from brownie import network

    from ml_models import get_metric

    from .chain import now

    comp = competition(market, comp_id) | {"market": market.address}
    _, metric = get_metric(comp["metric"])
    chain = standing(market, comp_id)
    rows = posted_rows(market, comp)
    if verify is None:
        verify = comp["testRevealed"]
    verification, scored = _verify(market, comp_id, work_dir) if verify and comp["testRevealed"] else (None, [])
    entries = plots.leaderboard_entries(rows, names, **chain)
    with tempfile.TemporaryDirectory() as tmp:
        figures = {}
        if rows or chain["forfeited"]:
            figures["leaderboard"] = plots.leaderboard(rows, metric.name, Path(tmp) / "leaderboard.png", names,
                                                       higher_is_better=comp["higherIsBetter"], **chain)
        if scored:
            figures["forecasts"] = _forecasts(comp, scored, Path(tmp), work_dir, names, metric.name)
        page = render(comp, metric.name, entries, figures, verification, now(), network.show_active() or "")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(page, encoding="utf-8")
    return out, verification


def _forecasts(comp: dict, rows: list[Row], tmp: Path, work_dir: Path | None, names, metric_name: str) -> Path:
    from ml_models import read_dataset_bundle

    from .settings import settings

    work = Path(work_dir).resolve() if work_dir else settings().work_dir(comp["id"], "verify")
    test_df, schema = read_dataset_bundle(work / "data" / comp["testCid"], part="test")
    return plots.forecasts(rows, test_df, schema.target, tmp / "forecasts.png", names, horizon=schema.horizon,
                           frequency=schema.frequency, unit=plots.UNITS.get(schema.source), metric_name=metric_name)


__all__ = ["CSP", "Verification", "posted_rows", "render", "standing", "write_report"]
