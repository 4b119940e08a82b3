"""The read side of `market`: list, status, leaderboard, mine, download, cancel, --json, clean stdout."""
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from brownie import accounts
from click.testing import CliRunner

from forecast_market import artifacts
from forecast_market.chain import competition, mine_at
from forecast_market.cli import main
from forecast_market.protocol import INT64_MAX, model_commitment, to_bytes32
from forecast_market.stages.evaluation import reveal_test_set

ROOT = Path(__file__).resolve().parents[2]
SHA = "ab" * 32


@pytest.fixture
def cli(market):
    runner = CliRunner()

    def run(*args, market_first=True):
        head = ["--market", market.address] if market_first else []
        tail = [] if market_first else ["--market", market.address]
        result = runner.invoke(main, [*head, *args, *tail], catch_exceptions=False)
        return result

    return run


def _salt(i: int) -> bytes:
    return bytes([i + 1]) * 32


@pytest.fixture(scope="module")
def settled(market, dataset, data_dir):
    """A finalized competition with every kind of entry: two ranked, one failed, one never revealed."""
    from brownie import web3

    from forecast_market.stages import initialize

    cid = initialize(market, accounts[0], dataset, reward_wei=web3.to_wei(1, "ether"),
                     deposit_wei=web3.to_wei("0.01", "ether"), prize_bps=(7000, 3000), again=True)
    comp = competition(market, cid)
    people = accounts[4:8]
    for i, who in enumerate(people):
        commitment = model_commitment(f"bafy-model-{i}", SHA, _salt(i), who.address, cid, market.address)
        market.commit(cid, commitment, {"from": who, "value": comp["entryDeposit"]})
    mine_at(comp["submissionEnd"])
    for i, who in enumerate(people[:3]):
        market.reveal(cid, f"bafy-model-{i}", to_bytes32(SHA), _salt(i), {"from": who})
    mine_at(comp["revealEnd"])
    reveal_test_set(market, accounts[0], competition(market, cid))
    market.postScores(cid, [p.address for p in people[:3]], [1_500_000, 1_200_000, INT64_MAX], {"from": accounts[0]})
    market.finalize(cid, {"from": accounts[0]})
    return cid, [p.address for p in people]


def test_leaderboard_shows_every_entry_ranked_failed_and_forfeited(cli, settled):
    cid, (second, first, failed, silent) = settled
    result = cli("leaderboard", str(cid), "--json")
    assert result.exit_code == 0, result.output
    board = json.loads(result.stdout)
    rows = {e["participant"]: e for e in board["entries"]}
    assert [e["participant"] for e in board["entries"]] == [first, second, failed, silent]
    assert (rows[first]["rank"], rows[first]["score"]) == (1, 1.2)
    assert (rows[second]["rank"], rows[second]["score"]) == (2, 1.5)
    assert rows[failed]["status"] == "failed" and rows[failed]["rank"] is None and rows[failed]["score"] is None
    assert rows[silent]["status"] == "forfeited"
    assert rows[first]["credited_wei"] > rows[second]["credited_wei"] > 0
    assert rows[failed]["credited_wei"] == rows[silent]["credited_wei"] == 0
    assert board["metric"] == "RMSE" and board["final"]
    human = cli("leaderboard", str(cid)).stdout
    assert "RMSE" in human and "1.200000" in human and "failed" in human and "forfeited" in human
    assert "phase Finalized" in human


def test_list_shows_phase_reward_and_time_left(cli, market, new_competition):
    cid = new_competition()
    listing = json.loads(cli("list", "--json").stdout)
    row = next(c for c in listing["competitions"] if c["id"] == cid)
    assert row["phase"] == "Submission" and row["reward_wei"] == 10**18 and row["metric"] == "RMSE"
    assert row["next"]["event"] == "submissions close" and row["next"]["seconds_left"] > 0
    human = cli("list").stdout
    assert re.search(r"submissions close in (1 d|23 h \d+ min) \(\d{4}-\d\d-\d\d \d\d:\d\d ", human), human
    assert [c["id"] for c in listing["competitions"]] == sorted((c["id"] for c in listing["competitions"]),
                                                                reverse=True)


def test_status_shows_local_deadlines_time_left_scores_and_balances(cli, settled):
    cid, (second, first, _, _) = settled
    result = cli("status", str(cid))
    assert result.exit_code == 0
    out = result.stdout
    assert f"competition {cid}  phase Finalized" in out and "chain time" in out and "RMSE, lower is better" in out
    assert "metric 0" not in out and "BALANCE" in out
    lines = [line for line in out.splitlines() if first in line or second in line]
    assert first in lines[0] and second in lines[1]  # ranked first, not sorted by address
    view = json.loads(cli("status", str(cid), "--json").stdout)
    assert view["balances"][first] == view["leaderboard"]["entries"][0]["credited_wei"] > 0


def test_mine_says_what_to_do_and_what_to_withdraw(cli, settled, new_competition):
    cid, (_, first, _, _) = settled
    view = json.loads(cli("--account", "5", "mine", "--json").stdout)
    assert view["account"] == first and view["withdrawable_wei"] > 0
    assert any(r["competition"] == cid and r["role"] == "participant" for r in view["entries"])
    fresh = new_competition()
    organizer = json.loads(cli("mine", "--json", "--address", accounts[0].address).stdout)
    row = next(r for r in organizer["entries"] if r["competition"] == fresh)
    assert row["role"] == "organizer" and "market cancel" in row["todo"] and row["seconds_left"] > 0
    human = cli("--account", "5", "mine").stdout
    assert "withdrawable now" in human and "`market settle`" in human


def test_init_prints_only_the_id_on_stdout(cli, market, dataset):
    result = cli("init", str(dataset), "--reward", "1", "--again")
    assert result.exit_code == 0
    assert result.stdout.strip().isdigit() and result.stdout.count("\n") == 1
    assert "created by" in result.stderr


def test_shell_captures_only_the_id(market, dataset, data_dir):
    """`ID=$(market init ...)` in a real shell and a separate process: brownie's transaction lines and
    warnings land on stderr."""
    artifacts.close_store()  # the subprocess opens the embedded IPFS repo
    env = {k: v for k, v in os.environ.items() if k not in ("MARKET_ADDRESS", "PRIVATE_KEY")}
    env |= {"FM_DATA_DIR": str(data_dir), "PYTHONPATH": str(ROOT)}
    script = (f'ID=$({sys.executable} -m forecast_market.cli --market {market.address} init {dataset} --reward 1 '
              '--again) && printf "[%s]" "$ID"')
    proc = subprocess.run(["bash", "-c", script], env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.startswith("[") and proc.stdout[1:-1].isdigit(), proc.stdout
    assert "Transaction sent" in proc.stderr or "confirmed" in proc.stderr


def test_cancel_returns_the_reward_and_refuses_once_entered(cli, market, new_competition, settled):
    cid = new_competition()
    before = market.balanceOf(accounts[0])
    result = cli("cancel", str(cid))
    assert result.exit_code == 0 and "cancelled" in result.stdout
    assert market.balanceOf(accounts[0]) - before == 10**18
    assert json.loads(cli("status", str(cid), "--json").stdout)["leaderboard"]["competition"]["phase"] == "Cancelled"
    entered, _ = settled
    refused = cli("cancel", str(entered))
    assert refused.exit_code == 1 and "already settled" in refused.output


def test_download_fetches_the_data_alone(cli, new_competition, tmp_path):
    cid = new_competition()
    result = cli("download", str(cid), str(tmp_path / "d"))
    assert result.exit_code == 0, result.output
    folder = Path(result.stdout.strip())
    assert folder.is_dir() and any(folder.iterdir()) and folder.is_relative_to(tmp_path)
    assert "fetching" in result.stderr


def test_global_options_after_the_command(cli, settled):
    cid, _ = settled
    result = cli("status", str(cid), "--json", market_first=False)
    assert result.exit_code == 0 and json.loads(result.stdout)["leaderboard"]["competition"]["id"] == cid


def test_advance_takes_the_id_first_and_the_old_flag_still_works(cli, market, new_competition):
    cid = new_competition()
    result = cli("advance", str(cid), "--to", "reveal")
    assert result.exit_code == 0 and competition(market, cid)["phase"] == 2
    old = cli("advance", "--competition", str(cid), "--to", "evaluation")
    assert old.exit_code == 0 and "deprecated" in old.stderr
    assert competition(market, cid)["phase"] == 3


def test_unknown_competition_points_to_list(cli):
    result = cli("status", "99")
    assert result.exit_code == 1 and "`market list`" in result.output and "`market status`" not in result.output


def test_revealing_without_a_commitment_says_so(cli, market, new_competition):
    cid = new_competition()
    mine_at(competition(market, cid)["submissionEnd"])
    result = cli("--account", "9", "reveal", str(cid))
    assert result.exit_code == 1 and "has no commitment in competition" in result.output
    assert "keystore" not in result.output and "salt" not in result.output


@pytest.mark.parametrize("option, hours, words", [
    ("--reveal-hours", "0.5", "the reveal window must be at least 1 hour"),
    ("--evaluation-hours", "0.25", "the evaluation window must be at least 1 hour"),
    ("--submission-hours", "3000", "the submission window must be more than 0 hours and at most 2,160 hours"),
])
def test_windows_outside_the_contracts_limits_state_the_rule(cli, dataset, option, hours, words):
    result = cli("init", str(dataset), option, hours, "--again")
    assert result.exit_code == 2 and words in result.output



def test_durations_and_times_read_like_a_person_wrote_them():
    from forecast_market.show import duration, eth, when

    assert [duration(s) for s in (5, 59, 60, 3 * 3600 + 12 * 60, 7200, 86400, 2 * 86400 + 4 * 3600)] == \
        ["5 s", "59 s", "1 min", "3 h 12 min", "2 h", "1 d", "2 d 4 h"]
    assert eth(1_500_000_000_000_000_000) == "1.5 ETH" and eth(0) == "0 ETH"
    assert when(0).endswith("UTC") or "UTC)" in when(0)


def test_evaluate_prints_the_scores_and_verify_json(cli, market, new_competition, tmp_path):
    """Two naive models (no training), evaluated through the CLI: stdout has the leaderboard under the
    metric's name; `verify --json` confirms both scores."""
    cid = new_competition()
    for who in ("1", "2"):
        assert cli("--account", who, "submit", str(cid), "--strategy", "naive", "--work-dir",
                   str(tmp_path / who)).exit_code == 0
    assert cli("advance", str(cid), "--to", "reveal").exit_code == 0
    for who in ("1", "2"):
        assert cli("--account", who, "reveal", str(cid)).exit_code == 0
    assert cli("advance", str(cid), "--to", "evaluation").exit_code == 0
    evaluated = cli("evaluate", str(cid), "--work-dir", str(tmp_path / "org"), "--margin", "0")
    assert evaluated.exit_code == 0, evaluated.output
    assert "RMSE" in evaluated.stdout and accounts[1].address in evaluated.stdout
    assert "fetching 2 bundle(s)" in evaluated.stderr and "scoring 2 bundle(s) in" in evaluated.stderr
    assert "Transaction sent" not in evaluated.stdout
    verified = cli("verify", str(cid), "--json", "--work-dir", str(tmp_path / "v"))
    assert verified.exit_code == 0, verified.output
    report = json.loads(verified.stdout)
    assert report["ok"] is True and len(report["checks"]) == 2 and all(c["match"] for c in report["checks"])
