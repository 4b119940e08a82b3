"""Running untrusted work in a child process: resource limits, a clean environment, a killable group.

Used by :mod:`ml_models.scoring`; split out to keep that module short.
"""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path
from typing import Any

__all__ = ["describe_exit", "kill_group", "limits", "worker_env"]

_PROJECT_ROOT = Path(__file__).resolve().parent.parent
_WORKER_ENV = {
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "PYTHONHASHSEED": "0",
}

def limits(memory_mb: int, cpu_s: int) -> Any:
    def apply() -> None:  # runs in the child between fork and exec
        import resource

        mem = int(memory_mb) * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (mem, mem))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        resource.setrlimit(resource.RLIMIT_CPU, (cpu_s, cpu_s + 5))
        resource.setrlimit(resource.RLIMIT_FSIZE, (64 * 1024 * 1024, 64 * 1024 * 1024))

    return apply


def describe_exit(code: int, stderr: str, memory_mb: int) -> str:
    tail = [ln for ln in stderr.strip().splitlines() if ln.strip()][-1:] or [""]
    if "MemoryError" in stderr or "bad_alloc" in stderr or "Cannot allocate memory" in stderr or "OOM" in stderr:
        return f"memory limit of {memory_mb} MB exceeded ({tail[0][:200]})"
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        if -code == signal.SIGXCPU:
            return "CPU time limit exceeded (SIGXCPU)"
        return f"worker crashed with {name}"
    return f"worker exited with code {code}: {tail[0][:300]}"


def worker_env() -> dict[str, str]:
    env = {**os.environ, **_WORKER_ENV}
    env["PYTHONPATH"] = os.pathsep.join([str(_PROJECT_ROOT)] + [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p])
    return env


def kill_group(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
