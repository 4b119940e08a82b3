"""Playing a dispute from one side: what the defender or the challenger sends next, and a loop to the end.

Each party runs its own :class:`~.proofs.Evaluation` (the evaluation it believes in); :func:`next_move`
sends the one transaction the dispute awaits from that party (nothing when it is the other side's turn),
and :func:`play` alternates two parties until one step is executed. ``docs/FRAUD_PROOFS.md`` section 4
is the game. The contracts are brownie objects (``ForecastMarket`` and its ``DisputeGame``).
"""
from __future__ import annotations

from enum import IntEnum

from ..chain import transact
from .proofs import Evaluation

__all__ = ["Stage", "next_move", "open_dispute", "play", "prove_invalid"]


class Stage(IntEnum):
    """``IDisputeGame.Stage``."""

    NONE = 0
    DEFENSE = 1
    BISECT = 2
    CHOOSE = 3
    STEP = 4


def open_dispute(market, comp_id: int, participant, challenger, ev: Evaluation, bond: int):
    """Open a dispute of ``participant``'s score, claiming the sums of ``ev``."""
    final = ev.final()
    return transact(market.openDispute, comp_id, participant, final.sum_sq, final.sum_abs, sender=challenger, value=bond)


def next_move(market, game, comp_id: int, participant, challenger, me, ev: Evaluation, *, defender: bool) -> Stage:
    """Send ``me``'s move if the dispute awaits one from this side; returns the stage it was at.

    At the last step either side may execute it; each does so only when the step, run as a call
    first, verifies and comes out in its favour (a party that would lose lets the deadline pass)."""
    d = game.dispute(comp_id, participant, challenger)
    stage = Stage(d["stage"])
    args = (comp_id, participant, challenger)
    if defender and stage == Stage.DEFENSE:
        final = ev.final()
        transact(game.defend, *args, final.sum_sq, final.sum_abs, ev.meta_leaf(), sender=me)
    elif defender and stage == Stage.BISECT:
        transact(game.bisect, *args, ev.points(d["lo"], d["hi"]), sender=me)
    elif not defender and stage == Stage.CHOOSE:
        hashes = _posted_hashes(game, comp_id, participant, challenger, d["lo"], d["hi"])
        transact(game.choose, *args, ev.choose(d["lo"], d["hi"], hashes), hashes, sender=me)
    elif stage == Stage.STEP and _step_wins(market, game, comp_id, participant, d, ev, defender=defender):
        transact(game.proveStep, *args, ev.step_proof(d["lo"]), sender=me)
    return stage


def _step_wins(market, game, comp_id: int, participant, d, ev: Evaluation, *, defender: bool) -> bool:
    """Whether executing the disputed step with this evaluation's proof verifies and favours this side."""
    ctx = market.disputeContext(comp_id, participant)
    roots = (ctx["weightsRoot"], ctx["trainRoot"], ctx["testRoot"], ctx["trainRows"], ctx["testRows"])
    try:
        pre, post = game.run(roots, ev.step_proof(d["lo"]))
    except Exception:  # noqa: BLE001 -- the proof does not verify against the committed roots: nothing to send
        return False
    if bytes(pre) != bytes(d["loHash"]):
        return False
    return (bytes(post) == bytes(d["hiHash"])) == defender


def play(market, game, comp_id: int, participant, challenger, defender_account, defender_ev: Evaluation,
         challenger_ev: Evaluation, *, challenger_account=None, max_moves: int = 200) -> Stage:
    """Both sides move in turn until the dispute ends (returns ``Stage.NONE``) or waits at the last
    step for a party that would lose (returns ``Stage.STEP``: it ends by ``endDispute`` after the deadline).

    In a reversed dispute (a posted failure) ``defender_account`` is the claimant (the ``challenger``
    the dispute is keyed by) and ``challenger_account`` the organizer, who makes the challenger's moves."""
    for _ in range(max_moves):
        before = Stage(game.dispute(comp_id, participant, challenger)["stage"])
        for me, ev, is_defender in ((defender_account, defender_ev, True),
                                    (challenger_account or challenger, challenger_ev, False)):
            if next_move(market, game, comp_id, participant, challenger, me, ev, defender=is_defender) == Stage.NONE:
                return Stage.NONE
        after = Stage(game.dispute(comp_id, participant, challenger)["stage"])
        if after == Stage.NONE:
            return Stage.NONE
        if before == after == Stage.STEP:
            return Stage.STEP
    raise RuntimeError(f"the dispute did not end within {max_moves} rounds of moves")


def prove_invalid(game, comp_id: int, participant, challenger, me, proof: tuple):
    """The organizer ends a reversed dispute by proving the model invalid (:func:`.invalid.find_invalidity`)."""
    return transact(game.proveInvalid, comp_id, participant, challenger, proof, sender=me)


def _posted_hashes(game, comp_id: int, participant, challenger, lo: int, hi: int) -> list[bytes]:
    """The defender's last ``bisect`` hashes for ``[lo, hi]``, from its ``DisputeBisected`` event."""
    events = game.events.get_sequence(from_block=0, event_type="DisputeBisected")
    for ev in reversed(events):
        a = ev.args
        if (a["id"], str(a["participant"]), str(a["challenger"]), a["lo"], a["hi"]) == (
                comp_id, str(participant), str(challenger), lo, hi):
            return [bytes(h) for h in a["hashes"]]
    raise LookupError(f"no DisputeBisected event for [{lo}, {hi}] of this dispute")
