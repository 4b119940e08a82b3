"""Stage 4, organizer: reveal the test set, fetch and score every revealed bundle, post the
scores, finalize.

Needs the organizer's test-set record (saved at initialization). Each step is skipped when the
chain shows it done already, so a run that stopped half-way can simply be repeated: scores
already on chain are not computed again. Scoring stops ``margin_s`` seconds (chain time) before
the evaluation deadline; whatever is unfinished then is posted as failed, so a flood of slow
bogus entries cannot push the organizer past the deadline into the fallback.
"""
from __future__ import annotations

from pathlib import Path

from .. import plots
from ..artifacts import fetch_folder, publish_folder
from ..chain import competition, now, posted_scores, transact
from ..errors import ArtifactError, ChainError
from ..protocol import SCORING_LIMITS, Phase, ranked
from ..scoring import Budget, Row, load_data, save_rows, score_revealed
from ..settings import settings
from ..show import when
from .initialization import load_test_set_record

#: Scores posted per transaction.
BATCH = 20
#: Default time (chain seconds) kept free before the evaluation deadline for posting and finalizing.
MARGIN_S = 600


def reveal_test_set(market, organizer, comp: dict) -> dict:
    """Publish the organizer's test bundle and reveal it on chain, unless it is revealed already;
    returns the competition as it then stands."""
    if comp["testRevealed"]:
        return comp
    record = load_test_set_record(market, comp)
    cid, _ = publish_folder(Path(record["test_dir"]))
    if cid != record["test_cid"]:
        raise ArtifactError(f"the test bundle in {record['test_dir']} now has CID {cid}, not the committed "
                            f"{record['test_cid']}: it was modified after the competition was created")
    transact(market.revealTestSet, comp["id"], cid, bytes.fromhex(record.get("test_root", "00" * 32)),
             int(record.get("test_rows", 0)), bytes.fromhex(record["salt"]), sender=organizer)
    return _read_after_write(market, comp["id"])


def _read_after_write(market, comp_id: int, attempts: int = 20) -> dict:
    """The competition once a read shows the test set revealed: right after the receipt, a node
    (anvil mining on an interval; a hosted provider's other backends) can still answer from the
    block before."""
    import time

    for _ in range(attempts):
        comp = competition(market, comp_id)
        if comp["testRevealed"]:
            return comp
        time.sleep(0.5)
    raise ChainError(f"the node still shows competition {comp_id}'s test set unrevealed after its reveal was "
                     "mined; run this again in a minute")


def post_scores(market, organizer, comp_id: int, rows: list[Row], done: dict[str, int]) -> list[Row]:
    """Post every score not on chain yet (``done``: posted already), in batches; returns the rows posted now."""
    todo = [r for r in rows if r.participant not in done]
    for i in range(0, len(todo), BATCH):
        batch = todo[i:i + BATCH]
        transact(market.postScores, comp_id, [r.participant for r in batch], [r.score_int for r in batch],
                 sender=organizer)
    return todo


def _figures(market, rows: list[Row], comp: dict, test_dir: Path, work: Path, names: dict[str, str] | None) -> dict:
    from ml_models import direction_outcomes, get_metric

    from ..report import standing

    _, metric = get_metric(comp["metric"])
    train_df, test_df, schema = load_data(comp, test_dir, work)
    shown, label, unit = test_df, schema.target, plots.UNITS.get(schema.source)
    if schema.task == "direction":  # probabilities against what happened: 1 where the target rose, else 0
        label, unit = f"P({schema.target} rises over {schema.horizon} steps)", None
        shown = test_df.assign(**{label: direction_outcomes(train_df, test_df, schema)})
    chain = standing(market, comp["id"])
    return {"leaderboard": plots.leaderboard(rows, metric.name, work / "leaderboard.png", names,
                                             higher_is_better=comp["higherIsBetter"], **chain),
            "forecasts": plots.forecasts(rows, shown, label, work / "forecasts.png", names,
                                         horizon=schema.horizon, frequency=schema.frequency,
                                         unit=unit, metric_name=metric.name)}


def _budget(comp: dict, timeout_s: float, memory_mb: int, margin_s: float, workers: int | None) -> Budget:
    """Scoring must end ``margin_s`` before the evaluation deadline (chain time, mapped onto this clock)."""
    import time

    left = comp["evaluationEnd"] - now() - margin_s
    if left <= 0:
        raise ChainError(f"competition {comp['id']} closes scoring at {comp['evaluationEnd']}, less than the "
                         f"{margin_s:g} s margin from now: post at once with a smaller --margin, or let it settle")
    extra = {"workers": workers} if workers else {}
    return Budget(timeout_s=timeout_s, memory_mb=memory_mb, deadline=time.monotonic() + left, **extra)


def evaluate(market, organizer, comp_id: int, *, work_dir: str | Path | None = None,
             timeout_s: float = SCORING_LIMITS.timeout_s, memory_mb: int = SCORING_LIMITS.memory_mb,
             margin_s: float = MARGIN_S, workers: int | None = None, finalize: bool = True,
             names: dict[str, str] | None = None) -> dict:
    """In the Evaluation phase: reveal the test set, score what is not scored yet, post, finalize.
    Returns ``{"comp", "rows", "figures"}``; rows are ranked best first."""
    comp = competition(market, comp_id)
    if comp["phase"] == Phase.REVEAL and not comp["testRevealed"]:
        print(f"competition {comp_id} is still in its Reveal phase: the test set is revealed and scoring opens "
              f"at {when(comp['revealEnd'])}, when reveals close; run this again then")
        return {"comp": comp, "rows": []}
    if comp["phase"] not in (Phase.REVEAL, Phase.EVALUATION):
        raise ChainError(f"competition {comp_id} is in its {comp['phase']} phase: evaluation needs the "
                         f"Evaluation phase")
    work = Path(work_dir).resolve() if work_dir else settings().work_dir(comp_id, "organizer")
    comp = reveal_test_set(market, organizer, comp)
    if comp["phase"] != Phase.EVALUATION:
        print(f"test set revealed; scoring opens at {when(comp['revealEnd'])} when reveals close")
        return {"comp": comp, "rows": []}
    budget = _budget(comp, timeout_s, memory_mb, margin_s, workers)
    test_dir = fetch_folder(comp["testCid"], work / "data" / comp["testCid"])
    done = posted_scores(market, comp_id)
    rows = score_revealed(market, comp, test_dir, work, budget=budget, known=done)
    waiting: list[Row] = []
    if comp["bonded"]:  # fail an entry only for a reason provable on chain; ask for weights it cannot use
        from .failures import request_missing

        waiting, notes = request_missing(market, organizer, comp, [r for r in rows if r.participant not in done], work)
        for note in notes:
            print(note)
    rows = ranked(rows, comp["higherIsBetter"])
    save_rows(rows, work / "scores.json")
    later = {r.participant for r in waiting}
    todo = post_scores(market, organizer, comp_id, [r for r in rows if r.participant not in later], done)
    if waiting:
        finalize = False
    elif finalize and comp["bonded"]:
        finalize = False
        end = competition(market, comp_id)["challengeEnd"]
        print(f"competition {comp_id} is bonded: its scores can be challenged until {when(end)}; "
              f"`market finalize {comp_id}` pays the winners after that (anyone may run it)")
    elif finalize:
        transact(market.finalize, comp_id, sender=organizer)
    figures = _figures(market, rows, comp, test_dir, work, names)
    print(f"competition {comp_id}: {len(rows)} submission(s) scored ({sum(r.ok for r in rows)} ok), "
          f"{len(todo)} score(s) posted{', finalized' if finalize else ''}; plots in {work}")
    return {"comp": competition(market, comp_id), "rows": rows, "figures": figures}
