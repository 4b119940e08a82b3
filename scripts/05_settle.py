"""Stage 5, anyone: settle an unfinished competition after its deadline, claim, withdraw.

    brownie run scripts/05_settle.py main <competition id>
    brownie run scripts/05_settle.py status <competition id>
"""
from forecast_market.chain import get_account, get_market
from forecast_market.stages.final import settle
from forecast_market.status import status as show


def main(comp_id: int = 1):
    return settle(get_market(), get_account(), int(comp_id))


def status(comp_id: int = 1):
    return show(get_market(), int(comp_id))
