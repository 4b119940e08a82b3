"""`market preprocess` and `init` on the data people bring: header-less CSVs, several files joined
on time, covariates, numeric years, and windows the data cannot hold (refused before escrow)."""
import json
from pathlib import Path

import pandas as pd
import pytest
from brownie import accounts, web3
from click.testing import CliRunner

from forecast_market.cli import main

ROOT = Path(__file__).resolve().parents[2]
COINS = ROOT / "examples" / "four_coins"
NAMES = "timestamp,price,volume,market_cap"


@pytest.fixture
def cli(market):
    runner = CliRunner()

    def run(*args):
        result = runner.invoke(main, ["--market", market.address, *map(str, args)], catch_exceptions=False)
        return result.exit_code, result.output

    return run


def _coin_sources() -> list[str]:
    return [a for c in ("btc", "eth", "ltc", "xrp") for a in ("--source", f"{c}={COINS / f'{c}.csv'}")]


def _one_error_line(out: str) -> str:
    errors = [line for line in out.splitlines() if line.startswith("Error")]
    assert len(errors) == 1 and "Traceback" not in out, out
    return errors[0]


def test_four_header_less_coin_files_join_into_one_dataset_with_every_covariate(cli, tmp_path):
    out = tmp_path / "coins"
    code, text = cli("preprocess", *_coin_sources(), out, "--columns", NAMES, "--features", "all", "--horizon", "3")
    assert code == 0, text
    assert "joined 4 sources on time: 1027 rows in all of them" in text and "btc 1047 (-20)" in text
    assert "season 288 steps (one day of '5min' data)" in text and "sequence length 286 steps" in text
    assert "cleaning: 132 missing value(s) interpolated" in text  # xrp's 11 missing ticks, 12 columns
    # a market cap of 1.4e12 is beyond what exact integer scoring holds: rescaled, renamed, and said
    assert "rescaled: btc_market_cap -> btc_market_cap_e3 (divided by 1e3" in text
    schema = json.loads((out / "train" / "schema.json").read_text())
    assert schema["target"] == "btc_price" and len(schema["columns"]) == 12 and "eth_market_cap_e3" in schema["columns"]
    assert (schema["season"], schema["sequence_length"], schema["horizon"]) == (288, 286, 3)
    assert schema["n_train"] + schema["n_test"] == 1038
    train = pd.read_csv(out / "train" / "train.csv")
    assert list(train.columns) == ["date", *schema["columns"]] and len(train) == schema["n_train"]
    assert train["date"].iloc[0] == "2021-01-01T00:15:00"  # eth starts 3 ticks late


def test_a_network_on_every_coin_column_saves_an_exact_bundle(cli, tmp_path, market):
    """The README's four-coin example: a default network on all 12 columns, market caps included,
    is saved in the fixed-point format (it was refused while the caps were left at 1.4e12)."""
    out = tmp_path / "coins"
    code, text = cli("preprocess", *_coin_sources(), out, "--columns", NAMES, "--features", "all", "--horizon", "3",
                     "--season", "12", "--sequence-length", "24")
    assert code == 0, text
    code, text = cli("init", out, "--reward", "1", "--again")
    assert code == 0, text
    cid = text.strip().splitlines()[-1]
    code, text = cli("--account", "1", "submit", cid, "--strategy", "default", "--epochs", "1",
                     "--work-dir", tmp_path / "w")
    assert code == 0, text
    spec = json.loads((tmp_path / "w" / "bundle" / "spec.json").read_text())
    assert "xrp_market_cap_e3" in spec["preprocessing"]["scaler"]["columns"]


def test_covariates_reach_the_model_a_participant_trains(cli, tmp_path, market):
    out = tmp_path / "coins"
    code, text = cli("preprocess", *_coin_sources(), out, "--columns", NAMES, "--features", "btc_volume,eth_price",
                     "--season", "12", "--sequence-length", "24", "--horizon", "3")
    assert code == 0, text
    assert "columns kept: btc_price, btc_volume, eth_price (target btc_price); dropped: btc_market_cap" in text
    code, text = cli("init", out, "--reward", "1", "--again")
    assert code == 0, text
    cid = text.strip().splitlines()[-1]
    code, text = cli("--account", "1", "submit", cid, "--strategy", "default", "--epochs", "1", "--work-dir", tmp_path / "w")
    assert code == 0, text
    spec = json.loads((tmp_path / "w" / "bundle" / "spec.json").read_text())
    assert spec["preprocessing"]["scaler"]["columns"] == ["btc_price", "btc_volume", "eth_price"]


def test_a_header_less_file_keeps_its_first_row_and_says_how_it_named_the_columns(cli, tmp_path):
    out = tmp_path / "btc"
    code, text = cli("preprocess", COINS / "btc.csv", out, "--season", "12", "--sequence-length", "24")
    assert code == 0, text
    assert "no header row; columns col1, col2, col3, col4 (pass --columns to name them), time from col1" in text
    assert "columns kept: col2 (target col2); dropped: col3, col4 (pass --features all" in text
    schema = json.loads((out / "train" / "schema.json").read_text())
    assert schema["n_train"] + schema["n_test"] == 1047  # every row of the file


def test_an_unclear_first_row_is_one_line_naming_the_options(cli, tmp_path):
    p = tmp_path / "odd.csv"
    p.write_text("2020-12-31,price\n" + "".join(f"{day:%Y-%m-%d},{i}\n" for i, day in enumerate(pd.date_range("2021-01-01", periods=60))))
    code, text = cli("preprocess", f"csv:{p}", tmp_path / "o")
    assert code == 1 and "pass --header if it is one, or --no-header" in _one_error_line(text)
    assert not (tmp_path / "o").exists()
    code, text = cli("preprocess", f"csv:{p}", tmp_path / "o", "--header")
    assert code == 0, text
    assert "sequence length 19 steps (the most 48 training rows can hold)" in text


def test_a_numeric_year_column_is_years(cli, tmp_path):
    p = tmp_path / "years.csv"
    p.write_text("year,sales\n" + "".join(f"{y},{(y * 37) % 101}\n" for y in range(1900, 2000)))
    code, text = cli("preprocess", f"csv:{p}", tmp_path / "y", "--sequence-length", "8")
    assert code == 0, text
    assert "season 1 (non-seasonal 'YS-JAN' data); pass --season to change it" in text
    train = pd.read_csv(tmp_path / "y" / "train" / "train.csv")
    assert train["date"].iloc[0] == "1900-01-01T00:00:00" and train["date"].iloc[1] == "1901-01-01T00:00:00"
    p.write_text(p.read_text() + "1950,3\n")
    code, text = cli("preprocess", f"csv:{p}", tmp_path / "y2", "--sequence-length", "8")
    assert code == 1 and "share a timestamp after parsing column 'year' (lines [52, 102]" in _one_error_line(text)


@pytest.mark.parametrize("args, words", [
    (["--sequence-length", "300"], "the largest sequence length that fits is 79"),
    (["--sequence-length", "20", "--horizon", "70"], "the largest sequence length that fits is"),
    (["--sequence-length", "10", "--season", "30"], "pass --sequence-length 30 (up to 79 fits the data), or pass --season 10"),
    (["--features", "price,nope"], "feature column(s) nope not in the data; columns: price, volume"),
    (["--target", "nope"], "target column 'nope' is not in the data"),
    (["--columns", "a,b"], "2 column name(s) ['a', 'b'] given"),
])
def test_a_task_the_data_cannot_hold_is_refused_before_anything_is_written(cli, tmp_path, args, words):
    p = tmp_path / "short.csv"
    p.write_text("".join(f"{pd.Timestamp('2020-01-01') + pd.Timedelta(days=i):%Y-%m-%d},{i % 9},{i}\n" for i in range(169)))
    code, text = cli("preprocess", p, tmp_path / "o", "--columns", "day,price,volume", *args)
    assert code == 1 and words in _one_error_line(text), text
    assert not (tmp_path / "o").exists()


def test_co2_with_a_window_shorter_than_its_season_is_refused(cli, tmp_path):
    code, text = cli("preprocess", "statsmodels:co2", tmp_path / "o", "--sequence-length", "26", "--horizon", "4")
    assert code == 1 and "season 52 with horizon 4 needs a window of at least 49 steps" in _one_error_line(text)


def test_init_refuses_a_window_the_training_rows_cannot_hold_before_escrowing(cli, tmp_path, market):
    out = tmp_path / "coins"
    code, text = cli("preprocess", COINS / "btc.csv", out, "--columns", NAMES, "--season", "12", "--sequence-length", "24")
    assert code == 0, text
    info = json.loads((out / "dataset.json").read_text())
    info["schema"]["sequence_length"] = 2000  # a dataset.json edited, or written by an older version
    (out / "dataset.json").write_text(json.dumps(info))
    before = (market.competitionCount(), web3.eth.get_balance(accounts[0].address), accounts[0].nonce)
    code, text = cli("init", out, "--reward", "1")
    assert code == 1 and "the largest sequence length that fits is" in _one_error_line(text)
    assert (market.competitionCount(), web3.eth.get_balance(accounts[0].address), accounts[0].nonce) == before
