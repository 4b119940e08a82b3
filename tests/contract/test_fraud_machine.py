"""The step machine (forecast_market.fraud.machine) computes exactly the integer scorer's sums."""
import pytest
from fraud_helpers import make_case

from forecast_market.fraud import score_from_sums, state_hash


@pytest.mark.parametrize("cell", ["LSTM", "GRU", "SimpleRNN"])
@pytest.mark.parametrize("delta", [True, False])
def test_machine_sums_equal_the_vectorised_integer_path(cell, delta):
    case = make_case(cell=cell, delta=delta, seed=3)
    machine = case.machine()
    final = machine.run()
    assert final.step == machine.total == case.test_rows * machine.per_window
    assert (final.sum_sq, final.sum_abs) == case.scorer_sums()
    assert state_hash(final) == state_hash(machine.final(final.sum_sq, final.sum_abs))


def test_chunks_split_a_layer_and_give_the_same_result():
    case = make_case(cell="LSTM", units=40, dense=0, layers=1, features=1, seed=1)
    machine = case.machine()
    assert machine.model.chunk < 40 or machine.model.chunks == 1
    assert (lambda s: (s.sum_sq, s.sum_abs))(machine.run()) == case.scorer_sums()


def test_score_from_sums():
    assert score_from_sums(0, 4 * 2**48 * 3, 0, 3) == 2 * 10**6  # RMSE 2.0
    assert score_from_sums(1, 0, 3 * 2**23, 3) == 500_000  # MAE 0.5
    with pytest.raises(ValueError, match="not step-verifiable"):
        score_from_sums(2, 0, 0, 1)
