"""Stage 2, organizer: create a competition on chain from a preprocessed dataset.

The reward is escrowed; the training data CID, the task, the deadlines, the prize split, the
entry deposit and a commitment to the hidden test set go on chain. The test-set salt is saved
in the local keystore *before* the transaction is sent.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

from ..artifacts import new_salt
from ..chain import events, now, transact
from ..errors import SettingsError
from ..keystore import Keystore
from ..protocol import (
    HOUR,
    INT64_MAX,
    SCORE_SCALE,
    CompetitionParams,
    any_score_qualifies,
    score_from_units,
    show_score,
    test_set_commitment,
)
from ..show import when


@dataclass(frozen=True)
class Terms:
    """What the organizer chooses besides the data; the defaults are the CLI's."""

    metric: int | str | None = None  # None: rmse for a regression task, brier for the direction task
    min_score: float | None = None  # metric units; None: see default_min_score()
    prize_bps: tuple[int, ...] = (5000, 3000, 2000)
    deposit_wei: int = 0
    submission_s: int = 24 * HOUR
    reveal_s: int = 12 * HOUR
    evaluation_s: int = 12 * HOUR


DEFAULTS = Terms()


def _checked_min_score(value: float) -> float:
    if not math.isfinite(value) or abs(value) * SCORE_SCALE >= INT64_MAX:
        raise SettingsError(f"the minimum score {value!r} is not a finite number within ±{INT64_MAX // SCORE_SCALE:,} "
                            "(scores are stored as int64 with 6 decimals)")
    return value


def default_metric(task: str) -> str:
    """The metric a competition is scored by unless the organizer picks one."""
    from ml_models import DIRECTION_METRICS

    return DIRECTION_METRICS[0] if task == "direction" else "rmse"


def default_min_score(metric: int | str) -> int:
    """The minimum score (contract integer) when the organizer sets none.

    Regression metrics: any real score qualifies. Metrics of probabilities (the direction task):
    one unit better than the coin flip's score (0.25 Brier, ln 2 log loss), which a forecaster that
    always says 0.5 gets on any data; so saying nothing never wins, and a forecaster that always says
    "no rise" (0.0, the naive baseline) scores far worse. The minimum is set without the test set,
    so it tells nobody anything about it."""
    from ml_models import DIRECTION_METRICS, get_metric, to_score_int, uninformed_score

    _, m = get_metric(metric)
    if m.name in DIRECTION_METRICS:
        return to_score_int(uninformed_score(m.name)) - 1  # lower is better: strictly better than the coin
    return any_score_qualifies(m.higher_is_better)


def _params(info: dict, terms: Terms, commitment: bytes, start: int) -> CompetitionParams:
    from ml_models import check_metric_for_task

    schema = info["schema"]
    task = schema.get("task", "regression")
    metric_id, metric = check_metric_for_task(terms.metric or default_metric(task), task)
    minimum = (default_min_score(metric_id) if terms.min_score is None
               else score_from_units(_checked_min_score(terms.min_score)))
    return CompetitionParams.starting(
        start, submission_s=terms.submission_s, reveal_s=terms.reveal_s, evaluation_s=terms.evaluation_s,
        dataCid=info["data_cid"], target=schema["target"], sequenceLength=schema["sequence_length"],
        horizon=schema["horizon"], metric=metric_id, higherIsBetter=metric.higher_is_better, minScore=minimum,
        prizeBps=tuple(terms.prize_bps), entryDeposit=terms.deposit_wei, testCommitment=commitment)


def check_task(info: dict) -> None:
    """Refuse, before any reward is escrowed, a window, horizon or season that no model could be
    trained with on the published training rows (:func:`ml_models.data.check_task_fits`)."""
    from ml_models.data import check_task_fits

    s = info["schema"]
    check_task_fits(s["n_train"], s["sequence_length"], s["horizon"], s.get("season", 1))


def already_created(market, organizer, info: dict, keystore: Keystore) -> int | None:
    """The id of a competition ``organizer`` already created on this market from the same dataset
    (found through the test-set records saved before each creation), if any."""
    from brownie import network

    saved = {r.get("commitment") for r in keystore.records(network.chain.id, market.address, "test-sets", "organizer")
             if r.get("data_cid") == info["data_cid"] and r.get("test_cid") == info["test_cid"]}
    if not saved:
        return None
    for ev in events(market, "CompetitionCreated", organizer=organizer.address):
        if str(market.competition(ev["id"])["testCommitment"]).removeprefix("0x") in saved:
            return int(ev["id"])
    return None


def initialize(market, organizer, dataset_dir: str | Path, *, reward_wei: int, keystore: Keystore | None = None,
               again: bool = False, **terms) -> int:
    """Create the competition; returns its id. ``terms`` are :class:`Terms` fields.

    Running it again for the same dataset, organizer and market (a retry after a crash, or after
    the id was lost) returns the competition created the first time instead of escrowing a second
    reward; ``again=True`` creates another competition from the same dataset on purpose.
    """
    from brownie import network, web3

    from ml_models import get_metric

    info = json.loads((Path(dataset_dir) / "dataset.json").read_text())
    check_task(info)
    keystore = keystore or Keystore()
    if not again and (existing := already_created(market, organizer, info, keystore)) is not None:
        print(f"competition {existing} was already created by {organizer.address} from this dataset; nothing sent "
              "(pass --again to create another one)")
        return existing
    salt = new_salt()
    commitment = test_set_commitment(info["test_cid"], salt)
    params = _params(info, Terms(**terms), commitment, now())
    record = {"test_cid": info["test_cid"], "salt": salt.hex(), "test_dir": info["test_dir"],
              "train_dir": info["train_dir"], "data_cid": info["data_cid"], "commitment": commitment.hex(),
              "organizer": organizer.address}
    # The salt is on disk before the transaction that commits to it is sent.
    keystore.save(network.chain.id, market.address, "test-sets", "organizer", commitment.hex(), record)
    tx = transact(market.createCompetition, params.as_tuple(), sender=organizer, value=reward_wei)
    comp_id = int(tx.events["CompetitionCreated"]["id"])
    print(f"competition {comp_id} created by {organizer.address}: reward {web3.from_wei(reward_wei, 'ether')} ETH, "
          f"data {info['data_cid']}, task {info['schema'].get('task', 'regression')}, metric "
          f"{get_metric(params.metric)[1].name} ({'higher' if params.higherIsBetter else 'lower'} is better, "
          f"minimum {'none' if params.minScore == any_score_qualifies(params.higherIsBetter) else show_score(params.minScore)}), "
          f"submissions until {when(params.submissionEnd)}")
    return comp_id


def load_test_set_record(market, comp: dict, keystore: Keystore | None = None) -> dict:
    """The organizer's saved test-set record for a competition (found by its commitment)."""
    from brownie import network

    return (keystore or Keystore()).load(network.chain.id, market.address, "test-sets", "organizer",
                                         comp["testCommitment"].removeprefix("0x"))
