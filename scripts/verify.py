"""Audit, anyone: recompute every posted score from what is on chain and on IPFS.

    brownie run scripts/verify.py main <competition id>

Fetches the revealed test set and every revealed bundle (checked against the digests on
chain), scores them the same way the organizer must have, and compares each result with the
score posted on chain. Returns False (the CLI exits 1) on any mismatch.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from scripts.artifacts import fetch_folder
from scripts.common import ChainError, competition, get_market, posted_scores, show_score
from scripts.evaluation import ranked, score_revealed


@dataclass
class Check:
    participant: str
    posted: int | None
    recomputed: int
    ok_bundle: bool
    reason: str
    match: bool


def verify(market, comp_id: int, *, work_dir: str | Path | None = None, tolerance: float = 1e-5,
           timeout_s: float = 300, memory_mb: int = 4096) -> tuple[bool, list[Check]]:
    comp = competition(market, comp_id)
    if not comp["testRevealed"]:
        raise ChainError(f"competition {comp_id} has not revealed its test set yet: nothing to verify")
    work = Path(work_dir or Path("out") / f"competition-{comp_id}" / "verify").resolve()
    test_dir = fetch_folder(comp["testCid"], work / "data" / comp["testCid"])
    rows = ranked(score_revealed(market, comp, test_dir, work, timeout_s=timeout_s, memory_mb=memory_mb),
                  comp["higherIsBetter"])
    posted = posted_scores(market, comp_id)
    allowed = int(round(tolerance * 1e6))
    checks = []
    for r in rows:
        p = posted.get(r.participant)
        match = p is not None and abs(p - r.score_int) <= allowed
        checks.append(Check(r.participant, p, r.score_int, r.ok, r.reason, match))
    # Once every revealed submission is scored, the ranking on chain must be the top k of the
    # recomputed scores that meet the minimum, ties to the earlier commitment.
    ranking_ok = True
    if checks and all(c.posted is not None for c in checks):
        higher, minimum = comp["higherIsBetter"], comp["minScore"]
        qualifying = [r for r in rows if (r.score_int >= minimum if higher else r.score_int <= minimum)]
        expected = [r.participant for r in qualifying][: comp["prizeCount"]]
        on_chain = [str(r["participant"]) for r in market.ranking(comp_id)]
        ranking_ok = on_chain == expected
        if not ranking_ok:
            print(f"  ranking on chain {on_chain} differs from the recomputed {expected}")
    all_ok = all(c.match for c in checks) and ranking_ok
    for c in checks:
        shown = show_score(c.posted)
        verdict = "match" if c.match else "MISMATCH"
        note = "" if c.ok_bundle else f"  (failed: {c.reason[:90]})"
        print(f"  {c.participant}  posted {shown:>14}  recomputed {show_score(c.recomputed):>14}  {verdict}{note}")
    print(f"competition {comp_id}: {sum(c.match for c in checks)}/{len(checks)} scores confirmed"
          + ("" if all_ok else "; MISMATCHES FOUND"))
    return all_ok, checks


def main(comp_id: int = 1):
    ok, _ = verify(get_market(), int(comp_id))
    if not ok:
        raise SystemExit(1)
