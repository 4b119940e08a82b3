"""Stage 4, organizer: reveal the test set, fetch and score every revealed bundle, post the
scores, finalize.

    brownie run scripts/evaluate.py main <competition id>

Needs the organizer's test-set record (saved by `initialize`). Each step is skipped when the
chain shows it done already, so a run that stopped half-way can simply be repeated.
"""
from __future__ import annotations

from pathlib import Path

from scripts.artifacts import fetch_folder, publish_folder
from scripts.common import ChainError, competition, get_account, get_market, posted_scores, transact
from scripts.evaluation import ranked, score_revealed
from scripts.initialize import load_test_set_record
from scripts import plots

BATCH = 20


def evaluate(market, organizer, comp_id: int, *, work_dir: str | Path | None = None, timeout_s: float = 300,
             memory_mb: int = 4096, finalize: bool = True, names: dict[str, str] | None = None) -> dict:
    from ml_models import get_metric

    comp = competition(market, comp_id)
    if comp["phase"] not in ("Reveal", "Evaluation"):
        raise ChainError(f"competition {comp_id} is in its {comp['phase']} phase: evaluation needs the Reveal "
                         f"phase (to reveal the test set) or the Evaluation phase")
    work = Path(work_dir or Path("out") / f"competition-{comp_id}" / "organizer").resolve()
    record = load_test_set_record(market, comp)
    if not comp["testRevealed"]:
        cid, _ = publish_folder(Path(record["test_dir"]))
        if cid != record["test_cid"]:
            raise ChainError(f"the test bundle in {record['test_dir']} now has CID {cid}, not the committed "
                             f"{record['test_cid']}: it was modified after the competition was created")
        transact(market.revealTestSet, comp_id, cid, bytes.fromhex(record["salt"]), sender=organizer)
        comp = competition(market, comp_id)
    if comp["phase"] != "Evaluation":
        print(f"test set revealed; scoring opens at {comp['revealEnd']} when reveals close")
        return {"comp": comp, "rows": []}
    test_dir = fetch_folder(comp["testCid"], work / "data" / comp["testCid"])
    rows = ranked(score_revealed(market, comp, test_dir, work, timeout_s=timeout_s, memory_mb=memory_mb),
                  comp["higherIsBetter"])
    done = posted_scores(market, comp_id)
    todo = [r for r in rows if r.participant not in done]
    for i in range(0, len(todo), BATCH):
        batch = todo[i:i + BATCH]
        transact(market.postScores, comp_id, [r.participant for r in batch], [r.score_int for r in batch],
                 sender=organizer)
    if finalize:
        transact(market.finalize, comp_id, sender=organizer)
    _, metric = get_metric(comp["metric"])
    from ml_models import read_dataset_bundle

    test_df, schema = read_dataset_bundle(test_dir, part="test")
    figures = {"leaderboard": plots.leaderboard(rows, metric.name, work / "leaderboard.png", names),
               "forecasts": plots.forecasts(rows, test_df, schema.target, work / "forecasts.png", names)}
    print(f"competition {comp_id}: {len(rows)} submission(s) scored ({sum(r.ok for r in rows)} ok), "
          f"{len(todo)} score(s) posted{', finalized' if finalize else ''}; plots in {work}")
    return {"comp": competition(market, comp_id), "rows": rows, "figures": figures}


def main(comp_id: int = 1):
    return evaluate(get_market(), get_account(), int(comp_id))
