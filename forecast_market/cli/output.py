"""Clean stdout: only the application's own lines reach it; everything else goes to stderr.

While a command runs, ``sys.stdout`` is a router: a line printed by code in ``forecast_market`` goes
to stdout; a line printed by a library (brownie's four coloured lines per transaction, Keras'
progress bars, optuna, ...) goes to stderr. In ``results_only`` mode (``--json``, and commands whose
output scripts capture, like `init`), even the application's narrative goes to stderr and only
:func:`emit` writes to stdout. So ``ID=$(market init ...)`` captures the id alone.
"""
from __future__ import annotations

import io
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager

#: Modules whose prints are the application's output.
APPLICATION = ("forecast_market.",)


class _Router(io.TextIOBase):
    def __init__(self, out, err, results_only: bool):
        super().__init__()
        self.out, self.err, self.results_only = out, err, results_only

    def write(self, text: str) -> int:
        caller = sys._getframe(1).f_globals.get("__name__", "")
        own = not self.results_only and caller.startswith(APPLICATION)
        stream = self.out if own else self.err
        written = stream.write(text)
        stream.flush()  # keep stdout and stderr lines in the order they were printed
        return written

    def flush(self) -> None:
        self.out.flush()
        self.err.flush()

    def isatty(self) -> bool:
        return self.err.isatty()

    def writable(self) -> bool:
        return True

    def __getattr__(self, name):  # encoding, fileno, buffer...: what libraries may look up
        return getattr(self.err, name)


_current: list[_Router] = []


@contextmanager
def routed(*, results_only: bool = False) -> Iterator[None]:
    """Route prints for the duration of a command (nested calls keep the outer router)."""
    if _current:
        outer = _current[-1]
        saved, outer.results_only = outer.results_only, outer.results_only or results_only
        try:
            yield
        finally:
            outer.results_only = saved
        return
    router = _Router(sys.stdout, sys.stderr, results_only)
    _current.append(router)
    sys.stdout = router
    try:
        yield
    finally:
        sys.stdout = router.out
        _current.pop()


def emit(text: str = "") -> None:
    """Write a result line to the real stdout."""
    out = _current[-1].out if _current else sys.stdout
    out.write(f"{text}\n")
    out.flush()


def emit_json(data) -> None:
    emit(json.dumps(data, indent=2, default=str))


def progress(text: str) -> None:
    """A progress line on stderr."""
    err = _current[-1].err if _current else sys.stderr
    err.write(f"{text}\n")
    err.flush()
