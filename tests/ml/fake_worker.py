"""A stand-in scoring worker for tests: misbehaves for bundles with the names below, else runs the real one.

A bundle cannot run code (that is the point of the format), so the isolation of score_bundles is
tested by swapping in this worker through its ``worker_cmd`` parameter: it crashes, hangs, eats
memory, or writes results that are garbage, huge, deeply nested, or not numbers.
"""

import json
import os
import sys
import time
from pathlib import Path

args = sys.argv[1:]
bundle = Path(args[args.index("--bundle") + 1]).name
out = Path(args[args.index("--out") + 1])
n_test = 48  # the test rows of the session's split (tests/ml/conftest.py)
RESULTS = {
    "garbage": b"\x80\x04 not json at all",
    "empty": b"",
    "big": b'{"ok": true, "predictions": [' + b"1.0, " * 3_000_000 + b"1.0]}",
    "deep": b"[" * 30_000 + b"]" * 30_000,
    "nested": json.dumps({"ok": True, "predictions": [[[[1.0]]]] * n_test}).encode(),
    "hugeint": b'{"ok": true, "predictions": [' + b", ".join([b"9" * 5000] + [b"1.0"] * (n_test - 1)) + b"]}",
    "bigint": b'{"ok": true, "predictions": [' + b", ".join([b"9" * 400] * n_test) + b"]}",
    "nan": b'{"ok": true, "predictions": [' + b", ".join([b"NaN"] * n_test) + b"]}",
    "huge": json.dumps({"ok": True, "predictions": [1e300] * n_test}).encode(),
    "max": json.dumps({"ok": True, "predictions": [1.7e308] * n_test}).encode(),
    "toolarge": json.dumps({"ok": True, "predictions": [1e14] * n_test}).encode(),
    "strings": json.dumps({"ok": True, "predictions": ["1.0"] * n_test}).encode(),
    "notok": json.dumps({"ok": "yes", "predictions": [1.0] * n_test}).encode(),
    "longreason": json.dumps({"ok": False, "reason": "line one\nline two " + "x" * 30_000}).encode(),
    "listreason": json.dumps({"ok": False, "reason": ["a"] * 10}).encode(),
    "dupkey": b'{"ok": false, "ok": true, "predictions": []}',
}
if bundle == "hang":
    time.sleep(600)
elif bundle == "crash":
    os.abort()
elif bundle == "oom":
    hog = []
    while True:
        hog.append(bytearray(64 * 1024 * 1024))  # RLIMIT_AS turns this into MemoryError
elif bundle == "noisy":
    sys.stderr.write(("Traceback line\n" * 100_000) + "RuntimeError: " + "y" * 20_000 + "\n")
    sys.exit(3)
elif bundle in RESULTS:
    out.write_bytes(RESULTS[bundle])
else:
    from ml_models.scoring import main

    sys.exit(main(args))
