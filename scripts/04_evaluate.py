"""Stage 4, organizer: reveal the test set; once reveals close, score, post and finalize.
Anyone: recompute every posted score.

    brownie run scripts/04_evaluate.py main <competition id>
    brownie run scripts/04_evaluate.py verify <competition id>
"""
from forecast_market.audit import verify as audit
from forecast_market.chain import get_account, get_market
from forecast_market.stages.evaluation import evaluate


def main(comp_id: int = 1):
    return evaluate(get_market(), get_account(), int(comp_id))


def verify(comp_id: int = 1):
    ok, _ = audit(get_market(), int(comp_id))
    if not ok:
        raise SystemExit(3)
