"""Reading a CSV that may come from a stranger (dataset bundles, ``csv:`` sources), with one-line errors.

:func:`read_csv_frame` checks the file before pandas parses it: at most :data:`MAX_CSV_BYTES`
bytes, no NUL byte, UTF-8 (a BOM is allowed), every row as wide as the first, unique column names
and no cell longer than :data:`MAX_CELL_CHARS` characters.

A file may come with or without a header row. :func:`has_header` decides when the caller does
not say: a first row whose cells parse as data where the rest of their column does (numbers,
dates) is data; a first row of names over numbers or dates is a header; a first row that is part
one and part the other is an error saying which option to pass (``header=`` / ``names=``). A row
is never dropped silently. Each problem is a
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

__all__ = ["MAX_CELL_CHARS", "MAX_CSV_BYTES", "capped", "has_header", "read_csv_frame"]

#: The largest CSV file read (bytes).
MAX_CSV_BYTES = 256 * 1024 * 1024
#: The longest cell, header names included (characters); a date or a number needs a few dozen.
MAX_CELL_CHARS = 4096
#: Rows read to decide whether the first one is a header.
SNIFF_ROWS = 200
#: How a header-less file's columns are named when the caller gives no names: col1, col2, ...
DEFAULT_NAME = "col{}"


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


def read_csv_frame(path: Path, *, header: bool | None = True, names: list[str] | None = None) -> pd.DataFrame:
    """The cells of a comma-separated file, as pandas reads them (no index set).

    ``header``: True, the first row names the columns; False, every row is data (columns named
    ``names``, else col1, col2, ...); None, decided by :func:`has_header`. ``names`` implies a
    file without a header: with ``header=None`` a file that looks like it has one is an error.
    ``df.attrs["header"]`` says which was read.
    """
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
    sample = _check_rows(text, name)
    header, names = _layout(sample, name, header, names)
    try:
        df = pd.read_csv(io.StringIO(text), comment=None, float_precision="round_trip",
                         header=0 if header else None, names=None if header else names)
    except (ValueError, TypeError, OverflowError) as exc:  # ParserError, EmptyDataError are ValueErrors
        raise DataError(clip_message(f"cannot parse CSV {name}: {exc}; give a comma-separated file")) from None
    df.attrs["header"] = bool(header)
    return df


def _layout(sample: list[list[str]], name: str, header: bool | None, names: list[str] | None
            ) -> tuple[bool, list[str] | None]:
    """Whether the file has a header row, and the column names when it has none."""
    if header and names is not None:
        raise DataError("column names are for a file without a header row; drop them to use the header of "
                        f"CSV {name}, or read it as having no header")
    if header is None:
        detected = has_header(sample)
        if detected is None:
            raise DataError(clip_message(
                f"cannot tell whether the first row of CSV {name} is a header: cells {_ambiguous(sample)} look like "
                "data but the others do not; pass --header if it is one, or --no-header (and --columns to name "
                "the columns) if it is data"))
        if detected and names is not None:
            raise DataError(clip_message(
                f"CSV {name} seems to have a header row ({', '.join(c[:20] for c in sample[0][:6])}); drop --columns "
                "to use it, or pass --no-header to read that row as data"))
        header = detected
    if header:
        dup = sorted(c for c, n in Counter(sample[0]).items() if n > 1)
        if dup:
            raise DataError(f"CSV {name} has duplicate column name(s) {[d[:40] for d in dup[:5]]} in its header "
                            "(if that row is data, pass --no-header)")
    if not header:
        width = len(sample[0])
        names = list(names) if names is not None else [DEFAULT_NAME.format(i + 1) for i in range(width)]
        if len(names) != width:
            raise DataError(clip_message(f"{len(names)} column name(s) {names} given for CSV {name}, which has "
                                         f"{width} column(s); give one name per column"))
        dup = sorted(c for c, n in Counter(names).items() if n > 1)
        if dup or not all(names):
            raise DataError(clip_message(f"column names {names} must be unique and non-empty"))
    return bool(header), names


def has_header(rows: list[list[str]]) -> bool | None:
    """Whether ``rows[0]`` (the first rows of a CSV, split into cells) is a header: None when unsure.

    Each column whose other rows are all numbers (or all dates) votes: its first cell is data if
    it parses the same way, a name if not. Text columns do not vote. All votes "data": no
    header; all "name", or no vote at all: a header; a mix: None.
    """
    votes = [v for v in (_vote(rows, j) for j in range(len(rows[0]))) if v is not None]
    if not votes or len(rows) < 2:
        return True
    if all(votes):
        return True
    return False if not any(votes) else None


def _ambiguous(rows: list[list[str]]) -> list[str]:
    return [rows[0][j][:20] for j in range(len(rows[0])) if _vote(rows, j) is False][:6]


def _vote(rows: list[list[str]], j: int) -> bool | None:
    """Column ``j``: True if its first cell is a name over data, False if it is data, None if text."""
    body = [r[j].strip() for r in rows[1:] if r[j].strip()]
    first = rows[0][j].strip()
    if not body:
        return None
    for parses in (_is_number, _is_date):
        if all(parses(c) for c in body):
            return not parses(first)
    return None


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def _is_date(cell: str) -> bool:
    if not any(ch.isdigit() for ch in cell):
        return False  # "date", "May": names, not dates
    try:
        pd.Timestamp(cell)
    except (ValueError, TypeError, OverflowError):
        return False
    return True


def _line_of(raw: bytes, offset: int) -> int:
    return raw.count(b"\n", 0, offset) + 1


def _check_rows(text: str, name: str) -> list[list[str]]:
    """Check every row; return the first :data:`SNIFF_ROWS` non-blank rows."""
    reader = csv.reader(io.StringIO(text, newline=""))
    width = 0
    sample: list[list[str]] = []
    try:
        for row in reader:
            if not row:
                continue  # a blank line, which pandas skips too
            if len(sample) < SNIFF_ROWS:
                sample.append(row)
            longest = max(len(cell) for cell in row)
            if longest > MAX_CELL_CHARS:
                raise DataError(f"CSV {name} line {reader.line_num} has a cell of {longest} characters; "
                                f"cells are limited to {MAX_CELL_CHARS}")
            if not width:
                width = len(row)
            elif len(row) != width:
                raise DataError(f"CSV {name} line {reader.line_num} has {len(row)} field(s) but the first row has {width}; "
                                "every row needs one value per column")
    except csv.Error as exc:
        if "field larger than field limit" in str(exc):
            raise DataError(f"CSV {name} line {reader.line_num} has a cell of more than {MAX_CELL_CHARS} characters; "
                            f"cells are limited to {MAX_CELL_CHARS}") from None
        raise DataError(clip_message(f"CSV {name} is malformed near line {reader.line_num}: {exc}")) from None
    if not width:
        raise DataError(f"CSV {name} is empty; give a comma-separated file")
    return sample
