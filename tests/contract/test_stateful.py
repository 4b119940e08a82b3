"""Stateful test: random commits, reveals, time jumps, scores (failures included), settlements,
claims, refunds and withdrawals, checked after every step against a model of the protocol and
the money invariants.

How it is driven, and why:
- brownie's own `state_machine` fixture fails under brownie 1.22.2's compiled build
  (`TypeError: brownie.test.stateful._BrownieStateMachine object expected`);
- hypothesis' RuleBasedStateMachine ended most generated runs after one or two steps here
  (measured: 76 of 156 runs did nothing but create), so settlements were rarely reached.
So hypothesis draws a whole program, a list of 25-40 steps; each step names a rule, and when
that rule's precondition does not hold the step runs one that does, preferring those that move
a competition towards settlement (hypothesis draws many programs of a single rule, which would
otherwise only move the clock). Every step is checked against a model and the invariants. At
the end every competition is settled, everything owed is claimed and withdrawn, and the market
must hold nothing. Each program deploys a fresh market (anvil's snapshot and revert proved
unreliable over hundreds of reverts), and a model clock pins every transaction's block time so
that a failing program replays exactly while hypothesis shrinks it.
"""
import hashlib
import os

from brownie import ForecastMarket, accounts, chain
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from forecast_market.chain import now, set_next_block_time
from forecast_market.protocol import (
    CHALLENGE_PERIOD_S,
    ZERO32,
    CompetitionParams,
    CreditReason,
    Phase,
    Status,
    failure_score,
    test_set_commitment,
)

from market_helpers import DAY, TEST_CID, TEST_SALT, Player, credits

DEPOSIT = 10**15
FAILED = failure_score(False)  # the programs' metric is lower-is-better
SPLITS = [(10_000,), (6000, 4000), (5000, 3000, 2000)]
N_ACCOUNTS = 5
LATE = {"reveal", "reveal_test_set", "post_scores", "finalize", "settle", "claim", "claim_refund"}


def _mix(i: int, tag: str, x: int) -> int:
    return int.from_bytes(hashlib.sha256(f"{i}:{tag}:{x}".encode()).digest()[:8], "big")


class Comp:
    def __init__(self, cid, organizer, reward, params: CompetitionParams):
        self.id, self.organizer, self.reward, self.split = cid, organizer, reward, params.prizeBps
        self.ends = (params.submissionEnd, params.revealEnd, params.evaluationEnd)
        self.players = {}  # address -> Player
        self.status = {}  # address -> Status
        self.outcome = Phase.NONE  # a terminal Phase once settled
        self.test_revealed = False
        self.failed = 0  # entries posted as failed (some may have claimed since)
        self.refund_pending = False
        self.share = 0  # fallback share per eligible entry
        self.frozen = None

    def owed(self, status: Status) -> int:
        """What a submission in `status` may claim now, by the protocol's rules."""
        if self.outcome == Phase.FALLBACK:
            return DEPOSIT + self.share if status in (Status.REVEALED, Status.SCORED) else 0
        if self.outcome == Phase.FINALIZED:
            return DEPOSIT if status == Status.SCORED else 0
        if self.outcome == Phase.REFUNDED:
            return DEPOSIT if status in (Status.SCORED, Status.FAILED) else 0
        return 0

    def claimable(self) -> list[str]:
        return [x for x, s in self.status.items() if self.owed(s)]

    def refund(self) -> int:
        """The organizer's refund when nobody ranked: reward plus never-revealed deposits."""
        return self.reward + sum(1 for s in self.status.values() if s == Status.COMMITTED) * DEPOSIT


class MarketMachine:
    """The market under test, a model of what it should hold, and one method per rule.

    A rule is `(precondition(comp) or None, action(comp or None, a, b))`; `a` and `b` are
    drawn integers the action uses to choose accounts, amounts and scores.
    """

    def __init__(self, salt: int = 0):
        self.salt = salt  # mixed into every drawn number: programs of one length differ from another's
        self.market = ForecastMarket.deploy({"from": accounts[9]})
        self.t = now() + 1  # model clock: the next transaction's block time
        self.comps: list[Comp] = []
        self.accounts = [accounts[i] for i in range(N_ACCOUNTS)]
        self.put_in = 0
        self.paid_out = 0
        self.log = []

    # ---------------------------------------------------------------- model helpers
    def phase(self, c: Comp) -> Phase:
        if c.outcome:
            return c.outcome
        clock = zip((Phase.SUBMISSION, Phase.REVEAL, Phase.EVALUATION), c.ends, strict=True)
        return next((p for p, end in clock if self.t < end), Phase.EXPIRED)

    def tick(self):
        set_next_block_time(self.t)
        self.t += 1

    def owed_accounts(self):
        return [a for a in self.accounts if self.market.balanceOf(a)]

    # ---------------------------------------------------------------- rules
    def rules(self):
        return {
            # at most two running at a time, and four in all
            "create": (lambda: len(self.comps) < 4 and sum(not c.outcome for c in self.comps) < 2, None,
                       self.create),
            "commit": (None, lambda c: self.phase(c) == Phase.SUBMISSION, self.commit),
            "reveal": (None, lambda c: self.phase(c) == Phase.REVEAL and Status.COMMITTED in c.status.values(),
                       self.reveal),
            "advance": (lambda: True, None, self.advance),
            "reveal_test_set": (None, lambda c: self.phase(c) == Phase.EVALUATION and not c.test_revealed,
                                self.reveal_test_set),
            "post_scores": (None, lambda c: self.phase(c) == Phase.EVALUATION and c.test_revealed
                            and Status.REVEALED in c.status.values(), self.post_scores),
            "finalize": (None, lambda c: self.phase(c) == Phase.EVALUATION
                         and Status.REVEALED not in c.status.values(), self.finalize),
            "settle": (None, lambda c: self.phase(c) == Phase.EXPIRED, self.settle_without_evaluation),
            "claim": (None, lambda c: bool(c.claimable()), self.claim),
            "claim_refund": (None, lambda c: c.refund_pending, self.claim_refund),
            # only a competition nobody joined within its first day: cancelling fresh ones
            # would end most programs before anything else happens
            "cancel": (None, lambda c: not c.outcome and not c.players and self.t >= c.ends[0] - DAY, self.cancel),
            "withdraw": (lambda: bool(self.owed_accounts()), None, self.withdraw),
        }

    def step(self, i: int, name: str, a: int, b: int) -> None:
        """Run rule `name` if it can run now, else another rule that can (see below).

        `a` and `b` are mixed with the step index through sha256 so that hypothesis' preference
        for small numbers does not make every choice the first one; the program stays
        deterministic, so failures replay and shrink.
        """
        a, b = _mix(i, f"a{self.salt}", a), _mix(i, f"b{self.salt}", b)
        ready = {}
        for rule, (enabled, comp_ok, action) in self.rules().items():
            if comp_ok is None:
                if enabled():
                    ready[rule] = (action, None)
            else:
                eligible = [c for c in self.comps if comp_ok(c)]
                if eligible:
                    ready[rule] = (action, eligible[a % len(eligible)])
        if name not in ready:
            # Hypothesis often draws rules that cannot run (whole programs of one rule): then take a
            # step that moves some competition along, the later stages first (the clock moves in one
            # of 8 such steps), else an early one (the clock moves in one of 4).
            late = sorted(ready.keys() & LATE)
            early = sorted(ready.keys() - {"advance", "cancel", "commit" * (a % 2)})
            if late and b % 8:
                name = late[b % len(late)]
            else:
                name = early[b % len(early)] if early and b % 4 else "advance"
        self.log.append(name)
        action, comp = ready[name]
        action(comp, a, b)

    def create(self, _, a, b):
        organizer = self.accounts[a % N_ACCOUNTS]
        reward, split = 1 + b % 10**18, SPLITS[a % 3]
        params = CompetitionParams.starting(
            self.t, submission_s=2 * DAY, reveal_s=DAY, evaluation_s=DAY,
            dataCid="QmData", target="y", sequenceLength=8, horizon=1, metric=0, higherIsBetter=False, minScore=(0, -3)[a // 15 % 2],
            prizeBps=split, entryDeposit=DEPOSIT, testCommitment=test_set_commitment(TEST_CID, TEST_SALT))
        self.tick()
        tx = self.market.createCompetition(params.as_tuple(), {"from": organizer, "value": reward})
        self.comps.append(Comp(tx.return_value, organizer, reward, params))
        self.put_in += reward

    def commit(self, c, a, b):
        acct = self.accounts[b % N_ACCOUNTS]
        status = c.status.get(acct.address, Status.NONE)
        if status not in (Status.NONE, Status.COMMITTED):
            return
        p = c.players.get(acct.address) or Player(self.market, acct, c.id, b % N_ACCOUNTS + 1)
        p.salt = (a % 2**256).to_bytes(32, "big")
        self.tick()
        p.commit(value=DEPOSIT if status == Status.NONE else 0)
        c.players[acct.address] = p
        c.status[acct.address] = Status.COMMITTED
        self.put_in += DEPOSIT if status == Status.NONE else 0

    def reveal(self, c, a, b):
        waiting = [x for x, s in c.status.items() if s == Status.COMMITTED]
        who = waiting[b % len(waiting)]
        self.tick()
        c.players[who].reveal()
        c.status[who] = Status.REVEALED

    def advance(self, _, a, b):
        """Move the clock: in two steps of three to the next deadline (+0/+1 s), else by an hour to a day."""
        upcoming = [end for c in self.comps if not c.outcome for end in c.ends if end >= self.t]
        if b % 3 and upcoming:
            self.t = min(upcoming) + a % 2
        else:
            self.t += (3600, DAY // 4, DAY // 2, DAY)[b // 3 % 4]

    def reveal_test_set(self, c, a, b):
        self.tick()
        self.market.revealTestSet(c.id, TEST_CID, ZERO32, 0, TEST_SALT, {"from": c.organizer})
        c.test_revealed = True

    def post_scores(self, c, a, b):
        todo = [x for x, s in c.status.items() if s == Status.REVEALED][: 1 + b % 3]
        # small range: ties happen; one in 8 is a failure; the others run from -4 to 2 against a minimum
        # of 0 (5 in 7 qualify) or -3 (2 in 7): some competitions rank nobody
        scores = [FAILED if (a >> (8 * i)) % 8 == 7 else (a >> (8 * i)) % 8 - 4 for i in range(len(todo))]
        self.tick()
        self.market.postScores(c.id, todo, scores, {"from": c.organizer})
        for x, score in zip(todo, scores, strict=True):
            c.status[x] = Status.FAILED if score == FAILED else Status.SCORED
            c.failed += score == FAILED

    def _settle_by_ranking(self, c, tx):
        """The model of finalize: winners credited prize + deposit and marked Claimed, or a refund."""
        ranks = self.market.ranking(c.id)
        if not ranks:
            c.outcome = Phase.REFUNDED
            revealed = any(s != Status.COMMITTED for s in c.status.values())
            c.refund_pending = revealed
            assert tx.events["Refunded"]["amount"] == c.refund()
            assert credits(tx) == ([] if revealed else [(c.organizer, c.id, c.refund(), CreditReason.REFUND)])
            return
        c.outcome = Phase.FINALIZED
        forfeited = sum(1 for s in c.status.values() if s in (Status.COMMITTED, Status.FAILED))
        pool = c.reward + forfeited * DEPOSIT
        credited = {account: amount for account, _, amount, _ in credits(tx)}
        assert set(credited) == {r["participant"] for r in ranks}  # only winners: never the organizer as such
        assert sum(credited.values()) == pool + len(ranks) * DEPOSIT
        assert {reason for *_, reason in credits(tx)} == {CreditReason.PRIZE}
        for r in ranks:
            assert c.status[r["participant"]] == Status.SCORED
            c.status[r["participant"]] = Status.CLAIMED

    def finalize(self, c, a, b):
        self.tick()
        tx = self.market.finalize(c.id, {"from": c.organizer})
        self._settle_by_ranking(c, tx)

    def settle_without_evaluation(self, c, a, b):
        self.tick()
        tx = self.market.settleWithoutEvaluation(c.id, {"from": self.accounts[b % N_ACCOUNTS]})
        if Status.REVEALED not in c.status.values():  # scoring complete (or nothing revealed): the ranking pays
            self._settle_by_ranking(c, tx)
            return
        c.outcome = Phase.FALLBACK
        eligible = sum(1 for s in c.status.values() if s in (Status.REVEALED, Status.SCORED))
        pool = c.reward + (len(c.status) - eligible) * DEPOSIT
        c.share = pool // eligible
        assert tx.events["SettledWithoutEvaluation"]["eligible"] == eligible
        assert tx.events["SettledWithoutEvaluation"]["pool"] == pool
        remainder = [(c.organizer, c.id, pool % eligible, CreditReason.FALLBACK_REMAINDER)] if pool % eligible else []
        assert credits(tx) == remainder

    def claim(self, c, a, b):
        waiting = c.claimable()
        who = waiting[b % len(waiting)]
        amount = c.owed(c.status[who])
        self.tick()
        if a % 2:  # the participant claims and receives in one transaction
            tx = self.market.claimAndWithdraw(c.id, {"from": c.players[who].account})
            assert tx.events["Withdrawn"]["amount"] == amount
            self.paid_out += amount
        else:  # anyone claims for it, to its balance
            tx = self.market.claim(c.id, who, {"from": self.accounts[a % N_ACCOUNTS]})
        reason = CreditReason.FALLBACK_SHARE if c.outcome == Phase.FALLBACK else CreditReason.DEPOSIT
        assert credits(tx) == [(who, c.id, amount, reason)]
        c.status[who] = Status.CLAIMED

    def claim_refund(self, c, a, b):
        # wait out the challenge period if need be: claimable from evaluationEnd + CHALLENGE_PERIOD on
        self.t = max(self.t, c.ends[2] + CHALLENGE_PERIOD_S + b % 2)
        self.tick()
        tx = self.market.claimRefund(c.id, {"from": self.accounts[a % N_ACCOUNTS]})
        assert credits(tx) == [(c.organizer, c.id, c.refund(), CreditReason.REFUND)]
        c.refund_pending = False

    def cancel(self, c, a, b):
        self.tick()
        tx = self.market.cancel(c.id, {"from": c.organizer})
        assert credits(tx) == [(c.organizer, c.id, c.reward, CreditReason.CANCELLATION)]
        c.outcome = Phase.CANCELLED

    def withdraw(self, _, a, b):
        owed = self.owed_accounts()
        acct = owed[b % len(owed)]
        amount = int(self.market.balanceOf(acct))
        self.tick()
        if a % 2:
            self.market.withdraw({"from": acct})
        else:  # to another of the accounts: the wei leaves the market either way
            self.market.withdrawTo(self.accounts[a % N_ACCOUNTS], {"from": acct})
        self.paid_out += amount

    def wind_down(self):
        """After the program: settle everything, claim everything, withdraw everything (checking
        the invariants after each step); then nothing may be left in the market."""
        self.t = max([self.t] + [c.ends[2] for c in self.comps])
        for c in self.comps:
            if not c.outcome:
                self.settle_without_evaluation(c, 0, 0)
                self.check_invariants()
        for i, c in enumerate(self.comps):
            while c.claimable():
                self.claim(c, i + len(c.claimable()), 0)
                self.check_invariants()
            if c.refund_pending:
                self.log.append("wind_down_claim_refund")
                self.claim_refund(c, i, 0)
                self.check_invariants()
        while self.owed_accounts():
            self.withdraw(None, len(self.owed_accounts()), 0)
            self.check_invariants()
        assert [int(x) for x in self.market.totals()] == [0, 0]
        assert self.market.balance() == 0 and self.paid_out == self.put_in

    # ---------------------------------------------------------------- invariants
    def check_invariants(self):
        escrowed, owed = (int(x) for x in self.market.totals())
        balance = int(self.market.balance())
        # funds held >= funds owed; everything held is escrowed or owed
        assert balance == escrowed + owed
        assert sum(int(self.market.balanceOf(a)) for a in self.accounts) == owed
        # paid out + held == put in
        assert self.paid_out + balance == self.put_in

        expected_escrow = 0
        for c in self.comps:
            state = self.market.competition(c.id)
            # exactly one terminal outcome, reached once, as the model expects
            assert int(state["outcome"]) == c.outcome
            assert state["participants"] == len(c.players)
            assert state["revealCount"] == sum(1 for s in c.status.values() if s >= Status.REVEALED)
            assert state["failedCount"] == c.failed
            assert state["refundPending"] == c.refund_pending
            for x, s in c.status.items():
                assert self.market.submission(c.id, x)["status"] == s
            # escrow per competition: what it still owes (deposits held until settlement)
            if not c.outcome:
                expected_escrow += c.reward + len(c.status) * DEPOSIT
            else:
                expected_escrow += sum(c.owed(s) for s in c.status.values())
                expected_escrow += c.refund() if c.refund_pending else 0
            # winners are revealed submitters, best first (lower is better here), at most k; never a failure
            ranks = self.market.ranking(c.id)
            assert len(ranks) <= len(c.split)
            for r in ranks:
                assert c.status[r["participant"]] in (Status.SCORED, Status.CLAIMED)
                assert r["score"] != FAILED
            keys = [(r["score"], r["order"]) for r in ranks]
            assert keys == sorted(keys)
            # nothing changes after settlement (but the pending refund, once claimed)
            if c.outcome:
                snapshot = ({k: v for k, v in state.dict().items() if k != "refundPending"},
                            tuple(map(tuple, ranks)))
                c.frozen = c.frozen or snapshot
                assert snapshot == c.frozen, "a settled competition changed"
        assert escrowed == expected_escrow


RULES = ["create", "commit", "reveal", "advance", "reveal_test_set", "post_scores", "finalize", "settle",
         "claim", "claim_refund", "cancel", "withdraw"]
program = st.lists(
    st.tuples(st.sampled_from(RULES), st.integers(0, 2**64), st.integers(0, 2**64)),
    min_size=25, max_size=40,
)


@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
@given(steps=program)
def test_random_programs_keep_the_money_invariants(steps):
    # Each program on a fresh market from the same chain state: programs stay independent, and the
    # chain does not grow by a market (and its dispute game) per example, which made anvil lose
    # track of a mined transaction for brownie's lookup after some 600 blocks.
    chain.snapshot()
    try:
        m = MarketMachine(salt=len(steps))
        m.create(None, steps[0][1], steps[0][2])
        m.check_invariants()
        for i, (name, a, b) in enumerate(steps):
            m.step(i, name, a, b)
            m.check_invariants()
        m.wind_down()
    finally:
        chain.revert()
    if os.environ.get("FM_STATEFUL_STATS"):
        with open(os.environ["FM_STATEFUL_STATS"], "a") as fh:
            fh.write(" ".join([str(int(c.outcome)) for c in m.comps] + m.log) + "\n")
