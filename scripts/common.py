"""Helpers shared by the stage scripts: accounts, network checks, the deployed market.

Brownie style: each stage is `scripts/<stage>.py` with a `main()`; this module is the glue
they share. It knows the chain; it knows nothing of Keras or IPFS.
"""
from __future__ import annotations

import json
import os
import re
from datetime import datetime, timezone
from pathlib import Path

from brownie import accounts, config, network

LOCAL_NETWORKS = {"development", "anvil", "hardhat", "ganache"}
ROOT = Path(__file__).resolve().parents[1]
DEPLOYMENTS = ROOT / "deployments"


class ChainError(RuntimeError):
    """A chain-side problem a user can fix; the message says how."""


def is_local() -> bool:
    name = network.show_active() or ""
    return name in LOCAL_NETWORKS or name.endswith("-fork")


def get_account(index: int = 0):
    """The signing account: a local unlocked account, or the key in PRIVATE_KEY on live networks."""
    if is_local():
        return accounts[index]
    key = os.environ.get("PRIVATE_KEY") or config["wallets"].get("from_key")
    if not key or key.startswith("${"):
        raise ChainError(
            f"no key to sign with on '{network.show_active()}': set PRIVATE_KEY in .env "
            "(see .env.example)"
        )
    return accounts.add(key)


def _deployment_file() -> Path:
    """Live networks: deployments/<network>.json (worth committing). Local chains: in the data
    folder beside the chain state, since they live and die with it."""
    if is_local():
        from scripts.keystore import data_dir

        return data_dir() / "deployments" / f"{network.show_active()}.json"
    return DEPLOYMENTS / f"{network.show_active()}.json"


def record_deployment(market) -> Path:
    """Remember the market's address for this network (live networks; local chains are ephemeral)."""
    path = _deployment_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"network": network.show_active(), "chain_id": network.chain.id,
                                "ForecastMarket": market.address}, indent=2) + "\n")
    return path


def get_market(address: str | None = None):
    """The market at `address`, else MARKET_ADDRESS, else the one recorded or deployed here last."""
    from brownie import ForecastMarket  # present once the project is loaded

    address = address or os.environ.get("MARKET_ADDRESS")
    if address:
        return ForecastMarket.at(address)
    if len(ForecastMarket) > 0:
        return ForecastMarket[-1]
    path = _deployment_file()
    if path.is_file():
        return ForecastMarket.at(json.loads(path.read_text())["ForecastMarket"])
    raise ChainError(
        f"no ForecastMarket known on '{network.show_active()}': deploy one with "
        "`brownie run scripts/deploy.py` or pass its address (--market / MARKET_ADDRESS)"
    )


# Custom errors of the contract, as one line a user can act on. `{0}`, `{1}`... are the error's
# arguments in order; deadlines (unix seconds) are shown as UTC dates.
_ERROR_TEXT = {
    "UnknownCompetition": "there is no competition {0} on this market; `market status` lists what exists",
    "InvalidDeadlines": "deadlines must be in the future and increasing: submission {0:t} < reveal {1:t} < evaluation {2:t} (now {3:t})",
    "InvalidPrizeSplit": "the prize split must be 1 to 3 positive shares in basis points summing to 10000 (e.g. 5000,3000,2000)",
    "InvalidTask": "the task needs a data CID, a target column, a sequence length and a horizon above zero",
    "EmptyReward": "a competition needs a reward above zero (--reward)",
    "RewardTooLarge": "the reward {0} wei does not fit in 128 bits",
    "NotOrganizer": "only the organizer of competition {0} can do this ({1} is not)",
    "SubmissionClosed": "submissions to competition {0} closed at {1:t}",
    "RevealNotOpen": "competition {0} opens reveals at {1:t}; wait until then",
    "RevealClosed": "reveals for competition {0} closed at {1:t}",
    "WrongDeposit": "the entry deposit is {0} wei, {1} wei was sent (only the first commitment pays it)",
    "NoCommitment": "{1} has no commitment in competition {0}; commit before the submission deadline",
    "AlreadyRevealed": "{1} has already revealed in competition {0}",
    "CommitmentMismatch": "the model, digest and salt do not match {1}'s commitment in competition {0}: wrong salt or a different bundle",
    "TestSetAlreadyRevealed": "the test set of competition {0} is already revealed",
    "TestSetMismatch": "the test-set CID and salt do not match competition {0}'s commitment: use the organizer record saved at creation",
    "TestSetNotRevealed": "reveal the test set of competition {0} before posting scores",
    "EvaluationNotOpen": "scoring of competition {0} opens at {1:t}, when reveals close",
    "EvaluationClosed": "scoring of competition {0} closed at {1:t}; anyone can now settle it without evaluation",
    "LengthMismatch": "{0} participants but {1} scores",
    "NotRevealed": "{1} did not reveal in competition {0}, so it cannot be scored",
    "AlreadyScored": "{1} is already scored in competition {0}",
    "ScoringIncomplete": "competition {0}: {1} of {2} revealed submissions scored; score them all before finalizing",
    "AlreadySettled": "competition {0} is already settled",
    "EvaluationStillOpen": "competition {0} can be settled without evaluation only after {1:t}",
    "NotFallback": "competition {0} was not settled without evaluation; there is no share to claim",
    "NothingToClaim": "{1} has no share to claim in competition {0}",
    "HasCommitments": "competition {0} has {1} commitment(s) and can no longer be cancelled",
    "NothingToWithdraw": "{0} has nothing to withdraw",
    "TransferFailed": "sending {1} wei to {0} failed: the receiving contract refused the payment",
}



def _format_arg(value: str, spec: str) -> str:
    if spec == "t":
        return datetime.fromtimestamp(int(value), tz=timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
    return value


def explain_revert(revert_msg: str | None) -> str:
    """Turn brownie's `Name: arg, arg` custom-error text into a sentence that says what to do."""
    if not revert_msg:
        return "the transaction reverted without a reason"
    name, _, rest = revert_msg.partition(":")
    template = _ERROR_TEXT.get(name.strip())
    if template is None:
        return revert_msg
    args = [a.strip() for a in rest.split(",")] if rest.strip() else []
    def sub(m):
        idx, spec = int(m.group(1)), m.group(2) or ""
        return _format_arg(args[idx], spec.lstrip(":")) if idx < len(args) else "?"

    return re.sub(r"\{(\d+)(:t)?\}", sub, template)


# ---------------------------------------------------------------------------- reading the chain

PHASES = ["None", "Submission", "Reveal", "Evaluation", "Expired", "Finalized", "Refunded",
          "Fallback", "Cancelled"]
STATUSES = ["None", "Committed", "Revealed", "Scored", "Claimed"]
INT64_MAX = 2**63 - 1
INT64_MIN = -(2**63)


def show_score(score: int | None) -> str:
    """A posted score in metric units; the failure score at either end of int64 as 'failed'."""
    if score is None:
        return "-"
    if score in (INT64_MAX, INT64_MIN):
        return "failed"
    return f"{score / 1e6:.6f}"


def failure_score(higher_is_better: bool) -> int:
    """The score posted for a bundle that cannot be scored: the worst possible value."""
    return INT64_MIN if higher_is_better else INT64_MAX


def competition(market, comp_id: int) -> dict:
    """A competition's parameters and phase as plain Python values."""
    from brownie.exceptions import VirtualMachineError

    try:
        c = market.competition(comp_id)
    except (VirtualMachineError, ValueError) as exc:
        raise ChainError(explain_revert(getattr(exc, "revert_msg", None) or f"UnknownCompetition: {comp_id}")) from exc
    out = {k: (int(v) if isinstance(v, int) and not isinstance(v, bool) else v) for k, v in c.dict().items()}
    out["id"] = comp_id
    out["prizeBps"] = [int(b) for b in c["prizeBps"]][: out["prizeCount"]]
    out["testCommitment"] = str(c["testCommitment"])
    out["phase"] = PHASES[int(market.phase(comp_id))]
    return out


def events(market, name: str, comp_id: int) -> list[dict]:
    """All `name` events of competition `comp_id`, oldest first (from the chain's logs)."""
    event = getattr(market.events, name)
    logs = event.get_logs(from_block=0, argument_filters={"id": comp_id})
    return [dict(log["args"]) | {"blockNumber": log["blockNumber"]} for log in logs]


def revealed_submissions(market, comp_id: int) -> list[dict]:
    """Revealed submissions: participant, modelCid, modelSha256 (hex, no 0x), commit order."""
    out = []
    for ev in events(market, "Revealed", comp_id):
        who = ev["participant"]
        sub = market.submission(comp_id, who)
        out.append({"participant": who, "modelCid": ev["modelCid"], "modelSha256": bytes(ev["modelSha256"]).hex(),
                    "order": int(sub["order"]), "status": STATUSES[int(sub["status"])]})
    return out


def posted_scores(market, comp_id: int) -> dict[str, int]:
    return {ev["participant"]: int(ev["score"]) for ev in events(market, "ScorePosted", comp_id)}


def transact(fn, *args, sender, value: int = 0):
    """Send a transaction; a revert becomes a ChainError with a sentence saying what to do."""
    from brownie.exceptions import VirtualMachineError

    try:
        return fn(*args, {"from": sender, "value": value})
    except VirtualMachineError as exc:
        raise ChainError(explain_revert(exc.revert_msg)) from exc
    except ValueError as exc:  # raised by the node before execution, e.g. insufficient funds
        text = str(exc)
        if "insufficient funds" in text.lower() or "insufficientfunds" in text.lower():
            from brownie import web3

            raise ChainError(
                f"not enough funds: {sender.address} holds {web3.from_wei(sender.balance(), 'ether')} ETH "
                f"and this needs {web3.from_wei(value, 'ether')} ETH plus gas; fund the account"
            ) from exc
        raise
