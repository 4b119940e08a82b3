"""The direction task end to end from the `market` command: will co2 rise over the next 4 weeks?

Scored with the Brier score on the forecast probability, with the default minimum (strictly
better than the coin flip), so neither the naive forecaster ("never a rise") nor a coin flip
(always 0.5), both committed before the RNN, can win by tie-break as the naive one did when
direction competitions were scored by accuracy.
"""
import json

import pytest
from brownie import accounts
from click.testing import CliRunner

from forecast_market.chain import competition, mine_at
from forecast_market.cli import main
from forecast_market.protocol import Phase


@pytest.fixture(scope="module")
def direction_dataset(market, tmp_path_factory):
    out = tmp_path_factory.mktemp("direction")
    result = CliRunner().invoke(main, ["preprocess", "statsmodels:co2", str(out), "--task", "direction",
                                       "--sequence-length", "52", "--horizon", "4", "--season", "52"],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return out


def test_a_direction_competition_is_won_by_a_forecast_not_by_the_first_constant(cli, market, direction_dataset,
                                                                                 tmp_path):
    assert json.loads((direction_dataset / "dataset.json").read_text())["schema"]["task"] == "direction"
    code, out = cli("init", str(direction_dataset), "--reward", "1", "--prizes", "7000,3000", "--again")
    assert code == 0, out
    cid = int(out.strip().splitlines()[-1])
    assert "task direction, metric brier (lower is better, minimum 0.249999)" in out
    comp = competition(market, cid)
    assert comp["minScore"] == 249_999 and not comp["higherIsBetter"]

    naive_dir, rnn_dir = tmp_path / "naive", tmp_path / "rnn"
    code, out = cli("--account", "1", "submit", str(cid), "--strategy", "naive", "--work-dir", str(naive_dir))
    assert code == 0, out
    code, out = cli("--account", "3", "submit", str(cid), "--bundle", str(_coin_flip(direction_dataset, tmp_path)),
                    "--work-dir", str(tmp_path / "coin"))
    assert code == 0, out
    code, out = cli("--account", "2", "submit", str(cid), "--strategy", "default", "--epochs", "8",
                    "--work-dir", str(rnn_dir))
    assert code == 0, out
    assert json.loads((rnn_dir / "bundle" / "spec.json").read_text())["spec"]["task"] == "direction"

    mine_at(comp["submissionEnd"])
    assert cli("--account", "1", "reveal", str(cid))[0] == 0
    assert cli("--account", "2", "reveal", str(cid))[0] == 0
    assert cli("--account", "3", "reveal", str(cid))[0] == 0
    mine_at(comp["revealEnd"])
    code, out = cli("evaluate", str(cid), "--work-dir", str(tmp_path / "org"))
    assert code == 0, out
    rows = {r["participant"]: r for r in json.loads((tmp_path / "org" / "scores.json").read_text())["rows"]}
    naive, rnn, coin = rows[accounts[1].address], rows[accounts[2].address], rows[accounts[3].address]
    assert naive["ok"] and rnn["ok"] and coin["ok"]
    assert rnn["score"] < 0.25 < naive["score"]  # a probability that knows the season beats "never a rise"
    assert coin["score_int"] == 250_000  # the coin flip, committed before the RNN, misses the minimum by one unit
    comp = competition(market, cid)
    assert comp["phase"] == Phase.FINALIZED
    assert [str(r["participant"]) for r in market.ranking(cid)] == [accounts[2].address]  # naive misses the minimum

    code, out = cli("verify", str(cid), "--work-dir", str(tmp_path / "audit"))
    assert code == 0 and "3/3 scores confirmed" in out, out
    assert (tmp_path / "org" / "forecasts.png").stat().st_size > 0


def _coin_flip(dataset, tmp_path):
    """A network trained elsewhere that says 0.5 whatever it sees: every weight zero, so the sigmoid gets 0."""
    import numpy as np

    from ml_models import ModelSpec, read_dataset_bundle, save_bundle, train

    df, schema = read_dataset_bundle(dataset / "train", part="train")
    fc = train(ModelSpec(task="direction", units=4, epochs=1, patience=0, sequence_length=8, horizon=schema.horizon,
                         season=schema.season), df, schema)
    fc.model.set_weights([np.zeros_like(w) for w in fc.model.get_weights()])
    return save_bundle(tmp_path / "coin-bundle", fc)


def test_a_metric_that_does_not_score_the_task_is_refused_before_anything_is_sent(cli, market, direction_dataset):
    before = market.competitionCount()
    for metric, words in (("directional_accuracy", "every forecaster ties on a hit rate"),
                          ("rmse", "direction task is scored on probabilities with brier or log_loss")):
        code, out = cli("init", str(direction_dataset), "--metric", metric, "--again")
        assert code == 1 and words in out and "Traceback" not in out, out
    assert market.competitionCount() == before
