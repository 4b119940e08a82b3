"""Stateful test: random commits, reveals, time jumps, scores, settlements and withdrawals
against a model of what the contract owes, with the money invariants checked after every step.

Brownie's own `state_machine` fixture fails under brownie 1.22.2's compiled build
(`TypeError: brownie.test.stateful._BrownieStateMachine object expected`), so this drives
hypothesis' RuleBasedStateMachine directly, reverting the chain to a snapshot before each run.
"""
import os

from brownie import accounts, chain
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from conftest import TEST_CID, TEST_SALT, Player, sealed_test_set
from scripts.chaintime import now, set_next_block_time

DAY = 24 * 3600
DEPOSIT = 10**15
TERMINAL = {5, 6, 7, 8}


actor = st.integers(0, 5)
comp = st.integers(0, 2)
reward = st.integers(1, 10**18)
score = st.integers(-(10**6), 10**6)
dt = st.integers(1, 2 * DAY)
split = st.integers(0, 2)


class MarketMachine(RuleBasedStateMachine):
    SPLITS = [(10_000,), (6000, 4000), (5000, 3000, 2000)]
    market = None  # set by the test

    def __init__(self):
        super().__init__()
        chain.revert()  # every run starts from the same chain: the deployed, empty market
        # A model clock makes runs reproducible: every transaction gets the next timestamp.
        self.t = now() + 1
        self.comps = {}  # id -> {"players": {addr: Player}, "status": {addr: str}, "settled_state": ...}
        self.put_in = 0
        self.paid_out = 0
        self.accounts = [accounts[i] for i in range(6)]

    # ---------------------------------------------------------------- helpers
    def _comp(self, k):
        ids = sorted(self.comps)
        return ids[k % len(ids)] if ids else None

    def _phase(self, cid):
        """The phase the next transaction (at self.t) will see."""
        c = self.market.competition(cid)
        if c["outcome"]:
            return int(c["outcome"])
        for phase, end in ((1, "submissionEnd"), (2, "revealEnd"), (3, "evaluationEnd")):
            if self.t < c[end]:
                return phase
        return 4

    def _tick(self):
        """Pin the next transaction's block time to the model clock."""
        set_next_block_time(self.t)
        self.t += 1

    # ---------------------------------------------------------------- rules
    @rule(st_actor=actor, st_reward=reward, st_split=split)
    def rule_create(self, st_actor, st_reward, st_split):
        if len(self.comps) >= 3:
            return
        sub = self.t + 2 * DAY
        params = ("QmData", "y", 8, 1, 0, False, 0, sub, sub + DAY, sub + 2 * DAY,
                  list(self.SPLITS[st_split]), DEPOSIT, sealed_test_set())
        self._tick()
        tx = self.market.createCompetition(params, {"from": self.accounts[st_actor], "value": st_reward})
        self.comps[tx.return_value] = {"players": {}, "organizer": self.accounts[st_actor], "frozen": None}
        self.put_in += st_reward

    @rule(st_actor=actor, st_comp=comp)
    def rule_commit(self, st_actor, st_comp):
        cid = self._comp(st_comp)
        if cid is None:
            return
        acct = self.accounts[st_actor]
        c = self.comps[cid]
        first = acct.address not in c["players"]
        p = c["players"].get(acct.address) or Player(self.market, acct, cid, st_actor + 1)
        p.salt = os.urandom(32)
        if self._phase(cid) == 1 and (first or self.market.submission(cid, acct)["status"] == 1):
            self._tick()
            p.commit(value=DEPOSIT if first else 0)
            c["players"][acct.address] = p
            self.put_in += DEPOSIT if first else 0

    @rule(st_actor=actor, st_comp=comp)
    def rule_reveal(self, st_actor, st_comp):
        cid = self._comp(st_comp)
        if cid is None:
            return
        p = self.comps[cid]["players"].get(self.accounts[st_actor].address)
        if p and self._phase(cid) == 2 and self.market.submission(cid, p.account)["status"] == 1:
            self._tick()
            p.reveal()

    @rule(st_dt=dt)
    def rule_advance(self, st_dt):
        self.t += st_dt

    @rule(st_comp=comp)
    def rule_reveal_test_set(self, st_comp):
        cid = self._comp(st_comp)
        if cid is None:
            return
        c = self.market.competition(cid)
        if self._phase(cid) in (2, 3) and not c["testRevealed"]:
            self._tick()
            self.market.revealTestSet(cid, TEST_CID, TEST_SALT, {"from": c["organizer"]})

    @rule(st_comp=comp, st_score=score)
    def rule_score(self, st_comp, st_score):
        cid = self._comp(st_comp)
        if cid is None:
            return
        c = self.market.competition(cid)
        if self._phase(cid) != 3 or not c["testRevealed"]:
            return
        todo = [a for a in self.comps[cid]["players"] if self.market.submission(cid, a)["status"] == 2]
        if todo:
            self._tick()
            self.market.postScores(cid, todo[:2], [st_score, -st_score][: len(todo[:2])], {"from": c["organizer"]})

    @rule(st_comp=comp)
    def rule_finalize(self, st_comp):
        cid = self._comp(st_comp)
        if cid is None:
            return
        c = self.market.competition(cid)
        if self._phase(cid) == 3 and c["scoredCount"] == c["revealCount"]:
            self._tick()
            self.market.finalize(cid, {"from": c["organizer"]})

    @rule(st_comp=comp, st_actor=actor)
    def rule_settle(self, st_comp, st_actor):
        cid = self._comp(st_comp)
        if cid is not None and self._phase(cid) == 4:
            self._tick()
            self.market.settleWithoutEvaluation(cid, {"from": self.accounts[st_actor]})

    @rule(st_comp=comp, st_actor=actor)
    def rule_claim(self, st_comp, st_actor):
        cid = self._comp(st_comp)
        acct = self.accounts[st_actor]
        if cid is not None and self._phase(cid) == 7 and self.market.submission(cid, acct)["status"] in (2, 3):
            self._tick()
            self.market.claimFallbackShare(cid, {"from": acct})

    @rule(st_comp=comp)
    def rule_cancel(self, st_comp):
        cid = self._comp(st_comp)
        if cid is None:
            return
        c = self.market.competition(cid)
        if c["outcome"] == 0 and c["participants"] == 0:
            self._tick()
            self.market.cancel(cid, {"from": c["organizer"]})

    @rule(st_actor=actor)
    def rule_withdraw(self, st_actor):
        acct = self.accounts[st_actor]
        amount = int(self.market.balanceOf(acct))
        if amount:
            self._tick()
            self.market.withdraw({"from": acct})
            self.paid_out += amount

    # ---------------------------------------------------------------- invariants
    @invariant()
    def invariant_funds_held_cover_funds_owed(self):
        escrowed, owed = (int(x) for x in self.market.totals())
        assert self.market.balance() >= owed
        assert self.market.balance() == escrowed + owed
        assert sum(int(self.market.balanceOf(a)) for a in self.accounts) == owed

    @invariant()
    def invariant_escrow_matches_what_each_competition_still_owes(self):
        expected = 0
        for cid, c in self.comps.items():
            state = self.market.competition(cid)
            pool = int(state["reward"]) + (state["participants"] - state["revealCount"]) * DEPOSIT
            if state["outcome"] == 0:
                expected += pool
            elif state["outcome"] == 7:  # fallback: shares not yet claimed stay in escrow
                unclaimed = sum(1 for a in c["players"] if self.market.submission(cid, a)["status"] in (2, 3))
                expected += pool // state["revealCount"] * unclaimed
        assert int(self.market.totals()[0]) == expected

    @invariant()
    def invariant_paid_out_plus_held_equals_put_in(self):
        assert self.paid_out + self.market.balance() == self.put_in

    @invariant()
    def invariant_one_terminal_outcome_and_frozen_after(self):
        for cid, c in self.comps.items():
            state = self.market.competition(cid)
            outcome = int(state["outcome"])
            assert outcome in (0, *TERMINAL)
            if outcome:
                snapshot = (outcome, tuple(state), tuple(map(tuple, self.market.ranking(cid))))
                if c["frozen"] is None:
                    c["frozen"] = snapshot
                assert snapshot == c["frozen"], "a settled competition changed"

    @invariant()
    def invariant_winners_are_revealed_submitters(self):
        for cid in self.comps:
            for r in self.market.ranking(cid):
                assert self.market.submission(cid, r["participant"])["status"] in (3, 4)


def test_market_state_machine(market):
    MarketMachine.market = market
    chain.snapshot()
    run_state_machine_as_test(
        MarketMachine,
        settings=settings(max_examples=25, stateful_step_count=30, deadline=None,
                          suppress_health_check=list(HealthCheck)),
    )
