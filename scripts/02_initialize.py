"""Stage 2, organizer: create a competition from a preprocessed dataset, escrowing the reward.

    brownie run scripts/02_initialize.py main out/dataset 1
"""
from brownie import web3

from forecast_market.chain import get_account, get_market
from forecast_market.stages.initialization import initialize


def main(dataset_dir: str = "out/dataset", reward_ether: str = "1"):
    return initialize(get_market(), get_account(), dataset_dir, reward_wei=web3.to_wei(reward_ether, "ether"))
