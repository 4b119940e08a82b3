"""Stage 3, participant: tune, train, publish and commit; after the deadline, reveal.

    brownie run scripts/03_submit.py main <competition id> [naive|seasonal_naive|default|tuned]
    brownie run scripts/03_submit.py reveal <competition id>
"""
from forecast_market.chain import get_account, get_market
from forecast_market.stages import submission


def main(comp_id: int = 1, strategy: str = "tuned"):
    return submission.submit(get_market(), get_account(), int(comp_id), strategy)


def reveal(comp_id: int = 1):
    return submission.reveal(get_market(), get_account(), int(comp_id))
