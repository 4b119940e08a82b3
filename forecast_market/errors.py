"""The application's errors: one base, a few kinds. Every message says what to do.

The CLI turns any :class:`AppError` (and the libraries' own bases, ``ml_models.MLError`` and
``ipfs_store.StorageError``) into one line and exit code 1.
"""
from __future__ import annotations

from ml_models.errors import clip_message


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


class ProblemsError(ArtifactError):
    """A file a user wrote (a model spec, a bundle) has several problems: the CLI prints one line for each."""

    def __init__(self, what: str, problems: list[str]):
        self.what, self.problems = what, [clip_message(p) for p in problems]
        super().__init__(f"{what}: " + "; ".join(self.problems))


# One line, capped in length (part of it may come from a stranger's bytes): the library's own
# helper, which also bounds the work on a huge message and survives a str() that fails.
one_line = clip_message


def unknown_network(name: str) -> ChainError:
    """The error for a --network that brownie does not know (said the same way with or without brownie)."""
    return ChainError(f"there is no brownie network named {name!r}: `brownie networks list` shows them "
                      "(`development` is the local chain, `sepolia-rpc` Sepolia through SEPOLIA_RPC_URL)")
