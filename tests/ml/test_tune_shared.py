"""Tuning across machines, for real: a throwaway PostgreSQL server and two worker processes on one study."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import optuna
import pytest

from ml_models.data import write_dataset_bundle

PG_BIN = Path(shutil.which("initdb") or "/usr/local/bin/initdb").parent


def _as_postgres(cmd: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root: run it as the ``postgres`` user then."""
    return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else cmd


@pytest.fixture
def postgres_url():
    pytest.importorskip("psycopg", reason="the PostgreSQL driver for postgresql:// URLs: pip install 'psycopg[binary]==3.3.9'")
    for tool in ("initdb", "pg_ctl"):
        assert (PG_BIN / tool).exists(), f"{PG_BIN / tool} is missing: install PostgreSQL 15 (apt-get install postgresql-15)"
    root = Path(tempfile.mkdtemp(prefix="pg-", dir="/tmp"))  # short: unix socket paths are limited to 107 bytes
    if os.geteuid() == 0:
        shutil.chown(root, "postgres")
    data = root / "data"
    subprocess.run(_as_postgres([str(PG_BIN / "initdb"), "-D", str(data), "-U", "optuna", "--auth=trust", "-E", "UTF8",
                                 "--no-sync"]), check=True, capture_output=True, timeout=120)
    subprocess.run(_as_postgres([str(PG_BIN / "pg_ctl"), "-D", str(data), "-l", str(root / "log"), "-w", "-t", "60",
                                 "-o", f"-k {root} -c listen_addresses='' -c fsync=off", "start"]),
                   check=True, capture_output=True, timeout=120)
    try:
        yield f"postgresql://optuna@/postgres?host={root}"
    finally:
        subprocess.run(_as_postgres([str(PG_BIN / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"]),
                       capture_output=True, timeout=60)
        shutil.rmtree(root, ignore_errors=True)


def test_two_workers_share_one_study_in_postgresql(postgres_url, split, schema, tmp_path):
    dataset = tmp_path / "data"
    write_dataset_bundle(dataset, split.train, schema, part="train")
    space = tmp_path / "space.json"
    space.write_text(json.dumps({"units": {"low": 4, "high": 8}, "learning_rate": {"low": 1e-3, "high": 3e-2, "log": True}}))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
    env.pop("OPTUNA_STORAGE", None)
    cmd = [sys.executable, "-m", "ml_models.tune_worker", str(dataset), "--storage", postgres_url, "--study-name", "shared",
           "--trials", "2", "--epochs", "1", "--search-space", str(space), "--threads", "1"]
    workers = [subprocess.Popen([*cmd, "--seed", str(i)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
               for i in range(2)]
    outs = []
    for w in workers:
        out, err = w.communicate(timeout=300)
        assert w.returncode == 0, err[-2000:]
        outs.append(json.loads(out.strip().splitlines()[-1]))
    mine = [set(o["trials"]) for o in outs]
    assert all(len(m) == 2 for m in mine) and not mine[0] & mine[1]  # both contributed, no trial ran twice
    study = optuna.load_study(study_name="shared", storage=postgres_url)
    assert {t.number for t in study.trials} == mine[0] | mine[1]
    assert study.best_value == min(o["best_value"] for o in outs)
    assert max(o["study_trials"] for o in outs) == 4  # the last to finish saw all four
    assert study.user_attrs["objective"]["metric"] == "rmse"


def test_a_worker_without_storage_or_budget_says_what_to_give(tmp_path):
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
    env.pop("OPTUNA_STORAGE", None)
    base = [sys.executable, "-m", "ml_models.tune_worker", str(tmp_path), "--study-name", "s"]
    r = subprocess.run(base + ["--trials", "1"], capture_output=True, text=True, env=env, timeout=60)
    assert r.returncode == 2 and r.stderr.strip() == "error: give --storage URL (or set OPTUNA_STORAGE) so the workers share one study"
    r = subprocess.run(base + ["--storage", f"sqlite:///{tmp_path}/s.db"], capture_output=True, text=True, env=env, timeout=60)
    assert r.returncode == 2 and r.stderr.strip() == "error: give --trials or --budget so the worker stops"
    r = subprocess.run(base + ["--storage", f"sqlite:///{tmp_path}/s.db", "--trials", "1"], capture_output=True, text=True,
                       env=env, timeout=60)
    assert r.returncode == 1 and r.stderr.count("\n") == 1 and r.stderr.startswith("error: ")
