"""The main job: a whole competition on a local anvil chain (`bash tools/demo.sh` runs this).

    brownie run scripts/demo.py

When brownie attached to a chain someone runs (`market node` on port 8545), the demo leaves it
alone and launches a chain of its own, as `market demo` does.
"""
from forecast_market.demo import leave_attached_node, run


def main():
    leave_attached_node()
    return run()
