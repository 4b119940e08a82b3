"""Lazy, quiet import of Keras on the TensorFlow backend.

``import ml_models`` must stay cheap (Keras costs seconds to import), so every module that needs
Keras calls :func:`get_keras` at the moment it needs it.
"""

from __future__ import annotations

import os
import sys
from typing import Any

_CONFIGURED = False


def configure_environment() -> None:
    """Set the environment variables Keras/TensorFlow read at import time (idempotent)."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    if "keras" not in sys.modules:
        os.environ["KERAS_BACKEND"] = "tensorflow"


def get_keras() -> Any:
    """Import and return the ``keras`` module configured for this package."""
    global _CONFIGURED
    configure_environment()
    import keras  # noqa: PLC0415 (lazy on purpose)

    if not _CONFIGURED:
        if keras.backend.backend() != "tensorflow":
            from .errors import MLError

            raise MLError(
                f"keras was imported with backend {keras.backend.backend()!r} before ml_models; "
                "set KERAS_BACKEND=tensorflow before importing keras"
            )
        import logging

        logging.getLogger("tensorflow").setLevel(logging.ERROR)
        _CONFIGURED = True
    return keras


def set_deterministic(seed: int, *, single_thread: bool = False) -> None:
    """Seed Python, NumPy and TensorFlow; optionally pin TensorFlow to one thread.

    One thread makes float reductions run in a fixed order, so predictions are bit-identical
    from run to run on the same machine (used when scoring).
    """
    keras = get_keras()
    import tensorflow as tf  # noqa: PLC0415

    if single_thread:
        try:
            tf.config.threading.set_intra_op_parallelism_threads(1)
            tf.config.threading.set_inter_op_parallelism_threads(1)
        except RuntimeError:  # already initialised in this process: keep what it has
            pass
    keras.utils.set_random_seed(int(seed))
