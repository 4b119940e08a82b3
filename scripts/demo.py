"""The main job: a whole competition on a local anvil chain (`bash tools/demo.sh` runs this).

    brownie run scripts/demo.py
"""
from forecast_market.demo import run


def main():
    return run()
