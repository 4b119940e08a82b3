"""A stand-in scoring worker for tests: misbehaves for bundles named hang/crash/oom, else runs the real one.

A bundle cannot run code (that is the point of the format), so the isolation of score_bundles is
tested by swapping in this worker through its ``worker_cmd`` parameter.
"""

import os
import sys
import time
from pathlib import Path

args = sys.argv[1:]
bundle = Path(args[args.index("--bundle") + 1]).name
if bundle == "hang":
    time.sleep(600)
elif bundle == "crash":
    os.abort()
elif bundle == "oom":
    hog = []
    while True:
        hog.append(bytearray(64 * 1024 * 1024))  # RLIMIT_AS turns this into MemoryError
else:
    from ml_models.scoring import main

    sys.exit(main(args))
