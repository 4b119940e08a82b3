"""Where a competition stands: phase, deadlines and time left, every entry with its score, prize and balance."""
from __future__ import annotations

from .reader import Reader, reader_for
from .views import leaderboard_view


def status_view(reader: Reader, comp_id: int) -> dict:
    """JSON-ready: the leaderboard (competition, entries) plus each participant's withdrawable balance."""
    board = leaderboard_view(reader, comp_id)
    balances = {e["participant"]: reader.balance(e["participant"]) for e in board["entries"]}
    requests = reader.weights_requests(comp_id) if board["competition"]["bond"] else []
    return {"market": reader.address, "now": board["now"], "leaderboard": board, "balances": balances,
            "weights_requests": requests}


def status(market, comp_id: int, *, names: dict[str, str] | None = None) -> dict:
    """Print a competition's status (``market`` is a brownie contract or a Reader); returns what was
    shown, with ``competition`` as read from chain (its phase a Phase)."""
    from .show import status_lines

    reader = market if isinstance(market, Reader) else reader_for(market)
    view = status_view(reader, comp_id)
    print("\n".join(status_lines(view, names)))
    return view | {"competition": reader.competition(comp_id)}
