"""The gas of each contract operation and of whole competitions (``brownie run scripts/gas_report.py``).

Part 1 runs one competition with ``n`` submissions and an entry deposit and reports each operation
(at the 1st and the nth submission where it can differ), plus the operations of the other outcomes
(fallback, refund) and ``withdrawTo``. Part 2 runs whole competitions with 1, 10 and 100
participants, with and without a deposit, and reports the total and the total per participant.

A whole competition: create (prizes 50/30/20), every participant commits and reveals, the organizer
reveals the test set, posts every score (in commit order, the scores in a random order, all meeting
the minimum) in batches of 100 and finalizes; the winners withdraw their prize and deposit,
everybody else takes its deposit back with ``claimAndWithdraw`` (nothing to take without a deposit). Targets: create <= 300k with the training data as one folder CID; commit <= 70k;
reveal <= 70k; posting a score <= 30k per entry in a batch of 10; the goal for one participant's
commit + reveal + score + claimAndWithdraw, with a deposit, is 130k.
"""
from __future__ import annotations

import os
import random
from dataclasses import dataclass, field

from .chain import deploy_market, mine_at, now
from .protocol import ZERO32, CompetitionParams, failure_score, model_commitment, test_set_commitment

TARGETS = {"create": 300_000, "commit": 70_000, "reveal": 70_000, "postScores / entry (batch of 10)": 30_000,
           "one participant": 130_000}
DATA_CID = "QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbdG"  # a CIDv0 folder: 46 characters
MODEL_CID = "bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi"  # a CIDv1: 59 characters
TEST_CID = "QmTest"
DEPOSIT = 10**16
WINDOW = 10_000  # seconds, each of the three windows
SIZES = (1, 10, 100)


@dataclass
class Run:
    """Gas of one competition, by operation (lists: one entry per transaction or per scored entry)."""

    n: int
    deposit: int
    gas: dict[str, list[int]] = field(default_factory=dict)

    def add(self, op: str, gas: int) -> None:
        self.gas.setdefault(op, []).append(int(gas))

    @property
    def total(self) -> int:
        return sum(sum(v) for k, v in self.gas.items() if not k.startswith("_"))


def _gas(fn, *args, sender, value: int = 0) -> int:
    """Send a transaction quietly; returns its gas.

    brownie 1.22 sometimes declares a transaction anvil has mined "dropped" (it checks the sender's
    nonce before the receipt is indexed): then the receipt is read from the node."""
    from brownie import web3
    from brownie.exceptions import TransactionError

    try:
        return fn(*args, {"from": sender, "value": value}, silent=True).gas_used
    except TransactionError as exc:
        if "dropped" not in str(exc):
            raise
        receipt = web3.eth.wait_for_transaction_receipt(str(exc).rsplit(" ", 1)[-1])
        if receipt["status"] != 1:
            raise
        return receipt["gasUsed"]


def _fund(n: int) -> list:
    from brownie import accounts

    deployer = accounts[0]
    while len(accounts) < n + 1:
        accounts.add()
    for a in accounts[1:n + 1]:
        if a.balance() < 10**17:
            deployer.transfer(a, 10**17, silent=True)
    return list(accounts[1:n + 1])


def _create(market, organizer, run: Run, test_salt: bytes) -> tuple[int, int]:
    start = now()
    params = CompetitionParams.starting(
        start, submission_s=WINDOW, reveal_s=WINDOW, evaluation_s=WINDOW, dataCid=DATA_CID, target="close",
        sequenceLength=52, horizon=1, metric=0, higherIsBetter=False, minScore=10**12, prizeBps=(5000, 3000, 2000),
        entryDeposit=run.deposit, testCommitment=test_set_commitment(TEST_CID, test_salt))
    run.add("create", _gas(market.createCompetition, params.as_tuple(), sender=organizer, value=10**18))
    return int(market.competitionCount()), start


def _enter(market, comp: int, people: list, run: Run) -> list:
    from brownie import web3

    subs = []
    for i, a in enumerate(people):
        sha, salt = bytes(web3.keccak(text=f"m{comp}-{i}")), os.urandom(32)
        commitment = model_commitment(MODEL_CID, sha, salt, a.address, comp, market.address)
        run.add("commit", _gas(market.commit, comp, commitment, sender=a, value=run.deposit))
        subs.append((a, sha, salt))
    return subs


def _reveal_all(market, comp: int, subs: list, run: Run, start: int) -> None:
    mine_at(start + WINDOW + 1)
    for a, sha, salt in subs:
        run.add("reveal", _gas(market.reveal, comp, MODEL_CID, sha, salt, sender=a))


def _score_all(market, organizer, comp: int, people: list, run: Run, start: int, test_salt: bytes,
               batch: int, scores=None) -> None:
    mine_at(start + 2 * WINDOW + 1)
    run.add("revealTestSet", _gas(market.revealTestSet, comp, TEST_CID, ZERO32, 0, test_salt, sender=organizer))
    if scores is None:  # a random order (seeded: the figures repeat), lower is better
        scores = random.Random(len(people)).sample(range(10**9, 10**9 + 1000 * len(people), 1000), len(people))
    for b in range(0, len(people), batch):
        chunk = people[b:b + batch]
        gas = _gas(market.postScores, comp, chunk, scores[b:b + batch], sender=organizer)
        run.add("postScores", gas)
        run.add("_score per entry", gas // len(chunk))


def _pay_out(market, comp: int, people: list, run: Run) -> None:
    winners = {r["participant"] for r in market.ranking(comp)}
    for a in people:
        if a.address in winners:
            run.add("withdraw (winner)", _gas(market.withdraw, sender=a))
        elif run.deposit:
            run.add("claimAndWithdraw", _gas(market.claimAndWithdraw, comp, sender=a))


def lifecycle(market, organizer, people: list, deposit: int, *, batch: int = 100) -> Run:
    """One whole competition (see the module's doc); returns its gas by operation."""
    run, test_salt = Run(len(people), deposit), os.urandom(32)
    comp, start = _create(market, organizer, run, test_salt)
    subs = _enter(market, comp, people, run)
    _reveal_all(market, comp, subs, run, start)
    _score_all(market, organizer, comp, people, run, start, test_salt, batch)
    run.add("finalize", _gas(market.finalize, comp, sender=organizer))
    _pay_out(market, comp, people, run)
    return run


def _other_outcomes(market, organizer, people: list) -> list:
    """A later create, replacing a commitment, scores in the worst order, the fallback (settle, claim),
    a pending refund (claimRefund), withdrawTo."""
    rows = []
    # the worst order for the ranking: every score is the best so far, so each shifts the top 3
    run, salt = Run(10, 0), os.urandom(32)
    comp, start = _create(market, organizer, run, salt)
    rows.append(("create (a later competition)", run.gas["create"][0], "create"))
    subs = _enter(market, comp, people[:20], run)
    _reveal_all(market, comp, subs, run, start)
    _score_all(market, organizer, comp, people[:20], run, start, salt, 10,
               scores=[10**9 - 1000 * i for i in range(20)])
    rows.append(("postScores / entry (batch of 10, 2nd batch, each the best so far)", run.gas["_score per entry"][1],
                 "postScores / entry (batch of 10)"))
    # fallback: nobody scored; the first claims to its balance, the second claims and withdraws
    run, salt = Run(2, DEPOSIT), os.urandom(32)
    comp, start = _create(market, organizer, run, salt)
    subs = _enter(market, comp, people[:2], run)
    a, sha, s = subs[0]
    again = _gas(market.commit, comp, model_commitment(MODEL_CID, sha, s, a.address, comp, market.address), sender=a)
    rows.append(("commit (replacing one's own)", again, "commit"))
    _reveal_all(market, comp, subs, run, start)
    mine_at(start + 3 * WINDOW)
    rows.append(("settleWithoutEvaluation (fallback, 2 entries)",
                 _gas(market.settleWithoutEvaluation, comp, sender=organizer), None))
    rows.append(("claim (fallback share + deposit, to the balance)",
                 _gas(market.claim, comp, people[0], sender=people[0]), None))
    rows.append(("claimAndWithdraw (fallback share + deposit)", _gas(market.claimAndWithdraw, comp, sender=people[1]),
                 None))
    rows.append(("withdrawTo", _gas(market.withdrawTo, people[2], sender=people[0]), None))
    # refund pending: both entries failed
    run = Run(2, DEPOSIT)
    comp, start = _create(market, organizer, run, salt)
    subs = _enter(market, comp, people[:2], run)
    _reveal_all(market, comp, subs, run, start)
    _score_all(market, organizer, comp, people[:2], run, start, salt, 10, scores=[failure_score(False)] * 2)
    rows.append(("finalize (nobody ranked: refund pending)", _gas(market.finalize, comp, sender=organizer), None))
    rows.append(("claim (a failed entry's deposit, refund outcome)", _gas(market.claim, comp, people[0], sender=people[0]),
                 None))
    mine_at(int(market.competition(comp)["evaluationEnd"]) + int(market.CHALLENGE_PERIOD()))
    rows.append(("claimRefund", _gas(market.claimRefund, comp, sender=organizer), None))
    return rows


def _operation_rows(run: Run) -> list:
    g, n = run.gas, run.n
    per_entry = g["_score per entry"]
    typical = g["commit"][-1] + g["reveal"][-1] + per_entry[-1] + g["claimAndWithdraw"][-1]
    return [
        ("create (1st competition of the market)", g["create"][0], "create"),
        ("commit (1st submission, with deposit)", g["commit"][0], "commit"),
        (f"commit ({n}th submission)", g["commit"][-1], "commit"),
        ("reveal (1st submission)", g["reveal"][0], "reveal"),
        (f"reveal ({n}th submission)", g["reveal"][-1], "reveal"),
        ("revealTestSet", g["revealTestSet"][0], None),
        ("postScores / entry (batch of 10, 1st batch)", per_entry[0], "postScores / entry (batch of 10)"),
        (f"postScores / entry (batch of 10, {len(per_entry)}th batch)", per_entry[-1],
         "postScores / entry (batch of 10)"),
        ("finalize (3 winners, prize + deposit each)", g["finalize"][0], None),
        ("withdraw (a winner)", g["withdraw (winner)"][0], None),
        ("claimAndWithdraw (a deposit back)", g["claimAndWithdraw"][-1], None),
        ("one participant: commit + reveal + score + claimAndWithdraw", typical, "one participant"),
    ]


def _print_operations(rows: list) -> bool:
    print(f"\n{'operation':<62} {'gas':>9} {'target':>9}  ok")
    ok_all = True
    for name, gas, key in rows:
        target = TARGETS.get(key)
        ok = target is None or gas <= target
        ok_all &= ok
        shown = "" if target is None else f"{target:,}"
        print(f"{name:<62} {gas:>9,} {shown:>9}  {'' if target is None else ('yes' if ok else 'NO')}")
    return ok_all


def _print_lifecycles(runs: list[Run]) -> None:
    print(f"\n{'whole competition':<30} {'total gas':>12} {'per participant':>16} {'participant side':>17}")
    for r in runs:
        mine = ("commit", "reveal", "withdraw (winner)", "claimAndWithdraw")
        side = sum(sum(r.gas.get(k, [])) for k in mine) // r.n
        label = f"{r.n} participant{'s' * (r.n > 1)}, {'deposit' if r.deposit else 'no deposit'}"
        print(f"{label:<30} {r.total:>12,} {r.total // r.n:>16,} {side:>17,}")


def gas_report(n: int = 200) -> list:
    """Deploy a market; print and return the gas of each operation (at ``n`` submissions, with a deposit)
    and of whole competitions of 1, 10 and 100 participants with and without a deposit."""
    from brownie import accounts

    organizer = accounts[0]
    market = deploy_market(organizer)
    people = _fund(max(n, *SIZES, 3))
    main = lifecycle(market, organizer, people[:n], DEPOSIT, batch=10)
    rows = [("deploy", market.tx.gas_used, None)] + _operation_rows(main) + _other_outcomes(market, organizer, people)
    ok = _print_operations(rows)
    runs = [lifecycle(market, organizer, people[:size], deposit) for size in SIZES for deposit in (0, DEPOSIT)]
    _print_lifecycles(runs)
    rows += [(f"whole competition / participant ({r.n}, {'deposit' if r.deposit else 'no deposit'})",
              r.total // r.n, None) for r in runs]
    print("\nall targets met" if ok else "\nSOME TARGETS MISSED")
    return rows
