"""The search-history plot of an Optuna study."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

__all__ = ["plot_history"]


def plot_history(study: Any, path: str | Path, *, title: str | None = None, ylabel: str = "validation score") -> Path:
    """Save a PNG of the search: each trial's value (pruned trials at their last report) and the best so far."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt
    import optuna
    from matplotlib.ticker import MaxNLocator

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig, ax = plt.subplots(figsize=(7, 4), dpi=100)
    done_x, done_y, pr_x, pr_y, best_x, best_y = [], [], [], [], [], []
    maximize = study.direction == optuna.study.StudyDirection.MAXIMIZE
    best = -math.inf if maximize else math.inf
    for t in study.trials:
        if t.state == optuna.trial.TrialState.COMPLETE and t.value is not None:
            done_x.append(t.number), done_y.append(t.value)
            best = max(best, t.value) if maximize else min(best, t.value)
        elif t.state == optuna.trial.TrialState.PRUNED and t.intermediate_values:
            pr_x.append(t.number), pr_y.append(t.intermediate_values[max(t.intermediate_values)])
        if math.isfinite(best):
            best_x.append(t.number), best_y.append(best)
    ax.scatter(done_x, done_y, s=18, label="completed", color="tab:blue")
    ax.scatter(pr_x, pr_y, s=18, marker="x", label="pruned (last reported)", color="tab:gray")
    ax.step(best_x, best_y, where="post", color="tab:red", label="best so far")
    ax.set_xlabel("trial")
    ax.set_ylabel(ylabel)
    values = done_y + pr_y
    if values and min(values) > 0 and max(values) > 10 * min(values):  # log only when values span decades
        ax.set_yscale("log")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_title(title or f"search history: {study.study_name}")
    ax.legend(loc="best")
    fig.tight_layout()
    fig.savefig(path, format="png")
    plt.close(fig)
    return path
