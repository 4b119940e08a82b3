"""PNG plots a person would rather look at than read: the leaderboard and the forecasts of the
top models against the actual test values. (The tuning history is drawn by ml_models.tune.)"""
from __future__ import annotations

from pathlib import Path


def _pyplot():
    """matplotlib's pyplot on the file-only Agg backend, imported when a plot is drawn."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _label(row, names: dict[str, str] | None) -> str:
    return (names or {}).get(row.participant, row.participant[:10])


def leaderboard(rows, metric_name: str, path: Path, names: dict[str, str] | None = None) -> Path:
    """A bar per scored submission (failed ones marked), best first."""
    plt = _pyplot()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig, ax = plt.subplots(figsize=(8, 0.6 * max(3, len(rows)) + 1))
    labels = [_label(r, names) for r in rows]
    values = [r.score if r.ok else 0.0 for r in rows]
    colors = ["#2a9d8f" if r.ok else "#bbbbbb" for r in rows]
    ax.barh(labels[::-1], values[::-1], color=colors[::-1])
    for i, r in enumerate(rows[::-1]):
        ax.text(values[::-1][i], i, f" {r.score:.4g}" if r.ok else " failed", va="center")
    ax.set_xlabel(metric_name)
    ax.set_title("Leaderboard (best at the top)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def forecasts(rows, test_df, target: str, path: Path, names: dict[str, str] | None = None, top: int = 3) -> Path:
    """The actual test series and the forecasts of the `top` best scored submissions."""
    plt = _pyplot()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig, ax = plt.subplots(figsize=(10, 4.5))
    ax.plot(test_df.index, test_df[target].to_numpy(), color="black", linewidth=1.6, label="actual")
    for r in [r for r in rows if r.ok and r.predictions is not None][:top]:
        ax.plot(test_df.index, r.predictions, linewidth=1.0, label=f"{_label(r, names)} ({r.score:.4g})")
    ax.set_title(f"Test-set forecasts of the top models: {target}")
    ax.legend(loc="best", fontsize=8)
    fig.autofmt_xdate()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
