"""`market --help` and friends: workflow order, every option explained, --version, one-line mistakes."""
import os
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from forecast_market.cli import COMMANDS, main
from forecast_market.errors import ChainError
from forecast_market.reader import rpc_url

ROOT = Path(__file__).resolve().parents[2]


def test_commands_are_listed_in_workflow_order():
    full = CliRunner().invoke(main, ["--help"]).output
    out = full[full.index("Commands, set up"):]
    positions = [out.index(f"  {name} ") for name in ("deploy", "preprocess", "init", "list", "submit", "reveal",
                                                       "evaluate", "leaderboard", "verify", "settle")]
    assert positions == sorted(positions)
    assert "Commands, 2. participants take part" in out


@pytest.mark.parametrize("name", list(COMMANDS))
def test_every_option_is_explained(name):
    command = main.get_command(click.Context(main), name)
    for param in command.params:
        if isinstance(param, click.Option) and not param.hidden:
            assert param.help, f"market {name} {param.opts[0]} has no help"
    assert command.help and len(command.help) > 40


def test_version():
    result = CliRunner().invoke(main, ["--version"])
    assert result.exit_code == 0 and result.output.startswith("market, version ")


def test_unknown_network_says_so_without_loading_anything():
    with pytest.raises(ChainError, match="no brownie network named 'nosuchnet'"):
        rpc_url("nosuchnet")
    proc = subprocess.run([sys.executable, "-m", "forecast_market.cli", "--network", "nosuchnet", "list"], cwd=ROOT,
                          env=os.environ | {"PYTHONPATH": str(ROOT)}, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1 and "no brownie network named 'nosuchnet'" in proc.stderr
    assert "Traceback" not in proc.stderr and "key" not in proc.stderr and proc.stdout == ""


def test_read_commands_do_not_load_brownie():
    code = ("import sys; from click.testing import CliRunner; from forecast_market.cli import main; "
            "CliRunner().invoke(main, ['--network', 'nosuchnet', 'leaderboard', '1']); "
            "print('brownie' in sys.modules, 'tensorflow' in sys.modules, 'pandas' in sys.modules)")
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=os.environ | {"PYTHONPATH": str(ROOT)},
                          capture_output=True, text=True, timeout=120)
    assert proc.stdout.split() == ["False", "False", "False"], proc.stderr[-2000:]
