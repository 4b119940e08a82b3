"""`market`: the forecast market from the command line, one subcommand per step of a competition.

Installed by tools/setup.sh into .venv/bin. Every subcommand takes the same global options
(--network, --market, --account), before or after the subcommand; see `market --help` and
`market COMMAND --help`. Commands are imported only when run: read-only ones (list, status,
leaderboard, mine) load web3 alone, never brownie.

Exit codes: 0 done; 1 an error the message explains (a closed phase, a wrong salt, an unknown
competition, an unreachable IPFS node, a missing key, not enough funds, ...); 2 bad usage;
3 `verify` found a posted score it could not reproduce; 4 `challenge` or `defend` lost a dispute;
5 a dispute is still open when `--wait` ran out.
"""
from __future__ import annotations

import importlib
import warnings
from importlib.metadata import PackageNotFoundError, version

import click

from ..settings import settings
from .context import EXIT_MISMATCH, Ctx, on_chain, one_line_errors
from .params import Address

__all__ = ["EXIT_MISMATCH", "Ctx", "main", "on_chain", "one_line_errors"]

# brownie 1.22 warns about its own internal calls (rpc.snapshot/revert) from a thread
warnings.filterwarnings("ignore", message=r"rpc\.\w+ should not be called directly")
warnings.filterwarnings("ignore", message=r"Development network has a block height")

#: The commands in the order a competition runs, by section: name -> "module:function".
SECTIONS: dict[str, dict[str, str]] = {
    "set up": {"node": "anyone:node", "deploy": "anyone:deploy", "publish-source": "anyone:publish_source"},
    "1. the organizer opens a competition": {"preprocess": "stages:preprocess", "init": "stages:init",
                                             "cancel": "stages:cancel"},
    "2. participants take part": {"list": "read:list_", "download": "read:download", "backtest": "backtest:backtest",
                                  "upgrade-bundle": "backtest:upgrade_bundle", "submit": "stages:submit",
                                  "reveal": "stages:reveal"},
    "3. scoring and payment": {"evaluate": "stages:evaluate", "status": "read:status",
                               "leaderboard": "read:leaderboard", "verify": "anyone:verify", "report": "report:report",
                               "finalize": "dispute:finalize", "challenge": "dispute:challenge",
                               "defend": "dispute:defend", "publish-weights": "dispute:publish_weights",
                               "settle": "stages:settle", "mine": "read:mine"},
    "local chain only": {"advance": "anyone:advance", "demo": "anyone:demo"},
}
COMMANDS = {name: target for section in SECTIONS.values() for name, target in section.items()}
#: Options of the group that may also be written after the subcommand (moved in front of it).
GLOBAL_OPTIONS = ("--network", "--market", "--account")
GLOBALS_EPILOG = ("Global options, before or after the command: --network (a brownie network), --market (the "
                  "contract's address), --account (who signs); `market --help` explains them.")


def _version() -> str:
    try:
        return version("forecast-market")
    except PackageNotFoundError:  # a checkout used through PYTHONPATH, not installed
        return "0.1.0 (not installed)"


class MarketGroup(click.Group):
    """Commands imported on first use, listed in workflow order by section; global options are
    accepted after the subcommand too."""

    def list_commands(self, ctx):
        return list(COMMANDS)

    def get_command(self, ctx, name):
        target = COMMANDS.get(name)
        if target is None:
            return None
        module, attr = target.split(":")
        command = getattr(importlib.import_module(f"{__name__}.{module}"), attr)
        command.epilog = command.epilog or GLOBALS_EPILOG
        return command

    def format_commands(self, ctx, formatter):
        for section, names in SECTIONS.items():
            rows = [(name, self.get_command(ctx, name).get_short_help_str(150)) for name in names]
            with formatter.section(f"Commands, {section}"):
                formatter.write_dl(rows)

    def parse_args(self, ctx, args):
        return super().parse_args(ctx, _globals_first(list(args)))


def _globals_first(args: list[str]) -> list[str]:
    """``market status 3 --network x`` as ``market --network x status 3``: a global option after the
    subcommand is moved before it (``--`` ends the scan)."""
    command_at, i = None, 0
    while i < len(args) and command_at is None:
        if args[i] in GLOBAL_OPTIONS:  # its value follows and may look like anything
            i += 2
        elif args[i].startswith("-"):
            i += 1
        else:
            command_at = i
    if command_at is None:
        return args
    head, tail, moved = args[:command_at], [], []
    rest = args[command_at:]
    i = 0
    while i < len(rest):
        arg = rest[i]
        if arg == "--":
            tail += rest[i:]
            break
        name = arg.split("=", 1)[0]
        if i > 0 and name in GLOBAL_OPTIONS:
            takes = 1 if "=" in arg else 2
            moved += rest[i:i + takes]
            i += takes
            continue
        tail.append(arg)
        i += 1
    return head + moved + tail


@click.group(cls=MarketGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(_version(), "-V", "--version", prog_name="market")
@click.option("--network", "network_name", default=lambda: settings().network, show_default="$FM_NETWORK or development",
              help="A brownie network: `development` is the local anvil chain (start it with `market node`); "
                   "`sepolia-rpc` is Sepolia through SEPOLIA_RPC_URL; `brownie networks list` shows the rest.")
@click.option("--market", default=lambda: settings().market_address, show_default="$MARKET_ADDRESS",
              type=Address(),
              help="Address of the ForecastMarket contract. Default: the one `market deploy` recorded for "
                   "this network (deployments/<network>.json).")
@click.option("--account", default=lambda: settings().account, show_default="$FM_ACCOUNT",
              help="Who signs (and whose entries `mine` shows). On a local chain: an account index (0 = organizer "
                   "by default, 1.. participants). On live networks: an account name from brownie's encrypted "
                   "keystore (unlocked with FM_ACCOUNT_PASSWORD), else the key in PRIVATE_KEY (.env).")
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
    Participant:  list -> download/backtest -> submit -> (wait) -> reveal -> (wait) -> mine, settle
    Anyone:       list, status, leaderboard, verify, report; settle after the evaluation deadline
                  if the organizer vanished

    \b
    A competition is named by its id, always the first argument: `market status 3`.
    Global options (--network, --market, --account) go before or after the command.
    Output: stdout carries only the result (`ID=$(market init ...)` captures the id);
    progress and transaction details go to stderr; read commands take --json.

    \b
    Local quick start (three terminals' worth in one):
      market node &                       # a local chain that keeps state
      market deploy
      market preprocess statsmodels:co2 out/dataset
      ID=$(market init out/dataset --reward 5)
      market --account 1 submit $ID --strategy default
      market advance $ID --to reveal && market --account 1 reveal $ID
      market advance $ID --to evaluation && market evaluate $ID && market verify $ID
      market leaderboard $ID

    Or run everything at once: `market demo`.
    """
    ctx.obj = Ctx(network_name, market, account)
