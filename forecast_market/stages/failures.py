"""Posted failures in bonded competitions (docs/FRAUD_PROOFS.md, "Posted failures"): what a revealed model
is (its weights tree, from the bundle or from the leaves published on chain), whether it runs, and the
weights availability request.

:func:`judge` decides one entry from the chain, IPFS and the data: the model runs and scores this
(its step machine and sums), or it cannot run and here is the proof (``proveInvalid``'s argument).
:func:`request_missing` is the organizer's side of a request (``market evaluate``), :func:`publish_weights`
the participant's (``market publish-weights``).
"""
from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path

from ..artifacts import fetch_bundle, fetch_folder
from ..chain import competition, now, revealed_submissions, transact
from ..errors import ArtifactError, ChainError, one_line
from ..settings import settings
from ..show import when

ZERO = "00" * 32
#: DisputeGame.AVAILABILITY_PERIOD: how long a participant has to publish requested weights.
AVAILABILITY_PERIOD_S = 86_400
INVALID_KINDS = ("its meta leaf is not a model the dispute game runs", "a weight leaf has the wrong length",
                 "a weight leaf's interval bound reaches 2**62", "a window reads a training row without a column the model reads")


def _progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def game_of(market):
    from brownie import DisputeGame  # present once the project is loaded

    return DisputeGame.at(market.disputeGame())


@dataclass
class Judged:
    participant: str
    leaves: list  # the weights tree's leaves, key order
    proof: tuple | None = None  # why the model cannot run (IDisputeGame.InvalidityProof)
    evaluation: object = None  # fraud.Evaluation, when it runs
    sum_sq: int = 0
    sum_abs: int = 0
    score: int | None = None
    unprovable: str = ""  # the scorer refuses the model for a reason no proof shows on chain

    @property
    def reason(self) -> str:
        return INVALID_KINDS[self.proof[0]] if self.proof else ""


def request_state(game, comp_id: int, participant: str) -> str:
    """"none", "pending", "complete" or "expired" (requested, not published in time)."""
    r = game.weightsRequest(comp_id, participant)
    if int(r["deadline"]) == 0:
        return "none"
    if r["complete"]:
        return "complete"
    return "pending" if now() < int(r["deadline"]) else "expired"


def revealed_submission(market, comp_id: int, participant: str) -> dict:
    """``participant``'s revealed submission (chain.revealed_submissions), which must have a weights root."""
    sub = next((s for s in revealed_submissions(market, comp_id) if s["participant"].lower() == participant.lower()),
               None)
    if sub is None:
        raise ChainError(f"{participant} has no revealed submission in competition {comp_id}")
    if sub["weightsRoot"] == ZERO:
        raise ChainError(f"{participant}'s submission has no weights root: its score cannot be disputed on chain")
    return sub


def bundle_leaves(comp: dict, sub: dict, columns, work: Path, folder: Path | None = None) -> list:
    """The weights tree's leaves of the revealed bundle (or of the bundle in ``folder``), checked against the
    revealed root (ArtifactError when the bundle cannot be fetched, loaded, or does not hash to the root: the
    weights are unavailable)."""
    from ml_models import load_bundle

    from ..fraud.build import model_from_forecaster

    who = sub["participant"]
    try:
        bundle = folder or fetch_bundle(sub["modelCid"], sub["modelSha256"], work / "bundles" / who.lower())
        fc = load_bundle(bundle)
    except Exception as exc:  # noqa: BLE001 -- a stranger's CID and bytes: any failure means "unavailable"
        raise ArtifactError(f"{who}'s bundle cannot be used ({one_line(str(exc))[:200]})") from None
    if getattr(fc, "net", None) is None:
        raise ArtifactError(f"{who}'s bundle has no network")
    model = model_from_forecaster(fc, columns)
    leaves = model.leaves()
    if model.weights_tree().root.hex() != sub["weightsRoot"]:
        raise ArtifactError(f"{who}'s bundle does not hash to its revealed weights root")
    return leaves


def judge(market, comp: dict, participant: str, work: Path) -> Judged:
    """Whether ``participant``'s model runs and what it scores, from the weights published on chain if any,
    else from its bundle; raises ArtifactError when neither is available."""
    from ml_models.intinfer import IntInferError

    from ..fraud import Evaluation, StepMachine, score_from_sums
    from ..fraud.availability import model_from_leaves, published_leaves
    from ..fraud.build import data_columns, data_rows, model_sums
    from ..fraud.invalid import find_invalidity
    from ..scoring import load_data

    comp_id = comp["id"]
    sub = revealed_submission(market, comp_id, participant)
    if not comp["testRevealed"]:
        raise ChainError(f"competition {comp_id}'s test set is not revealed yet")
    test_dir = fetch_folder(comp["testCid"], work / "data" / comp["testCid"])
    train_df, test_df, schema = load_data(comp, test_dir, work)
    columns = data_columns(schema.columns, schema.target)
    game = game_of(market)
    if request_state(game, comp_id, sub["participant"]) == "complete":
        leaves = published_leaves(game, comp_id, sub["participant"])
    else:
        leaves = bundle_leaves(comp, sub, columns, work)
    rows, _ = data_rows(train_df, test_df, schema.target)
    n_train, n_test = len(train_df), len(test_df)
    j = Judged(sub["participant"], leaves)
    j.proof = find_invalidity(leaves, rows, n_train, n_test, int(comp["horizon"]))
    if j.proof is not None:
        return j
    model = model_from_leaves(leaves, columns)
    j.evaluation = Evaluation(StepMachine(model, rows, n_train, n_test))
    for name, mine, theirs in (("training", j.evaluation.train.root, comp["trainRoot"]),
                               ("test", j.evaluation.test.root, comp["testRoot"])):
        if mine.hex() != str(theirs).removeprefix("0x"):
            raise ArtifactError(f"the {name} rows' Merkle root computed here differs from the one on chain: "
                                "a dispute would fail at its last step; nothing sent")
    try:
        j.sum_sq, j.sum_abs = model_sums(model, rows, n_train, n_test)
    except IntInferError as exc:  # a refusal no leaf proves on chain (the forecast-units overflow is computed exactly)
        j.unprovable, j.evaluation = one_line(str(exc)), None
        return j
    j.score = score_from_sums(comp["metric"], j.sum_sq, j.sum_abs, n_test)
    return j


# ---------------------------------------------------------------------------------- the organizer
def request_missing(market, organizer, comp: dict, rows, work: Path) -> tuple[list, list[str]]:
    """For a bonded competition's failed rows (not posted yet): request the weights of those whose bundle is
    unusable, wait for pending requests, and decide the others from the tree (scored, or failed with a
    proof). Returns the rows to leave unposted for now and messages for the user."""
    game = game_of(market)
    comp_id = comp["id"]
    waiting, notes = [], []
    for row in rows:
        if row.ok:
            continue
        state = request_state(game, comp_id, row.participant)
        if state == "expired":
            notes.append(f"{row.participant}: its weights were requested and not published in time: posted as failed "
                         "(this failure cannot be disputed)")
            continue
        if state == "pending":
            waiting.append(row)
            continue
        try:
            j = judge(market, comp, row.participant, work)
        except ArtifactError as exc:
            if state == "complete":
                row.fail(f"published weights unusable: {exc}")
                continue
            if now() + AVAILABILITY_PERIOD_S >= comp["evaluationEnd"]:
                notes.append(f"{row.participant}: its bundle cannot be used ({exc}) and too little of the evaluation "
                             "window is left to request its weights (a day, before the deadline): posted as failed; "
                             "the participant can still dispute this failure by publishing its model")
                continue
            transact(game.requestWeights, comp_id, row.participant, sender=organizer)
            waiting.append(row)
            notes.append(f"{row.participant}: its bundle cannot be used ({exc}); its weights were requested on chain: "
                         f"`market publish-weights {comp_id}` publishes them")
            continue
        if j.proof is not None:
            row.fail(f"the model cannot run exactly: {j.reason} (provable on chain)")
        elif j.unprovable:
            row.fail(f"the model cannot run exactly: {j.unprovable}")
            notes.append(f"{row.participant}: posted as failed ({j.unprovable}); no on-chain proof exists for this "
                         "reason, so a dispute of this failure could not be answered")
        else:
            row.ok, row.score_int, row.score, row.reason = True, j.score, j.score / 1e6, ""
            notes.append(f"{row.participant}: scored from its weights tree ({j.score / 1e6:.6f})")
    if waiting:
        due = max(int(game.weightsRequest(comp_id, r.participant)["deadline"]) for r in waiting)
        notes.append(f"{len(waiting)} entr{'y waits' if len(waiting) == 1 else 'ies wait'} for published weights "
                     f"(due {when(due)}): run `market evaluate {comp_id}` again once published or after that, "
                     "to score or fail them")
    return waiting, notes


# ---------------------------------------------------------------------------------- the participant
def publish_weights(market, participant, comp_id: int, *, work_dir: str | Path | None = None,
                    bundle: str | Path | None = None) -> dict:
    """Publish the caller's weights on chain when the organizer requested them, from the bundle in ``bundle``
    (default: the one `market submit` saved in the work folder, else the revealed one, fetched)."""
    from ml_models import read_dataset_bundle

    from ..fraud.availability import publish
    from ..fraud.build import data_columns

    comp = competition(market, comp_id)
    if not comp["bonded"]:
        raise ChainError(f"competition {comp_id} has no organizer bond: weights are never requested there")
    game = game_of(market)
    me = participant.address
    state = request_state(game, comp_id, me)
    out = {"competition": comp_id, "participant": me, "request": state}
    if state == "none":
        return out | {"status": "none", "message": f"no request for your weights in competition {comp_id}: nothing to do"}
    if state == "complete":
        return out | {"status": "published", "message": "your weights are already published: the organizer scores "
                                                          "them from the chain"}
    if state == "expired":
        raise ChainError(f"the request for your weights expired at {when(int(game.weightsRequest(comp_id, me)['deadline']))}"
                         "; they can no longer be published and your failure cannot be disputed")
    work = Path(work_dir).resolve() if work_dir else settings().work_dir(comp_id, me)
    sub = revealed_submission(market, comp_id, me)
    train_dir = fetch_folder(comp["dataCid"], work / "data" / comp["dataCid"])
    _, schema = read_dataset_bundle(train_dir, part="train")
    record = work / "submission.json"
    if bundle is None and record.exists():
        bundle = json.loads(record.read_text()).get("bundle_dir")
    folder = Path(bundle).resolve() if bundle else None
    if folder is not None and not folder.is_dir():
        raise ArtifactError(f"no bundle folder at {folder}: pass --bundle with the folder `market submit` saved")
    leaves = bundle_leaves(comp, sub, data_columns(schema.columns, schema.target), work, folder)
    txs = publish(game, comp_id, participant, leaves, progress=_progress)
    gas = sum(int(tx.gas_used) for tx in txs)
    return out | {"status": "published", "transactions": len(txs), "gas": gas, "leaves": len(leaves),
                  "message": f"published your {len(leaves)} weight leaves in {len(txs)} transaction(s) ({gas:,} gas): "
                             "the organizer can now score your model from the chain"}
