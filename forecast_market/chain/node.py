"""`market node`: a local anvil chain that keeps its word.

- State survives a stop: anvil loads ``--state`` on start and writes it when it exits on SIGTERM.
  The wrapper turns every stop signal (SIGTERM, SIGINT, SIGHUP) into one SIGTERM to anvil, which
  runs in its own process group (a terminal's Ctrl-C reaches the wrapper only) and gets SIGTERM
  from the kernel if the wrapper dies, even by SIGKILL (``PR_SET_PDEATHSIG``): anvil never
  outlives its wrapper holding the port, and it always saves on the way out.
- Time survives a stop: anvil restarts its clock from the wall clock, so a chain moved forward
  (``market advance``) would go back, and a competition in Evaluation would be in Submission
  again. On start the chain clock is set to the wall clock plus the offset the chain had when its
  state was saved (the state file's modification time), and never before the last block.
- One node per port and per state file: a second one says which process holds them.
"""
from __future__ import annotations

import ctypes
import fcntl
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

from ..errors import ChainError
from ..settings import LOCAL_HOST, ROOT

ANVIL_OPTIONS = ("--accounts", "10", "--balance", "1000", "--block-base-fee-per-gas", "0", "--gas-limit", "30000000")
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)
_PR_SET_PDEATHSIG = 1


def port_open(port: int, host: str = LOCAL_HOST) -> bool:
    import socket

    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex((host, port)) == 0


def holder(port: int) -> str:
    """Who listens on ``port``, e.g. ``anvil pid 812, started by `market node` pid 807``."""
    import psutil

    try:
        pids = {c.pid for c in psutil.net_connections(kind="tcp")
                if c.status == psutil.CONN_LISTEN and c.laddr and c.laddr.port == port and c.pid}
    except psutil.Error:
        pids = set()
    if not pids:
        return "a process this user cannot see"
    proc = psutil.Process(min(pids))
    text = f"{proc.name()} pid {proc.pid}"
    parent = proc.parent()
    if parent is not None and _is_market_node(parent.cmdline()):
        text += f", started by `market node` pid {parent.pid}"
    return text


def _is_market_node(argv: list[str]) -> bool:
    """``market node ...`` or ``python -m forecast_market.cli node ...``."""
    return "node" in argv and any(Path(a).name == "market" or a == "forecast_market.cli" for a in argv[:3])


def anvil_command(port: int, state: Path) -> list[str]:
    venv = ROOT / ".venv" / "bin" / "anvil"
    anvil = str(venv) if venv.exists() else shutil.which("anvil")
    if anvil is None:
        raise ChainError("anvil is not installed: run tools/setup.sh (it links anvil into .venv/bin)")
    return [anvil, "--port", str(port), "--host", LOCAL_HOST, *ANVIL_OPTIONS,
            "--state", str(state)]


def _die_with_parent() -> None:
    """In the child, before exec: SIGTERM when the wrapper dies (however it dies)."""
    ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, int(signal.SIGTERM), 0, 0, 0)


def _lock(state: Path):
    """Hold ``<state>.lock`` for as long as this node runs; it names the wrapper's pid."""
    path = state.with_name(state.name + ".lock")
    handle = open(path, "a+")  # noqa: SIM115 - held open until the process exits
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.seek(0)
        pid = handle.read().strip() or "?"
        handle.close()
        raise ChainError(f"another `market node` (pid {pid}) is using the state file {state}: stop it first, "
                         "or give this one its own --state") from None
    handle.truncate(0)
    handle.write(str(os.getpid()))
    handle.flush()
    return handle


def _rpc(url: str, method: str, params: list):
    from web3 import HTTPProvider

    response = HTTPProvider(url, request_kwargs={"timeout": 10}).make_request(method, params)
    if "error" in response:
        raise ChainError(f"{method} failed on the local node: {response['error']}")
    return response["result"]


def restore_clock(url: str, saved_at: float | None) -> tuple[int, int]:
    """Carry the chain's clock offset over a restart; never behind the last block.

    ``saved_at``: when the state was written (None: a fresh chain). Returns (the last block's
    number, the chain time the next block will have at least)."""
    block = _rpc(url, "eth_getBlockByNumber", ["latest", False])
    number, last = int(block["number"], 16), int(block["timestamp"], 16)
    wall = int(time.time())
    if saved_at is None:
        return number, max(last, wall)
    target = max(wall + last - int(saved_at), last + 1)
    if target > wall:
        _rpc(url, "evm_setTime", [target])
        return number, target
    return number, wall


def _wait_until_listening(proc: subprocess.Popen, port: int, timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not port_open(port):
        if proc.poll() is not None:
            raise ChainError(f"anvil exited with code {proc.returncode} before listening on {LOCAL_HOST}:{port} "
                             "(its message is above)")
        if time.monotonic() > deadline:
            proc.terminate()
            raise ChainError(f"anvil did not listen on {LOCAL_HOST}:{port} within {timeout_s:.0f} s")
        time.sleep(0.1)


def run(port: int, state: Path, echo=print) -> int:
    """Run anvil on ``port`` with its state in ``state`` until a stop signal; returns anvil's exit code."""
    if port_open(port):
        who = holder(port)
        what = f"a node is already running on {LOCAL_HOST}:{port}" if who.startswith("anvil") else \
            f"{LOCAL_HOST}:{port} is in use by another program"
        raise ChainError(f"{what} ({who}): use it, stop it, or start this one with --port N "
                         "(and set FM_NODE_PORT=N for the other commands)")
    state = state.resolve()
    state.parent.mkdir(parents=True, exist_ok=True)
    lock = _lock(state)
    saved_at = state.stat().st_mtime if state.is_file() and state.stat().st_size else None
    proc = subprocess.Popen(anvil_command(port, state), preexec_fn=_die_with_parent, process_group=0,
                            stdout=subprocess.DEVNULL)
    stopping: list[int] = []

    def stop(signum, _frame):
        if not stopping:
            stopping.append(signum)
            proc.send_signal(signal.SIGTERM)  # anvil saves its state on SIGTERM, and exits

    for sig in STOP_SIGNALS:
        signal.signal(sig, stop)
    try:
        _wait_until_listening(proc, port)
        number, clock = restore_clock(f"http://{LOCAL_HOST}:{port}", saved_at)
    except BaseException:
        stop(signal.SIGTERM, None)
        proc.wait()
        raise
    echo(f"anvil pid {proc.pid} on {LOCAL_HOST}:{port}; state in {state} "
         f"({'loaded: block ' + str(number) if saved_at else 'new chain'}, clock at {time.strftime('%Y-%m-%d %H:%M:%S UTC', time.gmtime(clock))})")
    echo(f"stop with Ctrl-C or `kill {os.getpid()}`: the state is saved either way")
    code = proc.wait()
    lock.close()
    if stopping and code == 0:
        echo(f"stopped by {signal.Signals(stopping[0]).name}; state saved in {state}")
        return 0
    if stopping:
        raise ChainError(f"anvil exited with code {code} while stopping: the state in {state} may be older")
    raise ChainError(f"anvil exited on its own with code {code}: the state in {state} may be older")
