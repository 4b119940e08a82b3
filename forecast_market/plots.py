"""PNG plots a person would rather look at than read: the leaderboard (ranks, scores on a zoomed
axis, payouts, failed and forfeited entries) and the forecasts of the top models against the
actual test values, with their errors; a participant's tuning history (trials and a table).

The data behind each plot comes from a plain function (:func:`leaderboard_entries`,
:func:`forecast_series`, :func:`tuning_rows`) that the HTML report and the tests use too.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

#: Units of the offline datasets' targets, by source (``schema.source``).
UNITS = {"statsmodels:co2": "ppm", "statsmodels:sunspots": "sunspot number",
         "pmdarima:taylor": "MW", "matplotlib:goog": "USD"}
COLORS = {"ranked": "#2a9d8f", "scored": "#8ab17d", "failed": "#c0392b", "forfeited": "#999999"}


def _pyplot():
    """matplotlib's pyplot on the file-only Agg backend, imported when a plot is drawn."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def short_address(address: str) -> str:
    return f"{address[:6]}…{address[-4:]}" if len(address) > 12 else address


def label(address: str, names: dict[str, str] | None = None) -> str:
    """A person's name when known, with the short address; else the short address."""
    name = (names or {}).get(address)
    return f"{name} ({short_address(address)})" if name else short_address(address)


@dataclass(frozen=True)
class Entry:
    """One line of the leaderboard. ``rank``: place among the scored entries. ``state``: ranked
    (in the contract's ranking, so paid a prize), scored (no prize: below the prizes or the minimum
    score), failed (scored as a failure), forfeited (committed, never revealed)."""

    participant: str
    label: str
    state: str
    rank: int | None = None
    score: float | None = None
    payout_wei: int | None = None
    reason: str = ""


def leaderboard_entries(rows, names: dict[str, str] | None = None, *, ranked: list[str] | None = None,
                        payouts: dict[str, int] | None = None, forfeited=()) -> list[Entry]:
    """Entries best first: the scored rows (already ranked best first), then failures, then forfeits.

    ``ranked``: the contract's ranking (addresses, best first); None counts every ok row as ranked.
    ``payouts``: wei credited to each address by this competition (prize and deposit back)."""
    ranked = [r.participant for r in rows if r.ok] if ranked is None else list(ranked)
    payouts = payouts or {}
    out = []
    place = {r.participant: i for i, r in enumerate((r for r in rows if r.ok), 1)}
    for r in rows:
        state = ("ranked" if r.participant in ranked else "scored") if r.ok else "failed"
        rank = place.get(r.participant)
        out.append(Entry(r.participant, label(r.participant, names), state, rank, r.score if r.ok else None,
                         payouts.get(r.participant), "" if r.ok else r.reason))
    out.sort(key=lambda e: ({"ranked": 0, "scored": 1, "failed": 2}[e.state], e.rank or 0))
    out += [Entry(a, label(a, names), "forfeited", payout_wei=payouts.get(a), reason="committed, never revealed")
            for a in forfeited]
    return out


def zoomed_limits(values: list[float]) -> tuple[float, float]:
    """An axis around the scores (not from zero), so that 0.6913 and 0.6961 look different."""
    lo, hi = min(values), max(values)
    pad = (hi - lo) * 0.15 or abs(hi) * 0.05 or 1.0
    return lo - pad, hi + max(pad * 3, (hi - lo) * 0.6)  # room on the right for the text


def _eth(wei: int | None) -> str:
    return "" if wei is None else f"{wei / 1e18:.4g} ETH"


def leaderboard(rows, metric_name: str, path: Path, names: dict[str, str] | None = None, *,
                higher_is_better: bool = False, ranked: list[str] | None = None,
                payouts: dict[str, int] | None = None, forfeited=()) -> Path:
    """A dot per scored entry on a zoomed axis, ranks and payouts in the labels; failed and
    forfeited entries listed below, marked."""
    entries = leaderboard_entries(rows, names, ranked=ranked, payouts=payouts, forfeited=forfeited)
    plt = _pyplot()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig, ax = plt.subplots(figsize=(9, 0.55 * max(3, len(entries)) + 1.6))
    scores = [e.score for e in entries if e.score is not None]
    lo, hi = zoomed_limits(scores) if scores else (0.0, 1.0)
    ys = list(range(len(entries)))[::-1]
    for y, e in zip(ys, entries, strict=True):
        if e.score is not None:
            ax.hlines(y, lo, e.score, color=COLORS[e.state], linewidth=6, alpha=0.35)
            ax.plot(e.score, y, "o", color=COLORS[e.state], markersize=9)
            text = f"  {e.score:.4f}" + (f"   credited {_eth(e.payout_wei)}" if e.payout_wei else "")
            if e.state == "scored":
                text += "   no prize"
            ax.text(e.score, y, text, va="center", fontsize=9)
        else:
            ax.plot(lo, y, "x", color=COLORS[e.state], markersize=9, mew=2)
            why = f"{e.state.upper()}: {e.reason[:70]}" + (f"   credited {_eth(e.payout_wei)}" if e.payout_wei else "")
            ax.text(lo, y, "   " + why, va="center", fontsize=9, color=COLORS[e.state])
    ax.set_yticks(ys, [f"{e.rank}. {e.label}" if e.rank else f"–  {e.label}" for e in entries])
    ax.set_xlim(lo, hi)
    ax.set_ylim(-0.7, len(entries) - 0.3)
    direction = "higher is better" if higher_is_better else "lower is better"
    ax.set_xlabel(f"{metric_name} on the hidden test set ({direction}; axis zoomed to the scores, not from 0)")
    ax.set_title(f"Leaderboard: {sum(e.state == 'ranked' for e in entries)} ranked, "
                 f"{sum(e.state == 'failed' for e in entries)} failed, "
                 f"{sum(e.state == 'forfeited' for e in entries)} forfeited")
    ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


_PERIODS = {"W": "week", "D": "day", "B": "business day", "H": "hour", "h": "hour", "M": "month", "MS": "month",
            "ME": "month", "Q": "quarter", "QS": "quarter", "A": "year", "Y": "year", "YS": "year", "AS": "year"}


def steps(horizon: int, frequency: str = "") -> str:
    """``4 steps (4 weeks)`` from a horizon and a pandas frequency such as ``W-SAT``."""
    text = f"{horizon} step{'s' if horizon != 1 else ''}"
    unit = _PERIODS.get(frequency.split("-")[0]) if frequency else None
    return f"{text} ({horizon} {unit}{'s' if horizon != 1 else ''})" if unit else text


def forecast_series(rows, test_df, target: str, names: dict[str, str] | None = None, top: int = 3) -> dict:
    """What the forecast plot draws: the dates, the actual values, and per model (best first) its
    label, score, forecasts and residuals (forecast - actual)."""
    import numpy as np

    actual = test_df[target].to_numpy("float64")
    models = []
    for r in [r for r in rows if r.ok and r.predictions is not None][:top]:
        pred = np.asarray(r.predictions, dtype="float64")
        models.append({"label": label(r.participant, names), "score": r.score, "forecast": pred,
                       "residual": pred - actual})
    return {"dates": test_df.index, "actual": actual, "models": models}


def forecasts(rows, test_df, target: str, path: Path, names: dict[str, str] | None = None, top: int = 3, *,
              horizon: int = 1, frequency: str = "", unit: str | None = None, metric_name: str = "score") -> Path:
    """The actual test series and the ``top`` best models' forecasts, each made ``horizon`` steps
    before its date, over a panel of their errors."""
    data = forecast_series(rows, test_df, target, names, top)
    plt = _pyplot()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig, (ax, res) = plt.subplots(2, 1, figsize=(11, 6.5), sharex=True, gridspec_kw={"height_ratios": [3, 1.3]})
    ax.plot(data["dates"], data["actual"], color="black", linewidth=1.8, label="actual")
    for m in data["models"]:
        line, = ax.plot(data["dates"], m["forecast"], linewidth=1.0, label=f"{m['label']}  {metric_name} {m['score']:.4f}")
        res.plot(data["dates"], m["residual"], linewidth=0.9, color=line.get_color())
    res.axhline(0, color="black", linewidth=0.8)
    step = steps(horizon, frequency)
    unit = unit or "units of the published series"
    ax.set_title(f"Test set: {target}, forecast {step} ahead (each point was predicted {step} before its date)")
    ax.set_ylabel(f"{target} [{unit}]")
    res.set_ylabel(f"error [{unit}]\nforecast - actual", fontsize=9)
    res.set_xlabel("date (test period)")
    ax.legend(loc="best", fontsize=8)
    ax.grid(alpha=0.3)
    res.grid(alpha=0.3)
    fig.autofmt_xdate()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def tuning_rows(trials) -> list[dict]:
    """The trials of a search (``TuneResult.trials``, optuna's ``trials_dataframe``), best first:
    number, state, value and the hyperparameters tried (completed trials first)."""
    import math

    out = []
    for rec in trials.to_dict("records"):
        value = rec.get("value")
        value = None if value is None or (isinstance(value, float) and math.isnan(value)) else float(value)
        params = {k.removeprefix("params_"): v for k, v in rec.items() if k.startswith("params_")}
        out.append({"number": int(rec["number"]), "state": str(rec.get("state", "")), "value": value,
                    "params": params})
    return sorted(out, key=lambda r: (r["state"].upper() != "COMPLETE", r["value"] is None,
                                      r["value"] if r["value"] is not None else 0, r["number"]))


def _param_text(params: dict) -> str:
    return ", ".join(f"{k}={v:.3g}" if isinstance(v, float) else f"{k}={v}" for k, v in params.items())


def tuning_head(rows: list[dict]) -> str:
    """The plot's title: the trials by outcome. A trial the search's time budget stopped is FAIL in
    Optuna (like one that raised): it has no value to draw, so the title counts it."""
    states = [r["state"].upper() for r in rows]
    done, pruned = states.count("COMPLETE"), states.count("PRUNED")
    other = len(states) - done - pruned
    return (f"Tuning: {len(rows)} trial(s), {done} completed, {pruned} pruned"
            + (f", {other} stopped by the time budget or failed" if other else ""))


def tuning_history(trials, path: Path, *, ylabel: str = "validation loss (mean of folds)", top: int = 8) -> Path:
    """Each trial's value by trial number with the best so far, over a table of the best ``top``
    trials and their hyperparameters: readable from one trial on."""
    rows = tuning_rows(trials)
    valued = sorted((r for r in rows if r["value"] is not None), key=lambda r: r["number"])
    done = [r for r in valued if r["state"].upper() == "COMPLETE"]
    cut = [r for r in valued if r["state"].upper() != "COMPLETE"]  # pruned: the value where training stopped
    plt = _pyplot()
    path.parent.mkdir(parents=True, exist_ok=True)
    shown = rows[:top]
    fig, (ax, tab) = plt.subplots(2, 1, figsize=(10, 3.6 + 0.32 * len(shown)),
                                  gridspec_kw={"height_ratios": [3, 0.5 + 0.35 * len(shown)]})
    xs, ys = [r["number"] for r in done], [r["value"] for r in done]
    best = [min(ys[: i + 1]) for i in range(len(ys))]
    ax.plot(xs, ys, "o", color="tab:blue", label="completed trial")
    if cut:
        ax.plot([r["number"] for r in cut], [r["value"] for r in cut], "x", color="tab:gray",
                label="pruned (value when stopped early)")
    if done:
        ax.step(xs, best, where="post", color="tab:red", label="best completed so far")
    for r in valued:
        ax.annotate(f"{r['value']:.4g}", (r["number"], r["value"]), textcoords="offset points", xytext=(6, 4),
                    fontsize=8, color="black" if r in done else "gray")
    ax.set_xticks(sorted({r["number"] for r in rows}))
    ax.set_xlim(min(r["number"] for r in rows) - 0.5, max(r["number"] for r in rows) + 0.5)
    ax.set_xlabel("trial number")
    ax.set_ylabel(ylabel)
    head = tuning_head(rows)
    top_done = min(done, key=lambda r: r["value"]) if done else None
    ax.set_title(head + (f"\nbest #{top_done['number']} = {top_done['value']:.4g} (lower is better)" if top_done else ""))
    ax.grid(alpha=0.3)
    ax.legend(loc="best", fontsize=8)
    tab.axis("off")
    cells = [[str(r["number"]), r["state"].lower(), "-" if r["value"] is None else f"{r['value']:.4g}",
              _param_text(r["params"])] for r in shown]
    table = tab.table(cellText=cells, colLabels=["trial", "state", "value", "hyperparameters"], loc="center",
                      cellLoc="left", colWidths=[0.07, 0.1, 0.1, 0.73])
    table.auto_set_font_size(False)
    table.set_fontsize(8)
    if done:
        for col in range(4):
            table[1, col].set_facecolor("#e6f4ea")  # the best trial
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
