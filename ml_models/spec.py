"""``ModelSpec``: the hyperparameters of a forecaster, stored as JSON and validated strictly.

Every string field is checked against a whitelist, every number against a range, and unknown
fields are refused, so a spec read from a stranger's bundle can only describe networks that
:func:`ml_models.model.build_model` knows how to build.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from typing import Any

from .errors import SpecError

__all__ = ["CELLS", "KINDS", "LOSSES", "TASKS", "TARGET_TRANSFORMS", "ModelSpec", "read_spec_file", "spec_problems"]

#: A spec file is at most this many bytes.
MAX_SPEC_FILE_BYTES = 64 * 1024

KINDS = ("rnn", "naive", "seasonal_naive")
CELLS = ("LSTM", "GRU", "SimpleRNN")
TASKS = ("regression", "direction")
LOSSES = ("mse", "mae", "huber")
TARGET_TRANSFORMS = ("delta", "level")

# field -> (low, high) inclusive, for numbers
_RANGES: dict[str, tuple[float, float]] = {
    "layers": (1, 4),
    "units": (4, 512),
    "dropout": (0.0, 0.8),
    "dense_units": (0, 512),
    "learning_rate": (1e-6, 1.0),
    "batch_size": (1, 4096),
    "epochs": (1, 1000),
    "patience": (0, 1000),
    "sequence_length": (1, 2048),
    "horizon": (1, 1024),
    "season": (1, 10000),
    "seed": (0, 2**31 - 1),
    "validation_fraction": (0.0, 0.5),
}
_CHOICES: dict[str, tuple[str, ...]] = {
    "kind": KINDS,
    "cell": CELLS,
    "task": TASKS,
    "loss": LOSSES,
    "target_transform": TARGET_TRANSFORMS,
}
_MAX_STR = 64
_CELL_GATES = {"LSTM": 4, "GRU": 3, "SimpleRNN": 1}


def _show(v: Any) -> str:
    """A short repr of a value from a stranger's spec (a huge int or a long list never prints whole)."""
    if isinstance(v, int) and not isinstance(v, bool) and abs(v) >= 10**18:
        return f"an integer of {len(str(abs(v))) if v.bit_length() < 10_000 else 'thousands of'} digits"
    try:
        text = repr(v)
    except (ValueError, RecursionError):
        return f"<a {type(v).__name__}>"
    return text if len(text) <= _MAX_STR else text[:_MAX_STR] + "..."


@dataclass
class ModelSpec:
    """Hyperparameters of one forecaster.

    ``kind``: "rnn" (a Keras recurrent network), "naive" (last value) or "seasonal_naive" (the
    value one ``season`` earlier). Network: ``layers`` stacked ``cell`` layers of ``units`` each,
    ``dropout`` after each, an optional ReLU dense head of ``dense_units`` (0 = none), then one
    output (linear, or sigmoid for ``task="direction"``).
    ``target_transform="delta"`` (default) makes the network predict the standardised change
    ``target[t + horizon] - target[t]`` from windows in which the target is expressed relative to
    its last value (other input columns stay standardised), which copes with trending series; "level" predicts the standardised value itself.
    Training: Adam with ``learning_rate``, ``batch_size``, at most ``epochs`` epochs, early stopping
    after ``patience`` epochs without validation improvement (0 = off), the last
    ``validation_fraction`` of the training windows held out when no validation frame is given.
    """

    kind: str = "rnn"
    cell: str = "LSTM"
    layers: int = 1
    units: int = 32
    dropout: float = 0.0
    dense_units: int = 0
    learning_rate: float = 1e-3
    batch_size: int = 64
    epochs: int = 20
    patience: int = 5
    sequence_length: int = 24
    horizon: int = 1
    season: int = 1
    task: str = "regression"
    loss: str = "mse"
    target_transform: str = "delta"
    validation_fraction: float = 0.15
    seed: int = 0

    # ---------------------------------------------------------------- validation
    def validate(self) -> ModelSpec:
        """Check every field; return self. Raises :class:`SpecError` saying what is allowed."""
        for f in fields(self):
            v = getattr(self, f.name)
            if f.name in _CHOICES:
                allowed = _CHOICES[f.name]
                if not isinstance(v, str):
                    raise SpecError(f"{f.name} must be a string, one of {allowed}; got {type(v).__name__}")
                if v not in allowed:
                    shown = v if len(v) <= _MAX_STR else v[:_MAX_STR] + "..."
                    raise SpecError(f"unknown {f.name} {shown!r}; expected one of {allowed}")
                continue
            lo, hi = _RANGES[f.name]
            if f.type in ("int", int):
                if not isinstance(v, int) or isinstance(v, bool):
                    raise SpecError(f"{f.name} must be an integer in [{lo:g}, {hi:g}]; got {_show(v)}")
            else:
                if not isinstance(v, (int, float)) or isinstance(v, bool) or not _finite(v):
                    raise SpecError(f"{f.name} must be a finite number in [{lo:g}, {hi:g}]; got {_show(v)}")
            if not lo <= v <= hi:
                raise SpecError(f"{f.name}={_show(v)} is out of range; allowed [{lo:g}, {hi:g}]")
        if self.kind == "seasonal_naive":
            need = self.seasonal_lag() - self.horizon + 1
            if self.sequence_length < need:
                raise SpecError(
                    f"seasonal_naive with season {self.season} and horizon {self.horizon} looks back "
                    f"{self.seasonal_lag()} rows from the target; set sequence_length >= {need}"
                )
        return self

    def parameter_count(self, n_features: int) -> int:
        """Weights in the network :func:`~ml_models.model.build_model` makes for this (validated) spec, without building it.

        Keras 3 cells: LSTM ``4u(f + u + 1)``, GRU ``3u(f + u + 2)`` (``reset_after``: two bias rows),
        SimpleRNN ``u(f + u + 1)``; Dense ``(in + 1) * out``. Baselines have none.
        """
        if self.kind != "rnn":
            return 0
        gates, u = _CELL_GATES[self.cell], self.units
        bias = 2 if self.cell == "GRU" else 1
        total, width = 0, int(n_features)
        for _ in range(self.layers):
            total += gates * u * (width + u + bias)
            width = u
        if self.dense_units > 0:
            total += (width + 1) * self.dense_units
            width = self.dense_units
        return total + width + 1

    def seasonal_lag(self) -> int:
        """Rows between a target and the value a seasonal naive forecast copies (a multiple of season >= horizon)."""
        return self.season * math.ceil(self.horizon / self.season)

    # ---------------------------------------------------------------- JSON
    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=True)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> ModelSpec:
        """Build and validate a spec; unknown fields are refused, missing ones take defaults."""
        if not isinstance(d, Mapping):
            raise SpecError(f"a model spec must be a JSON object, got {type(d).__name__}")
        known = [f.name for f in fields(cls)]
        unknown = [k for k in d if k not in known]
        if unknown:
            shown = [k if isinstance(k, str) and len(k) <= _MAX_STR else repr(k)[:_MAX_STR] for k in unknown[:5]]
            raise SpecError(f"unknown spec field(s) {shown}; allowed fields: {known}")
        values = dict(d)
        for name in ("dropout", "learning_rate", "validation_fraction"):
            if isinstance(values.get(name), int) and not isinstance(values.get(name), bool):
                try:
                    values[name] = float(values[name])
                except OverflowError:
                    raise SpecError(f"{name}={_show(values[name])} is out of range") from None
        return cls(**values).validate()

    @classmethod
    def from_json(cls, text: str) -> ModelSpec:
        try:
            return cls.from_dict(json.loads(text))
        except (ValueError, RecursionError) as exc:  # JSONDecodeError, or Python's int-string limit
            if isinstance(exc, SpecError):
                raise
            raise SpecError(f"model spec is not valid JSON: {str(exc)[:200]}") from None

    def replace(self, **changes: Any) -> ModelSpec:
        """A validated copy with some fields changed."""
        return ModelSpec.from_dict({**self.to_dict(), **changes})


def _finite(v: int | float) -> bool:
    try:
        return math.isfinite(v)
    except OverflowError:  # an int beyond float64's range is finite, and out of every range above
        return True


def spec_problems(doc: Any) -> list[str]:
    """Every problem of a spec document (a JSON object), one line each; empty when
    :meth:`ModelSpec.from_dict` accepts it. Each field is checked on its own by the same rules, so a
    person fixing a hand-written spec sees all its mistakes at once, not one per attempt."""
    if not isinstance(doc, Mapping):
        return [f"a model spec must be a JSON object, got {type(doc).__name__}"]
    known = [f.name for f in fields(ModelSpec)]
    problems = []
    for key, value in list(doc.items())[:64]:
        if key not in known:
            shown = key if isinstance(key, str) and len(key) <= _MAX_STR else repr(key)[:_MAX_STR]
            problems.append(f"unknown field {shown!r}; allowed fields: {', '.join(known)}")
            continue
        try:
            ModelSpec.from_dict({key: value})
        except SpecError as exc:
            problems.append(str(exc))
    if not problems:
        try:
            ModelSpec.from_dict(doc)
        except SpecError as exc:  # a rule joining fields, e.g. seasonal_naive's look-back
            problems.append(str(exc))
    return problems


def read_spec_file(path: str | os.PathLike[str]) -> Any:
    """The JSON document in a spec file a person wrote, parsed strictly (size, UTF-8, no duplicate keys, no
    NaN); not validated (see :func:`spec_problems`). Raises :class:`SpecError` with one line."""
    from ._strict_json import loads_strict

    try:
        with open(path, "rb") as f:
            raw = f.read(MAX_SPEC_FILE_BYTES + 1)
    except OSError as exc:
        raise SpecError(f"cannot read the spec file {str(path)[:200]!r}: {exc.strerror or exc}") from None
    return loads_strict(raw, what=f"the spec file {str(path)[:200]}", error=SpecError, max_bytes=MAX_SPEC_FILE_BYTES,
                        max_depth=2)
