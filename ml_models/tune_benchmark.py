"""Benchmark the hyperparameter search itself and print the figures, each with the machine's load average.

Sections (``--sections``, comma-separated; all by default):

* ``speed``: what one trial costs on co2 (first fold, GRU 32), with small and large batches, with
  and without XLA (``jit_compile``), and how many trials a minute two worker processes with one
  TensorFlow thread each run, against one process with TensorFlow's default threads.
* ``throughput``: trials (completed or pruned) per minute on co2 with the default search space,
  TPE + successive halving (goal: at least 30).
* ``race``: TPE + pruning against random search without pruning on co2, for 5 seeds: the time
  TPE needs to reach random search's best validation score, over the time random search needed
  for it; the median over seeds (goal: at most 0.5). What each side gets, one after the other in
  this process: the same training rows, walk-forward folds, base spec (20 epochs a fold, patience
  5), default search space and wall-clock budget (``--race-budget``), TensorFlow's default
  threads, an empty network cache, and the same seed; neither starts from the default spec.
  Random search: ``RandomSampler(seed)``, every trial trained until its early stopping. TPE +
  pruning: ``TPESampler(seed, n_startup_trials=10, multivariate, constant liar)``
  and successive halving (first rung ``MIN_RESOURCE``, reduction factor 3), as :mod:`ml_models.tune` sets
  them. With the same seed TPE's random startup trials are random search's first trials.
* ``quality``: on the benchmark datasets (:data:`ml_models.benchmark.DATASETS`, all six by
  default), the test RMSE of the tuned RNN (searched with ``--workers`` processes and the recipe
  ``market submit --strategy tuned`` uses, :data:`ml_models.tune_recipe.TUNING_RECIPE`, whose
  fields ``--folds``, ``--val-fraction``, ``--max-epochs`` and ``--seeds`` override; then trained
  on all training rows) over the default RNN's; the median over datasets (goal: at most 0.97).

This is a script, not a test:  python -m ml_models.tune_benchmark --help
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from ._keras import configure_environment

__all__ = ["main"]


def _load() -> str:
    one, five, _ = os.getloadavg()
    return f"[load avg {one:.1f} (1 min), {five:.1f} (5 min), {os.cpu_count()} CPUs]"


def _log(msg: str) -> None:
    print(msg, flush=True)


def _co2() -> tuple[Any, Any, Any]:
    from .benchmark import DATASETS, prepare
    from .spec import ModelSpec

    cfg = DATASETS["co2"]
    split, schema = prepare(cfg, 0.2)
    base = ModelSpec(sequence_length=cfg.sequence_length, horizon=cfg.horizon, season=cfg.season, epochs=20, patience=5)
    return split, schema, base


def speed(args: argparse.Namespace) -> None:
    from .tune_folds import fit_fold, prepare_folds

    split, schema, base = _co2()
    _log(f"\n=== speed: one trial on co2's first fold (GRU 32), seconds {_load()} ===")
    _log(f"  {'XLA':<6}{'batch':>6}{'1 epoch':>10}{'4 epochs':>10}")
    for jit in (False, True):
        setup = prepare_folds(split.train, schema, base, 2, 0.25, "rmse", jit)
        for bs in (32, 256):
            row = []
            for epochs in (1, 4):
                spec = base.replace(cell="GRU", units=32, batch_size=bs, epochs=epochs, patience=0)
                t = time.perf_counter()
                fit_fold(setup, spec, 0, None)
                row.append(time.perf_counter() - t)
            _log(f"  {'on' if jit else 'off':<6}{bs:>6}{row[0]:>10.2f}{row[1]:>10.2f}   {_load()}")
    _parallel(split, schema, args)


def _parallel(split: Any, schema: Any, args: argparse.Namespace) -> None:
    """Trials a minute: one worker with TensorFlow's threads, then two workers with one thread each."""
    from .data import write_dataset_bundle

    budget = args.budget
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        write_dataset_bundle(data, split.train, schema, part="train")
        for n, threads in ((1, 0), (2, 1)):
            url = f"sqlite:///{tmp}/p{n}.db"
            cmd = [sys.executable, "-m", "ml_models.tune_worker", str(data), "--storage", url, "--study-name", "p",
                   "--budget", str(budget), "--threads", str(threads)]
            t = time.perf_counter()
            procs = [subprocess.Popen([*cmd, "--seed", str(i)], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                      text=True) for i in range(n)]
            outs = [json.loads(p.communicate()[0].strip().splitlines()[-1]) for p in procs]
            wall = time.perf_counter() - t
            total = max(o["study_trials"] for o in outs)
            _log(f"  {n} worker(s) x {threads or 'default'} TF thread(s), {budget:g} s budget each: {total} trials, "
                 f"{60 * total / budget:.1f} per minute of budget ({wall:.0f} s wall with imports) {_load()}")


def _search(split: Any, schema: Any, base: Any, budget: float, **kw: Any) -> Any:
    from .tune import tune_hyperparameters

    return tune_hyperparameters(split.train, schema, base_spec=base, n_trials=None, timeout_s=budget, **kw)


def _warm_up(split: Any, schema: Any, base: Any) -> None:
    """Train one epoch, so that loading TensorFlow is not counted in the first search's time."""
    from .tune_folds import fit_fold, prepare_folds

    fit_fold(prepare_folds(split.train, schema, base, 2, 0.25, "rmse", False), base.replace(epochs=1), 0, None)


def _one_thread_if_parallel(args: argparse.Namespace) -> None:
    """As tune() does for its own process with workers > 1, before TensorFlow runs anything (then it is too late)."""
    if args.workers > 1:
        from .tune_parallel import use_one_thread

        use_one_thread()


def throughput(args: argparse.Namespace) -> None:
    split, schema, base = _co2()
    _one_thread_if_parallel(args)
    _warm_up(split, schema, base)
    cpu = _cpu_seconds()
    with tempfile.TemporaryDirectory() as tmp:
        res = _search(split, schema, base, args.budget, seed=args.seed, workers=args.workers,
                      storage=Path(tmp) / "throughput.db" if args.workers > 1 else None)
    cpu = _cpu_seconds() - cpu
    states = res.trials["state"].value_counts().to_dict()
    n = states.get("COMPLETE", 0) + states.get("PRUNED", 0)
    _log(f"\n=== throughput: co2, default search space, TPE + successive halving, {args.budget:g} s, "
         f"{args.workers} worker process(es) ===")
    _log(f"  {n} trials ({states}) in {res.seconds:.0f} s: {60 * n / res.seconds:.1f} trials per minute (goal >= 30) "
         f"{_load()}")
    _log(f"  the search's processes used {cpu:.0f} CPU-seconds: {60 * n / cpu:.1f} trials per CPU-minute, "
         f"{args.workers * 60 * n / cpu:.1f} a minute on {args.workers} core(s) of its own (less the helpers' start)")


def _cpu_seconds() -> float:
    """CPU seconds of this process and of its finished child processes (the helper workers)."""
    import resource

    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


def _elapsed_to_reach(study: Any, target: float, clock: str = "elapsed_s") -> float | None:
    """When (``clock``: wall ``elapsed_s`` or the search process's ``cpu_s``) a completed trial first reached ``target``."""
    import optuna

    hits = [t.user_attrs[clock] for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE
            and t.value is not None and t.value <= target and clock in t.user_attrs]
    return min(hits) if hits else None


def _counted(res: Any) -> str:
    """Trials that ended (completed or pruned; not the one the budget stopped), with the pruned ones in brackets."""
    states = res.trials["state"].value_counts().to_dict()
    done, pruned = states.get("COMPLETE", 0), states.get("PRUNED", 0)
    return f"{done + pruned} ({pruned})" if pruned else str(done)


def race(args: argparse.Namespace) -> None:
    split, schema, base = _co2()
    _warm_up(split, schema, base)  # else the first random search pays for loading TensorFlow
    _log(f"\n=== race: TPE + successive halving vs random search without pruning, co2, {args.race_budget:g} s each ===")
    _log("  (time: wall clock since the search started; in brackets the search process's CPU time, which the load of "
         "other processes does not stretch)")
    _log(f"  {'seed':>4}{'random best':>13}{'at':>12}{'TPE best':>11}{'TPE reached it at':>19}{'ratio':>13}"
         f"{'trials random / TPE (pruned)':>30}")
    ratios, cpu_ratios = [], []
    for seed in range(args.seed, args.seed + args.race_seeds):
        # neither starts from the default spec: the race compares the samplers alone
        rnd = _search(split, schema, base, args.race_budget, sampler="random", pruner="none", seed=seed,
                      start_from_base=False)
        tpe = _search(split, schema, base, args.race_budget, seed=seed, start_from_base=False)
        row = []
        for clock, out in (("elapsed_s", ratios), ("cpu_s", cpu_ratios)):
            t_rnd = _elapsed_to_reach(rnd.study, rnd.best_value, clock)
            t_tpe = _elapsed_to_reach(tpe.study, rnd.best_value, clock)
            out.append((t_tpe if t_tpe is not None else float("inf")) / max(t_rnd or args.race_budget, 1e-9))
            row.append((t_rnd, t_tpe, out[-1]))
        (w_rnd, w_tpe, w_ratio), (c_rnd, c_tpe, c_ratio) = row
        reached = f"{w_tpe:.0f} s ({c_tpe:.0f})" if w_tpe is not None else "never"
        _log(f"  {seed:>4}{rnd.best_value:>13.4f}{f'{w_rnd or 0:.0f} s ({c_rnd or 0:.0f})':>12}{tpe.best_value:>11.4f}"
             f"{reached:>19}{f'{w_ratio:.2f} ({c_ratio:.2f})':>13}{f'{_counted(rnd)} / {_counted(tpe)}':>30}   {_load()}")
    _log(f"  median ratio (TPE time to random's best / random's time): {statistics.median(ratios):.2f} "
         f"(CPU time: {statistics.median(cpu_ratios):.2f}) (goal <= 0.5)")


def _recipe(args: argparse.Namespace) -> Any:
    """The submission's recipe with the fields given on the command line replaced (0 max epochs: the spec's)."""
    from dataclasses import replace

    from .tune_recipe import TUNING_RECIPE

    given = {"n_folds": args.folds, "val_fraction": args.val_fraction, "seeds": args.seeds, "max_epochs": args.max_epochs}
    changes = {k: v for k, v in given.items() if v is not None}
    if changes.get("max_epochs") == 0:
        changes["max_epochs"] = None
    return replace(TUNING_RECIPE, **changes)


def quality(args: argparse.Namespace) -> None:
    from .benchmark import DATASETS, parse_datasets, prepare
    from .metrics import rmse
    from .model import train
    from .spec import ModelSpec

    keys, recipe = parse_datasets(args.datasets), _recipe(args)
    _one_thread_if_parallel(args)
    _log(f"\n=== quality: tuned vs default RNN, test RMSE, {args.budget:g} s search ({args.workers} worker process(es)), "
         f"recipe {recipe}, search space {args.search_space or 'default'} ===")
    ratios = []
    for key in keys:
        cfg = DATASETS[key]
        split, schema = prepare(cfg, 0.2)
        base = ModelSpec(sequence_length=cfg.sequence_length, horizon=cfg.horizon, season=cfg.season, epochs=30,
                         patience=5, seed=args.seed)
        y = split.test[cfg.target].to_numpy()
        default = rmse(y, train(base, split.train, schema).forecast_test(split.train, split.test))
        with tempfile.TemporaryDirectory() as tmp:  # as market submit searches: --workers processes on one study
            res = _search(split, schema, base, args.budget, seed=args.seed, workers=args.workers,
                          search_space=args.search_space, **recipe.kwargs(),
                          storage=Path(tmp) / "quality.db" if args.workers > 1 else None,
                          plot_path=Path(args.out) / f"{key}-search.png")
        tuned = rmse(y, train(res.best_spec, split.train, schema).forecast_test(split.train, split.test))
        ratios.append(tuned / default)
        b = res.best_spec
        _log(f"  {key:<8} default {default:.4f}  tuned {tuned:.4f}  ratio {tuned / default:.3f}  ({len(res.trials)} trials; "
             f"{b.cell} {b.layers}x{b.units} dense {b.dense_units} lr {b.learning_rate:.3g} batch {b.batch_size} "
             f"loss {b.loss} patience {b.patience} seed {b.seed}) {_load()}")
    _log(f"  median ratio tuned/default: {statistics.median(ratios):.3f} (goal <= 0.97) "
         f"[{', '.join(f'{r:.3f}' for r in ratios)}]")


SECTIONS = {"speed": speed, "throughput": throughput, "race": race, "quality": quality}


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m ml_models.tune_benchmark", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sections", default=",".join(SECTIONS), help=f"comma-separated, from {list(SECTIONS)}")
    p.add_argument("--budget", type=float, default=60.0, help="seconds of each search")
    p.add_argument("--race-seeds", type=int, default=5, help="seeds of the TPE vs random race")
    p.add_argument("--race-budget", type=float, default=60.0, help="seconds of each search in the race")
    p.add_argument("--seeds", type=int, help="quality: training seeds tried for the best spec (default: the recipe's)")
    p.add_argument("--folds", type=int, help="quality: walk-forward folds (default: the recipe's)")
    p.add_argument("--val-fraction", type=float, help="quality: share of the training rows in the folds' validation "
                   "blocks (default: the recipe's)")
    p.add_argument("--max-epochs", type=int, help="quality: epochs a trial may train, 0 = the spec's 30 "
                   "(default: the recipe's)")
    p.add_argument("--search-space", help="quality: a JSON search space file (default: ml_models' default space)")
    p.add_argument("--datasets", default="sunspots,unemp,elnino,goog,co2,taylor",
                   help="quality: datasets from ml_models.benchmark.DATASETS (default: all six)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--workers", type=int, default=2,
                   help="throughput and quality: tuning processes (as market submit uses; the race uses one)")
    p.add_argument("--out", default="out/tune_benchmark", help="quality: folder for the search-history PNGs")
    return p


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    configure_environment()
    names = [s.strip() for s in args.sections.split(",") if s.strip()]
    unknown = [s for s in names if s not in SECTIONS]
    if unknown:
        _log(f"error: unknown section(s) {unknown}; choose from {list(SECTIONS)}")
        return 2
    t0 = time.perf_counter()
    from .errors import MLError

    for name in names:
        try:
            SECTIONS[name](args)
        except MLError as exc:  # e.g. an unknown dataset: one line, not a traceback
            _log(f"error: {exc}")
            return 2
    _log(f"\nTotal {time.perf_counter() - t0:.0f} s {_load()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
