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
    evaluation_s: int | None = None  # None: 12 h, or BONDED_EVALUATION_S for a bonded competition
    organizer_bond_wei: int = 0  # 0: unbonded (scores cannot be disputed on chain); see README, "Trust"
    challenge_bond_wei: int | None = None  # None: the organizer bond


#: Metrics whose scores the dispute game can re-derive from the step machine's sums (docs/FRAUD_PROOFS.md).
STEP_VERIFIABLE = {0: "rmse", 1: "mae"}
#: The evaluation window when none is given.
EVALUATION_S = 12 * HOUR
#: A bonded competition's default evaluation window, and its minimum: the organizer must be able to
#: request on chain the weights of a bundle it cannot fetch (the participant then has a whole day,
#: ``DisputeGame.AVAILABILITY_PERIOD``) and still score after it. In a shorter window a participant who
#: withholds its bundle could win a dispute about its failure, and with it the organizer's bond.
BONDED_EVALUATION_S = 48 * HOUR
BONDED_MIN_EVALUATION_S = 30 * HOUR


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


def data_roots(info: dict) -> dict:
    """The Merkle roots and row counts of the published training rows and of the hidden test rows, as the
    step machine proves rows from them (:func:`forecast_market.fraud.build.data_rows`: the target column first)."""
    from ml_models import read_dataset_bundle

    from ..fraud import data_tree
    from ..fraud.build import data_rows

    train_df, schema = read_dataset_bundle(info["train_dir"], part="train")
    test_df, _ = read_dataset_bundle(info["test_dir"], part="test")
    rows, _ = data_rows(train_df, test_df, schema.target)
    n = len(train_df)
    return {"train_root": data_tree(rows[:n]).root.hex(), "train_rows": n,
            "test_root": data_tree(rows[n:], first_index=n).root.hex(), "test_rows": len(test_df)}


def _checked_bonds(terms: Terms, metric_id: int) -> tuple[int, int]:
    """(organizer bond, challenge bond) in wei; a bond needs a step-verifiable metric and a nonzero challenge bond."""
    from ml_models import get_metric

    bond = int(terms.organizer_bond_wei)
    challenge = bond if terms.challenge_bond_wei is None else int(terms.challenge_bond_wei)
    if bond == 0:
        return 0, 0
    if metric_id not in STEP_VERIFIABLE:
        raise SettingsError(f"a bonded competition needs a metric whose scores can be disputed on chain "
                            f"({' or '.join(STEP_VERIFIABLE.values())}), not {get_metric(metric_id)[1].name}: "
                            "pick --metric rmse or mae, or leave out --organizer-bond")
    if challenge <= 0:
        raise SettingsError("a bonded competition needs a positive --challenge-bond (what a challenger deposits)")
    if terms.evaluation_s is not None and terms.evaluation_s < BONDED_MIN_EVALUATION_S:
        raise SettingsError(f"a bonded competition needs an evaluation window of at least {BONDED_MIN_EVALUATION_S // HOUR} "
                            f"hours, not {terms.evaluation_s / HOUR:g}: a bundle you cannot fetch is requested on chain "
                            "and its participant has a day to publish it; leave out --evaluation-hours (48 by default "
                            "with a bond) or pass a longer one")
    return bond, challenge


def evaluation_window(terms: Terms) -> int:
    """The evaluation window in seconds: as given, else the default for a bonded or an unbonded competition."""
    if terms.evaluation_s is not None:
        return int(terms.evaluation_s)
    return BONDED_EVALUATION_S if int(terms.organizer_bond_wei) else EVALUATION_S


def _params(info: dict, terms: Terms, commitment: bytes, start: int, roots: dict | None = None) -> CompetitionParams:
    from ml_models import check_metric_for_task

    schema = info["schema"]
    task = schema.get("task", "regression")
    metric_id, metric = check_metric_for_task(terms.metric or default_metric(task), task)
    bond, challenge = _checked_bonds(terms, metric_id)
    bonded = {} if not bond else {"trainRoot": bytes.fromhex(roots["train_root"]), "trainRows": roots["train_rows"],
                                  "organizerBond": bond, "challengeBond": challenge}
    minimum = (default_min_score(metric_id) if terms.min_score is None
               else score_from_units(_checked_min_score(terms.min_score)))
    return CompetitionParams.starting(
        start, submission_s=terms.submission_s, reveal_s=terms.reveal_s, evaluation_s=evaluation_window(terms),
        dataCid=info["data_cid"], target=schema["target"], sequenceLength=schema["sequence_length"],
        horizon=schema["horizon"], metric=metric_id, higherIsBetter=metric.higher_is_better, minScore=minimum,
        prizeBps=tuple(terms.prize_bps), entryDeposit=terms.deposit_wei, testCommitment=commitment, **bonded)


def bond_metric(info: dict, terms: Terms) -> int:
    """The metric id, the bonds checked against it (:class:`SettingsError` before anything is computed or sent)."""
    from ml_models import check_metric_for_task

    task = info["schema"].get("task", "regression")
    metric_id, _ = check_metric_for_task(terms.metric or default_metric(task), task)
    _checked_bonds(terms, metric_id)
    return metric_id


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
    chosen = Terms(**terms)
    bond_metric(info, chosen)
    keystore = keystore or Keystore()
    if not again and (existing := already_created(market, organizer, info, keystore)) is not None:
        print(f"competition {existing} was already created by {organizer.address} from this dataset; nothing sent "
              "(pass --again to create another one)")
        return existing
    salt = new_salt()
    roots = data_roots(info) if chosen.organizer_bond_wei else {}
    commitment = test_set_commitment(info["test_cid"], salt, bytes.fromhex(roots.get("test_root", "00" * 32)),
                                     roots.get("test_rows", 0))
    params = _params(info, chosen, commitment, now(), roots)
    record = {"test_cid": info["test_cid"], "salt": salt.hex(), "test_dir": info["test_dir"],
              "train_dir": info["train_dir"], "data_cid": info["data_cid"], "commitment": commitment.hex(),
              "organizer": organizer.address, **roots}
    # The salt (and the test root and row count revealTestSet needs) is on disk before the transaction that commits to it is sent.
    keystore.save(network.chain.id, market.address, "test-sets", "organizer", commitment.hex(), record)
    tx = transact(market.createCompetition, params.as_tuple(), sender=organizer,
                  value=reward_wei + params.organizerBond)
    comp_id = int(tx.events["CompetitionCreated"]["id"])
    print(f"competition {comp_id} created by {organizer.address}: reward {web3.from_wei(reward_wei, 'ether')} ETH, "
          f"data {info['data_cid']}, task {info['schema'].get('task', 'regression')}, metric "
          f"{get_metric(params.metric)[1].name} ({'higher' if params.higherIsBetter else 'lower'} is better, "
          f"minimum {'none' if params.minScore == any_score_qualifies(params.higherIsBetter) else show_score(params.minScore)}), "
          f"submissions until {when(params.submissionEnd)}"
          + (f"; bonded: organizer bond {web3.from_wei(params.organizerBond, 'ether')} ETH, challenge bond "
             f"{web3.from_wei(params.challengeBond, 'ether')} ETH, scores disputable on chain" if params.organizerBond
             else ""))
    return comp_id


def load_test_set_record(market, comp: dict, keystore: Keystore | None = None) -> dict:
    """The organizer's saved test-set record for a competition (found by its commitment)."""
    from brownie import network

    return (keystore or Keystore()).load(network.chain.id, market.address, "test-sets", "organizer",
                                         comp["testCommitment"].removeprefix("0x"))
