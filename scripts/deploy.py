"""Deploy the ForecastMarket contract.

    brownie run scripts/deploy.py                         # local anvil chain
    brownie run scripts/deploy.py --network sepolia-rpc   # live: PRIVATE_KEY, SEPOLIA_RPC_URL in .env

Prints what it deployed; on live networks records the address in deployments/<network>.json.
"""
from brownie import ForecastMarket, network

from scripts.common import get_account, is_local, record_deployment


def main():
    account = get_account()
    market = ForecastMarket.deploy({"from": account}, publish_source=False)
    print(f"ForecastMarket deployed at {market.address} on '{network.show_active()}' "
          f"(chain id {network.chain.id}) by {account.address}; gas used {market.tx.gas_used:,}")
    if not is_local():
        print(f"address recorded in {record_deployment(market)}")
    return market
