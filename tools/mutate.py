#!/usr/bin/env python3
"""Mutation testing of contracts/ForecastMarket.sol.

For each mutant below (a small, deliberate bug of a kind that matters: a flipped or off-by-one
comparison, a deadline, a removed check or guard, an effect moved after the transfer, broken
accounting, a missing event, a changed constant) this writes the mutated contract in place, runs
a fast kill suite and records who killed it:

  1. forge: the Solidity fuzz and invariant tests in test/foundry/ (`--fail-fast`, their own
     out/cache folders under build/mutate/, persisted failures in a temporary folder);
  2. only if forge did not kill it: `brownie test tests/contract -x -k 'not stateful'`, on its
     own anvil inside a private network namespace (`unshare --net`), PATH with .venv/bin.

The original file is ALWAYS restored: in a `finally`, on SIGTERM/SIGINT/SIGHUP, and from a backup
copy (build/mutate/ForecastMarket.sol.orig) that a later run refuses to overwrite. Before each
mutant the file on disk must still be the original (someone else editing it stops the run), and
the restore never overwrites a file that is no longer the mutant this run wrote.

Usage:
  python3 tools/mutate.py                 # every mutant, forge then brownie
  python3 tools/mutate.py --list          # the mutants and whether each still applies
  python3 tools/mutate.py --only NAME...  # some of them
  python3 tools/mutate.py --forge-only    # skip brownie (survivors are reported as such)

Exit status: 0 when every non-equivalent mutant was killed, 1 when some survived, 2 on a usage or
set-up error (a leftover backup, an edited contract, a mutant whose text no longer matches).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import platform
import re
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET = Path("contracts/ForecastMarket.sol")


@dataclass(frozen=True)
class Mutant:
    name: str
    kind: str
    find: str  # exact text in the contract (a regular expression when `regex`)
    replace: str  # the replacement (with \\1... groups when `regex`)
    occurrence: int = 1  # which match of `find` (1-based), when it occurs more than once
    equivalent: str | None = None  # why no test can kill it, if it is an equivalent mutant
    regex: bool = False


MUTANTS: list[Mutant] = [
    # ---------------------------------------------------------------- ranking
    Mutant("rank-cutoff", "comparison off-by-one",
           "if (pos >= k) return filled;", "if (pos > k) return filled;"),
    Mutant("rank-direction", "comparison flipped",
           "return higher ? score > otherScore : score < otherScore;",
           "return higher ? score < otherScore : score < otherScore;"),
    Mutant("rank-tie-order", "comparison off-by-one",
           "return order < _orderOf(other);", "return order <= _orderOf(other);",
           equivalent="commit orders are unique per competition (every commitment takes a new "
                      "one) and each participant is ranked at most once, so two compared ranks "
                      "never share an order: `<` and `<=` agree on every reachable input"),
    Mutant("rank-count", "accounting",
           "return filled < k ? filled + 1 : filled;", "return filled + 1;"),
    Mutant("min-score-inclusive", "comparison off-by-one",
           "if (sc.higher ? score < sc.minScore : score > sc.minScore) return;",
           "if (sc.higher ? score <= sc.minScore : score > sc.minScore) return;"),
    Mutant("failure-sentinel-swapped", "constant",
           "if (score == (sc.higher ? type(int64).min : type(int64).max)) {",
           "if (score == (sc.higher ? type(int64).max : type(int64).min)) {"),
    # ---------------------------------------------------------------- deadlines
    Mutant("commit-deadline", "deadline < -> <=",
           "if (block.timestamp >= c.submissionEnd) revert SubmissionClosed",
           "if (block.timestamp > c.submissionEnd) revert SubmissionClosed"),
    Mutant("reveal-opens", "deadline < -> <=",
           "if (block.timestamp < c.submissionEnd) revert RevealNotOpen",
           "if (block.timestamp <= c.submissionEnd) revert RevealNotOpen"),
    Mutant("reveal-deadline", "deadline < -> <=",
           "if (block.timestamp >= c.revealEnd) revert RevealClosed",
           "if (block.timestamp > c.revealEnd) revert RevealClosed"),
    Mutant("test-set-opens", "deadline < -> <=",
           "if (block.timestamp < c.revealEnd) revert TestSetRevealNotOpen",
           "if (block.timestamp <= c.revealEnd) revert TestSetRevealNotOpen"),
    Mutant("evaluation-deadline", "deadline < -> <=",
           "if (block.timestamp >= c.evaluationEnd) revert EvaluationClosed(id, c.evaluationEnd);",
           "if (block.timestamp > c.evaluationEnd) revert EvaluationClosed(id, c.evaluationEnd);",
           occurrence=2),
    Mutant("settle-opens", "deadline < -> <=",
           "if (block.timestamp < c.evaluationEnd) revert EvaluationStillOpen",
           "if (block.timestamp <= c.evaluationEnd) revert EvaluationStillOpen"),
    Mutant("refund-opens", "deadline < -> <=",
           "if (block.timestamp < refundableAt) revert", "if (block.timestamp <= refundableAt) revert"),
    Mutant("min-window-inclusive", "deadline < -> <=",
           "rev < sub + MIN_WINDOW ||", "rev <= sub + MIN_WINDOW ||"),
    # ---------------------------------------------------------------- constants
    Mutant("challenge-period", "constant",
           "CHALLENGE_PERIOD = 3 days;", "CHALLENGE_PERIOD = 2 days;"),
    Mutant("max-window", "constant", "MAX_WINDOW = 90 days;", "MAX_WINDOW = 91 days;"),
    Mutant("min-window", "constant", "MIN_WINDOW = 1 hours;", "MIN_WINDOW = 59 minutes;"),
    # ---------------------------------------------------------------- guards and checks
    Mutant("withdraw-no-guard", "removed nonReentrant",
           "function withdraw() external nonReentrant {", "function withdraw() external {"),
    Mutant("withdrawTo-no-guard", "removed nonReentrant",
           "function withdrawTo(address payable to) external nonReentrant {",
           "function withdrawTo(address payable to) external {"),
    Mutant("claimAndWithdraw-no-guard", "removed nonReentrant",
           "function claimAndWithdraw(uint256 id) external nonReentrant {",
           "function claimAndWithdraw(uint256 id) external {"),
    Mutant("withdraw-effects-after-transfer", "swapped effects and interaction",
           r"(        _balances\[msg\.sender\] = 0;\n        _owed -= uint\d+\(amount\);[^\n]*\n)"
           r"(        emit Withdrawn\(msg\.sender, to, amount\);\n        _send\(to, amount\);\n)",
           r"\2\1", regex=True),
    Mutant("claimAndWithdraw-escrow-after-transfer", "swapped effects and interaction",
           r"(        _escrowed -= uint\d+\(amount\);[^\n]*\n)"
           r"(        emit Credited\(msg\.sender, id, amount, reason\);\n"
           r"        emit Withdrawn\(msg\.sender, msg\.sender, amount\);\n"
           r"        _send\(payable\(msg\.sender\), amount\);\n)",
           r"\2\1", regex=True),
    Mutant("test-set-twice", "removed revert",
           "if (c.testRevealed) revert TestSetAlreadyRevealed(id);", ""),
    Mutant("scores-by-anyone", "removed revert",
           "if (msg.sender != c.organizer) revert NotOrganizer(id, msg.sender);", "", occurrence=3),
    Mutant("finalize-incomplete", "removed revert",
           "if (c.scoredCount != c.revealCount) revert ScoringIncomplete(id, c.scoredCount, c.revealCount);", ""),
    Mutant("cancel-after-commit", "removed revert",
           "if (c.participants != 0) revert HasCommitments(id, c.participants);", ""),
    Mutant("wrong-deposit-accepted", "removed revert",
           "if (msg.value != c.entryDeposit) revert WrongDeposit(c.entryDeposit, msg.value);", ""),
    Mutant("withdraw-to-zero", "removed revert",
           "if (to == address(0)) revert WithdrawToZeroAddress();", ""),
    Mutant("scores-without-test-set", "removed revert",
           "if (!c.testRevealed) revert TestSetNotRevealed(id);", ""),
    # ---------------------------------------------------------------- accounting
    Mutant("deposit-escrow-sign", "+= -> -=",
           r"if \(msg\.value != 0\) _escrowed \+= (uint\d+)\(msg\.value\);",
           r"if (msg.value != 0) _escrowed -= \1(msg.value);", regex=True),
    Mutant("credit-overwrites", "+= -> =",
           "_balances[account] += amount;", "_balances[account] = amount;"),
    Mutant("scored-count", "+= -> -=",
           "c.scoredCount += uint32(participants.length);", "c.scoredCount -= uint32(participants.length);"),
    Mutant("failed-deposits-not-forfeited", "accounting",
           "uint256(c.participants - c.revealCount + c.failedCount) * deposit;",
           "uint256(c.participants - c.revealCount) * deposit;"),
    Mutant("failed-deposits-to-organizer", "accounting",
           "return uint256(c.reward) + uint256(c.participants - c.revealCount) * c.entryDeposit;",
           "return uint256(c.reward) + uint256(c.participants - c.revealCount + c.failedCount) * c.entryDeposit;"),
    Mutant("fallback-counts-failed", "accounting",
           "uint32 eligible = c.revealCount - c.failedCount;\n        uint256 pool",
           "uint32 eligible = c.revealCount;\n        uint256 pool"),
    Mutant("no-renormalisation", "accounting",
           "for (uint256 i; i < winners; ++i) filledBps += c.prizeBps[i];",
           "for (uint256 i; i < c.prizeCount; ++i) filledBps += c.prizeBps[i];"),
    Mutant("claim-twice", "removed effect",
           "        if (amount == 0) revert NothingToClaim(id, participant);\n        s.status = Status.Claimed;",
           "        if (amount == 0) revert NothingToClaim(id, participant);"),
    Mutant("failed-claims-when-finalized", "removed condition",
           "(status == Status.Failed && outcome == Phase.Refunded)", "(status == Status.Failed)"),
    Mutant("refund-twice", "removed effect", "        c.refundPending = false;\n", ""),
    Mutant("refund-at-once-with-reveals", "comparison off-by-one",
           "if (c.revealCount == 0) {", "if (c.revealCount <= 1) {"),
    # ---------------------------------------------------------------- events
    Mutant("no-credited-event", "removed event emission",
           "        emit Credited(account, id, amount, reason);\n", ""),
    Mutant("fallback-share-as-deposit", "wrong credit reason",
           "reason = CreditReason.FallbackShare;", "reason = CreditReason.Deposit;"),
    Mutant("prize-as-deposit", "wrong credit reason",
           "_credit(winner, id, amount, CreditReason.Prize);", "_credit(winner, id, amount, CreditReason.Deposit);"),
    Mutant("cancellation-as-refund", "wrong credit reason",
           "_release(id, c.organizer, c.reward, CreditReason.Cancellation);",
           "_release(id, c.organizer, c.reward, CreditReason.Refund);"),
    Mutant("remainder-as-refund", "wrong credit reason",
           "CreditReason.FallbackRemainder);", "CreditReason.Refund);"),
    Mutant("no-score-event", "removed event emission",
           "        emit ScorePosted(id, who, score);\n", "", occurrence=2),
    Mutant("no-committed-event", "removed event emission",
           "        emit Committed(id, msg.sender, seal, order);\n", ""),
]


# ------------------------------------------------------------------------------ the kill suite

def _run(cmd: list[str], cwd: Path, env: dict, timeout: int) -> tuple[int | None, str]:
    """Run `cmd` in its own process group; on a timeout or an interrupt, kill that group (so no
    anvil or forge of ours is left behind). Returns (exit code or None on timeout, output)."""
    p = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         text=True, start_new_session=True)
    try:
        out, _ = p.communicate(timeout=timeout)
        return p.returncode, out
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        p.communicate()
        return None, ""
    except BaseException:
        os.killpg(p.pid, signal.SIGKILL)
        p.communicate()
        raise


def _forge_binary() -> Path:
    arch = {"x86_64": "amd64", "aarch64": "arm64"}.get(platform.machine(), platform.machine())
    return ROOT / f"node_modules/@foundry-rs/forge-linux-{arch}/bin/forge"


def _solc() -> Path:
    return Path(os.environ.get("SOLCX_BINARY_PATH", Path.home() / ".solcx")) / "solc-v0.8.28"


def run_forge(root: Path, scratch: Path, timeout: int) -> tuple[str, str]:
    """('killed' | 'survived' | 'stillborn', a one-line reason)."""
    env = dict(os.environ)
    env.update({
        "FOUNDRY_CONFIG": str(root / "test/foundry/foundry.toml"),
        "FOUNDRY_OUT": str(root / "build/mutate/forge"),
        "FOUNDRY_CACHE_PATH": str(root / "build/mutate/forge-cache"),
        # a mutant's counterexamples must not be replayed against the next one
        "FOUNDRY_FUZZ_FAILURE_PERSIST_DIR": str(scratch / "fuzz"),
        "FOUNDRY_INVARIANT_FAILURE_PERSIST_DIR": str(scratch / "invariant"),
    })
    cmd = [str(_forge_binary()), "test", "--offline", "--use", str(_solc()), "--fail-fast"]
    code, out = _run(cmd, root, env, timeout)
    if code is None:
        return "killed", f"forge timed out after {timeout} s"
    if "Compiler run failed" in out or "Compilation failed" in out:
        return "stillborn", "does not compile"
    if code == 0:
        return "survived", ""
    for line in out.splitlines():
        if line.startswith("[FAIL"):
            return "killed", line.split("]")[0][1:][:110]
    return "killed", f"forge exit {code}"


def run_brownie(root: Path, timeout: int) -> tuple[str, str]:
    venv_bin = root / ".venv/bin"
    inner = "ip link set lo up; exec brownie test tests/contract -x -k 'not stateful'"
    env = dict(os.environ)
    env["PATH"] = f"{venv_bin}:{env.get('PATH', '')}"
    code, out = _run(["unshare", "--net", "bash", "-c", inner], root, env, timeout)
    if code is None:
        return "killed", f"brownie timed out after {timeout} s"
    summary = next((ln.strip("= ") for ln in reversed(out.splitlines()) if " passed" in ln or " failed" in ln), "")
    if code == 0:
        return "survived", summary
    if code == 5:
        raise SystemExit("error: brownie collected no tests; check the command in run_brownie")
    if "CompilerError" in out or "Compiler run failed" in out:
        return "stillborn", "does not compile"
    for line in out.splitlines():
        if line.startswith("FAILED "):
            return "killed", line[7:].split(" - ")[0][:110]
    return "killed", f"brownie exit {code}"


# ------------------------------------------------------------------------------ the file

def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _match(source: str, m: Mutant) -> tuple[int, int, str] | None:
    """(start, end, replacement) of the `m.occurrence`-th match of `m.find`, or None."""
    if m.regex:
        found = list(re.finditer(m.find, source))
        if len(found) < m.occurrence:
            return None
        hit = found[m.occurrence - 1]
        return hit.start(), hit.end(), hit.expand(m.replace)
    start = -1
    for _ in range(m.occurrence):
        start = source.find(m.find, start + 1)
        if start < 0:
            return None
    return start, start + len(m.find), m.replace


def apply(source: str, m: Mutant) -> str | None:
    """The mutated source, or None when `m.find` has no `m.occurrence`-th match."""
    hit = _match(source, m)
    if hit is None:
        return None
    start, end, replacement = hit
    mutated = source[:start] + replacement + source[end:]
    return None if mutated == source else mutated


def line_of(source: str, m: Mutant) -> int:
    hit = _match(source, m)
    return 0 if hit is None else source.count("\n", 0, hit[0]) + 1


class Guard:
    """Owns the target file during the run: writes mutants, always puts the original back."""

    def __init__(self, root: Path):
        self.path = root / TARGET
        self.backup = root / "build/mutate" / (TARGET.name + ".orig")
        self.original = self.path.read_bytes()
        self.written: bytes | None = None  # the mutant currently on disk, if any

    def __enter__(self) -> Guard:
        if self.backup.exists():
            raise SystemExit(
                f"error: {self.backup} exists: an earlier run did not finish cleanly. Check that "
                f"{TARGET} is the version you want (restore it from the backup if it is a mutant), "
                f"then delete the backup and run again.")
        self.backup.parent.mkdir(parents=True, exist_ok=True)
        self.backup.write_bytes(self.original)
        for sig in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
            signal.signal(sig, self._on_signal)
        return self

    def _on_signal(self, signum, _frame):
        raise KeyboardInterrupt(f"signal {signum}")

    def write(self, source: str) -> None:
        current = self.path.read_bytes()
        if current != self.original:
            raise SystemExit(f"error: {TARGET} changed on disk during the run (someone is editing it); stopping")
        data = source.encode()
        self.path.write_bytes(data)
        self.written = data

    def restore(self) -> None:
        if self.written is None:
            return
        current = self.path.read_bytes()
        if current == self.written:
            self.path.write_bytes(self.original)
        elif current != self.original:
            print(f"warning: {TARGET} was changed by someone else while a mutant was on disk; "
                  f"left as is (the original is in {self.backup})", file=sys.stderr)
            self.written = None
            return
        self.written = None
        if _sha(self.path.read_bytes()) != _sha(self.original):
            raise SystemExit(f"error: could not restore {TARGET}; the original is in {self.backup}")

    def __exit__(self, *exc) -> None:
        self.restore()
        if self.written is None and self.path.read_bytes() == self.original:
            self.backup.unlink(missing_ok=True)
        for sig in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
            signal.signal(sig, signal.SIG_DFL)


# ------------------------------------------------------------------------------ main

def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--list", action="store_true", help="list the mutants and exit")
    ap.add_argument("--only", nargs="+", metavar="NAME", help="run only these mutants")
    ap.add_argument("--forge-only", action="store_true", help="do not run brownie on forge's survivors")
    ap.add_argument("--root", type=Path, default=ROOT,
                    help="project folder to mutate (default: this checkout; a copy works too)")
    ap.add_argument("--forge-timeout", type=int, default=600)
    ap.add_argument("--brownie-timeout", type=int, default=1200)
    args = ap.parse_args(argv)
    root = args.root.resolve()
    source = (root / TARGET).read_text()

    chosen = MUTANTS
    if args.only:
        unknown = set(args.only) - {m.name for m in MUTANTS}
        if unknown:
            ap.error(f"unknown mutant(s): {', '.join(sorted(unknown))}")
        chosen = [m for m in MUTANTS if m.name in args.only]
    missing = [m.name for m in chosen if apply(source, m) is None]
    if args.list:
        for m in MUTANTS:
            where = "NOT FOUND" if apply(source, m) is None else f"line {line_of(source, m)}"
            print(f"{m.name:40} {m.kind:34} {where}{'  (equivalent)' if m.equivalent else ''}")
        return 0
    if missing:
        print(f"error: these mutants no longer match {TARGET}: {', '.join(missing)}; update MUTANTS",
              file=sys.stderr)
        return 2
    if not _forge_binary().is_file():
        print(f"error: no forge at {_forge_binary()}; run tools/setup.sh", file=sys.stderr)
        return 2

    # the unmutated contract must pass the kill suite, or nothing below means anything
    results: list[tuple[Mutant, int, str, str]] = []
    started = time.time()
    with tempfile.TemporaryDirectory(prefix="mutate-") as scratch_dir, Guard(root) as guard:
        scratch = Path(scratch_dir)
        verdict, why = run_forge(root, scratch / "baseline", args.forge_timeout)
        if verdict != "survived":
            print(f"error: forge fails on the unmutated contract ({why}); fix that first", file=sys.stderr)
            return 2
        for i, m in enumerate(chosen, 1):
            line = line_of(source, m)
            t0 = time.time()
            try:
                guard.write(apply(source, m))
                verdict, why = run_forge(root, scratch / m.name, args.forge_timeout)
                by = "forge"
                if verdict == "survived" and not args.forge_only:
                    verdict, why = run_brownie(root, args.brownie_timeout)
                    by = "brownie"
            finally:
                guard.restore()
            status = {"killed": f"killed by {by}", "stillborn": "STILLBORN",
                      "survived": "SURVIVED" if not args.forge_only else "survived forge"}[verdict]
            results.append((m, line, status, why))
            print(f"[{i}/{len(chosen)}] {m.name}: {status} {why} ({time.time() - t0:.0f} s)", flush=True)

    _report(results, time.time() - started)
    return 0 if all(s.startswith("killed") or m.equivalent or s == "STILLBORN" for m, _, s, _ in results) else 1


def _report(results: list[tuple[Mutant, int, str, str]], seconds: float) -> None:
    print()
    print(f"{'mutant':40} {'kind':34} {'location':>18}  result")
    print("-" * 120)
    for m, line, status, why in results:
        shown = status + (f" ({why})" if why else "")
        if m.equivalent and not status.startswith("killed"):
            shown = "equivalent (survived)"
        print(f"{m.name:40} {m.kind:34} {f'{TARGET.name}:{line}':>18}  {shown}")
    counted = [r for r in results if r[2] != "STILLBORN" and not (r[0].equivalent and not r[2].startswith("killed"))]
    killed = sum(1 for r in counted if r[2].startswith("killed"))
    by_forge = sum(1 for r in counted if r[2] == "killed by forge")
    print("-" * 120)
    print(f"kill rate: {killed}/{len(counted)} = {100 * killed / max(len(counted), 1):.0f}% of the non-equivalent "
          f"mutants ({by_forge} by forge, {killed - by_forge} by brownie); {seconds:.0f} s")
    stillborn = [r[0].name for r in results if r[2] == "STILLBORN"]
    if stillborn:
        print(f"stillborn (do not compile, not counted): {', '.join(stillborn)}")
    equivalents = [r for r in results if r[0].equivalent]
    if equivalents:
        print("equivalent mutants (behaviour identical; not counted when they survive):")
        for m, _, status, _ in equivalents:
            note = "" if not status.startswith("killed") else "  [KILLED: so it is not equivalent after all]"
            print(f"  - {m.name}: {m.equivalent}{note}")
    survivors = [r[0].name for r in counted if not r[2].startswith("killed")]
    if survivors:
        print(f"SURVIVED: {', '.join(survivors)}")


if __name__ == "__main__":
    sys.exit(main())
