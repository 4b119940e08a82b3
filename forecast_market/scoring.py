"""Scoring every revealed submission of a competition from what is on chain and on IPFS.

Shared by the organizer's evaluation and anyone's audit: both must compute the same numbers
from the same inputs. Bundles are fetched by the CID revealed on chain and checked against the
sha256 committed on chain before they are read; ``ml_models`` scores them in separate,
resource-limited processes, several at a time, so a hostile bundle fails alone.

Nothing a participant controls can stop the run: any failure of one submission (fetch, size,
names, digest, load, predict, metric, overflow, timeout, memory) becomes that submission's failed
row with its reason. With a ``deadline``, whatever is not finished by then fails with that reason,
so the organizer can still post every score before the evaluation window closes.
"""
from __future__ import annotations

import os
import sys
import time
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from .artifacts import fetch_bundle, fetch_folder, write_json
from .chain import revealed_submissions
from .errors import ArtifactError, one_line
from .protocol import SCORE_SCALE, SCORING_LIMITS, clamp_score, failure_score, is_failure


@dataclass
class Row:
    """One revealed submission and its score (``score_int`` is what is, or will be, posted)."""

    participant: str
    model_cid: str
    model_sha256: str
    order: int
    ok: bool = False
    score: float | None = None
    score_int: int = 0
    reason: str = ""
    predictions: list[float] | None = field(default=None, repr=False)

    def fail(self, reason: str) -> Row:
        self.ok, self.reason = False, one_line(reason)
        return self


@dataclass(frozen=True)
class Budget:
    """How scoring may spend time: per-bundle limits, parallel workers, and an overall deadline
    (``time.monotonic()`` seconds; None: none)."""

    timeout_s: float = SCORING_LIMITS.timeout_s
    memory_mb: int = SCORING_LIMITS.memory_mb
    workers: int = max(1, min(4, os.cpu_count() or 1))
    deadline: float | None = None

    def remaining(self) -> float | None:
        return None if self.deadline is None else self.deadline - time.monotonic()


def load_data(comp: dict, test_dir: Path, work_dir: Path):
    """(train_df, test_df, schema): training data by the CID on chain, the test bundle from ``test_dir``."""
    from ml_models import read_dataset_bundle

    train_dir = fetch_folder(comp["dataCid"], work_dir / "data" / comp["dataCid"])
    train_df, schema = read_dataset_bundle(train_dir, part="train")
    test_df, test_schema = read_dataset_bundle(test_dir, part="test")
    if test_schema.target != schema.target or test_schema.columns != schema.columns:
        raise ArtifactError(f"the test bundle in {test_dir} does not match the training data's schema")
    return train_df, test_df, schema


def _score_one(row: Row, work_dir: Path, data: tuple, metric: int, budget: Budget) -> Row:
    """Fetch, check and score one submission (on a copy of ``row``, returned); every failure is
    the row's, never the caller's."""
    from ml_models import score_bundles

    row = replace(row)
    try:
        bundle = fetch_bundle(row.model_cid, row.model_sha256, work_dir / "bundles" / row.participant.lower())
    except Exception as exc:  # noqa: BLE001 -- a stranger's CID and bytes: any failure is this row's
        return row.fail(f"bundle not retrievable or refused: {exc}")
    remaining = budget.remaining()
    if remaining is not None and remaining <= 1:
        return row.fail("not scored before the evaluator's deadline")
    timeout = budget.timeout_s if remaining is None else min(budget.timeout_s, remaining)
    try:
        (res,) = score_bundles([bundle], *data, metric, timeout_s=timeout, memory_mb=budget.memory_mb)
    except Exception as exc:  # noqa: BLE001 -- the run goes on whatever one bundle does
        return row.fail(f"scoring failed: {exc}")
    if not res.ok:
        return row.fail(res.reason)
    row.ok, row.score, row.predictions = True, res.score, res.predictions
    row.score_int = clamp_score(res.score_int)
    return row


def _run_pool(rows: list[Row], work_dir: Path, data: tuple, metric: int, budget: Budget) -> None:
    """Score ``rows`` in place, ``budget.workers`` at a time; unfinished at the deadline: failed."""
    if not rows:
        return
    pool = ThreadPoolExecutor(max_workers=budget.workers, thread_name_prefix="score")
    futures: dict[Future, Row] = {pool.submit(_score_one, r, work_dir, data, metric, budget): r for r in rows}
    pending = set(futures)
    print(f"fetching and scoring {len(rows)} bundle(s), {budget.workers} at a time ...", file=sys.stderr, flush=True)
    while pending:
        remaining = budget.remaining()
        done, pending = wait(pending, timeout=None if remaining is None else max(0.0, remaining),
                             return_when=FIRST_COMPLETED)
        for fut in done:
            scored = fut.result()
            futures[fut].__dict__.update(scored.__dict__)
            verdict = f"{scored.score:.6g}" if scored.ok else f"failed: {scored.reason[:80]}"
            print(f"  {len(rows) - len(pending)}/{len(rows)} {scored.participant}: {verdict}", file=sys.stderr,
                  flush=True)
        if not done and remaining is not None and remaining <= 0:
            break
    for fut in pending:  # past the deadline: the worker threads end on their own (shorter) timeouts
        fut.cancel()
        futures[fut].fail("not scored before the evaluator's deadline")
    pool.shutdown(wait=False, cancel_futures=True)


def score_revealed(market, comp: dict, test_dir: Path, work_dir: Path, *, budget: Budget | None = None,
                   known: dict[str, int] | None = None) -> list[Row]:
    """Every revealed submission of ``comp`` scored on the test bundle in ``test_dir``.

    ``known``: scores already settled (posted on chain), by participant; those rows are not
    scored again (an evaluation that stopped half-way resumes).
    """
    budget, known = budget or Budget(), known or {}
    data = load_data(comp, test_dir, work_dir)
    worst = failure_score(comp["higherIsBetter"])
    rows, todo = [], []
    for sub in revealed_submissions(market, comp["id"]):
        row = Row(sub["participant"], sub["modelCid"], sub["modelSha256"], sub["order"], score_int=worst)
        rows.append(row)
        if sub["participant"] in known:
            _from_chain(row, known[sub["participant"]])
        else:
            todo.append(row)
    _run_pool(todo, work_dir, data, comp["metric"], budget)
    return rows


def _from_chain(row: Row, score_int: int) -> None:
    row.score_int = score_int
    if is_failure(score_int):
        row.fail("posted as failed")
    else:
        row.ok, row.score = True, score_int / SCORE_SCALE


def save_rows(rows: list[Row], path: Path) -> Path:
    """The scored rows as JSON (without predictions), for people and scripts."""
    return write_json(path, {"rows": [asdict(r) | {"predictions": None} for r in rows]})
