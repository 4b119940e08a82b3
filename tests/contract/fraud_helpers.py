"""A tiny revealed model and its data for the fraud-proof tests, with the integer scorer's sums."""
from dataclasses import dataclass

import numpy as np

from forecast_market.fraud import Model, StepMachine
from ml_models.intinfer import IntNetwork, IntScaler, error_sums, quantize, windows_at
from ml_models.intinfer.bench import random_weights
from ml_models.spec import ModelSpec


@dataclass
class Case:
    model: Model
    rows: np.ndarray  # every row, target first
    train_rows: int
    test_rows: int

    def machine(self) -> StepMachine:
        return StepMachine(self.model, self.rows, self.train_rows, self.test_rows)

    def scorer_sums(self) -> tuple[int, int]:
        """The sums as the vectorised integer path (ml_models.intinfer) gives them."""
        m, L = self.model, self.model.net.sequence_length
        x = m.scaler.standardize(self.rows[:, list(m.columns)])
        ends = self.train_rows + np.arange(self.test_rows) - m.horizon
        out = m.net.predict(windows_at(x, L, ends, delta=m.delta))
        pred = m.scaler.to_target_units(out, self.rows[ends, 0], delta=m.delta)
        sq, ab, _ = error_sums(pred, self.rows[self.train_rows + np.arange(self.test_rows), 0])
        return sq, ab


def make_case(cell="GRU", layers=2, units=5, dense=3, steps=4, features=2, columns=3, train=12, test=3,
              horizon=2, delta=True, seed=0) -> Case:
    rng = np.random.default_rng(seed)
    spec = ModelSpec(cell=cell, layers=layers, units=units, sequence_length=steps, dense_units=dense, horizon=horizon)
    net = IntNetwork.from_weights(spec, random_weights(spec, features, rng, scale=0.5), features)
    raw = np.cumsum(rng.normal(0, 1, (train + test, columns)), axis=0) + 10
    rows = quantize(raw)
    cols = (0, *rng.choice(np.arange(1, columns), features - 1, replace=False).tolist())
    mean, scale = raw[:train].mean(axis=0)[list(cols)], raw[:train].std(axis=0)[list(cols)] + 0.1
    delta_scale = float(np.diff(raw[:train, 0]).std() + 0.1)
    scaler = IntScaler(tuple(f"c{c}" for c in cols), "c0", quantize(mean), quantize(scale),
                       int(quantize(np.asarray([delta_scale]))[0]))
    return Case(Model(net, scaler, tuple(int(c) for c in cols), horizon, delta), rows, train, test)
