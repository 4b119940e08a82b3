"""Transactions, and the contract's custom errors as one line a user can act on."""
from __future__ import annotations

import re
from datetime import UTC, datetime

from ..errors import ChainError

# `{0}`, `{1}`... are the error's arguments in order; `{n:t}` shows a deadline (unix seconds) as a UTC date.
ERROR_TEXT = {
    "UnknownCompetition": "there is no competition {0} on this market; `market status` lists what exists",
    "InvalidDeadlines": "deadlines must be in the future and increasing: submission {0:t} < reveal {1:t} < "
                        "evaluation {2:t} (now {3:t})",
    "InvalidPrizeSplit": "the prize split must be 1 to 3 positive shares in basis points summing to 10000 "
                         "(e.g. 5000,3000,2000)",
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
    "CommitmentMismatch": "the model, digest and salt do not match {1}'s commitment in competition {0}: "
                          "wrong salt or a different bundle",
    "TestSetAlreadyRevealed": "the test set of competition {0} is already revealed",
    "TestSetMismatch": "the test-set CID and salt do not match competition {0}'s commitment: use the organizer "
                       "record saved at creation",
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
    # inherited from OpenZeppelin's ReentrancyGuard
    "ReentrancyGuardReentrantCall": "the market refused a re-entrant call: a contract tried to call back into it "
                                    "during a payment",
}


def _format_arg(value: str, spec: str) -> str:
    if spec == "t":
        return datetime.fromtimestamp(int(value), tz=UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    return value


def explain_revert(revert_msg: str | None) -> str:
    """Turn brownie's ``Name: arg, arg`` custom-error text into a sentence that says what to do."""
    if not revert_msg:
        return "the transaction reverted without a reason"
    name, _, rest = revert_msg.partition(":")
    template = ERROR_TEXT.get(name.strip())
    if template is None:
        return revert_msg
    args = [a.strip() for a in rest.split(",")] if rest.strip() else []

    def sub(m: re.Match) -> str:
        idx, spec = int(m.group(1)), m.group(2) or ""
        return _format_arg(args[idx], spec.lstrip(":")) if idx < len(args) else "?"

    return re.sub(r"\{(\d+)(:t)?\}", sub, template)


def transact(fn, *args, sender, value: int = 0):
    """Send a transaction; a revert becomes a ChainError with a sentence saying what to do."""
    from brownie.exceptions import VirtualMachineError

    try:
        return fn(*args, {"from": sender, "value": value})
    except VirtualMachineError as exc:
        raise ChainError(explain_revert(exc.revert_msg)) from exc
    except ValueError as exc:  # raised by the node before execution, e.g. insufficient funds
        text = str(exc).lower()
        if "insufficient funds" in text or "insufficientfunds" in text:
            from brownie import web3

            raise ChainError(
                f"not enough funds: {sender.address} holds {web3.from_wei(sender.balance(), 'ether')} ETH "
                f"and this needs {web3.from_wei(value, 'ether')} ETH plus gas; fund the account"
            ) from exc
        raise
