"""Where a competition stands: phase, deadlines, submissions, ranking, balances."""
from __future__ import annotations

from datetime import UTC, datetime

from .chain import competition, events, posted_scores
from .protocol import Status, show_score


def _when(ts: int) -> str:
    return datetime.fromtimestamp(int(ts), tz=UTC).strftime("%Y-%m-%d %H:%M UTC")


def status(market, comp_id: int, *, names: dict[str, str] | None = None) -> dict:
    from brownie import web3

    comp = competition(market, comp_id)
    names = names or {}
    committed = {e["participant"] for e in events(market, "Committed", comp_id)}
    scores = posted_scores(market, comp_id)
    subs = []
    for who in sorted(committed):
        s = market.submission(comp_id, who)
        subs.append({"participant": who, "name": names.get(who, ""), "status": Status(int(s["status"])),
                     "order": int(s["order"]), "score": scores.get(who), "owed": int(market.balanceOf(who))})
    ranking = [{"participant": str(r["participant"]), "score": int(r["score"])} for r in market.ranking(comp_id)]
    lines = [
        f"competition {comp_id}  phase {comp['phase']}  organizer {comp['organizer']}",
        f"  reward {web3.from_wei(comp['reward'], 'ether')} ETH  deposit {web3.from_wei(comp['entryDeposit'], 'ether')} ETH"
        f"  prizes {comp['prizeBps']} bps  data {comp['dataCid']}",
        f"  task: target {comp['target']}, window {comp['sequenceLength']}, horizon {comp['horizon']}, metric {comp['metric']}"
        f" ({'higher' if comp['higherIsBetter'] else 'lower'} is better)",
        f"  deadlines: submit {_when(comp['submissionEnd'])} | reveal {_when(comp['revealEnd'])}"
        f" | evaluate {_when(comp['evaluationEnd'])}",
        f"  test set: {comp['testCid'] or 'not revealed'}",
        f"  submissions ({len(subs)}):",
    ]
    for s in subs:
        score = "" if s["score"] is None else f"score {show_score(s['score'])}"
        lines.append(f"    #{s['order']:<3} {s['participant']} {s['name']:<12} {s['status']:<9} {score}")
    lines.append("  ranking: " + (", ".join(f"{i + 1}. {names.get(r['participant'], r['participant'][:10])} "
                                            f"({show_score(r['score'])})" for i, r in enumerate(ranking)) or "none"))
    print("\n".join(lines))
    return {"competition": comp, "submissions": subs, "ranking": ranking}

