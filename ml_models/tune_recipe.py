"""The search recipe: how ``market submit --strategy tuned`` calls :func:`ml_models.tune.tune_hyperparameters`.

One place, so that what ``python -m ml_models.tune_benchmark --sections quality`` measures is what
a submission does: both pass ``TUNING_RECIPE.kwargs()`` (the benchmark can override each field
from its command line to measure an alternative). The figures behind each value are in the
README ("The search itself").
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from .errors import SpecError

__all__ = ["TUNING_RECIPE", "TuningRecipe"]


@dataclass(frozen=True)
class TuningRecipe:
    """Walk-forward folds, the epochs a trial may train, and the seeds tried for the best spec.

    ``max_epochs=None``: trials train the spec's own epochs (with its early stopping), as the final
    fit does; successive halving cuts the poor ones after 3 and 9 epochs. Three folds over the
    last 35% of the training rows make the choice of spec and seed less noisy than two over 25%.
    ``seeds=3``: after the budget, the best spec is trained with two more seeds on the folds
    (this takes time beyond the search's budget: about two trials' worth).
    """

    n_folds: int = 3
    val_fraction: float = 0.35
    max_epochs: int | None = None
    seeds: int = 3

    def __post_init__(self) -> None:
        if not isinstance(self.n_folds, int) or not 1 <= self.n_folds <= 10:
            raise SpecError(f"n_folds={self.n_folds!r} must be an integer in [1, 10]")
        if not isinstance(self.val_fraction, float | int) or not 0.0 < self.val_fraction < 1.0:
            raise SpecError(f"val_fraction={self.val_fraction!r} must be a number in (0, 1)")
        if self.max_epochs is not None and (not isinstance(self.max_epochs, int) or self.max_epochs < 1):
            raise SpecError(f"max_epochs={self.max_epochs!r} must be a positive integer or None (the spec's epochs)")
        if not isinstance(self.seeds, int) or not 1 <= self.seeds <= 100:
            raise SpecError(f"seeds={self.seeds!r} must be an integer in [1, 100]")

    def kwargs(self) -> dict[str, Any]:
        """The keyword arguments of ``tune_hyperparameters`` this recipe fixes."""
        return asdict(self)


#: What ``market submit --strategy tuned`` uses.
TUNING_RECIPE = TuningRecipe()
