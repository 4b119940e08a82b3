"""The application's errors: one base, a few kinds. Every message says what to do.

The CLI turns any :class:`AppError` (and the libraries' own bases, ``ml_models.MLError`` and
``ipfs_store.StorageError``) into one line and exit code 1.
"""
from __future__ import annotations


class AppError(Exception):
    """Base of every error the application raises on purpose."""


class ChainError(AppError, RuntimeError):
    """A chain-side problem a user can fix: a revert, a closed phase, a missing key or market."""


class KeystoreError(AppError, RuntimeError):
    """A saved salt or test-set record is missing or unreadable; the message says where it was expected."""


class ArtifactError(AppError, ValueError):
    """A dataset, test set or bundle on disk does not match what the chain or its record says."""


class SettingsError(AppError, ValueError):
    """An environment variable or option has a value that cannot be used."""


#: Longest error or reason line shown to a user (part of it may come from a stranger's bytes).
MAX_LINE = 300


def one_line(text: object, limit: int = MAX_LINE) -> str:
    """``text`` on one line, at most ``limit`` characters."""
    flat = " ".join(str(text).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"
