"""Join a shared Optuna study from another machine (or process): ``python -m ml_models.tune_worker``.

Every worker given the same ``--storage`` URL (e.g. ``postgresql://user:pw@host/db``, the value
of ``OPTUNA_STORAGE`` for ``market submit``) and ``--study-name`` adds its trials to one study;
TPE sees all of them, and the best trial is the best of all machines. Each worker must tune the
same data with the same fixed settings (metric, window, horizon, epochs, folds); a worker that
differs is refused with one line. ``market submit`` names its study ``competition-<id>``.

Prints one JSON line when done: the trials this worker ran and the study's best.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

from .errors import MLError
from .tune_recipe import TUNING_RECIPE

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m ml_models.tune_worker", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("dataset_dir", help="a dataset bundle folder (schema.json + train.csv), e.g. the one market submit fetched")
    p.add_argument("--storage", default=os.environ.get("OPTUNA_STORAGE"),
                   help="Optuna storage URL shared by all workers (default: $OPTUNA_STORAGE)")
    p.add_argument("--study-name", required=True, help="the shared study, e.g. competition-3")
    p.add_argument("--metric", default="rmse", help="the competition's metric (name or id)")
    p.add_argument("--trials", type=int, default=None, help="at most this many trials from this worker")
    p.add_argument("--budget", type=float, default=None, help="at most this many seconds")
    p.add_argument("--until", type=float, default=None,
                   help="start no trial after this time (seconds since 1970), e.g. the end of the budget of the "
                        "process that started this worker; with --budget the earlier end wins")
    p.add_argument("--epochs", type=int, default=20, help="most epochs per fold (the same on every worker)")
    p.add_argument("--search-space", default=None, help="a JSON search space file")
    p.add_argument("--seed", type=int, default=0, help="sampler seed; give each worker its own")
    p.add_argument("--threads", type=int, default=0, help="TensorFlow threads (0: TensorFlow's default)")
    p.add_argument("--base-spec", default=None, help="a ModelSpec JSON file with the fixed fields (default: from the schema)")
    # the defaults are market submit's (ml_models.tune_recipe): the study refuses a worker that folds otherwise
    p.add_argument("--folds", type=int, default=TUNING_RECIPE.n_folds,
                   help="walk-forward folds (the same on every worker; default: market submit's)")
    p.add_argument("--val-fraction", type=float, default=TUNING_RECIPE.val_fraction,
                   help="share of the rows in validation blocks (default: market submit's)")
    p.add_argument("--max-epochs", type=int, default=TUNING_RECIPE.max_epochs or 0,
                   help="most epochs a trial trains per fold (0: --epochs; default: market submit's)")
    return p


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if not args.storage:
        print("error: give --storage URL (or set OPTUNA_STORAGE) so the workers share one study", file=sys.stderr)
        return 2
    if args.trials is None and args.budget is None and args.until is None:
        print("error: give --trials or --budget so the worker stops", file=sys.stderr)
        return 2
    try:
        return _run(args)
    except MLError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


def _run(args: argparse.Namespace) -> int:
    from .data import read_dataset_bundle
    from .spec import ModelSpec
    from .tune import tune_hyperparameters

    if args.threads:
        import tensorflow as tf

        tf.config.threading.set_intra_op_parallelism_threads(args.threads)
        tf.config.threading.set_inter_op_parallelism_threads(args.threads)
    df, schema = read_dataset_bundle(Path(args.dataset_dir), part="train")
    if args.base_spec:
        base = ModelSpec.from_json(Path(args.base_spec).read_text())
    else:
        base = ModelSpec(sequence_length=schema.sequence_length, horizon=schema.horizon, season=schema.season,
                         task=schema.task, epochs=args.epochs)
    budget = args.budget
    if args.until is not None:  # the time importing TensorFlow and reading the data took comes off this worker's budget
        left = max(args.until - time.time(), 0.1)
        budget = left if budget is None else min(budget, left)
    mine: set[int] = set()
    res = tune_hyperparameters(df, schema, base_spec=base, search_space=args.search_space, metric=args.metric,
                               n_trials=args.trials, timeout_s=budget, seed=args.seed, storage=args.storage,
                               n_folds=args.folds, val_fraction=args.val_fraction, max_epochs=args.max_epochs or None,
                               study_name=args.study_name, load_if_exists=True,
                               progress=lambda study, trial: mine.add(trial.number))
    print(json.dumps({"worker_pid": os.getpid(), "trials": sorted(mine), "study_trials": len(res.trials),
                      "best_value": res.best_value, "best_trial": res.study.best_trial.number,
                      "best_spec": res.best_spec.to_dict()}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
