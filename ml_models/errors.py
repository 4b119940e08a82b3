"""Exceptions raised by :mod:`ml_models`. Every message says what went wrong and what to do."""

from __future__ import annotations


class MLError(Exception):
    """Base class of every error raised on purpose by :mod:`ml_models`."""


class DataError(MLError, ValueError):
    """The data cannot be loaded, cleaned, split or windowed as asked."""


class SpecError(MLError, ValueError):
    """A model spec (hyperparameters, preprocessing) is invalid."""


class BundleError(MLError, ValueError):
    """A submission bundle is malformed, unsafe or does not match its spec."""


class ScoringError(MLError, RuntimeError):
    """Scoring could not run at all (not: one bundle failed; that is a result)."""
