"""Errors raised by the storage layer. Every message is one line, at most 300 characters, and
says what to do next."""
from __future__ import annotations

import unicodedata

MAX_MESSAGE = 300


def one_line(message: object, limit: int = MAX_MESSAGE) -> str:
    """`message` on one line (control characters escaped, whitespace runs collapsed), cut in
    the middle to `limit` characters so that both its subject and its advice survive."""
    text = " ".join(
        "".join(c if unicodedata.category(c) != "Cc" else f"\\x{ord(c):02x}" for c in part)
        for part in str(message).split()
    )
    if len(text) <= limit:
        return text
    head = (limit - 5) * 2 // 5
    return text[:head] + " ... " + text[len(text) - (limit - 5 - head):]


def show(name: str, limit: int = 60) -> str:
    """`name` quoted for a message (repr, so hostile characters are visible), at most `limit` characters."""
    text = repr(name)
    return text if len(text) <= limit else text[: limit - 4] + "...'"


class StorageError(Exception):
    """Storing or fetching content failed (node unreachable, content missing, bad input)."""

    def __init__(self, message: object = "", *args: object) -> None:
        super().__init__(one_line(message), *args)


class IntegrityError(StorageError):
    """Downloaded content does not match the sha256 digest it was expected to have."""


class TooLargeError(StorageError):
    """Content is larger than the caller's size limit; nothing was kept."""
