"""Golden values (golden.json, written by make_golden.py): numpy and Solidity reproduce them exactly on this machine."""

from __future__ import annotations

import numpy as np
from cases import chain_network, chain_step, ints, numpy_step

from ml_models import intinfer as ii
from ml_models.intinfer.golden import load_golden, scores, self_check
from ml_models.spec import ModelSpec

GOLDEN = load_golden()


def _a(values) -> np.ndarray:
    return np.asarray(values, dtype=np.int64)


def _expected(case: dict) -> dict:
    return {k: case[k] for k in ("h2", "c2") if k in case}


def test_format_is_the_one_the_golden_values_were_made_with():
    assert GOLDEN["format"] == {"fractional_bits": ii.F, "one": ii.ONE}


def test_numpy_reproduces_the_golden_activations_cells_network_and_metrics():
    act = GOLDEN["activations"]
    x = _a(act["x"])
    assert ints(ii.sigmoid(x)) == act["sigmoid"] and ints(ii.tanh(x)) == act["tanh"]
    assert ints(ii.exp_neg(np.abs(x))) == act["exp_neg_abs"]
    for case in GOLDEN["cells"]:
        assert numpy_step(case) == _expected(case), case["cell"]
    net = GOLDEN["network"]
    weights = [np.asarray(w, dtype=np.float32) for w in net["weights"]]
    model = ii.IntNetwork.from_weights(ModelSpec.from_dict(net["spec"]), weights, net["n_features"])
    assert ints(model.predict(ii.quantize(np.asarray(net["windows"])))) == net["outputs"]
    m = GOLDEN["metrics"]
    p, t = _a(m["pred"]), _a(m["target"])
    assert [ii.mse_q(p, t), ii.rmse_q(p, t), ii.mae_q(p, t)] == [m["mse"], m["rmse"], m["mae"]]


def test_the_installed_self_check_reproduces_every_golden_section_including_the_scores(monkeypatch):
    assert self_check() == []
    assert scores(GOLDEN["scores"]) == GOLDEN["scores"]["expected"]
    assert GOLDEN["scores"]["expected"]["brier"] > 0 and GOLDEN["scores"]["expected"]["log_loss"] > 0
    import ml_models.intinfer.golden as golden

    monkeypatch.setattr(golden, "sigmoid", lambda x: ii.sigmoid(x) + 1)  # a machine that rounds differently
    monkeypatch.setattr(golden, "score_q", lambda *a, **k: 0)
    assert self_check() == ["activations", "scores"]


def test_solidity_reproduces_the_golden_activations_cells_network_and_metrics(harness):
    act = GOLDEN["activations"]
    assert ints(harness.sigmoidMany(act["x"])) == act["sigmoid"]
    assert ints(harness.tanhMany(act["x"])) == act["tanh"]
    assert ints(harness.expNegMany([abs(v) for v in act["x"]])) == act["exp_neg_abs"]
    for case in GOLDEN["cells"]:
        assert chain_step(harness, case) == _expected(case), case["cell"]
    net = GOLDEN["network"]
    weights = [np.asarray(w, dtype=np.float32) for w in net["weights"]]
    windows = ints(ii.quantize(np.asarray(net["windows"])))
    assert ints(harness.runNetwork(chain_network(ModelSpec.from_dict(net["spec"]), weights), windows)) == net["outputs"]
    m = GOLDEN["metrics"]
    assert ints(harness.metrics(m["pred"], m["target"]))[2:] == [m["mse"], m["rmse"], m["mae"]]
