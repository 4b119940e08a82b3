"""What the read-only commands show: competitions, a leaderboard, one account's entries.

Each view is plain data (what ``--json`` prints) built from a :class:`~forecast_market.reader.Reader`;
:mod:`forecast_market.cli.show` turns it into lines for people.
"""
from __future__ import annotations

from .protocol import BPS, Phase, Status, is_failure
from .reader import Reader

#: Phases after which nothing changes but claims and withdrawals.
SETTLED = (Phase.FINALIZED, Phase.REFUNDED, Phase.FALLBACK, Phase.CANCELLED)
ETHER = 10**18


def metric_name(metric_id: int) -> str:
    from ml_models.metrics import METRICS

    metric = METRICS.get(int(metric_id))
    return metric.name.upper() if metric else f"metric {metric_id}"


def score_value(score: int | None) -> float | None:
    """A posted integer score in metric units; None for none or a failure."""
    from ml_models.metrics import SCORE_SCALE

    return None if score is None or is_failure(score) else score / SCORE_SCALE


def next_deadline(comp: dict) -> tuple[str, int] | None:
    """(what closes next, when) while a competition runs; None once it is past its evaluation deadline."""
    phase = comp["phase"]
    if phase == Phase.SUBMISSION:
        return "submissions close", comp["submissionEnd"]
    if phase == Phase.REVEAL:
        return "reveals close", comp["revealEnd"]
    if phase == Phase.EVALUATION and comp.get("challengeEnd"):
        return "challenges close (then `market finalize`)", comp["challengeEnd"]
    if phase == Phase.EVALUATION:
        return "scoring closes", comp["evaluationEnd"]
    return None


def competition_view(comp: dict, now: int) -> dict:
    """One competition's public summary, JSON-ready."""
    upcoming = next_deadline(comp)
    return {
        "id": comp["id"], "phase": str(comp["phase"]), "organizer": comp["organizer"],
        "reward_wei": comp["reward"], "deposit_wei": comp["entryDeposit"],
        "prize_bps": comp["prizeBps"], "metric": metric_name(comp["metric"]),
        "higher_is_better": comp["higherIsBetter"], "target": comp["target"],
        "sequence_length": comp["sequenceLength"], "horizon": comp["horizon"],
        "data_cid": comp["dataCid"], "test_cid": comp["testCid"] or None,
        "deadlines": {"submission": comp["submissionEnd"], "reveal": comp["revealEnd"],
                      "evaluation": comp["evaluationEnd"]},
        "participants": comp["participants"], "revealed": comp["revealCount"],
        "bond": None if not comp.get("bonded") else {
            "organizer_wei": comp["organizerBond"], "challenge_wei": comp["challengeBond"],
            "challenge_end": comp["challengeEnd"] or None, "open_disputes": comp["openDisputes"]},
        "next": None if upcoming is None else {"event": upcoming[0], "at": upcoming[1],
                                               "seconds_left": max(0, upcoming[1] - now)},
    }


def list_view(reader: Reader) -> dict:
    """Every competition on the market, newest first."""
    now = reader.now()
    comps = [competition_view(reader.competition(i), now) for i in range(reader.count(), 0, -1)]
    return {"market": reader.address, "network": reader.network_name, "now": now, "competitions": comps}


def _entry_state(status: Status, comp: dict, score: int | None) -> str:
    """What happened to one entry, in words a participant uses."""
    if status == Status.COMMITTED:
        closed = comp["phase"] not in (Phase.SUBMISSION, Phase.REVEAL)
        return ("forfeited" if comp["entryDeposit"] else "unrevealed") if closed else "committed"
    if status == Status.FAILED or is_failure(score):
        return "failed"
    return str(status).lower()


def leaderboard_view(reader: Reader, comp_id: int) -> dict:
    """Every entry of a competition, ranked first (the contract's ranking), then the rest by score."""
    comp = reader.competition(comp_id)
    now = reader.now()
    committed = reader.events("Committed", comp_id)
    scores = {e["participant"]: int(e["score"]) for e in reader.events("ScorePosted", comp_id)}
    credited: dict[str, int] = {}
    for e in reader.events("Credited", comp_id):
        credited[e["account"]] = credited.get(e["account"], 0) + int(e["amount"])
    ranks = {r["participant"]: i + 1 for i, r in enumerate(reader.ranking(comp_id))}
    entries = []
    for who in dict.fromkeys(e["participant"] for e in committed):  # first commitment order
        sub = reader.submission(comp_id, who)
        score = scores.get(who)
        rank = ranks.get(who)
        prize = comp["reward"] * comp["prizeBps"][rank - 1] // BPS if rank and rank <= len(comp["prizeBps"]) else 0
        entries.append({"participant": who, "order": sub["order"], "rank": rank, "status": _entry_state(
            sub["status"], comp, score), "score": score_value(score), "score_int": score,
            "prize_share_wei": prize, "credited_wei": credited.get(who, 0)})
    sign = -1 if comp["higherIsBetter"] else 1

    def key(e):
        has = e["score"] is not None
        return (e["rank"] is None, e["rank"] or 0, not has, sign * e["score"] if has else 0, e["order"])

    entries.sort(key=key)
    return {"competition": competition_view(comp, now), "metric": metric_name(comp["metric"]),
            "final": comp["phase"] in SETTLED, "now": now, "entries": entries}


def _participant_todo(comp: dict, status: Status, claimable: bool) -> tuple[str, int | None]:
    """(what to do next, by when) for a participant's entry."""
    cid, phase = comp["id"], comp["phase"]
    if status == Status.COMMITTED:
        if phase == Phase.SUBMISSION:
            return f"reveal with `market reveal {cid}` once submissions close", comp["submissionEnd"]
        if phase == Phase.REVEAL:
            return f"reveal now: `market reveal {cid}`", comp["revealEnd"]
        return "nothing: the entry was never revealed", None
    if phase in (Phase.SUBMISSION, Phase.REVEAL, Phase.EVALUATION):
        return "wait for the organizer's scores", comp["evaluationEnd"]
    if phase == Phase.EXPIRED:
        return f"the organizer did not finish: `market settle {cid}` settles it and claims your share", None
    if claimable:
        return f"claim and withdraw: `market settle {cid}`", None
    return "nothing", None


def _organizer_todo(comp: dict) -> tuple[str, int | None]:
    cid, phase = comp["id"], comp["phase"]
    if phase == Phase.SUBMISSION:
        if comp["participants"] == 0:
            return f"wait for entries (or withdraw the offer: `market cancel {cid}`)", comp["submissionEnd"]
        return "wait for reveals", comp["revealEnd"]
    if phase == Phase.REVEAL:
        return f"reveal the test set early with `market evaluate {cid}`, then score once reveals close", \
            comp["revealEnd"]
    if phase == Phase.EVALUATION:
        return f"score and finalize: `market evaluate {cid}`", comp["evaluationEnd"]
    if phase == Phase.REFUNDED:
        return f"claim the refund after the challenge period: `market settle {cid}`", None
    return "nothing", None


def mine_view(reader: Reader, me: str) -> dict:
    """``me``'s entries and organized competitions across the market, what to do next, and what is owed."""
    now = reader.now()
    mine_ids = {int(e["id"]) for e in reader.events("Committed", participant=me)}
    organized = {int(e["id"]) for e in reader.events("CompetitionCreated", organizer=me)}
    rows = []
    for cid in sorted(mine_ids | organized, reverse=True):
        comp = reader.competition(cid)
        for role in ("organizer",) * (cid in organized) + ("participant",) * (cid in mine_ids):
            row = {"competition": cid, "role": role, "phase": str(comp["phase"]),
                   "metric": metric_name(comp["metric"])}
            if role == "participant":
                status = reader.submission(cid, me)["status"]
                claimable = comp["phase"] in SETTLED and reader.would_succeed("claim", cid, me, sender=me)
                todo, by = _participant_todo(comp, status, claimable)
                request = next((r for r in (reader.weights_requests(cid) if comp.get("bonded") else [])
                                if r["participant"].lower() == me.lower() and r["pending"]), None)
                if request:  # the organizer could not use the bundle: publish the weights or fail for good
                    todo, by = f"publish your weights (`market publish-weights {cid}`)", request["deadline"]
                row |= {"status": _entry_state(status, comp, None), "claimable": claimable}
            else:
                todo, by = _organizer_todo(comp)
            row |= {"todo": todo, "by": by, "seconds_left": None if by is None else max(0, by - now)}
            rows.append(row)
    return {"account": me, "market": reader.address, "now": now, "withdrawable_wei": reader.balance(me),
            "entries": rows}
