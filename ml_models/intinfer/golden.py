"""Golden values: fixed inputs and the integers the reference gives for them, so any machine can check itself.

``golden.json`` (next to this file, installed with the package; written by
``tests/intinfer/make_golden.py``) holds activations, one step of each cell, a whole network, the
error sums and every official metric's score. :func:`self_check` recomputes them all here;
``market verify`` runs it first, so a machine that would compute other integers says so instead of
reporting mismatches. ``tests/intinfer/test_golden.py`` also checks them against the Solidity library.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from ..spec import ModelSpec
from .cells import gru_step, lstm_step, simple_rnn_step
from .fixed import exp_neg, quantize, sigmoid, tanh
from .network import IntInferError, IntNetwork, mae_q, mse_q, rmse_q
from .scores import score_q

__all__ = ["GOLDEN_PATH", "cell_step", "load_golden", "require_golden", "self_check"]

GOLDEN_PATH = Path(__file__).with_name("golden.json")


def load_golden() -> dict[str, Any]:
    return json.loads(GOLDEN_PATH.read_text())


def _ints(values: Any) -> Any:
    return np.asarray(values).tolist() if isinstance(values, np.ndarray) else values


def cell_step(case: dict) -> dict[str, list]:
    """One step of a golden cell case: ``{"h2": ..., and "c2" for LSTM}`` as nested lists of ints."""
    a = {k: np.asarray(v, dtype=np.int64) for k, v in case.items() if k in ("x", "h", "c", "w", "u", "b", "b_in", "b_rec")}
    if case["cell"] == "LSTM":
        h2, c2 = lstm_step(a["x"], a["h"], a["c"], a["w"], a["u"], a["b"])
        return {"h2": _ints(h2), "c2": _ints(c2)}
    if case["cell"] == "GRU":
        return {"h2": _ints(gru_step(a["x"], a["h"], a["w"], a["u"], a["b_in"], a["b_rec"]))}
    return {"h2": _ints(simple_rnn_step(a["x"], a["h"], a["w"], a["u"], a["b"]))}


def network_outputs(net: dict) -> list[int]:
    weights = [np.asarray(w, dtype=np.float32) for w in net["weights"]]
    model = IntNetwork.from_weights(ModelSpec.from_dict(net["spec"]), weights, net["n_features"])
    return _ints(model.predict(quantize(np.asarray(net["windows"]))))


def scores(case: dict) -> dict[str, int]:
    """Every official metric's score of the golden ``scores`` case (``p``, ``t``, ``o``, ``y``; ``prob``)."""
    a = {k: np.asarray(case[k], dtype=np.int64) for k in ("p", "t", "o", "y", "prob")}
    out = {}
    for name in ("rmse", "mae", "mase", "smape", "directional_accuracy", "brier", "log_loss"):
        direction = name in ("brier", "log_loss")
        out[name] = score_q(name, a["prob"] if direction else a["p"], a["t"], origin=a["o"], train=a["y"],
                            season=case["season"], task="direction" if direction else "regression")
    return out


def self_check() -> list[str]:
    """The golden sections this machine computes differently (empty: every golden integer reproduced)."""
    g = load_golden()
    bad = []
    act = g["activations"]
    x = np.asarray(act["x"], dtype=np.int64)
    if (_ints(sigmoid(x)), _ints(tanh(x)), _ints(exp_neg(np.abs(x)))) != (act["sigmoid"], act["tanh"], act["exp_neg_abs"]):
        bad.append("activations")
    if any(cell_step(c) != {k: c[k] for k in ("h2", "c2") if k in c} for c in g["cells"]):
        bad.append("cells")
    if network_outputs(g["network"]) != g["network"]["outputs"]:
        bad.append("network")
    m = g["metrics"]
    p, t = np.asarray(m["pred"], dtype=np.int64), np.asarray(m["target"], dtype=np.int64)
    if [mse_q(p, t), rmse_q(p, t), mae_q(p, t)] != [m["mse"], m["rmse"], m["mae"]]:
        bad.append("metrics")
    if scores(g["scores"]) != g["scores"]["expected"]:
        bad.append("scores")
    return bad


def require_golden() -> None:
    """Raise :class:`~.network.IntInferError` unless this machine reproduces every golden integer."""
    bad = self_check()
    if bad:
        raise IntInferError(f"this machine computes other integers than the reference's golden values (in: {', '.join(bad)}); "
                            "its scores would not be the official ones: report it with the output of "
                            "`python -m ml_models.intinfer.golden`")


def main() -> int:
    """``python -m ml_models.intinfer.golden``: check this machine against the golden values; exit 1 on a difference."""
    bad = self_check()
    print("golden values: " + ("every section reproduced" if not bad else f"DIFFERENT in {', '.join(bad)}"))
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
