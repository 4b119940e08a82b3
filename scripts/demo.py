"""The main job: a whole competition on a local anvil chain (`bash tools/demo.sh` runs this).

    brownie run scripts/demo.py

When brownie attached to a chain someone runs (`market node` on port 8545), the demo leaves it
alone and launches a chain of its own, as `market demo` does.
"""
from forecast_market.demo import run, start_own_chain


def main():
    from brownie import network
    from brownie.network import rpc

    if not rpc.is_child():  # attached, not launched: someone's node, with their competitions on it
        network.disconnect(kill_rpc=False)
        rpc.process = None  # forget that node (brownie 1.22 has no call for it); it keeps running
        start_own_chain()
    return run()
