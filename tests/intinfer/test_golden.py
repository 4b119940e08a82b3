"""Golden values (golden.json, written by make_golden.py): numpy and Solidity reproduce them exactly on this machine."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from conftest import ints

from ml_models.intinfer import (
    ONE,
    F,
    IntNetwork,
    exp_neg,
    gru_step,
    lstm_step,
    mae_q,
    mse_q,
    quantize,
    rmse_q,
    sigmoid,
    simple_rnn_step,
    tanh,
)
from ml_models.spec import ModelSpec

GOLDEN = json.loads(Path(__file__).with_name("golden.json").read_text())


def _a(values) -> np.ndarray:
    return np.asarray(values, dtype=np.int64)


def test_format_is_the_one_the_golden_values_were_made_with():
    assert GOLDEN["format"] == {"fractional_bits": F, "one": ONE}


def test_numpy_reproduces_the_golden_activations_cells_network_and_metrics():
    act = GOLDEN["activations"]
    x = _a(act["x"])
    assert ints(sigmoid(x)) == act["sigmoid"] and ints(tanh(x)) == act["tanh"]
    assert ints(exp_neg(np.abs(x))) == act["exp_neg_abs"]
    for case in GOLDEN["cells"]:
        a = {k: _a(v) for k, v in case.items() if k != "cell"}
        if case["cell"] == "LSTM":
            h2, c2 = lstm_step(a["x"], a["h"], a["c"], a["w"], a["u"], a["b"])
            assert ints(c2) == case["c2"]
        elif case["cell"] == "GRU":
            h2 = gru_step(a["x"], a["h"], a["w"], a["u"], a["b_in"], a["b_rec"])
        else:
            h2 = simple_rnn_step(a["x"], a["h"], a["w"], a["u"], a["b"])
        assert ints(h2) == case["h2"], case["cell"]
    net = GOLDEN["network"]
    weights = [np.asarray(w, dtype=np.float32) for w in net["weights"]]
    model = IntNetwork.from_weights(ModelSpec.from_dict(net["spec"]), weights, net["n_features"])
    assert ints(model.predict(quantize(np.asarray(net["windows"])))) == net["outputs"]
    m = GOLDEN["metrics"]
    p, t = _a(m["pred"]), _a(m["target"])
    assert [mse_q(p, t), rmse_q(p, t), mae_q(p, t)] == [m["mse"], m["rmse"], m["mae"]]


def test_solidity_reproduces_the_golden_activations_cells_and_metrics(harness):
    act = GOLDEN["activations"]
    assert ints(harness.sigmoidMany(act["x"])) == act["sigmoid"]
    assert ints(harness.tanhMany(act["x"])) == act["tanh"]
    assert ints(harness.expNegMany([abs(v) for v in act["x"]])) == act["exp_neg_abs"]
    for case in GOLDEN["cells"]:
        flat = {k: [v for row in case[k] for v in row] for k in ("w", "u")}
        if case["cell"] == "LSTM":
            h2, c2 = harness.lstmSteps(case["x"], case["h"], case["c"], flat["w"], flat["u"], case["b"])
            assert ints(c2) == case["c2"]
        elif case["cell"] == "GRU":
            h2 = harness.gruSteps(case["x"], case["h"], flat["w"], flat["u"], case["b_in"], case["b_rec"])
        else:
            h2 = harness.simpleRnnSteps(case["x"], case["h"], flat["w"], flat["u"], case["b"])
        assert ints(h2) == case["h2"], case["cell"]
    m = GOLDEN["metrics"]
    assert ints(harness.metrics(m["pred"], m["target"]))[2:] == [m["mse"], m["rmse"], m["mae"]]
