"""Deploy the ForecastMarket contract and record its address for this network.

    brownie run scripts/deploy.py                         # local anvil chain
    brownie run scripts/deploy.py --network sepolia-rpc   # live: PRIVATE_KEY, SEPOLIA_RPC_URL in .env
"""
from forecast_market.chain import deploy_market, get_account, is_local, record_deployment


def main():
    market = deploy_market(get_account())
    if not is_local():
        print(f"address recorded in {record_deployment(market)}")
    return market
