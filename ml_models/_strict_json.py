"""Strict JSON for documents written by strangers (bundle specs, safetensors headers, dataset schemas).

:func:`loads_strict` refuses, with the caller's error class and a one-line message: more than
``max_bytes`` bytes, bytes that are not UTF-8, invalid JSON, duplicate keys, ``NaN``/``Infinity``,
integers of more than :data:`MAX_INT_DIGITS` digits (so Python's int-string limit is never hit),
number literals that are too long or overflow float64 (``1e999``), and nesting deeper than
``max_depth`` (checked without recursion, after the parser's own recursion guard).
"""

from __future__ import annotations

import json
from typing import Any

from .errors import MLError, clip_message

__all__ = ["MAX_FLOAT_CHARS", "MAX_INT_DIGITS", "loads_strict"]

#: Integer literals longer than this are refused (an int64 has at most 19 digits).
MAX_INT_DIGITS = 20
#: Float literals longer than this are refused (``repr`` of a float64 has at most 24 characters).
MAX_FLOAT_CHARS = 64


def loads_strict(raw: bytes, *, what: str, error: type[MLError], max_bytes: int, max_depth: int = 8) -> Any:
    """Parse ``raw`` as one strict JSON document named ``what`` in messages, or raise ``error``."""
    if len(raw) > max_bytes:
        raise error(f"{what} is {len(raw)} bytes; the limit is {max_bytes}")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise error(f"{what} is not UTF-8 (invalid byte at offset {exc.start})") from None

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for k, v in items:
            if k in out:
                raise error(clip_message(f"duplicate key {k[:128]!r} in {what}"))
            out[k] = v
        return out

    def constant(name: str) -> Any:
        raise error(f"{what} contains {name}; only finite numbers are allowed")

    def integer(s: str) -> int:
        if len(s.lstrip("-")) > MAX_INT_DIGITS:
            raise error(f"{what} holds an integer of {len(s.lstrip('-'))} digits; at most {MAX_INT_DIGITS} are allowed")
        return int(s)

    def real(s: str) -> float:
        if len(s) > MAX_FLOAT_CHARS:
            raise error(f"{what} holds a number literal of {len(s)} characters; at most {MAX_FLOAT_CHARS} are allowed")
        v = float(s)
        if v in (float("inf"), float("-inf")):
            raise error(clip_message(f"{what} holds {s[:40]}, beyond the range of float64; only finite numbers are allowed"))
        return v

    try:
        doc = json.loads(text, object_pairs_hook=pairs, parse_constant=constant, parse_int=integer, parse_float=real)
    except MLError:
        raise
    except RecursionError:
        raise error(f"{what} nests too deeply to parse") from None
    except ValueError as exc:  # JSONDecodeError
        raise error(clip_message(f"{what} is not valid JSON: {exc}")) from None
    depth = _depth(doc)
    if depth > max_depth:
        raise error(f"{what} nests {depth} levels deep; at most {max_depth} are allowed")
    return doc


def _depth(doc: Any) -> int:
    """Nesting depth of lists and objects (a scalar is 0), without recursion."""
    deepest, stack = 0, [(doc, 0)]
    while stack:
        node, d = stack.pop()
        if isinstance(node, dict):
            node = list(node.values())
        if isinstance(node, list):
            deepest = max(deepest, d + 1)
            stack.extend((child, d + 1) for child in node if isinstance(child, (dict, list)))
    return deepest
