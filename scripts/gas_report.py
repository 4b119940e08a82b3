"""Print the gas of each contract operation, at the 1st and the 200th submission.

    brownie run scripts/gas_report.py
"""
from forecast_market.gas_report import gas_report


def main(n: int = 200):
    return gas_report(int(n))
