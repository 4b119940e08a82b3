"""`market`: the forecast market from the command line, one subcommand per stage.

Installed by tools/setup.sh into .venv/bin. Every subcommand takes the same global options
(--network, --market, --account); see `market --help` and `market COMMAND --help`.

Exit codes: 0 done; 1 an error the message explains (a closed phase, a wrong salt, an unknown
competition, an unreachable IPFS node, a missing key, not enough funds, ...); 2 bad usage;
3 `verify` found a posted score it could not reproduce.
"""
from __future__ import annotations

import warnings

import click

from ..settings import settings
from . import anyone, stages
from .backtest import backtest
from .context import EXIT_MISMATCH, Ctx, on_chain, one_line_errors
from .params import Address
from .report import report

__all__ = ["EXIT_MISMATCH", "Ctx", "main", "on_chain", "one_line_errors"]

# brownie 1.22 warns about its own internal calls (rpc.snapshot/revert) from a thread
warnings.filterwarnings("ignore", message=r"rpc\.\w+ should not be called directly")
warnings.filterwarnings("ignore", message=r"Development network has a block height")


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option("--network", "network_name", default=lambda: settings().network, show_default="$FM_NETWORK or development",
              help="A brownie network: `development` is the local anvil chain (start it with `market node`); "
                   "`sepolia-rpc` is Sepolia through SEPOLIA_RPC_URL; `brownie networks list` shows the rest.")
@click.option("--market", default=lambda: settings().market_address, show_default="$MARKET_ADDRESS",
              type=Address(),
              help="Address of the ForecastMarket contract. Default: the one `market deploy` recorded for "
                   "this network (deployments/<network>.json).")
@click.option("--account", default=lambda: settings().account, show_default="$FM_ACCOUNT",
              help="Who signs. On a local chain: an account index (0 = organizer by default, 1.. participants). "
                   "On live networks: an account name from brownie's encrypted keystore (unlocked with "
                   "FM_ACCOUNT_PASSWORD), else the key in PRIVATE_KEY (.env).")
@click.pass_context
def main(ctx, network_name, market, account):
    """A trust-less market for trained forecasting models.

    \b
    An organizer escrows a reward and publishes a time series on IPFS; participants tune and
    train a Keras RNN, commit to their model before the deadline and reveal it after; the
    organizer reveals the hidden test set, scores every model, and the contract pays the best.
    Anyone can re-run the scoring with `market verify`.

    \b
    Organizer:    preprocess -> init -> (wait) -> evaluate -> settle
    Participant:  status -> backtest -> submit -> (wait) -> reveal -> (wait) -> settle
    Anyone:       status, verify; settle after the evaluation deadline if the organizer vanished

    \b
    Local quick start (three terminals' worth in one):
      market node &                       # a local chain that keeps state
      market deploy
      market preprocess statsmodels:co2 out/dataset
      market init out/dataset --reward 5
      market --account 1 submit 1 --strategy default
      market advance --to reveal && market --account 1 reveal 1
      market evaluate 1                   # reveals the test set
      market advance --to evaluation && market evaluate 1 && market verify 1

    Or run everything at once: `market demo`.
    """
    ctx.obj = Ctx(network_name, market, account)


for command in (anyone.node, anyone.deploy, anyone.publish_source, stages.preprocess, stages.init, stages.submit,
                stages.reveal, stages.evaluate, stages.settle, backtest, anyone.status, anyone.verify, anyone.advance,
                anyone.demo):
    main.add_command(command)
main.add_command(report)
