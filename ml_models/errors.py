"""Exceptions raised by :mod:`ml_models`. Every message says what went wrong and what to do.

Every error raised on purpose is an :class:`MLError`; each kind also subclasses the built-in
exception it refines (``ValueError`` or ``RuntimeError``), so callers catching those still work.
"""

from __future__ import annotations

__all__ = [
    "MAX_MESSAGE", "BaselineError", "BundleError", "DataError", "MLError", "MetricError", "ScoringError", "SpecError",
    "clip_message",
]


class MLError(Exception):
    """Base class of every error raised on purpose by :mod:`ml_models`."""


class DataError(MLError, ValueError):
    """The data cannot be loaded, cleaned, split or windowed as asked."""


class SpecError(MLError, ValueError):
    """A model spec (hyperparameters, preprocessing) is invalid."""


class BundleError(MLError, ValueError):
    """A submission bundle is malformed, unsafe or does not match its spec."""


class MetricError(MLError, ValueError):
    """A metric cannot be computed: unknown metric, mismatched or non-finite values, missing inputs."""


class ScoringError(MLError, RuntimeError):
    """Scoring could not run at all (not: one bundle failed; that is a result)."""


class BaselineError(MLError, RuntimeError):
    """A statistical baseline could not be fitted, or its forecasts disagree with the library's own."""


#: The longest error message or failure reason passed on about untrusted input (characters).
MAX_MESSAGE = 300


def clip_message(text: object, limit: int = MAX_MESSAGE) -> str:
    """``text`` on one line (runs of whitespace become one space), cut to ``limit`` characters with "...".

    Used wherever a message may quote untrusted input (a CSV cell, a bundle's JSON, a worker's output).
    """
    try:
        s = str(text)
    except Exception:  # a str() that fails (e.g. an int over the digit limit): say what it was
        s = f"<unprintable {type(text).__name__}>"
    if len(s) > 4 * limit:
        s = s[: 4 * limit]  # bound the work on a 20 MB message before splitting it
    s = " ".join(s.split())
    return s if len(s) <= limit else s[: max(0, limit - 3)] + "..."
