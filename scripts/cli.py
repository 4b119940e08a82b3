"""`market`: the forecast market from the command line, one subcommand per stage.

Installed by tools/setup.sh into .venv/bin. Every subcommand takes the same global options
(--network, --market, --account); see `market --help` and `market COMMAND --help`.

Exit codes: 0 done; 1 an error the message explains (a closed phase, a wrong salt, an unknown
competition, an unreachable IPFS node, a missing key, not enough funds, ...); 2 bad usage;
3 `verify` found a posted score it could not reproduce.
"""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import warnings
from pathlib import Path

import click

# brownie 1.22 warns about its own internal calls (rpc.snapshot/revert) from a thread
warnings.filterwarnings("ignore", message=r"rpc\.\w+ should not be called directly")
warnings.filterwarnings("ignore", message=r"Development network has a block height")

ROOT = Path(__file__).resolve().parents[1]
LOCAL_RPC = ("127.0.0.1", 8545)
EXIT_MISMATCH = 3


class Ctx:
    def __init__(self, network_name: str, market: str | None, account: str | None):
        self.network_name, self.market_address, self.account_spec = network_name, market, account

    # -- chain ---------------------------------------------------------------------------
    def connect(self, *, allow_ephemeral: bool = False) -> None:
        """Load the brownie project and connect, unless this process is connected already."""
        from brownie import network, project

        if network.is_connected():
            return
        _load_dotenv()
        if self.network_name != "development":
            if not os.environ.get("PRIVATE_KEY"):
                raise click.ClickException(
                    f"no key to sign with on '{self.network_name}': set PRIVATE_KEY in .env (see .env.example)")
            if self.network_name == "sepolia-rpc" and not os.environ.get("SEPOLIA_RPC_URL"):
                raise click.ClickException("SEPOLIA_RPC_URL is not set: put your Sepolia RPC URL in .env")
        if self.network_name == "development" and not allow_ephemeral and not _port_open(*LOCAL_RPC):
            raise click.ClickException(
                "no local chain is running on 127.0.0.1:8545, and one launched for this command alone "
                "would vanish with it: start `market node` in another terminal, or pass --network")
        # brownie resolves the remapped OpenZeppelin sources relative to the working directory
        here = os.getcwd()
        os.chdir(ROOT)
        try:
            if not project.get_loaded_projects():
                loaded = project.load(ROOT, name="ForecastMarketProject")
                loaded.load_config()
                # as `brownie run` does: `from brownie import ForecastMarket` then works in scripts
                loaded._add_to_main_namespace()
            network.connect(self.network_name)
        finally:
            os.chdir(here)

    def market(self):
        from scripts.common import get_market

        return get_market(self.market_address)

    def account(self, default_index: int = 0):
        from brownie import accounts

        from scripts.common import get_account, is_local

        if is_local():
            spec = self.account_spec
            if spec is not None and not spec.isdigit():
                raise click.BadParameter("on a local chain, --account is an index such as 0 or 3", param_hint="--account")
            index = int(spec) if spec is not None else default_index
            if index >= len(accounts):
                raise click.BadParameter(f"the local chain has {len(accounts)} accounts (0-{len(accounts) - 1})",
                                         param_hint="--account")
            return accounts[index]
        return get_account()


def _port_open(host: str, port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex((host, port)) == 0


def _load_dotenv() -> None:
    """Put .env's values into the environment (brownie expands $SEPOLIA_RPC_URL from there)."""
    from dotenv import dotenv_values

    env = ROOT / ".env"
    if env.is_file():
        for key, value in dotenv_values(env).items():
            if value and key not in os.environ:
                os.environ[key] = value


def _run(fn):
    """Run a stage; turn the errors a user can act on into one line and exit code 1."""
    from brownie.exceptions import VirtualMachineError

    from ipfs_store import StorageError
    from ml_models import MLError
    from scripts.common import ChainError, explain_revert
    from scripts.keystore import KeystoreError

    try:
        return fn()
    except (ChainError, KeystoreError, StorageError, MLError) as exc:
        raise click.ClickException(str(exc)) from exc
    except VirtualMachineError as exc:
        raise click.ClickException(explain_revert(exc.revert_msg)) from exc
    except ConnectionError as exc:
        raise click.ClickException(f"cannot reach the chain: {exc}; check --network and the RPC URL in .env") from exc


pass_ctx = click.make_pass_decorator(Ctx)


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option("--network", "network_name", default="development", show_default=True, envvar="FM_NETWORK",
              help="A brownie network: `development` is the local anvil chain (start it with `market node`); "
                   "`sepolia-rpc` is Sepolia through SEPOLIA_RPC_URL; `brownie networks list` shows the rest.")
@click.option("--market", default=None, envvar="MARKET_ADDRESS",
              help="Address of the ForecastMarket contract. Default: the one `market deploy` recorded for "
                   "this network (deployments/<network>.json).")
@click.option("--account", default=None, envvar="FM_ACCOUNT",
              help="Who signs. On a local chain: an account index (0 = organizer by default, 1.. participants). "
                   "On live networks the key in PRIVATE_KEY (.env) signs and this option is ignored.")
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
    Participant:  status -> submit -> (wait) -> reveal -> (wait) -> settle
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


@main.command()
@click.option("--state", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="File where anvil keeps the chain between runs (default: <data dir>/anvil-state.json).")
@click.option("--port", default=LOCAL_RPC[1], show_default=True)
def node(state, port):
    """Run a local anvil chain in the foreground; other commands attach to it.

    The chain state is saved to --state when the node stops and loaded when it starts again.
    """
    from scripts.keystore import data_dir

    state = state or data_dir() / "anvil-state.json"
    state.parent.mkdir(parents=True, exist_ok=True)
    cmd = [str(ROOT / ".venv" / "bin" / "anvil"), "--port", str(port), "--accounts", "10", "--balance", "1000",
           "--block-base-fee-per-gas", "0", "--gas-limit", "30000000", "--state", str(state)]
    click.echo(f"anvil on 127.0.0.1:{port}, state in {state} (Ctrl-C to stop)")
    sys.exit(subprocess.call(cmd))


@main.command()
@pass_ctx
def deploy(ctx):
    """Deploy the ForecastMarket contract and record its address for this network."""
    def go():
        ctx.connect()
        from scripts.common import record_deployment
        from scripts.deploy import main as deploy_main

        market = deploy_main()
        click.echo(f"recorded in {record_deployment(market)}")
    _run(go)


@main.command()
@click.argument("source", default="statsmodels:co2")
@click.argument("out_dir", type=click.Path(file_okay=False, path_type=Path), default=Path("out/dataset"))
@click.option("--target", help="Target column (default: the first column).")
@click.option("--test-size", default=0.2, show_default=True, help="Fraction of the rows, at the end, kept as the hidden test set.")
@click.option("--sequence-length", default=52, show_default=True, help="Input window in time steps.")
@click.option("--horizon", default=1, show_default=True, help="How many steps ahead to forecast.")
@click.option("--season", default=52, show_default=True, help="Season length in steps (for seasonal baselines and MASE).")
@click.option("--max-gap", default=26, show_default=True, help="Longest run of missing steps filled by interpolation.")
def preprocess(source, out_dir, target, test_size, sequence_length, horizon, season, max_gap):
    """Organizer: fetch SOURCE, split it by time, publish the training bundle, keep the test set.

    \b
    SOURCE is one of:
      statsmodels:co2 | statsmodels:sunspots | statsmodels:elnino | statsmodels:macrodata
      pmdarima:taylor | pmdarima:msft | pmdarima:sunspots | matplotlib:goog   (shipped offline)
      csv:/path/to/file.csv                  (a date column and numeric columns)
      coingecko:<asset>                      (HTTP price API: price and volume; needs internet)
    """
    from scripts.preprocess import preprocess as run

    _run(lambda: run(source, out_dir, target=target, test_size=test_size, sequence_length=sequence_length,
                     horizon=horizon, season=season, max_gap=max_gap))


@main.command("init")
@click.argument("dataset_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--reward", default="1", show_default=True, help="Reward in ETH, escrowed now.")
@click.option("--metric", default="rmse", show_default=True,
              type=click.Choice(["rmse", "mae", "mase", "smape", "directional_accuracy"]))
@click.option("--min-score", type=float, default=None, help="A score must meet this to win (metric units). Default: any.")
@click.option("--prizes", default="5000,3000,2000", show_default=True,
              help="Shares of ranks 1..k in basis points, summing to 10000 (k <= 3).")
@click.option("--deposit", default="0", show_default=True, help="Entry deposit in ETH, returned on reveal.")
@click.option("--submission-hours", default=24.0, show_default=True)
@click.option("--reveal-hours", default=12.0, show_default=True)
@click.option("--evaluation-hours", default=12.0, show_default=True)
@pass_ctx
def init(ctx, dataset_dir, reward, metric, min_score, prizes, deposit, submission_hours, reveal_hours,
         evaluation_hours):
    """Organizer: create a competition from a preprocessed DATASET_DIR."""
    try:
        prize_bps = tuple(int(p) for p in prizes.split(","))
    except ValueError:
        raise click.BadParameter("give integers separated by commas, e.g. 7000,3000", param_hint="--prizes")

    def go():
        ctx.connect()
        from brownie import web3

        from scripts.initialize import initialize

        comp_id = initialize(ctx.market(), ctx.account(0), dataset_dir, reward_wei=web3.to_wei(reward, "ether"),
                             metric=metric, min_score=min_score, prize_bps=prize_bps,
                             deposit_wei=web3.to_wei(deposit, "ether"), submission_s=int(submission_hours * 3600),
                             reveal_s=int(reveal_hours * 3600), evaluation_s=int(evaluation_hours * 3600))
        click.echo(comp_id)
    _run(go)


@main.command()
@click.argument("competition_id", type=int)
@click.option("--strategy", type=click.Choice(["naive", "seasonal_naive", "default", "tuned"]), default="tuned",
              show_default=True, help="naive/seasonal_naive: baselines; default: an untuned LSTM; tuned: Optuna search first.")
@click.option("--trials", default=10, show_default=True, help="Tuning: at most this many trials.")
@click.option("--budget", default=120.0, show_default=True, help="Tuning: at most this many seconds.")
@click.option("--epochs", default=20, show_default=True, help="Training epochs (early stopping may end sooner).")
@click.option("--seed", default=0, show_default=True)
@click.option("--optuna-storage", envvar="OPTUNA_STORAGE", default=None,
              help="Optuna storage URL; a PostgreSQL URL lets several machines search one study. Default: SQLite in the work dir.")
@click.option("--work-dir", type=click.Path(file_okay=False, path_type=Path), default=None)
@pass_ctx
def submit(ctx, competition_id, strategy, trials, budget, epochs, seed, optuna_storage, work_dir):
    """Participant: download the data, tune and train, publish the bundle, save the salt, commit."""
    def go():
        ctx.connect()
        from scripts.submit import submit as run

        opts = {} if strategy in ("naive", "seasonal_naive") else {"epochs": epochs, "seed": seed}
        if strategy == "tuned":
            opts |= {"trials": trials, "budget_s": budget, "storage": optuna_storage}
        run(ctx.market(), ctx.account(1), competition_id, strategy, work_dir=work_dir, **opts)
    _run(go)


@main.command()
@click.argument("competition_id", type=int)
@pass_ctx
def reveal(ctx, competition_id):
    """Participant: reveal the committed model with the salt saved by `submit`."""
    def go():
        ctx.connect()
        from scripts.reveal import reveal as run

        run(ctx.market(), ctx.account(1), competition_id)
    _run(go)


@main.command()
@click.argument("competition_id", type=int)
@click.option("--no-finalize", is_flag=True, help="Post the scores but do not finalize yet.")
@click.option("--timeout", default=300.0, show_default=True, help="Seconds allowed to score one bundle.")
@click.option("--memory-mb", default=4096, show_default=True, help="Address-space limit of one scoring process.")
@click.option("--work-dir", type=click.Path(file_okay=False, path_type=Path), default=None)
@pass_ctx
def evaluate(ctx, competition_id, no_finalize, timeout, memory_mb, work_dir):
    """Organizer: reveal the test set; once reveals close, score every bundle, post, finalize.

    Run it during the reveal phase to publish the test set, and again in the evaluation phase.
    """
    def go():
        ctx.connect()
        from scripts.evaluate import evaluate as run

        run(ctx.market(), ctx.account(0), competition_id, work_dir=work_dir, timeout_s=timeout,
            memory_mb=memory_mb, finalize=not no_finalize)
    _run(go)


@main.command()
@click.argument("competition_id", type=int, required=False)
@pass_ctx
def settle(ctx, competition_id):
    """Anyone: withdraw what you are owed; after an unfinished competition's evaluation deadline,
    settle it without evaluation and claim your share first."""
    def go():
        ctx.connect()
        from scripts.settle import settle as run

        run(ctx.market(), ctx.account(0), competition_id)
    _run(go)


@main.command()
@click.argument("competition_id", type=int)
@pass_ctx
def status(ctx, competition_id):
    """Anyone: phase, deadlines, submissions, ranking and balances of a competition."""
    def go():
        ctx.connect()
        from scripts.status import status as run

        run(ctx.market(), competition_id)
    _run(go)


@main.command()
@click.argument("competition_id", type=int)
@click.option("--tolerance", default=1e-5, show_default=True,
              help="Largest difference (metric units) still counted as a match; floating point can differ across CPUs.")
@click.option("--work-dir", type=click.Path(file_okay=False, path_type=Path), default=None)
@pass_ctx
def verify(ctx, competition_id, tolerance, work_dir):
    """Anyone: recompute every posted score from chain + IPFS; exit 3 on any mismatch."""
    def go():
        ctx.connect()
        from scripts.verify import verify as run

        ok, _ = run(ctx.market(), competition_id, work_dir=work_dir, tolerance=tolerance)
        return ok
    if not _run(go):
        sys.exit(EXIT_MISMATCH)


@main.command()
@click.option("--seconds", type=int, default=None, help="Move the clock forward this much.")
@click.option("--to", "to", type=click.Choice(["reveal", "evaluation", "expiry"]), default=None,
              help="Move the clock to the start of a competition's phase.")
@click.option("--competition", "comp_id", type=int, default=1, show_default=True)
@pass_ctx
def advance(ctx, seconds, to, comp_id):
    """Local chains only: move block time forward (past a deadline)."""
    if (seconds is None) == (to is None):
        raise click.UsageError("give exactly one of --seconds or --to")

    def go():
        ctx.connect()
        from scripts.chaintime import advance_past, mine_at, now
        from scripts.common import ChainError, competition, is_local

        if not is_local():
            raise ChainError("advance moves time only on a local chain")
        if seconds is not None:
            mine_at(now() + seconds)
        else:
            c = competition(ctx.market(), comp_id)
            advance_past({"reveal": c["submissionEnd"], "evaluation": c["revealEnd"], "expiry": c["evaluationEnd"]}[to])
        click.echo(f"block time is now {now()}")
    _run(go)


@main.command()
@pass_ctx
def demo(ctx):
    """Run a whole competition locally (deploy, publish, 3 participants + a copycat, score, pay, verify)."""
    def go():
        ctx.connect(allow_ephemeral=True)
        from scripts.demo import run

        run()
    _run(go)


if __name__ == "__main__":
    main()
