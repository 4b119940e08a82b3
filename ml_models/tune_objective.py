"""The trial objective of :func:`ml_models.tune.tune_hyperparameters`, and how a time budget ends a trial.

Each trial samples a spec, trains it fold by fold and reports the fold's best metric after every
epoch at step ``k * epochs + e`` (the pruners compare trials there). At the search's deadline a
trial still training stops after its epoch and is recorded as failed (:class:`BudgetEnded`).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from .errors import SpecError
from .search_space import suggest
from .tune_folds import SearchSetup, fit_fold

__all__ = ["BudgetEnded", "make_objective", "quiet_budget_ends"]


class BudgetEnded(Exception):  # noqa: N818 -- not an error: the trial is recorded as failed, the search ends
    """Raised in a trial still training when the search's time budget ends."""


class quiet_budget_ends:  # noqa: N801 -- a context manager used like a function
    """Drops Optuna's two "Trial N failed ..." warnings for the trials stopped by the budget: expected, not news."""

    def __init__(self, optuna: Any) -> None:
        self.logger, self.stopped = optuna.logging.get_logger("optuna.study._optimize"), set()

    def filter(self, record: Any) -> bool:
        return not any(record.getMessage().startswith(f"Trial {n} failed") for n in self.stopped)

    def __enter__(self) -> set[int]:
        self.logger.addFilter(self)
        return self.stopped

    def __exit__(self, *exc: Any) -> None:
        self.logger.removeFilter(self)


def any_complete(optuna: Any, study: Any) -> bool:
    return bool(study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,)))


def make_objective(optuna: Any, setup: SearchSetup, space: Mapping[str, tuple[Any, ...]],
                    t_start: float, cpu_start: float, deadline: float | None = None,
                    stopped: set[int] | None = None) -> Callable[[Any], float]:
    """The trial objective: mean over walk-forward folds of the best metric (pruned trials raise).

    At ``deadline`` (the end of the time budget) a trial still training stops after its epoch and
    raises :class:`BudgetEnded`: it is recorded as failed, neither pruned nor complete, and the
    search ends on time rather than one trial later. Not while the study has no completed trial:
    then the trial goes on, so that a search always has a result."""

    def objective(trial: Any) -> float:
        try:
            spec = setup.base.replace(**suggest(trial, space))
        except SpecError as exc:
            raise optuna.TrialPruned(f"invalid spec: {exc}") from exc
        trial.set_user_attr("spec", spec.to_dict())
        bests, last_step = [], len(setup.folds) * spec.epochs
        for k in range(len(setup.folds)):
            reached, over = [0], [False]  # the last step reported in this fold; the budget ended

            def report(epoch: int, value: float, k: int = k, reached: list[int] = reached,
                       over: list[bool] = over) -> bool:
                reached[0] = k * spec.epochs + epoch + 1
                trial.report(value, step=reached[0])
                if deadline is not None and time.perf_counter() > deadline and reached[0] < last_step \
                        and any_complete(optuna, trial.study):
                    over[0] = True  # out of time with epochs left to train, and the search has a result
                    return True
                return trial.should_prune()

            best = fit_fold(setup, spec, k, report)
            if (not over[0] and math.isfinite(best) and reached[0] < (k + 1) * spec.epochs
                    and report(spec.epochs - 1, best)):
                best = math.nan  # stopped early; its best, compared at the fold's last step, is not good enough
            if over[0]:
                if stopped is not None:
                    stopped.add(trial.number)
                raise BudgetEnded(f"the time budget ended in fold {k}")
            if not math.isfinite(best):
                raise optuna.TrialPruned(f"pruned in fold {k}")
            bests.append(best)
            trial.set_user_attr(f"fold{k}_best", best)
        trial.set_user_attr("elapsed_s", time.perf_counter() - t_start)
        trial.set_user_attr("cpu_s", time.process_time() - cpu_start)  # this process's CPU time: load-independent
        return float(np.mean(bests))

    return objective
