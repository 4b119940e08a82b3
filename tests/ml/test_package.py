"""The package surface: one table of re-exports, and an import that stays cheap."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys

import ml_models

HEAVY = ("tensorflow", "keras", "optuna", "statsmodels", "statsforecast")


def test_reexports_are_exactly_each_submodules_all():
    for module, names in ml_models._EXPORTS.items():
        assert sorted(names) == sorted(importlib.import_module(f"ml_models.{module}").__all__), module
    assert len(ml_models.__all__) == len(set(ml_models.__all__))  # no name exported by two modules
    for name in ml_models.__all__:
        assert getattr(ml_models, name) is getattr(importlib.import_module(f"ml_models.{ml_models._WHERE[name]}"), name)


def test_import_does_not_load_keras_tensorflow_optuna_or_statsmodels():
    code = ("import json, sys, ml_models; ml_models.get_metric, ml_models.Schema, ml_models.MLError; "
            f"print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in {HEAVY!r})))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert json.loads(out.stdout) == []
