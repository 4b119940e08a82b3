"""A stand-in scoring worker for tests: misbehaves for bundles with the names below, else runs the real one.

A bundle cannot run code (that is the point of the format), so the isolation of score_bundles is
tested by swapping in this worker through its ``worker_cmd`` parameter. It speaks the real
worker's protocol (``start K`` on stdout, then ``OUT/K.json``) for a batch of bundles, and for a
bundle named below crashes, hangs, eats memory, or writes a result that is garbage, huge, deeply
nested, or not integers.
"""

import json
import os
import sys
import time
from pathlib import Path

args = sys.argv[1:]
bundles = [args[i + 1] for i, a in enumerate(args) if a == "--bundle"]
data = args[args.index("--data") + 1]
out = Path(args[args.index("--out") + 1])
n_test = 48  # the test rows of the session's split (tests/ml/conftest.py)
RESULTS = {
    "garbage": b"\x80\x04 not json at all",
    "empty": b"",
    "big": b'{"ok": true, "predictions": [' + b"1, " * 3_000_000 + b"1]}",
    "deep": b"[" * 30_000 + b"]" * 30_000,
    "nested": json.dumps({"ok": True, "predictions": [[[[1]]]] * n_test}).encode(),
    "hugeint": b'{"ok": true, "predictions": [' + b", ".join([b"9" * 5000] + [b"1"] * (n_test - 1)) + b"]}",
    "bigint": b'{"ok": true, "predictions": [' + b", ".join([b"9" * 400] * n_test) + b"]}",
    "nan": b'{"ok": true, "predictions": [' + b", ".join([b"NaN"] * n_test) + b"]}",
    "floats": json.dumps({"ok": True, "predictions": [1.0] * n_test}).encode(),
    "beyond": json.dumps({"ok": True, "predictions": [2**62] * n_test}).encode(),
    "huge": json.dumps({"ok": True, "predictions": [2**62 - 1] * n_test}).encode(),
    "negative": json.dumps({"ok": True, "predictions": [-(2**62 - 1)] * n_test}).encode(),
    "strings": json.dumps({"ok": True, "predictions": ["1"] * n_test}).encode(),
    "notok": json.dumps({"ok": "yes", "predictions": [1] * n_test}).encode(),
    "longreason": json.dumps({"ok": False, "reason": "line one\nline two " + "x" * 30_000}).encode(),
    "listreason": json.dumps({"ok": False, "reason": ["a"] * 10}).encode(),
    "dupkey": b'{"ok": false, "ok": true, "predictions": []}',
}
loaded = None
for k, bundle in enumerate(bundles):
    name = Path(bundle).name
    print(f"start {k}", flush=True)
    if name == "hang":
        time.sleep(600)
    elif name == "crash":
        os.abort()
    elif name == "oom":
        hog = []
        while True:
            hog.append(bytearray(64 * 1024 * 1024))  # RLIMIT_AS turns this into MemoryError
    elif name == "noisy":
        sys.stderr.write(("Traceback line\n" * 100_000) + "RuntimeError: " + "y" * 20_000 + "\n")
        sys.exit(3)
    elif name in RESULTS:
        (out / f"{k}.json").write_bytes(RESULTS[name])
    else:
        from ml_models.scoring_worker import read_worker_data, score_one, write_result

        loaded = loaded or read_worker_data(data)
        write_result(out / f"{k}.json", score_one(bundle, loaded))
