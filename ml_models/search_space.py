"""Search spaces for :mod:`ml_models.tune`: the default one, JSON files, validation, sampling.

A search space maps :class:`~ml_models.spec.ModelSpec` fields to ranges or choices. Internally
each entry is a tuple ``("int", lo, hi, log)``, ``("float", lo, hi, log)`` or
``("categorical", [choices])``. In a JSON file (``--search-space FILE``) an entry is either
``{"low": L, "high": H}`` (optionally ``"log": true``; int or float by the field's type) or
``{"choices": [...]}``::

    {"cell": {"choices": ["LSTM", "GRU"]},
     "units": {"low": 8, "high": 64, "log": true},
     "learning_rate": {"low": 0.0003, "high": 0.01, "log": true}}

Only the fields in :data:`SEARCHABLE` may be searched (the competition fixes the window, horizon
and task; ``epochs`` is the search's own budget); every bound and choice must be a value
ModelSpec accepts; and the largest network the space allows must stay under
:data:`MAX_PARAMETERS` weights, so a search space cannot make a trial run for hours.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields
from pathlib import Path
from typing import Any

from ._strict_json import loads_strict
from .errors import SpecError, clip_message
from .spec import CELLS, ModelSpec

__all__ = ["DEFAULT_SEARCH_SPACE", "MAX_PARAMETERS", "SEARCHABLE", "load_search_space", "suggest",
           "validate_search_space"]

#: name -> ("int", lo, hi, log) | ("float", lo, hi, log) | ("categorical", [choices])
DEFAULT_SEARCH_SPACE: dict[str, tuple[Any, ...]] = {
    "cell": ("categorical", ["LSTM", "GRU"]),
    "layers": ("int", 1, 2, False),
    "units": ("int", 8, 64, True),
    "dropout": ("float", 0.0, 0.4, False),
    "dense_units": ("categorical", [0, 16, 32]),
    "learning_rate": ("float", 3e-4, 1e-2, True),
    "batch_size": ("categorical", [64, 128, 256]),  # larger batches: fewer steps per epoch, faster trials
}

#: The ModelSpec fields a search space may vary.
SEARCHABLE = ("cell", "layers", "units", "dropout", "dense_units", "learning_rate", "batch_size", "loss", "patience")
#: The largest network (weights, counted by ModelSpec.parameter_count) a search space may reach.
MAX_PARAMETERS = 500_000
MAX_FILE_BYTES = 64 * 1024
MAX_CHOICES = 32
_FIELD_TYPES = {f.name: f.type for f in fields(ModelSpec)}


def _is_int_field(name: str) -> bool:
    return _FIELD_TYPES[name] in ("int", int)


def _check_value(name: str, value: Any) -> Any:
    """``value`` as ModelSpec accepts it for field ``name`` (its own range and whitelist), else SpecError."""
    try:
        return getattr(ModelSpec.from_dict({name: value}), name)
    except SpecError as exc:
        raise SpecError(f"search space {name!r}: {exc}") from None


def validate_search_space(space: Mapping[str, Any], *, n_features: int = 1) -> dict[str, tuple[Any, ...]]:
    """Check a search space (internal tuple form); return it as a plain dict. Raises :class:`SpecError`."""
    if not isinstance(space, Mapping) or not space:
        raise SpecError("a search space must be a non-empty JSON object mapping ModelSpec fields to ranges or choices")
    out: dict[str, tuple[Any, ...]] = {}
    for name, d in space.items():
        if name not in SEARCHABLE:
            shown = clip_message(repr(name), 80)
            raise SpecError(f"search space key {shown} cannot be searched; allowed keys: {', '.join(SEARCHABLE)}")
        if not isinstance(d, tuple | list) or not d or d[0] not in ("int", "float", "categorical"):
            raise SpecError(f"search space {name!r} must be ('int'|'float', low, high, log) or ('categorical', [choices])")
        if d[0] == "categorical":
            choices = d[1] if len(d) == 2 and isinstance(d[1], list | tuple) else None
            if not choices or len(choices) > MAX_CHOICES:
                raise SpecError(f"search space {name!r} needs 1 to {MAX_CHOICES} choices")
            out[name] = ("categorical", [_check_value(name, c) for c in choices])
            continue
        if len(d) != 4 or not isinstance(d[3], bool):
            raise SpecError(f"search space {name!r} must be ({d[0]!r}, low, high, log) with log true or false")
        kind = "int" if _is_int_field(name) else "float"
        if d[0] != kind:
            raise SpecError(f"search space {name!r} is a{'n' if kind == 'int' else ''} {kind} field; got a {d[0]} range")
        lo, hi = _check_value(name, d[1]), _check_value(name, d[2])
        if not lo <= hi:
            raise SpecError(f"search space {name!r}: low {lo} is above high {hi}")
        if d[3] and lo <= 0:
            raise SpecError(f"search space {name!r}: a log range needs low > 0; got {lo}")
        out[name] = (kind, lo, hi, d[3])
    largest = _largest_network(out, n_features)
    if largest > MAX_PARAMETERS:
        raise SpecError(f"the largest network in this search space has {largest:,} weights; the limit is "
                        f"{MAX_PARAMETERS:,}: lower the upper bounds of layers, units or dense_units")
    return out


def _largest_network(space: Mapping[str, tuple[Any, ...]], n_features: int) -> int:
    def top(name: str, default: Any) -> Any:
        d = space.get(name)
        if d is None:
            return default
        return max(d[1]) if d[0] == "categorical" else d[2]

    base = ModelSpec()
    cells = space["cell"][1] if "cell" in space else [base.cell]
    # CELLS is ordered LSTM, GRU, SimpleRNN: most weights first
    spec = base.replace(cell=min(cells, key=CELLS.index), layers=top("layers", base.layers),
                        units=top("units", base.units), dense_units=top("dense_units", base.dense_units))
    return spec.parameter_count(n_features)


def load_search_space(path: str | Path, *, n_features: int = 1) -> dict[str, tuple[Any, ...]]:
    """Read a JSON search space file (see the module docstring) and validate it. Raises :class:`SpecError`."""
    p = Path(path)
    try:
        with p.open("rb") as f:
            raw = f.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise SpecError(f"cannot read search space file {str(p)[:200]}: {exc.strerror or exc}") from None
    doc = loads_strict(raw, what=f"search space {p.name[:100]}", error=SpecError, max_bytes=MAX_FILE_BYTES, max_depth=4)
    if not isinstance(doc, dict):
        raise SpecError(f"search space {p.name[:100]} must be a JSON object mapping ModelSpec fields to ranges or choices")
    space: dict[str, tuple[Any, ...]] = {}
    for name, entry in doc.items():
        if name not in SEARCHABLE:
            raise SpecError(f"search space key {clip_message(repr(name), 80)} cannot be searched; allowed keys: "
                            f"{', '.join(SEARCHABLE)}")
        space[name] = _entry(name, entry)
    return validate_search_space(space, n_features=n_features)


def _entry(name: str, entry: Any) -> tuple[Any, ...]:
    if not isinstance(entry, dict):
        raise SpecError(f"search space {name!r} must be an object: {{\"low\": L, \"high\": H}} or {{\"choices\": [...]}}")
    keys = set(entry)
    if keys == {"choices"}:
        if not isinstance(entry["choices"], list):
            raise SpecError(f"search space {name!r}: choices must be a list")
        return ("categorical", entry["choices"])
    if keys in ({"low", "high"}, {"low", "high", "log"}):
        log = entry.get("log", False)
        if not isinstance(log, bool):
            raise SpecError(f"search space {name!r}: log must be true or false")
        if _is_int_field(name):
            for b in ("low", "high"):
                if isinstance(entry[b], float) and entry[b].is_integer():
                    entry[b] = int(entry[b])
        return ("int" if _is_int_field(name) else "float", entry["low"], entry["high"], log)
    extra = sorted(str(k)[:40] for k in keys - {"low", "high", "log", "choices"})
    raise SpecError(f"search space {name!r} has keys {sorted(str(k)[:40] for k in keys)}"
                    + (f" (unknown: {extra})" if extra else "")
                    + "; use {\"low\": L, \"high\": H[, \"log\": true]} or {\"choices\": [...]}")


def suggest(trial: Any, space: Mapping[str, tuple[Any, ...]]) -> dict[str, Any]:
    """Ask an Optuna trial for one value of every entry in ``space``."""
    out = {}
    for name, d in space.items():
        if d[0] == "int":
            out[name] = trial.suggest_int(name, int(d[1]), int(d[2]), log=bool(d[3]))
        elif d[0] == "float":
            out[name] = trial.suggest_float(name, float(d[1]), float(d[2]), log=bool(d[3]))
        else:
            out[name] = trial.suggest_categorical(name, list(d[1]))
    return out
