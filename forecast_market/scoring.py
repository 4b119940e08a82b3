"""Scoring every revealed submission of a competition from what is on chain and on IPFS.

Shared by the organizer's evaluation and anyone's audit: both must compute the same numbers
from the same inputs. Bundles are fetched by the CID revealed on chain and checked against the
sha256 committed on chain before they are read; ``ml_models`` scores them all exactly, in integers
(:func:`ml_models.score_bundles`: resource-limited worker processes, one per core, each scoring
many bundles; a bundle that crashes, hangs or exhausts memory fails alone and the others in its
worker are run again), so anyone recomputes the very same score integers.

Nothing a participant controls can stop the run: any failure of one submission (fetch, size,
names, digest, load, predict, metric, overflow, timeout, memory) becomes that submission's failed
row with its reason. With a ``deadline``, whatever is not finished by then fails with that reason,
so the organizer can still post every score before the evaluation window closes.
"""
from __future__ import annotations

import os
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .artifacts import fetch_bundle, fetch_folder, write_json
from .chain import revealed_submissions
from .errors import ArtifactError, one_line
from .fraud.build import data_columns
from .protocol import SCORE_SCALE, SCORING_LIMITS, clamp_score, failure_score, is_failure


@dataclass
class Row:
    """One revealed submission and its score (``score_int`` is what is, or will be, posted)."""

    participant: str
    model_cid: str
    model_sha256: str
    order: int
    weights_root: str = ""  # hex, revealed on chain; zero or empty: none
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
    """How scoring may spend time: per-bundle limits, parallel worker processes (default: one per core),
    and an overall deadline (``time.monotonic()`` seconds; None: none)."""

    timeout_s: float = SCORING_LIMITS.timeout_s
    memory_mb: int = SCORING_LIMITS.memory_mb
    workers: int = max(1, os.cpu_count() or 1)
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


def _fetch(row: Row, work_dir: Path, columns: tuple[str, ...] = ()) -> Path | None:
    """The bundle of ``row`` fetched and checked against its digest, and against its revealed weights root when it
    has one (over the data ``columns``, target first); None (and the row failed) when it cannot be."""
    try:
        bundle = fetch_bundle(row.model_cid, row.model_sha256, work_dir / "bundles" / row.participant.lower())
    except Exception as exc:  # noqa: BLE001 -- a stranger's CID and bytes: any failure is this row's
        row.fail(f"bundle not retrievable or refused: {exc}")
        return None
    if row.weights_root.strip("0") and columns and (reason := weights_mismatch(bundle, row.weights_root, columns)):
        row.fail(reason)
        return None
    return bundle


def weights_mismatch(bundle: Path, revealed_root: str, columns: tuple[str, ...]) -> str:
    """Why the bundle's tensors do not hash to the weights root revealed on chain (docs/FRAUD_PROOFS.md, section
    2); ``""`` when they do. A score the dispute game could not re-execute is never posted."""
    from ml_models import load_bundle

    from .fraud.build import weights_root

    try:
        root = weights_root(load_bundle(bundle), columns)
    except Exception as exc:  # noqa: BLE001 -- a stranger's bundle: any failure to load is the row's
        return f"bundle refused: {exc}"
    if root is None:
        return "the bundle has no network, but a weights root was revealed for it"
    if root.hex() != revealed_root.removeprefix("0x"):
        return f"the bundle's weights hash to root {root.hex()[:16]}..., not the revealed {revealed_root[:16]}..."
    return ""


def _run_pool(rows: list[Row], work_dir: Path, data: tuple, metric: int, budget: Budget) -> None:
    """Fetch every bundle of ``rows`` (failures are the rows'), then score them all in one
    :func:`ml_models.score_bundles` call, ``budget.workers`` processes at a time; rows are updated in place.
    Unfinished at the deadline: failed."""
    from ml_models import DEADLINE_REASON, score_bundles

    if not rows:
        return
    print(f"fetching {len(rows)} bundle(s) ...", file=sys.stderr, flush=True)
    with ThreadPoolExecutor(max_workers=min(8, len(rows)), thread_name_prefix="fetch") as pool:
        columns = data_columns(data[2].columns, data[2].target)
        bundles = list(pool.map(lambda r: _fetch(r, work_dir, columns), rows))
    ready = [(r, b) for r, b in zip(rows, bundles, strict=True) if b is not None]
    lock, done = threading.Lock(), [0]

    def report(row: Row) -> None:
        with lock:
            done[0] += 1
            verdict = f"{row.score:.6g}" if row.ok else f"failed: {row.reason[:80]}"
            print(f"  {done[0]}/{len(rows)} {row.participant}: {verdict}", file=sys.stderr, flush=True)

    for row in rows:
        if not row.ok and row.reason:
            report(row)
    if not ready:
        return
    remaining = budget.remaining()
    if remaining is not None and remaining <= 1:
        for row, _ in ready:
            report(row.fail(DEADLINE_REASON))
        return

    def progress(i: int, res) -> None:
        row = ready[i][0]
        if res.ok:
            row.ok, row.score, row.predictions, row.reason = True, res.score, res.predictions, ""
            row.score_int = clamp_score(res.score_int)
        else:
            row.fail(res.reason)
        report(row)

    print(f"scoring {len(ready)} bundle(s) in {min(budget.workers, len(ready))} worker process(es) ...",
          file=sys.stderr, flush=True)
    try:
        score_bundles([b for _, b in ready], *data, metric, timeout_s=budget.timeout_s, memory_mb=budget.memory_mb,
                      workers=budget.workers, deadline=budget.deadline, progress=progress)
    except Exception as exc:  # noqa: BLE001 -- the run goes on: every row not scored fails with the reason
        for row, _ in ready:
            if not row.ok and not row.reason:
                report(row.fail(f"scoring failed: {exc}"))


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
        row = Row(sub["participant"], sub["modelCid"], sub["modelSha256"], sub["order"],
                  weights_root=sub.get("weightsRoot", ""), score_int=worst)
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
