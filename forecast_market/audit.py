"""Audit, anyone: recompute every posted score from what is on chain and on IPFS.

Fetches the revealed test set and every revealed bundle (checked against the digests on
chain), scores them the same way the organizer must have, and compares each result with the
score posted on chain and the ranking with the contract's. Scores are integers computed exactly
(fixed-point inference, :mod:`ml_models.intinfer`), so a match is equality, on any machine; this
machine first checks that it reproduces the reference's golden values. The CLI exits 3 on any mismatch.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .artifacts import fetch_folder
from .chain import competition, now, posted_scores
from .errors import ChainError
from .protocol import SCORING_LIMITS, Phase, is_failure, qualifies, ranked, show_score
from .scoring import Budget, Row, score_revealed
from .settings import settings
from .show import when


@dataclass
class Check:
    participant: str
    posted: int | None
    recomputed: int
    ok_bundle: bool
    reason: str
    match: bool
    challenge: str = ""  # a mismatch that can still be disputed on chain: the command that does it


def standing_scores(market, comp: dict) -> dict[str, int]:
    """The scores that stand, by participant: as posted, or in a bonded competition as a dispute replaced them."""
    posted = posted_scores(market, comp["id"])
    if not comp["bonded"]:
        return posted
    return {who: int(market.claimOf(comp["id"], who)["score"]) if not is_failure(score) else score
            for who, score in posted.items()}


def challenge_hint(comp: dict, check: Check) -> str:
    """How a mismatching score can still be overturned, or why it cannot."""
    if not comp["bonded"]:
        return "unbonded competition: it cannot be disputed on chain"
    if check.posted is None:
        return ""
    if not check.ok_bundle:
        return "the bundle does not score here either: nothing to dispute from this machine"
    closes = comp["challengeEnd"] or comp["evaluationEnd"]
    if comp["phase"] != Phase.EVALUATION or now() >= closes:
        return "its challenge window has closed"
    return f"market challenge {comp['id']} {check.participant}  (until {when(closes)})"


def _ranking_matches(market, comp: dict, rows: list[Row]) -> bool:
    """Once every revealed submission is scored, the ranking on chain must be the top k of the
    recomputed scores that meet the minimum, ties to the earlier commitment."""
    higher, minimum = comp["higherIsBetter"], comp["minScore"]
    expected = [r.participant for r in rows if qualifies(r.score_int, minimum, higher)][: comp["prizeCount"]]
    on_chain = [str(r["participant"]) for r in market.ranking(comp["id"])]
    if on_chain != expected:
        print(f"  ranking on chain {on_chain} differs from the recomputed {expected}")
    return on_chain == expected


def verify(market, comp_id: int, *, work_dir: str | Path | None = None,
           timeout_s: float = SCORING_LIMITS.timeout_s,
           memory_mb: int = SCORING_LIMITS.memory_mb, rows_out: list[Row] | None = None) -> tuple[bool, list[Check]]:
    """(all confirmed, one :class:`Check` per revealed submission): a posted score is confirmed when the
    recomputed integer equals it. ``rows_out`` receives the recomputed rows, best first, with their
    predictions (for plots). Raises ``ml_models.intinfer.IntInferError`` first when this machine does not
    reproduce the golden values."""
    from ml_models.intinfer.golden import require_golden

    require_golden()
    comp = competition(market, comp_id)
    if not comp["testRevealed"]:
        raise ChainError(f"competition {comp_id} has not revealed its test set yet: nothing to verify")
    work = Path(work_dir).resolve() if work_dir else settings().work_dir(comp_id, "verify")
    test_dir = fetch_folder(comp["testCid"], work / "data" / comp["testCid"])
    budget = Budget(timeout_s=timeout_s, memory_mb=memory_mb)
    rows = ranked(score_revealed(market, comp, test_dir, work, budget=budget), comp["higherIsBetter"])
    if rows_out is not None:
        rows_out.extend(rows)
    posted = standing_scores(market, comp)
    checks = []
    for r in rows:
        p = posted.get(r.participant)
        checks.append(c := Check(r.participant, p, r.score_int, r.ok, r.reason, p is not None and p == r.score_int))
        if not c.match:
            c.challenge = challenge_hint(comp, c)
    complete = bool(checks) and all(c.posted is not None for c in checks)
    all_ok = all(c.match for c in checks) and (not complete or _ranking_matches(market, comp, rows))
    for c in checks:
        verdict = "match" if c.match else "MISMATCH"
        note = "" if c.ok_bundle else f"  (failed: {c.reason[:90]})"
        print(f"  {c.participant}  posted {show_score(c.posted):>14}  recomputed {show_score(c.recomputed):>14}"
              f"  {verdict}{note}" + (f"\n      -> {c.challenge}" if c.challenge else ""))
    print(f"competition {comp_id}: {sum(c.match for c in checks)}/{len(checks)} scores confirmed"
          + ("" if all_ok else "; MISMATCHES FOUND"))
    return all_ok, checks
