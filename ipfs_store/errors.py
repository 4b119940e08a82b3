"""Errors raised by the storage layer. Every message says what to do next."""
from __future__ import annotations


class StorageError(Exception):
    """Storing or fetching content failed (node unreachable, content missing, bad input)."""


class IntegrityError(StorageError):
    """Downloaded content does not match the sha256 digest it was expected to have."""


class TooLargeError(StorageError):
    """Content is larger than the caller's size limit; nothing was kept."""
