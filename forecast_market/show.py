"""Views (forecast_market.views) as lines for people: local times with UTC, durations, ETH, metric names."""
from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

ETHER = Decimal(10**18)


def when(ts: int | None) -> str:
    """A chain timestamp in local time, with UTC beside it when the local zone differs."""
    if ts is None:
        return "-"
    utc = datetime.fromtimestamp(int(ts), tz=UTC)
    local = utc.astimezone()
    if local.utcoffset() == utc.utcoffset():
        return utc.strftime("%Y-%m-%d %H:%M UTC")
    return f"{local.strftime('%Y-%m-%d %H:%M %Z')} ({utc.strftime('%H:%M UTC')})"


def duration(seconds: int | float) -> str:
    """``3 h 12 min``, ``2 d 4 h``, ``45 s``: two units at most."""
    s = max(0, int(seconds))
    if s < 60:
        return f"{s} s"
    days, rest = divmod(s, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        return f"{days} d {hours} h" if hours else f"{days} d"
    if hours:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    return f"{minutes} min"


def eth(wei: int) -> str:
    """Wei as ETH without trailing zeros: ``1.5 ETH``."""
    value = (Decimal(int(wei)) / ETHER).normalize()
    return f"{value:f} ETH"


def next_line(view: dict) -> str:
    """``reveals close in 3 h 12 min (at ...)``, or what the phase means once nothing is left to close."""
    upcoming = view["next"]
    if upcoming is None:
        return {"Expired": "the organizer did not finish in time: anyone can `market settle` it",
                "Finalized": "scored and paid", "Refunded": "nobody qualified: the organizer is refunded",
                "Fallback": "settled without evaluation", "Cancelled": "cancelled by the organizer"
                }.get(view["phase"], view["phase"])
    return f"{upcoming['event']} in {duration(upcoming['seconds_left'])} ({when(upcoming['at'])})"


def score_text(score: float | None, status: str) -> str:
    if status == "failed":
        return "failed"
    return "-" if score is None else f"{score:.6f}"


def list_lines(view: dict) -> list[str]:
    if not view["competitions"]:
        return [f"no competitions yet on {view['market']}: an organizer creates one with `market init`"]
    lines = [f"{'ID':>4}  {'PHASE':<10} {'REWARD':>12} {'METRIC':<7} {'ENTRIES':>7}  NEXT"]
    for c in view["competitions"]:
        lines.append(f"{c['id']:>4}  {c['phase']:<10} {eth(c['reward_wei']):>12} {c['metric']:<7} "
                     f"{c['participants']:>7}  {next_line(c)}")
    lines.append(f"chain time {when(view['now'])}; `market leaderboard ID` shows one competition's entries")
    return lines


def entry_lines(board: dict, *, balances: dict[str, int] | None = None, names: dict[str, str] | None = None) -> list[str]:
    """The leaderboard table: rank, participant, status, score under the metric's name, prize, credited."""
    metric, names = board["metric"], names or {}
    if not board["entries"]:
        return ["  no entries yet"]
    prize_head = "CREDITED" if board["final"] else "PRIZE"
    head = f"  {'RANK':>4}  {'PARTICIPANT':<42} {'STATUS':<10} {metric:>14} {prize_head:>14}"
    lines = [head + ("  BALANCE" if balances is not None else "")]
    for e in board["entries"]:
        who = e["participant"] + (f" ({names[e['participant']]})" if e["participant"] in names else "")
        money = e["credited_wei"] if board["final"] else e["prize_share_wei"]
        line = (f"  {e['rank'] or '-':>4}  {who:<42} {e['status']:<10} {score_text(e['score'], e['status']):>14} "
                f"{eth(money) if money else '-':>14}")
        if balances is not None:
            line += f"  {eth(balances.get(e['participant'], 0))}"
        lines.append(line)
    return lines


def leaderboard_lines(board: dict) -> list[str]:
    c = board["competition"]
    direction = "higher" if c["higher_is_better"] else "lower"
    lines = [f"competition {c['id']}  phase {c['phase']}: {next_line(c)}",
             f"  {board['metric']} on the hidden test set, {direction} is better; "
             + ("CREDITED: the payouts (prize and deposit back)" if board["final"] else
                f"PRIZE: the rank's share of the {eth(c['reward_wei'])} reward, before forfeited deposits join it")]
    return lines + entry_lines(board)


def _bond_lines(c: dict) -> list[str]:
    b = c.get("bond")
    if not b:
        return []
    window = (f"challenges until {when(b['challenge_end'])}" if b["challenge_end"]
              else "the 3-day challenge window opens once every score is posted")
    held = eth(b["organizer_wei"]) if b["organizer_wei"] else "released (back to the organizer, or to a challenger who won)"
    return [f"  bonded: organizer bond {held}, challenge bond {eth(b['challenge_wei'])}; {window}; "
            f"{b['open_disputes']} dispute(s) open" + (f" (`market defend {c['id']}`)" if b["open_disputes"] else "")]


def _request_lines(comp_id: int, requests: list[dict]) -> list[str]:
    out = []
    for r in requests:
        if r["complete"]:
            state = "published: the organizer scores it from the chain"
        elif r["pending"]:
            state = (f"publish by {when(r['deadline'])} ({r['published']} leaves sent): that participant runs "
                     f"`market publish-weights {comp_id}`")
        else:
            state = f"not published by {when(r['deadline'])}: its failure cannot be disputed"
        out.append(f"  weights requested from {r['participant']}: {state}")
    return out


def status_lines(view: dict, names: dict[str, str] | None = None) -> list[str]:
    board, c = view["leaderboard"], view["leaderboard"]["competition"]
    d = c["deadlines"]
    prizes = " / ".join(f"{b / 100:g}%" for b in c["prize_bps"])
    direction = "higher" if c["higher_is_better"] else "lower"
    return [
        f"competition {c['id']}  phase {c['phase']}: {next_line(c)}",
        f"  chain time {when(view['now'])}",
        f"  organizer {c['organizer']}  reward {eth(c['reward_wei'])}  deposit {eth(c['deposit_wei'])}  "
        f"prizes {prizes}",
        f"  task: forecast {c['target']!r} {c['horizon']} step(s) ahead from {c['sequence_length']}-step windows; "
        f"{board['metric']}, {direction} is better",
        f"  deadlines: submissions {when(d['submission'])} | reveals {when(d['reveal'])} | "
        f"scoring {when(d['evaluation'])}",
        *_bond_lines(c),
        *_request_lines(c["id"], view.get("weights_requests", [])),
        f"  data {c['data_cid']}  test set {c['test_cid'] or 'not revealed'}",
        f"  entries ({len(board['entries'])}), balance = withdrawable now:",
        *entry_lines(board, balances=view["balances"], names=names),
    ]


def mine_lines(view: dict) -> list[str]:
    lines = [f"{view['account']}: {eth(view['withdrawable_wei'])} withdrawable now"
             + (" (`market settle` withdraws it)" if view["withdrawable_wei"] else "")]
    if not view["entries"]:
        return lines + ["  no entries and no competitions organized on this market"]
    for r in view["entries"]:
        state = r.get("status", "")
        by = "" if r["by"] is None else f" by {when(r['by'])} ({duration(r['seconds_left'])} left)"
        lines.append(f"  competition {r['competition']:<4} {r['role']:<11} {r['phase']:<10} {state:<10} "
                     f"next: {r['todo']}{by}")
    return lines
