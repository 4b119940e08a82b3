"""Reading a CSV that may come from a stranger (dataset bundles, ``csv:`` sources), with one-line errors.

:func:`read_csv_frame` checks the file before pandas parses it: at most :data:`MAX_CSV_BYTES`
bytes, no NUL byte, UTF-8 (a BOM is allowed), every row as wide as the header, unique column names
and no cell longer than :data:`MAX_CELL_CHARS` characters. Each problem is a
:class:`~ml_models.errors.DataError` naming the line, never quoting more than a few characters of
a cell; :func:`capped` cuts any ``DataError`` raised while reading to one line of
:data:`~ml_models.errors.MAX_MESSAGE` characters.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pandas as pd

from ..errors import DataError, clip_message

__all__ = ["MAX_CELL_CHARS", "MAX_CSV_BYTES", "capped", "read_csv_frame"]

#: The largest CSV file read (bytes).
MAX_CSV_BYTES = 256 * 1024 * 1024
#: The longest cell, header names included (characters); a date or a number needs a few dozen.
MAX_CELL_CHARS = 4096


@contextmanager
def capped() -> Iterator[None]:
    """Around reading untrusted data: every error is a :class:`DataError` of one line and at most ``MAX_MESSAGE`` characters.

    A ``DataError`` whose message is long or spans lines is re-raised shortened; a ``ValueError``,
    ``TypeError``, ``OverflowError``, ``KeyError`` or ``IndexError`` from pandas or numpy on odd data
    becomes a ``DataError`` naming its type.
    """
    try:
        yield
    except DataError as exc:
        msg = clip_message(exc)
        if msg == str(exc):
            raise
        raise DataError(msg) from None
    except (ValueError, TypeError, OverflowError, KeyError, IndexError) as exc:
        raise DataError(clip_message(f"cannot read the data: {type(exc).__name__}: {exc}")) from None


def read_csv_frame(path: Path) -> pd.DataFrame:
    """The cells of a comma-separated file with a header row, as pandas reads them (no index set)."""
    name = repr(str(path)[-120:])
    try:
        with open(path, "rb") as f:
            raw = f.read(MAX_CSV_BYTES + 1)
    except OSError as exc:
        raise DataError(f"cannot read CSV {name}: {exc.strerror}") from None
    if len(raw) > MAX_CSV_BYTES:
        raise DataError(f"CSV {name} is larger than the limit of {MAX_CSV_BYTES} bytes")
    nul = raw.find(b"\0")
    if nul >= 0:
        raise DataError(f"CSV {name} holds a NUL byte on line {_line_of(raw, nul)}; it is not a text file")
    try:
        text = raw.decode("utf-8").removeprefix("\ufeff")  # a byte-order mark is allowed
    except UnicodeDecodeError as exc:
        raise DataError(f"CSV {name} is not UTF-8: byte 0x{raw[exc.start]:02x} on line {_line_of(raw, exc.start)}; "
                        "save it as UTF-8") from None
    _check_rows(text, name)
    try:
        return pd.read_csv(io.StringIO(text), comment=None, float_precision="round_trip")
    except (ValueError, TypeError, OverflowError) as exc:  # ParserError, EmptyDataError are ValueErrors
        raise DataError(clip_message(f"cannot parse CSV {name}: {exc}; give a comma-separated file with a header row")) from None


def _line_of(raw: bytes, offset: int) -> int:
    return raw.count(b"\n", 0, offset) + 1


def _check_rows(text: str, name: str) -> None:
    reader = csv.reader(io.StringIO(text, newline=""))
    width = 0
    try:
        for row in reader:
            if not row:
                continue  # a blank line, which pandas skips too
            longest = max(len(cell) for cell in row)
            if longest > MAX_CELL_CHARS:
                raise DataError(f"CSV {name} line {reader.line_num} has a cell of {longest} characters; "
                                f"cells are limited to {MAX_CELL_CHARS}")
            if not width:
                width = len(row)
                dup = sorted(c for c, n in Counter(row).items() if n > 1)
                if dup:
                    raise DataError(f"CSV {name} has duplicate column name(s) {[d[:40] for d in dup[:5]]} in its header")
            elif len(row) != width:
                raise DataError(f"CSV {name} line {reader.line_num} has {len(row)} field(s) but the header has {width}; "
                                "every row needs one value per column")
    except csv.Error as exc:
        if "field larger than field limit" in str(exc):
            raise DataError(f"CSV {name} line {reader.line_num} has a cell of more than {MAX_CELL_CHARS} characters; "
                            f"cells are limited to {MAX_CELL_CHARS}") from None
        raise DataError(clip_message(f"CSV {name} is malformed near line {reader.line_num}: {exc}")) from None
    if not width:
        raise DataError(f"CSV {name} is empty; give a comma-separated file with a header row")
