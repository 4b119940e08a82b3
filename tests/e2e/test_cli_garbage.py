"""Every `market` command given garbage: one clear line and a non-zero exit, never a traceback,
and nothing sent on chain."""
import pytest
from brownie import accounts, web3
from click.testing import CliRunner

from forecast_market.cli import main

NOT_A_CONTRACT = "0x000000000000000000000000000000000000dEaD"

GARBAGE = [
    # global options
    ["--market", "0xZZZ", "status", "1"],
    ["--market", "0x1234", "status", "1"],
    ["--market", NOT_A_CONTRACT, "status", "1"],
    ["--network", "nosuchnet", "status", "1"],
    ["--account", "x", "reveal", "1"],
    ["--account", "99", "reveal", "1"],
    ["--account", "-1", "reveal", "1"],
    # competition ids
    ["status", "abc"], ["status", "0"], ["status", "-1"], ["status", str(10**80)], ["status", "999999"],
    ["reveal", "1.5"], ["settle", "-3"], ["verify", "nan"], ["evaluate", ""],
    # init
    ["init", "{dataset}", "--reward", "-1"], ["init", "{dataset}", "--reward", "abc"],
    ["init", "{dataset}", "--reward", "0"], ["init", "{dataset}", "--reward", "1e40"],
    ["init", "{dataset}", "--reward", "0.0000000000000000001"], ["init", "{dataset}", "--reward", "inf"],
    ["init", "{dataset}", "--deposit", "-0.1"], ["init", "{dataset}", "--deposit", "nan"],
    ["init", "{dataset}", "--prizes", "a,b"], ["init", "{dataset}", "--prizes", "5000,5000,1,1"],
    ["init", "{dataset}", "--prizes", "-5000,15000"], ["init", "{dataset}", "--prizes", ""],
    ["init", "{dataset}", "--metric", "accuracy"], ["init", "{dataset}", "--min-score", "nan"],
    ["init", "{dataset}", "--min-score", "1e300"], ["init", "{dataset}", "--submission-hours", "-3"],
    ["init", "{dataset}", "--submission-hours", "1e12"], ["init", "{dataset}", "--reveal-hours", "0.5"],
    ["init", "{dataset}", "--evaluation-hours", "abc"], ["init", "/nonexistent/dataset"], ["init", "{file}"],
    # submit
    ["submit", "1", "--strategy", "magic"], ["submit", "1", "--trials", "0"], ["submit", "1", "--budget", "-1"],
    ["submit", "1", "--epochs", "0"], ["submit", "1", "--seed", "-1"], ["submit", "1", "--work-dir", "{file}"],
    ["submit", "999999", "--strategy", "naive"], ["submit", "1", "--search-space", "/nonexistent.json"],
    ["submit", "1", "--search-space", "{file}"], ["submit", "1", "--search-space", "{tmp}"],
    # evaluate, verify, advance, node
    ["evaluate", "1", "--timeout", "0"], ["evaluate", "1", "--memory-mb", "1"], ["evaluate", "1", "--margin", "-5"],
    ["evaluate", "1", "--workers", "0"], ["evaluate", "999999"], ["verify", "1", "--tolerance", "-1"],
    ["verify", "999999"], ["advance"], ["advance", "--seconds", "-5"], ["advance", "--to", "forever"],
    ["advance", "--to", "reveal", "--competition", "999999"], ["node", "--port", "99999"],
    # preprocess (off chain)
    ["preprocess", "nosuch:thing", "{tmp}/a"], ["preprocess", "csv:/nonexistent.csv", "{tmp}/b"],
    ["preprocess", "csv:{file}", "{tmp}/c"], ["preprocess", "statsmodels:co2", "{tmp}/d", "--test-size", "2"],
    ["preprocess", "statsmodels:co2", "{tmp}/e", "--sequence-length", "0"],
    ["preprocess", "statsmodels:co2", "{tmp}/f", "--target", "no_such_column"],
    ["preprocess", "statsmodels:co2", "{file}"],
    ["preprocess", "--source", "1bad=statsmodels:co2", "{tmp}/g"], ["preprocess", "statsmodels:co2", "{tmp}/h", "--columns", "a,,b"],
    ["preprocess", "--source", "a=statsmodels:co2", "--source", "a=statsmodels:elnino", "{tmp}/i"],
    ["preprocess", "--source", "statsmodels:co2", "--source", "statsmodels:elnino", "{tmp}/j"],
    ["preprocess", "statsmodels:co2", "{tmp}/k", "--no-header"], ["preprocess", "statsmodels:co2", "{tmp}/l", "--features", "nope"],
    ["preprocess", "statsmodels:co2", "{tmp}/m", "--sequence-length", "5000"],
    ["preprocess", "statsmodels:co2", "{tmp}/n", "--season", "10001", "--sequence-length", "52"],
]


@pytest.fixture
def run(market, dataset, tmp_path):
    runner = CliRunner()
    garbage_file = tmp_path / "garbage.csv"
    garbage_file.write_bytes(b"\x00\xff" * 10 + b"," * 5 + b"x" * 20_000_000 + b"\n1,2\n")

    def go(args):
        args = [a.format(dataset=dataset, file=garbage_file, tmp=tmp_path) for a in args]
        if not any(a in ("--market", "--network") for a in args[:1]):
            args = ["--market", market.address, *args]
        return runner.invoke(main, args)

    return go


@pytest.mark.parametrize("args", GARBAGE, ids=lambda a: " ".join(a)[:60])
def test_garbage_gets_one_line_and_a_nonzero_exit(run, market, args):
    before = (web3.eth.block_number, accounts[0].nonce, market.competitionCount())
    result = run(args)
    assert result.exit_code in (1, 2), (result.exit_code, result.output, result.exception)
    assert not (result.exception and not isinstance(result.exception, SystemExit)), repr(result.exception)
    assert "Traceback" not in result.output
    error = [line for line in result.output.splitlines() if line.startswith("Error")]
    assert len(error) == 1 and len(error[0]) <= 400, result.output[-500:]
    assert (web3.eth.block_number, accounts[0].nonce, market.competitionCount()) == before
