"""The seed choice at the end of a search (``seeds > 1``): which spec, and which initialisation of it.

A trial's objective is one seed's: part of a spec's lead over the next is the luck of its
initialisation. With ``seeds > 1`` the best :data:`CANDIDATES` specs of the search (by objective)
are each trained again with ``seeds - 1`` further seeds on the same folds; the spec with the best
mean over its seeds is kept, with its best seed. ``CANDIDATES = 1`` is the plain best of seeds
for the search's best spec.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from typing import Any

from .spec import ModelSpec
from .tune_folds import SearchSetup, evaluate_spec

__all__ = ["CANDIDATES", "choose_seed"]

#: How many of the search's best specs are compared over seeds.
CANDIDATES = 1


def _spec_of(setup: SearchSetup, trial: Any) -> ModelSpec:
    return ModelSpec.from_dict(trial.user_attrs["spec"]) if "spec" in trial.user_attrs else setup.base.replace(**trial.params)


def _seed_values(setup: SearchSetup, spec: ModelSpec, value: float, seeds: int) -> dict[int, float]:
    """The objective of ``spec`` for its own seed (``value``, from the search) and ``seeds - 1`` more."""
    out = {spec.seed: value}
    for s in range(spec.seed + 1, spec.seed + seeds):
        out[s % 2**31] = evaluate_spec(setup, spec.replace(seed=s % 2**31))
    return out


def choose_seed(setup: SearchSetup, complete: Sequence[Any], seeds: int,
                candidates: int | None = None) -> tuple[ModelSpec, float, dict[int, float]]:
    """``(spec, objective, seed -> objective)`` from the completed trials ``complete``; see the module."""
    sign = -1.0 if setup.higher_is_better else 1.0
    ranked = sorted((t for t in complete if t.value is not None and math.isfinite(t.value)),
                    key=lambda t: sign * t.value)
    if not ranked:
        ranked = list(complete)
    if seeds <= 1:
        return _spec_of(setup, ranked[0]), float(ranked[0].value), {}
    best: tuple[float, ModelSpec, dict[int, float]] | None = None
    seen: set[str] = set()
    for trial in ranked:
        spec = _spec_of(setup, trial)
        key = repr(spec.replace(seed=0).to_dict())
        if key in seen:
            continue
        seen.add(key)
        values = _seed_values(setup, spec, float(trial.value), seeds)
        finite = [v for v in values.values() if math.isfinite(v)]
        mean = sign * statistics.fmean(finite) if finite else math.inf
        if best is None or mean < best[0]:
            best = (mean, spec, values)
        if len(seen) >= (CANDIDATES if candidates is None else candidates):
            break
    assert best is not None
    _, spec, values = best
    chosen = min((s for s in values if math.isfinite(values[s])), key=lambda s: sign * values[s], default=spec.seed)
    return spec.replace(seed=chosen), values[chosen], values
