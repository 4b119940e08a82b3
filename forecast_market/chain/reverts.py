"""The contract's custom errors as one line a user can act on."""
from __future__ import annotations

import re
from datetime import UTC, datetime

# `{0}`, `{1}`... are the error's arguments in order; `{n:t}` shows a deadline (unix seconds) as a UTC date.
ERROR_TEXT = {
    "UnknownCompetition": "there is no competition {0} on this market; `market list` shows the competitions it has",
    "InvalidDeadlines": "the submission deadline must be in the future and at most 90 days away, and the reveal "
                        "and evaluation windows after it each 1 hour to 90 days long: submission {0:t}, reveal "
                        "{1:t}, evaluation {2:t} (now {3:t})",
    "InvalidPrizeSplit": "the prize split must be 1 to 3 positive shares in basis points summing to 10000 "
                         "(e.g. 5000,3000,2000)",
    "InvalidTask": "the task needs a data CID, a target column, a sequence length and a horizon above zero",
    "EmptyReward": "a competition needs a reward above zero (--reward)",
    "RewardTooLarge": "the reward {0} wei is more than the contract accepts (2^96 - 1 wei, 79 billion ether)",
    "NotOrganizer": "only the organizer of competition {0} can do this ({1} is not)",
    "SubmissionClosed": "submissions to competition {0} closed at {1:t}",
    "RevealNotOpen": "competition {0} opens reveals at {1:t}; wait until then",
    "RevealClosed": "reveals for competition {0} closed at {1:t}",
    "WrongDeposit": "the entry deposit is {0} wei, {1} wei was sent (only the first commitment pays it)",
    "NoCommitment": "{1} has no commitment in competition {0}; commit before the submission deadline",
    "AlreadyRevealed": "{1} has already revealed in competition {0}",
    "CommitmentMismatch": "the model, digest and salt do not match {1}'s commitment in competition {0}: "
                          "wrong salt or a different bundle",
    "TestSetRevealNotOpen": "the test set of competition {0} can be revealed from {1:t}, when reveals close; "
                            "wait until then",
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
    "NotSettled": "competition {0} is not settled yet: claims open once it is finalized, refunded or settled "
                  "without evaluation",
    "NothingToClaim": "{1} has nothing to claim in competition {0}: it never revealed, failed, was paid as a "
                      "winner, already claimed, or the deposit is zero",
    "NoRefundPending": "competition {0} has no organizer refund waiting to be claimed",
    "RefundNotYetClaimable": "the organizer's refund of competition {0} can be claimed from {1:t}, when the "
                             "challenge period of the posted scores ends",
    "HasCommitments": "competition {0} has {1} commitment(s) and can no longer be cancelled",
    "NothingToWithdraw": "{0} has nothing to withdraw",
    "WithdrawToZeroAddress": "withdrawing to the zero address would burn the funds; name a recipient",
    "TransferFailed": "sending {1} wei to {0} failed: the receiving contract refused the payment",
    # fraud proofs (docs/FRAUD_PROOFS.md): ForecastMarket
    "InvalidBondedParams": "a bonded competition needs a reward besides the bond, a training-data root and row "
                           "count, a challenge bond, and a step-verifiable metric (RMSE or MAE)",
    "MissingWeightsRoot": "competition {0} is bonded: reveal with the model's weights root (revealWithRoot)",
    "NotBonded": "competition {0} has no organizer bond, so its scores cannot be disputed on chain",
    "ChallengeWindowClosed": "the challenge window of competition {0} closed at {1:t}",
    "NotDisputable": "{1}'s submission in competition {0} has no standing score to dispute",
    "DisputeNotAllowed": "{2} cannot dispute {1}'s score in competition {0}: it is the score's own defender",
    "WrongBond": "a challenge needs a bond of exactly {0} wei; {1} wei was sent",
    "SameScore": "the sums give the score already posted ({0}); there is nothing to dispute",
    "WeightsPending": "competition {0}: {1}'s weights were requested and are not published yet; score it once they "
                      "are, or post its failure once the request's deadline passed (`market evaluate` does both)",
    "ChallengePending": "competition {0} cannot be settled yet: disputes may be opened until {1:t} and {2} are open",
    "NotDisputeGame": "only the market's dispute game may resolve disputes ({0} is not)",
    "NotNominable": "{1} cannot be put into competition {0}'s ranking: not scored, already ranked, or below the minimum",
    "NoBond": "no challenge bond to return for {1} in competition {0}: not settled yet, or returned already",
    # fraud proofs: DisputeGame
    "BadMove": "this dispute move is not allowed now (reason {0}: 0 wrong stage, 1 not your move, 2 past the "
               "deadline, 3 malformed or nothing proven, 4 the disputed score was replaced: end the dispute instead, "
               "5 no weights request possible: the entry is scored or was requested already)",
    "SumsMismatch": "the sums give score {1}, not the posted {0}",
    "PreStateMismatch": "the step proof starts from state {1}, not the agreed {0}",
    "DisputeNotExpired": "the awaited dispute move is due until {0:t}; it cannot be timed out before",
    "DisputeExists": "{2} already has an open dispute about {1}'s score in competition {0}",
    "NotMarket": "only the market opens disputes ({0} is not)",
    "InvalidModelMeta": "the model's meta leaf is not a model the dispute game can run (check {0})",
    "BadLeaf": "a weight leaf (key {0}) is not under the revealed weights root, or has the wrong length",
    "BadRow": "data row {0} is not under the committed data roots",
    "BadState": "the step proof's state is malformed or past the last step",
    "InputOutOfRange": "a standardised input ({0}) does not fit the fixed-point format",
    # fraud proofs: the FixedPointRNN library inside a step
    "NegativeExpArgument": "a step computed exp of a negative argument ({0}): the model's values are malformed",
    "NonPositiveScale": "the model's meta leaf has a scale of {0}; scales must be positive",
    "OutOfInt64Range": "value {1} (index {0}) of a step does not fit int64: the model cannot be run exactly",
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

