"""Stage 3, participant: read a competition, fetch its data by CID, tune and train a model,
publish the bundle on IPFS, save the salt, commit; after the submission deadline, reveal.

Order matters: the bundle is on IPFS and the salt is on disk before the commit is sent, so a
failed upload leaves the chain untouched and a crash after the commit loses nothing.
"""
from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from ..artifacts import fetch_folder, new_salt, publish_folder, write_json
from ..chain import competition, submission_status, transact
from ..errors import ArtifactError, ChainError, ProblemsError, SettingsError
from ..keystore import Keystore
from ..protocol import ZERO32, Phase, Status, model_commitment, to_bytes32
from ..settings import settings

#: Submission strategies, name -> what it submits.
STRATEGIES = {
    "naive": "a baseline: the last observed value",
    "seasonal_naive": "a baseline: the value one season earlier",
    "default": "an untuned LSTM",
    "tuned": "an RNN tuned with Optuna first (TPE, successive-halving pruning, the competition's metric on "
             "walk-forward folds, a time or trial budget)",
}


@dataclass(frozen=True)
class TrainingOptions:
    """How a model is tuned and trained; the defaults are the CLI's."""

    trials: int = 500  # tuning: at most this many trials (most stop after an epoch; the budget ends the search)
    budget_s: float = 120.0  # tuning: at most this many seconds
    epochs: int = 20
    seed: int = 0
    storage: str | None = None  # Optuna storage URL; None: SQLite in the work folder
    search_space: str | None = None  # tuning: a JSON search space file; None: ml_models' default
    # tuning: processes with one TensorFlow thread each (2 ran about twice the trials of 1 on 2 cores)
    workers: int = field(default_factory=lambda: min(2, os.cpu_count() or 1))
    progress: bool = True


DEFAULTS = TrainingOptions()


@dataclass
class Submission:
    comp_id: int
    participant: str
    model_cid: str
    model_sha256: str
    bundle_dir: str
    spec: dict
    keystore_path: str


def fetch_training_data(comp: dict, work_dir: Path):
    """Download the competition's training bundle (by its CID from chain) and read it."""
    from ml_models import read_dataset_bundle

    folder = fetch_folder(comp["dataCid"], work_dir / "data" / comp["dataCid"])
    df, schema = read_dataset_bundle(folder, part="train")
    if schema.target != comp["target"] or schema.horizon != comp["horizon"]:
        raise ArtifactError(f"the dataset at {comp['dataCid']} does not match competition {comp['id']}'s task "
                            f"(target {schema.target!r}/{comp['target']!r}, horizon {schema.horizon}/{comp['horizon']})")
    if comp.get("bonded"):
        _check_training_root(comp, df, schema)
    return df, schema


def _check_training_root(comp: dict, df, schema) -> None:
    """A bonded competition's disputes read training rows under the root given at creation: one that is not the
    published training data's would let the organizer prove a valid model invalid with a row nobody trained on
    (an extreme value, a missing column), so such a competition is refused before anything is trained or sent."""
    from ..fraud import data_tree
    from ..fraud.build import data_rows

    rows, _ = data_rows(df, df.iloc[:0], schema.target)
    root = data_tree(rows).root.hex()
    if (len(df), root) != (int(comp["trainRows"]), str(comp["trainRoot"]).removeprefix("0x")):
        raise ArtifactError(f"competition {comp['id']}'s training root on chain ({comp['trainRows']} rows) is not its "
                            f"published training data's ({len(df)} rows, root {root[:16]}...): its disputes could "
                            "prove a valid model invalid with rows nobody trained on; do not enter it (nothing sent)")


def _spec_for(strategy: str, df, schema, comp: dict, work_dir: Path, opts: TrainingOptions):
    """The spec a strategy submits (tuning first for ``tuned``); returns (spec, tune result or None)."""
    from ml_models import TUNING_RECIPE, ModelSpec, tune_hyperparameters

    if strategy not in STRATEGIES:
        raise SettingsError(f"unknown strategy {strategy!r}; choose one of {', '.join(STRATEGIES)}")
    base = ModelSpec(sequence_length=comp["sequenceLength"], horizon=comp["horizon"], season=schema.season,
                     task=schema.task, epochs=opts.epochs, seed=opts.seed)
    if strategy in ("naive", "seasonal_naive"):  # seasonal naive looks back as far as its season needs
        look_back = base.seasonal_lag() - base.horizon + 1 if strategy == "seasonal_naive" else 1
        return base.replace(kind=strategy, sequence_length=max(base.sequence_length, look_back)), None
    if strategy == "default":
        return base, None
    if TUNING_RECIPE.seeds > 1:
        print(f"tuning for {opts.budget_s:g} s, then the best spec trains with {TUNING_RECIPE.seeds - 1} more seeds "
              "on the search's folds", flush=True)
    tuned = tune_hyperparameters(df, schema, base_spec=base, n_trials=opts.trials, timeout_s=opts.budget_s,
                                 search_space=opts.search_space, metric=comp["metric"], seed=opts.seed,
                                 workers=opts.workers, **TUNING_RECIPE.kwargs(),
                                 storage=opts.storage or settings().optuna_storage or (work_dir / "optuna.db"),
                                 study_name=f"competition-{comp['id']}", plot_path=work_dir / "search.png",
                                 progress=opts.progress)
    if tuned.seed_values:
        tried = ", ".join(f"{s}: {v:.6g}" for s, v in tuned.seed_values.items())
        print(f"seeds of the best spec after the search (validation {tuned.metric}, mean of folds): {tried}; "
              f"kept seed {tuned.best_spec.seed}")
    print(f"search history (validation score per trial and epoch): {tuned.plot_path}")
    from ..plots import tuning_history

    print(f"tuning history: {tuning_history(tuned.trials, work_dir / 'tuning.png')}")
    return tuned.best_spec, tuned


def build_forecaster(strategy: str, df, schema, comp: dict, work_dir: Path, *, spec=None, **options):
    """Choose a spec by ``strategy`` (or take ``spec``, a :class:`~ml_models.ModelSpec`) and train it;
    ``options`` are :class:`TrainingOptions` fields. Returns (forecaster, tune result or None)."""
    from ml_models import train

    opts = TrainingOptions(**options)
    spec, tuned = (spec, None) if spec is not None else _spec_for(strategy, df, schema, comp, work_dir, opts)
    cids = {"train": comp["dataCid"]}
    if spec.kind != "rnn" or not opts.progress:
        return train(spec, df, schema, data_cids=cids), tuned
    from tqdm import tqdm

    with tqdm(total=spec.epochs, desc="training", unit="epoch") as bar:
        def on_epoch(epoch, logs):
            bar.update(1)
            if "val_loss" in logs:
                bar.set_postfix(val_loss=f"{logs['val_loss']:.4f}")

        return train(spec, df, schema, data_cids=cids, progress=on_epoch), tuned


# ------------------------------------------------------------------ bring your own model

def spec_from_file(path: str | Path, comp: dict, schema, n_train: int):
    """The :class:`~ml_models.ModelSpec` in a JSON spec file, checked against the whitelisted family and the
    competition; fields left out take the competition's values (sequence_length, horizon, season, task)
    and then the defaults. Raises :class:`ProblemsError` listing every problem, one line each."""
    from ml_models import BundleLimits, ModelSpec, fit_problems, read_spec_file, spec_problems

    doc = read_spec_file(path)
    problems = spec_problems(doc)
    if not problems:
        base = {"sequence_length": comp["sequenceLength"], "horizon": comp["horizon"], "season": schema.season,
                "task": schema.task}
        problems = spec_problems(base | dict(doc))
    if not problems:
        spec = ModelSpec.from_dict(base | dict(doc))
        problems = fit_problems(spec, schema, n_train)
        n_params, limit = spec.parameter_count(len(schema.columns)), BundleLimits().max_parameters
        if n_params > limit:
            problems.append(f"the network has {n_params:,} parameters on {len(schema.columns)} input column(s); "
                            f"evaluators load at most {limit:,}: use fewer layers or units")
    if problems:
        raise ProblemsError(f"{str(path)[:200]} is not a model spec {_where(comp)} can score", problems)
    return spec


def _where(comp: dict) -> str:
    return f"competition {comp['id']}" if isinstance(comp["id"], int) else f"the dataset {str(comp['id'])[:200]}"


def loaded_bundle(folder: str | Path, comp: dict, schema, n_train: int):
    """The bundle in ``folder`` loaded by the evaluator's rules (:func:`ml_models.load_bundle`) and fitting the
    competition (:func:`ml_models.fit_problems`), else :class:`ProblemsError`."""
    from ml_models import BundleError, fit_problems, load_bundle

    what = f"{str(folder)[:200]} is not a bundle the evaluator of {_where(comp)} would accept"
    try:
        fc = load_bundle(folder)
    except BundleError as exc:
        raise ProblemsError(what, [str(exc)]) from None
    problems = fit_problems(fc.spec, schema, n_train, target=fc.target, feature_columns=fc.feature_columns)
    if problems:
        raise ProblemsError(what, problems)
    return fc


def check_bundle(folder: str | Path, comp: dict, schema, df) -> None:
    """Refuse (:class:`ProblemsError`) a bundle the evaluator would fail: it must load by the evaluator's rules
    (:func:`ml_models.load_bundle`: no code, whitelisted spec, checked int64 fixed-point tensors), fit the competition,
    and forecast in the evaluator's sandbox (a resource-limited worker) the last rows of the training data."""
    from ml_models import score_bundles

    fc = loaded_bundle(folder, comp, schema, len(df))
    what = f"{str(folder)[:200]} is not a bundle the evaluator of {_where(comp)} would accept"
    need = fc.spec.sequence_length + fc.spec.horizon - 1
    n_check = max(1, min(len(df) // 5, len(df) - need))
    (res,) = score_bundles([folder], df.iloc[:-n_check], df.iloc[-n_check:], schema, comp["metric"],
                           keep_predictions=False)
    if not res.ok:
        raise ProblemsError(what, [f"forecasting the last {n_check} training rows in the evaluator's sandbox "
                                   f"failed: {res.reason}"])


def bundle_weights_root(bundle: str | Path, comp: dict, columns) -> bytes:
    """The weights root the bundle is revealed with (docs/FRAUD_PROOFS.md, section 2), over the competition's
    data columns; zero for a bundle without a network, which a bonded competition refuses (its score could not
    be disputed) before anything is published or sent."""
    from ml_models import load_bundle

    from ..fraud.build import data_columns, weights_root

    root = weights_root(load_bundle(bundle), data_columns(columns, comp["target"]))
    if root is None and comp.get("bonded"):
        raise ProblemsError(f"{str(bundle)[:200]} cannot enter {_where(comp)}",
                            ["a bonded competition scores only recurrent networks (kind rnn), whose every step can be "
                             "disputed on chain; this bundle has no network (a baseline): submit --strategy tuned, "
                             "untuned, --spec or an rnn --bundle"])
    return root or ZERO32


def _own_bundle(source: str | Path, work: Path, comp: dict, schema, df) -> Path:
    """Check a bundle trained elsewhere, copy it into the work folder (what is published), check the copy fully."""
    source = Path(source)
    loaded_bundle(source, comp, schema, len(df))  # refused before anything is copied
    bundle = work / "bundle"
    copied = source.resolve() != bundle.resolve()
    if copied:
        if bundle.exists():
            shutil.rmtree(bundle)
        shutil.copytree(source, bundle, symlinks=True)
    try:
        check_bundle(bundle, comp, schema, df)  # what is published: loaded again, then run in the sandbox
    except ProblemsError:
        if copied:
            shutil.rmtree(bundle)
        raise
    return bundle


def _write_bundle(forecaster, work: Path, comp: dict) -> Path:
    from ml_models import save_bundle

    bundle = work / "bundle"
    if bundle.exists():
        shutil.rmtree(bundle)
    save_bundle(bundle, forecaster, data_cids={"train": comp["dataCid"]})
    return bundle


def submit(market, participant, comp_id: int, strategy: str = "tuned", *, work_dir: str | Path | None = None,
           keystore: Keystore | None = None, spec_file: str | Path | None = None,
           bundle_dir: str | Path | None = None, **options) -> Submission:
    """Train by ``strategy`` (or train the spec in ``spec_file``, or take the bundle in ``bundle_dir``, trained
    elsewhere), publish the bundle, save the salt, commit. ``options``: :class:`TrainingOptions`.

    A spec or bundle that the evaluator would refuse raises :class:`ProblemsError` before anything is
    published or sent."""
    from brownie import network

    if spec_file is not None and bundle_dir is not None:
        raise SettingsError("give a spec file or a bundle, not both")
    if strategy == "tuned" and options.get("search_space"):
        from ml_models import load_search_space

        load_search_space(options["search_space"])  # a bad file fails now, before any download or training
    comp = competition(market, comp_id)
    if comp["phase"] != Phase.SUBMISSION:
        raise ChainError(f"competition {comp_id} is in its {comp['phase']} phase: submissions are closed")
    work = Path(work_dir).resolve() if work_dir else settings().work_dir(comp_id, participant.address)
    work.mkdir(parents=True, exist_ok=True)
    df, schema = fetch_training_data(comp, work)
    if bundle_dir is not None:
        bundle, strategy = _own_bundle(bundle_dir, work, comp, schema, df), f"bundle {bundle_dir}"
    else:
        spec = spec_from_file(spec_file, comp, schema, len(df)) if spec_file is not None else None
        strategy = f"spec {spec_file}" if spec_file is not None else strategy
        forecaster, _ = build_forecaster(strategy, df, schema, comp, work, spec=spec, **options)
        bundle = _write_bundle(forecaster, work, comp)
    root = bundle_weights_root(bundle, comp, df.columns)
    model_cid, sha = publish_folder(bundle)  # a failed upload raises here: nothing sent on chain
    salt = new_salt()
    record = {"competition": comp_id, "market": market.address, "participant": participant.address,
              "model_cid": model_cid, "model_sha256": sha, "salt": salt.hex(), "bundle_dir": str(bundle.resolve()),
              "strategy": strategy, "weights_root": root.hex()}
    path = (keystore or Keystore()).save(network.chain.id, market.address, comp_id, "participant",
                                         participant.address, record)
    commitment = model_commitment(model_cid, sha, salt, participant.address, comp_id, market.address,
                                  weights_root=root)
    first = submission_status(market, comp_id, participant.address) == Status.NONE
    transact(market.commit, comp_id, commitment, sender=participant, value=comp["entryDeposit"] if first else 0)
    write_json(work / "submission.json", record | {"keystore": str(path)})
    print(f"{participant.address} committed a model ({strategy}) to competition {comp_id}: bundle {model_cid} "
          f"(sha256 {sha[:16]}...), salt saved in {path}")
    spec = json.loads((bundle / "spec.json").read_text())
    return Submission(comp_id, participant.address, model_cid, sha, str(bundle), spec, str(path))


def reveal(market, participant, comp_id: int, *, keystore: Keystore | None = None):
    """Reveal the committed model with the salt saved by :func:`submit`."""
    from brownie import network

    status = submission_status(market, comp_id, participant.address)
    if status == Status.NONE:  # before the salt store: it has no salt because nothing was committed
        raise ChainError(f"{participant.address} has no commitment in competition {comp_id}: `market submit "
                         f"{comp_id}` commits one before the submission deadline (check --account)")
    if status != Status.COMMITTED:
        raise ChainError(f"{participant.address} has already revealed in competition {comp_id} (now {status}); "
                         f"`market status {comp_id}` shows where it stands")
    record = (keystore or Keystore()).load(network.chain.id, market.address, comp_id, "participant",
                                           participant.address)
    root = bytes.fromhex(record.get("weights_root", "00" * 32))
    if root != ZERO32:
        tx = transact(market.revealWithRoot, comp_id, record["model_cid"], to_bytes32(record["model_sha256"]), root,
                      bytes.fromhex(record["salt"]), sender=participant)
    else:
        tx = transact(market.reveal, comp_id, record["model_cid"], to_bytes32(record["model_sha256"]),
                      bytes.fromhex(record["salt"]), sender=participant)
    print(f"{participant.address} revealed {record['model_cid']} in competition {comp_id}")
    return tx
