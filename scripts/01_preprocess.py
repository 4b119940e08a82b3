"""Stage 1, organizer: fetch a series, split it by time, publish the training bundle.

    brownie run scripts/01_preprocess.py main statsmodels:co2 out/dataset
"""
from forecast_market.stages.preprocessing import DEFAULT_SOURCE, preprocess


def main(source: str = DEFAULT_SOURCE, out_dir: str = "out/dataset"):
    return preprocess(source, out_dir)
