"""Stage 3, participant: read a competition, fetch its data by CID, tune and train a model,
publish the bundle on IPFS, save the salt, then commit.

    brownie run scripts/submit.py main <competition id> [naive|default|tuned]

Order matters: the bundle is on IPFS and the salt is on disk before the commit is sent, so a
failed upload leaves the chain untouched and a crash after the commit loses nothing.
"""
from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path

from brownie import network

from scripts.artifacts import fetch_folder, model_commitment, new_salt, publish_folder, write_json
from scripts.common import ChainError, competition, get_account, get_market, transact
from scripts.keystore import Keystore

STRATEGIES = ("naive", "seasonal_naive", "default", "tuned")


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
        raise ChainError(f"the dataset at {comp['dataCid']} does not match competition {comp['id']}'s task "
                         f"(target {schema.target!r}/{comp['target']!r}, horizon {schema.horizon}/{comp['horizon']})")
    return df, schema


def build_forecaster(strategy: str, df, schema, comp: dict, work_dir: Path, *, trials: int = 8,
                     budget_s: float = 60.0, epochs: int = 20, seed: int = 0, storage: str | None = None,
                     progress: bool = True):
    """Choose a spec by `strategy`, train it on the competition's data; returns (forecaster, tune result)."""
    from ml_models import ModelSpec, train, tune_hyperparameters

    if strategy not in STRATEGIES:
        raise ValueError(f"unknown strategy {strategy!r}; choose one of {', '.join(STRATEGIES)}")
    base = ModelSpec(sequence_length=comp["sequenceLength"], horizon=comp["horizon"], season=schema.season,
                     task=schema.task, epochs=epochs, seed=seed)
    tuned = None
    if strategy in ("naive", "seasonal_naive"):
        spec = base.replace(kind=strategy)
    elif strategy == "default":
        spec = base
    else:
        tuned = tune_hyperparameters(df, schema, base_spec=base, n_trials=trials, timeout_s=budget_s, seed=seed,
                                     storage=storage or (work_dir / "optuna.db"),
                                     study_name=f"competition-{comp['id']}", plot_path=work_dir / "tuning.png",
                                     progress=progress)
        spec = tuned.best_spec
    if spec.kind != "rnn" or not progress:
        return train(spec, df, schema, data_cids={"train": comp["dataCid"]}), tuned
    from tqdm import tqdm

    with tqdm(total=spec.epochs, desc="training", unit="epoch") as bar:
        def on_epoch(epoch, logs):
            bar.update(1)
            if "val_loss" in logs:
                bar.set_postfix(val_loss=f"{logs['val_loss']:.4f}")

        return train(spec, df, schema, data_cids={"train": comp["dataCid"]}, progress=on_epoch), tuned


def submit(market, participant, comp_id: int, strategy: str = "tuned", *, work_dir: str | Path | None = None,
           keystore: Keystore | None = None, **train_options) -> Submission:
    from ml_models import save_bundle

    comp = competition(market, comp_id)
    if comp["phase"] != "Submission":
        raise ChainError(f"competition {comp_id} is in its {comp['phase']} phase: submissions are closed")
    work = Path(work_dir or Path("out") / f"competition-{comp_id}" / participant.address.lower()).resolve()
    work.mkdir(parents=True, exist_ok=True)
    df, schema = fetch_training_data(comp, work)
    forecaster, _ = build_forecaster(strategy, df, schema, comp, work, **train_options)
    bundle = work / "bundle"
    if bundle.exists():
        shutil.rmtree(bundle)
    save_bundle(bundle, forecaster, data_cids={"train": comp["dataCid"]})
    model_cid, sha = publish_folder(bundle)  # a failed upload raises here: nothing sent on chain
    salt = new_salt()
    record = {"competition": comp_id, "market": market.address, "participant": participant.address,
              "model_cid": model_cid, "model_sha256": sha, "salt": salt.hex(), "bundle_dir": str(bundle.resolve()),
              "strategy": strategy}
    keystore = keystore or Keystore()
    path = keystore.save(network.chain.id, market.address, comp_id, "participant", participant.address, record)
    commitment = model_commitment(model_cid, sha, salt, participant.address, comp_id, market.address)
    already = int(market.submission(comp_id, participant.address)["status"]) != 0
    transact(market.commit, comp_id, commitment, sender=participant, value=0 if already else comp["entryDeposit"])
    spec = json.loads((bundle / "spec.json").read_text())
    write_json(work / "submission.json", record | {"keystore": str(path)})
    print(f"{participant.address} committed a {strategy} model to competition {comp_id}: bundle {model_cid} "
          f"(sha256 {sha[:16]}...), salt saved in {path}")
    return Submission(comp_id, participant.address, model_cid, sha, str(bundle), spec, str(path))


def main(comp_id: int = 1, strategy: str = "tuned"):
    return submit(get_market(), get_account(), int(comp_id), strategy)
