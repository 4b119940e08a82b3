"""The plots draw what a person needs: names, ranks, payouts and failures on the leaderboard with an
axis zoomed to the scores; forecasts with the horizon step, units and errors; a tuning history that
says something at a few trials. The data behind each plot is checked, and each PNG is drawn."""
import numpy as np
import pandas as pd
import pytest

from forecast_market import plots
from forecast_market.scoring import Row

ALICE, BOB, CAROL, MALLORY, ZED = (f"0x{c * 40}" for c in "abcde")
NAMES = {ALICE: "alice", BOB: "bob", CAROL: "carol"}


def rows():
    carol = Row(CAROL, "Qm1", "00", order=3, ok=True, score=0.6913, predictions=[1.0, 2.1, 2.9])
    bob = Row(BOB, "Qm2", "00", order=2, ok=True, score=0.6961, predictions=[1.2, 1.8, 3.3])
    alice = Row(ALICE, "Qm3", "00", order=1, ok=True, score=1.262, predictions=[0.0, 1.0, 2.0])
    zed = Row(ZED, "Qm4", "00", order=4).fail("the bundle's digest does not match its commitment")
    return [carol, bob, alice, zed]


def test_leaderboard_entries_have_ranks_payouts_and_failures():
    entries = plots.leaderboard_entries(rows(), NAMES, ranked=[CAROL, BOB], payouts={CAROL: 7 * 10**18, BOB: 3 * 10**18},
                                        forfeited=[MALLORY])
    assert [(e.rank, e.label, e.state) for e in entries] == [
        (1, "carol (0xcccc…cccc)", "ranked"), (2, "bob (0xbbbb…bbbb)", "ranked"), (3, "alice (0xaaaa…aaaa)", "scored"),
        (None, "0xeeee…eeee", "failed"), (None, "0xdddd…dddd", "forfeited")]
    assert entries[0].payout_wei == 7 * 10**18 and entries[2].payout_wei is None
    assert "digest" in entries[3].reason and entries[4].reason == "committed, never revealed"


def test_the_leaderboard_axis_is_zoomed_to_the_scores():
    lo, hi = plots.zoomed_limits([0.6913, 0.6961])
    assert 0.68 < lo < 0.6913 and 0.6961 < hi < 0.72  # the 0.005 gap is a tenth of the axis or more
    assert (0.6961 - 0.6913) / (hi - lo) > 0.1
    lo, hi = plots.zoomed_limits([2.0])  # one score: still an axis around it
    assert lo < 2.0 < hi


def test_forecast_series_names_models_and_residuals():
    test_df = pd.DataFrame({"co2": [1.0, 2.0, 3.0]}, index=pd.date_range("2000-01-01", periods=3, freq="W-SAT"))
    data = plots.forecast_series(rows(), test_df, "co2", NAMES, top=2)
    assert [m["label"] for m in data["models"]] == ["carol (0xcccc…cccc)", "bob (0xbbbb…bbbb)"]
    np.testing.assert_allclose(data["models"][1]["residual"], [0.2, -0.2, 0.3])


def test_the_plots_are_drawn(tmp_path):
    board = plots.leaderboard(rows(), "RMSE", tmp_path / "leaderboard.png", NAMES, ranked=[CAROL, BOB],
                              payouts={CAROL: 7 * 10**18, BOB: 3 * 10**18, MALLORY: 0}, forfeited=[MALLORY])
    dates = pd.date_range("1993-01-02", periods=120, freq="W-SAT")
    actual = 360 + np.sin(np.arange(120) / 8.3) * 3 + np.arange(120) * 0.03
    test_df = pd.DataFrame({"co2": actual}, index=dates)
    rng = np.random.default_rng(0)
    rs = [Row(a, "Qm", "00", order=i, ok=True, score=s, predictions=list(actual + rng.normal(0, s, 120)))
          for i, (a, s) in enumerate([(CAROL, 0.69), (BOB, 0.70), (ALICE, 1.26)])]
    fc = plots.forecasts(rs, test_df, "co2", tmp_path / "forecasts.png", NAMES, horizon=4, frequency="W-SAT",
                         unit="ppm", metric_name="RMSE")
    for path in (board, fc):
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and path.stat().st_size > 10_000




def study_trials(n):
    """A real optuna search of n trials (the last pruned when n > 1), as ``TuneResult.trials``."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=1))

    def objective(trial):
        units = trial.suggest_categorical("units", [8, 16, 32])
        rate = trial.suggest_float("learning_rate", 1e-4, 1e-2, log=True)
        if n > 1 and trial.number == n - 1:
            raise optuna.TrialPruned()
        return 0.3 + units / 1000 + rate

    study.optimize(objective, n_trials=n)
    return study.trials_dataframe(attrs=("number", "value", "state", "params"))


@pytest.mark.parametrize("n", [1, 3])
def test_the_tuning_history_says_something_at_a_few_trials(n, tmp_path):
    trials = study_trials(n)
    rows = plots.tuning_rows(trials)
    assert len(rows) == n and rows[0]["value"] is not None and set(rows[0]["params"]) == {"units", "learning_rate"}
    assert [r["value"] for r in rows if r["value"] is not None] == sorted(trials["value"].dropna())  # best first
    if n > 1:
        assert rows[-1]["state"] == "PRUNED" and rows[-1]["value"] is None
    path = plots.tuning_history(trials, tmp_path / "tuning.png")
    assert path.read_bytes()[:4] == b"\x89PNG" and path.stat().st_size > 10_000


def test_the_tuning_title_counts_trials_the_time_budget_stopped(tmp_path):
    """A trial stopped when the budget ended is FAIL in Optuna and has no value to draw: the title counts it."""
    import optuna

    study = optuna.create_study()

    def objective(trial):
        trial.suggest_int("units", 8, 64)
        if trial.number == 1:
            raise optuna.TrialPruned()
        if trial.number == 2:
            raise TimeoutError("the time budget ended")
        return 0.5

    study.optimize(objective, n_trials=3, catch=(TimeoutError,))
    trials = study.trials_dataframe(attrs=("number", "value", "state", "params"))
    rows = plots.tuning_rows(trials)
    assert plots.tuning_head(rows) == "Tuning: 3 trial(s), 1 completed, 1 pruned, 1 stopped by the time budget or failed"
    assert plots.tuning_head(rows[:2]) == "Tuning: 2 trial(s), 1 completed, 1 pruned"
    assert plots.tuning_history(trials, tmp_path / "tuning.png").stat().st_size > 10_000


def test_steps_name_the_horizon_in_periods():
    assert plots.steps(4, "W-SAT") == "4 steps (4 weeks)"
    assert plots.steps(1, "D") == "1 step (1 day)"
    assert plots.steps(2, "") == "2 steps"


def test_a_pruned_trial_is_never_the_best_even_when_its_early_value_is_lower(tmp_path):
    """With multi-fidelity search a pruned trial reports the value where it stopped; it was not
    trained to the end, so it is listed after every completed trial and never called the best."""
    import optuna

    study = optuna.create_study()

    def objective(trial):
        trial.suggest_int("units", 8, 64)
        if trial.number == 1:
            trial.report(0.1, step=0)  # lower than the completed trial's, then stopped
            raise optuna.TrialPruned()
        return 0.5

    study.optimize(objective, n_trials=2)
    trials = study.trials_dataframe(attrs=("number", "value", "state", "params"))
    rows = plots.tuning_rows(trials)
    assert [(r["number"], r["state"]) for r in rows] == [(0, "COMPLETE"), (1, "PRUNED")]
    path = plots.tuning_history(trials, tmp_path / "tuning.png")
    assert path.stat().st_size > 10_000
