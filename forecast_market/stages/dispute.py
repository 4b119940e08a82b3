"""Bonded competitions after scoring: finalize once the challenge window closes, challenge a posted
score, defend the organizer's scores (docs/FRAUD_PROOFS.md).

``challenge`` recomputes one submission's evaluation from what is on chain and on IPFS (the revealed
test set and bundle, checked against their digests and roots), compares its score with the one that
stands, and when they differ opens a dispute with the challenge bond and plays the challenger's moves
until the dispute ends. ``defend`` plays the defender's moves of every open dispute about the
organizer's scores. Both poll the chain; a run that stops (``wait_s`` passed, a crash) is resumed by
running it again: the moves are read from the chain, nothing is kept locally.
"""
from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from pathlib import Path

from ..artifacts import fetch_bundle, fetch_folder
from ..chain import competition, events, now, revealed_submissions, submission_status, transact
from ..errors import ArtifactError, ChainError, one_line
from ..protocol import Phase, Status
from ..settings import settings
from ..show import when
from .failures import game_of, revealed_submission


def _progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def finalize(market, account, comp_id: int) -> dict:
    """Finalize a scored competition: at once when unbonded, after the challenge window when bonded."""
    comp = competition(market, comp_id)
    if comp["phase"] in (Phase.FINALIZED, Phase.REFUNDED, Phase.FALLBACK):
        return {"competition": comp_id, "finalized": True, "message": f"competition {comp_id} is already settled"}
    if comp["bonded"]:
        if comp["challengeEnd"] == 0 or comp["scoredCount"] < _revealed_count(market, comp_id):
            raise ChainError(f"competition {comp_id} is not fully scored yet: `market evaluate {comp_id}` posts "
                             "the scores, then the challenge window runs")
        if now() < comp["challengeEnd"] or comp["openDisputes"]:
            raise ChainError(f"competition {comp_id} can be finalized from {when(comp['challengeEnd'])}, when its "
                             f"challenge window closes, and once no dispute is open (now {comp['openDisputes']})")
    transact(market.finalize, comp_id, sender=account)
    return {"competition": comp_id, "finalized": True, "message": f"competition {comp_id} finalized: "
            "`market settle` withdraws what it owes you"}


def _revealed_count(market, comp_id: int) -> int:
    return len(revealed_submissions(market, comp_id))


# ---------------------------------------------------------------------------------- recomputing
@dataclass
class Recomputed:
    participant: str
    evaluation: object  # fraud.Evaluation
    score: int  # what the step machine's sums give
    standing: int  # the score that stands on chain
    sum_sq: int
    sum_abs: int


def recompute(market, comp: dict, participant: str, work: Path) -> Recomputed:
    """``participant``'s evaluation recomputed from the revealed test set and bundle, checked against the
    digest and the roots on chain."""
    from ml_models import MLError, load_bundle
    from ml_models.intinfer import IntInferError

    from ..fraud import score_from_sums
    from ..fraud.build import evaluation, final_sums, model_sums
    from ..scoring import load_data

    comp_id = comp["id"]
    if not comp["bonded"]:
        raise ChainError(f"competition {comp_id} has no organizer bond: its scores cannot be disputed on chain "
                         f"(`market verify {comp_id}` still shows any wrong one)")
    if not comp["testRevealed"]:
        raise ChainError(f"competition {comp_id}'s test set is not revealed yet: nothing to challenge")
    sub = revealed_submission(market, comp_id, participant)
    _progress(f"fetching the test set {comp['testCid']} and {participant}'s bundle {sub['modelCid']} ...")
    test_dir = fetch_folder(comp["testCid"], work / "data" / comp["testCid"])
    train_df, test_df, _ = load_data(comp, test_dir, work)
    bundle = fetch_bundle(sub["modelCid"], sub["modelSha256"], work / "bundles" / participant.lower())
    try:
        fc = load_bundle(bundle)
    except MLError as exc:
        raise ArtifactError(f"{participant}'s bundle does not load ({exc}): a failure cannot be disputed on chain "
                            "yet; `market verify` reports it") from None
    ev = evaluation(fc, train_df, test_df)
    for name, mine, theirs in (("training", ev.train.root, comp["trainRoot"]), ("test", ev.test.root, comp["testRoot"]),
                               ("weights", ev.weights.root, market.weightsRootOf(comp_id, sub["participant"]))):
        if mine.hex() != str(theirs).removeprefix("0x"):
            raise ArtifactError(f"the {name} rows' Merkle root computed here differs from the one on chain: "
                                "a dispute would fail at its last step; nothing sent")
    try:
        sum_sq, sum_abs = final_sums(fc, train_df, test_df)
    except IntInferError:  # a forecast beyond int64 in target units: the chain computes it exactly, so do we
        m = ev.machine
        try:
            sum_sq, sum_abs = model_sums(m.model, m.rows, m.train_rows, m.test_rows)
        except IntInferError as exc:
            raise ArtifactError(f"{participant}'s model cannot run exactly ({one_line(str(exc))}): its score "
                                "cannot be recomputed here; nothing sent") from None
    score = score_from_sums(comp["metric"], sum_sq, sum_abs, ev.machine.test_rows)
    standing = int(market.claimOf(comp_id, sub["participant"])["score"])
    return Recomputed(sub["participant"], ev, score, standing, sum_sq, sum_abs)


# ---------------------------------------------------------------------------------- the game loop
def _deadline_passed(d) -> bool:
    return now() >= int(d["deadline"])


def _outcome(market, comp_id: int, participant: str, challenger: str) -> dict | None:
    for ev in reversed(events(market, "DisputeEnded", comp_id, participant=participant, challenger=challenger)):
        return {"defender_won": bool(ev["defenderWon"]), "how": ("step", "timeout", "moot", "invalid model")[int(ev["how"])]}
    return None


def challenge(market, challenger, comp_id: int, participant: str, *, work_dir: str | Path | None = None,
              poll_s: float = 2.0, wait_s: float | None = None) -> dict:
    """Challenge ``participant``'s standing score if it is wrong; play to the end (or ``wait_s`` seconds)."""
    from ..fraud import play

    comp = competition(market, comp_id)
    game = game_of(market)
    work = Path(work_dir).resolve() if work_dir else settings().work_dir(comp_id, challenger.address)
    work.mkdir(parents=True, exist_ok=True)
    if comp["bonded"] and _is_failure(market, game, comp_id, participant, challenger.address):
        return challenge_failure(market, game, challenger, comp, participant, work, poll_s=poll_s, wait_s=wait_s)
    r = recompute(market, comp, participant, work)
    out = {"competition": comp_id, "participant": r.participant, "posted": r.standing, "recomputed": r.score}
    d = game.dispute(comp_id, r.participant, challenger.address)
    if play.Stage(d["stage"]) == play.Stage.NONE:
        status = submission_status(market, comp_id, r.participant)
        if status != Status.SCORED:
            raise ChainError(f"{r.participant} has no posted score yet in competition {comp_id}: challenge it once "
                             "the organizer posts it")
        if r.score == r.standing:
            return out | {"status": "confirmed", "message": f"{r.participant}'s score {r.standing / 1e6:.6f} is right: "
                          "nothing to challenge, nothing sent"}
        if comp["phase"] != Phase.EVALUATION or now() >= comp["challengeEnd"] > 0:
            raise ChainError(f"competition {comp_id}: the score {r.standing / 1e6:.6f} is wrong (recomputed "
                             f"{r.score / 1e6:.6f}) but its challenge window is closed")
        _progress(f"{r.participant}'s score is {r.standing / 1e6:.6f}, recomputed {r.score / 1e6:.6f}: replaying "
                  f"its {r.evaluation.machine.total:,} evaluation steps, then opening a dispute with a bond of "
                  f"{comp['challengeBond'] / 1e18:g} ETH")
        if r.evaluation.final().sum_sq != r.sum_sq:  # never: a test checks both ways give the same sums
            raise ChainError("the step machine and the integer scorer disagree on this bundle: nothing sent")
        play.open_dispute(market, comp_id, r.participant, challenger, r.evaluation, comp["challengeBond"])
    return out | _play(market, game, comp_id, r.participant, challenger.address, challenger, r.evaluation,
                       defender=False, poll_s=poll_s, wait_s=wait_s)


def _is_failure(market, game, comp_id: int, participant: str, challenger: str) -> bool:
    """Whether ``participant`` stands as failed, or ``challenger`` plays a dispute about its failure."""
    from ..fraud import play

    d = game.dispute(comp_id, participant, challenger)
    if play.Stage(d["stage"]) != play.Stage.NONE:
        return bool(d["failure"])
    return submission_status(market, comp_id, participant) == Status.FAILED


def challenge_failure(market, game, challenger, comp: dict, participant: str, work: Path, *, poll_s: float,
                      wait_s: float | None) -> dict:
    """Dispute a posted failure whose model runs: open the reversed dispute with the sums it scores, and play
    the claimant (the defender's moves) to the end."""
    from ..fraud import play
    from .failures import judge

    comp_id = comp["id"]
    d = game.dispute(comp_id, participant, challenger.address)
    if play.Stage(d["stage"]) == play.Stage.NONE and not game.failureDisputable(comp_id, participant):
        raise ChainError(f"{participant}'s weights were requested by the organizer and not published in time: its "
                         "failure stands and cannot be disputed")
    try:
        j = judge(market, comp, participant, work)
    except ArtifactError as exc:
        raise ArtifactError(f"{exc}: the model cannot be recomputed here, so its failure cannot be disputed from "
                            "this machine; nothing sent") from None
    out = {"competition": comp_id, "participant": j.participant, "posted": "failed", "recomputed": j.score}
    if play.Stage(d["stage"]) == play.Stage.NONE:
        if j.proof is not None:
            return out | {"status": "confirmed", "message": f"{j.participant}'s failure is right: {j.reason} (the "
                          "organizer can prove it on chain); nothing sent"}
        if j.unprovable:
            return out | {"status": "confirmed", "message": f"{j.participant}'s model does not run here either "
                          f"({j.unprovable}): nothing to claim, nothing sent"}
        if comp["phase"] != Phase.EVALUATION or now() >= comp["challengeEnd"] > 0:
            raise ChainError(f"competition {comp_id}: {j.participant} runs and scores {j.score / 1e6:.6f}, but the "
                             "challenge window is closed")
        _progress(f"{j.participant} was posted as failed but its model runs and scores {j.score / 1e6:.6f}: opening "
                  f"a dispute of the failure with a bond of {comp['challengeBond'] / 1e18:g} ETH")
        transact(market.openDispute, comp_id, j.participant, j.sum_sq, j.sum_abs, sender=challenger,
                 value=comp["challengeBond"])
    return out | _play(market, game, comp_id, j.participant, challenger.address, challenger, j.evaluation,
                       defender=True, reverse=True, poll_s=poll_s, wait_s=wait_s)


def _play(market, game, comp_id: int, participant: str, challenger: str, me, ev, *, defender: bool, poll_s: float,
          wait_s: float | None, reverse: bool = False) -> dict:
    """Moves of one side of one dispute until it ends or ``wait_s`` seconds pass. ``defender``: this side makes
    the defender's moves (in a reversed dispute, about a failure, that is the claimant: ``reverse``)."""
    from ..fraud import play

    start, last = time.monotonic(), None
    while True:
        d = game.dispute(comp_id, participant, challenger)
        stage = play.Stage(d["stage"])
        if stage == play.Stage.NONE:
            res = _outcome(market, comp_id, participant, challenger) or {}
            stood = res.get("defender_won")  # the standing score (or failure) stood
            won = stood == (defender != reverse)
            what = "failure" if reverse else "score"
            return {"status": "won" if won else "lost", "how": res.get("how"),
                    "message": f"dispute of {challenger} about {participant}'s {what} ended ({res.get('how')}): the "
                               f"{what} {'stood' if stood else 'was replaced'}{'' if won else '; you lost it'}"}
        if (stage, int(d["lo"]), int(d["hi"])) != last:
            _progress(f"  dispute at {stage.name.lower()}, steps [{int(d['lo']):,}, {int(d['hi']):,}], next move "
                      f"due {when(int(d['deadline']))}")
            last = (stage, int(d["lo"]), int(d["hi"]))
        their_turn = (stage in (play.Stage.CHOOSE,)) if defender else (stage in (play.Stage.DEFENSE, play.Stage.BISECT))
        play.next_move(market, game, comp_id, participant, challenger, me, ev, defender=defender)
        after = play.Stage(game.dispute(comp_id, participant, challenger)["stage"])
        if after != stage:
            continue
        loser_is_other = their_turn or stage == play.Stage.STEP
        if loser_is_other and _deadline_passed(d):
            _progress("  the other side missed its move: ending the dispute")
            transact(game.endDispute, comp_id, participant, challenger, sender=me)
            continue
        if wait_s is not None and time.monotonic() - start >= wait_s:
            return {"status": "open", "stage": after.name.lower(), "deadline": int(d["deadline"]),
                    "message": f"the dispute awaits the other side's move (due {when(int(d['deadline']))}); "
                               "run this again to go on playing"}
        time.sleep(poll_s)


def _answer_failure(market, game, organizer, comp: dict, participant: str, challenger: str, work: Path, judged: dict,
                    *, poll_s: float, wait_s: float | None) -> dict | None:
    """The organizer's side of a dispute about a failure it posted: prove the model invalid, or challenge the
    claimant's sums with the model's own evaluation. None: neither is possible (the claim is right)."""
    from ..fraud.play import prove_invalid
    from .failures import judge

    if participant not in judged:
        try:
            judged[participant] = judge(market, comp, participant, work)
        except ArtifactError as exc:
            _progress(f"  {participant}: its model cannot be rebuilt here ({exc}): this dispute cannot be answered")
            judged[participant] = None
    j = judged[participant]
    if j is None or j.unprovable:
        return None
    if j.proof is not None:
        _progress(f"  {participant}: proving on chain that its model cannot run ({j.reason})")
        prove_invalid(game, comp["id"], participant, challenger, organizer, j.proof)
        return {"status": "won", "how": "invalid model",
                "message": f"dispute of {challenger} about {participant}'s failure ended: the model was proven invalid"}
    d = game.dispute(comp["id"], participant, challenger)
    if (int(d["sumSq"]), int(d["sumAbs"])) == (j.sum_sq, j.sum_abs):
        _progress(f"  {participant}: the claimant's sums are this model's own ({j.score / 1e6:.6f}): the failure "
                  "was wrong; not answering this dispute")
        return None
    return _play(market, game, comp["id"], participant, challenger, organizer, j.evaluation, defender=False,
                 reverse=True, poll_s=poll_s, wait_s=wait_s)


def open_disputes(market, comp_id: int) -> list[tuple[str, str]]:
    """(participant, challenger) of every dispute opened and not ended, oldest first."""
    opened = [(e["participant"], e["challenger"]) for e in events(market, "DisputeOpened", comp_id)]
    ended = [(e["participant"], e["challenger"]) for e in events(market, "DisputeEnded", comp_id)]
    for pair in ended:
        if pair in opened:
            opened.remove(pair)
    return opened


def defend(market, organizer, comp_id: int, *, work_dir: str | Path | None = None, poll_s: float = 2.0,
           wait_s: float | None = None) -> dict:
    """Answer every open dispute about this organizer's scores until none is open (or ``wait_s`` seconds pass)."""
    comp = competition(market, comp_id)
    if organizer.address != comp["organizer"]:
        raise ChainError(f"{organizer.address} is not competition {comp_id}'s organizer ({comp['organizer']}): "
                         "check --account")
    game = game_of(market)
    work = Path(work_dir).resolve() if work_dir else settings().work_dir(comp_id, "organizer")
    evaluations: dict[str, Recomputed] = {}
    judged: dict = {}
    results, start = [], time.monotonic()
    hopeless: set[str] = set()
    while True:
        pending = [(p, c) for p, c in open_disputes(market, comp_id)
                   if int(market.claimOf(comp_id, p)["claimant"], 16) == 0]  # the organizer's own scores
        if pending and all(p in hopeless for p, _ in pending):
            return {"competition": comp_id, "status": "lost", "disputes": results,
                    "message": f"competition {comp_id}: {len(pending)} dispute(s) about scores that are wrong cannot "
                               "be defended; they end against you when their move is due"}
        if not pending:
            return {"competition": comp_id, "status": "none open", "disputes": results,
                    "message": f"competition {comp_id}: no dispute open"
                               + (f" ({len(results)} played: " + ", ".join(r["message"] for r in results) + ")"
                                  if results else "")}
        for participant, challenger in pending:
            if game.dispute(comp_id, participant, challenger)["failure"]:
                res = _answer_failure(market, game, organizer, comp, participant, challenger, work, judged,
                                      poll_s=poll_s, wait_s=0 if len(pending) > 1 else wait_s)
                if res is None:
                    hopeless.add(participant)
                elif res["status"] != "open":
                    results.append(res | {"participant": participant, "challenger": challenger})
                continue
            if participant not in evaluations:
                evaluations[participant] = recompute(market, comp, participant, work)
            r = evaluations[participant]
            if r.score != r.standing:
                hopeless.add(participant)
                _progress(f"  {participant}: the standing score {r.standing / 1e6:.6f} is not what the model scores "
                          f"({r.score / 1e6:.6f}): this dispute cannot be won, not answering it")
                continue
            left = None if wait_s is None else max(0.0, wait_s - (time.monotonic() - start))
            res = _play(market, game, comp_id, participant, challenger, organizer, r.evaluation, defender=True,
                        poll_s=poll_s, wait_s=0 if len(pending) > 1 else left)
            if res["status"] != "open":
                results.append(res | {"participant": participant, "challenger": challenger})
        if all(p in hopeless for p, _ in pending):
            continue  # reported as lost at the top of the loop
        if wait_s is not None and time.monotonic() - start >= wait_s:
            still = open_disputes(market, comp_id)
            if still:
                return {"competition": comp_id, "status": "open", "disputes": results, "open": len(still),
                        "message": f"competition {comp_id}: {len(still)} dispute(s) still open, awaiting the other "
                                   "side; run this again to go on"}
        time.sleep(poll_s)
