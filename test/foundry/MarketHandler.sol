// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IForecastMarket} from "../../interfaces/IForecastMarket.sol";
import {Harness, Vm} from "./utils/Harness.sol";
import {Entry, Reference} from "./utils/Reference.sol";

/// @dev An actor that is a contract: from its receive hook it tries to re-enter {withdraw}
/// (which the reentrancy guard must refuse) and, when armed, claims a payout into its own
/// balance while the market is still sending it ether (which must not be lost).
contract Reenterer {
    IForecastMarket public immutable market;
    uint256 public reentries;
    bool public reentrySucceeded;
    bytes4 public lastReentryError;
    uint256 public claimId; // nonzero: claim(claimId, this) from the next receive
    // What the market's books said while it was sending ether here: every effect must come
    // before the transfer, so that held == escrowed + owed already holds.
    uint256 public seenHeld;
    uint256 public seenEscrowed;
    uint256 public seenOwed;
    bool public claimed;
    bytes public claimError; // revert data of a failed claim

    constructor(IForecastMarket market_) {
        market = market_;
    }

    /// @dev Arm (id != 0) or disarm (0) the claim from the next receive.
    function armClaim(uint256 id) external {
        claimId = id;
        if (id != 0) claimed = false;
    }

    receive() external payable {
        ++reentries;
        seenHeld = address(market).balance;
        (seenEscrowed, seenOwed) = market.totals();
        (bool ok, bytes memory ret) = address(market).call(abi.encodeCall(IForecastMarket.withdraw, ()));
        if (ok) reentrySucceeded = true;
        else lastReentryError = bytes4(ret);
        uint256 id = claimId;
        if (id != 0) {
            claimId = 0;
            (claimed, claimError) = address(market).call(abi.encodeCall(IForecastMarket.claim, (id, address(this))));
        }
    }
}

/// @dev A recipient that refuses ether: {withdrawTo} it must fail and change nothing.
contract Rejecter {
    receive() external payable {
        revert("no thanks");
    }
}

/// @dev Drives one ForecastMarket through random actions and keeps a reference model of it
/// (written from the money rules in IForecastMarket, not from the contract's code). Every
/// action predicts success or the exact custom error before calling the market, then checks
/// the outcome and the wei moved; a wrong prediction reverts, which fails the run
/// (`fail_on_revert = true`). The `check*` views are the invariants the test contract asserts.
contract MarketHandler is Harness {
    using Reference for Entry[];

    IForecastMarket public immutable market;
    Reenterer public immutable reenterer;
    Rejecter public immutable rejecter;
    address public constant SINK = address(0x5157); // a plain recipient for withdrawTo

    uint256 internal constant MAX_COMPS = 10; // per run
    uint256 internal constant MAX_RUNNING = 3; // at a time
    uint256 internal constant N_ACTORS = 5;
    uint64 internal constant MIN_WINDOW = 1 hours;
    uint64 internal constant MAX_WINDOW = 90 days;
    uint64 internal constant CHALLENGE_PERIOD = 3 days;
    bytes4 internal constant OK = bytes4(0);

    struct MComp {
        address organizer;
        uint128 reward;
        uint72 deposit;
        uint8 k;
        bool higher;
        int64 minScore;
        uint16[3] bps;
        uint64 subEnd;
        uint64 revEnd;
        uint64 evEnd;
        bytes32 testSalt;
        bool testRevealed;
        uint32 participants;
        uint32 orderCount;
        uint32 revealCount;
        uint32 scoredCount;
        uint32 failedCount;
        IForecastMarket.Phase outcome;
        bool refundPending;
        uint256 refund; // the organizer's pending refund
        uint256 share; // Fallback: each eligible entry's share of the pool
        uint256 escrow; // wei this competition still holds, by the model
        bytes32 snapshot; // market state at settlement
    }

    /// @dev Where an action aims (most of the time) so that it can succeed.
    enum Aim {
        Submission,
        Reveal,
        TestSet,
        Scoring,
        Finalize,
        Expired
    }

    /// @dev An event, as emitted (topics and data) or as the model expects it.
    struct Event {
        bytes32[] topics;
        bytes data;
    }

    struct MSub {
        IForecastMarket.Status status;
        uint32 order;
        bytes32 salt;
    }

    address[N_ACTORS] public actors;
    uint256 public count; // competitions created
    uint256 public now_; // the clock (re-applied with vm.warp at every call)
    uint256 public ghostIn; // wei sent into the market
    uint256 public ghostOut; // wei the market paid out
    mapping(uint256 id => MComp) internal comps;
    mapping(uint256 id => mapping(address => MSub)) internal subs;
    mapping(uint256 id => Entry[]) internal qualified; // posted scores that met the minimum
    mapping(address => uint256) public modelBalance;
    mapping(bytes32 action => uint256) public successes; // coverage, logged by afterInvariant
    mapping(bytes32 action => mapping(bytes4 error => uint256)) public outcomes; // every call, by predicted result
    Event[] internal emitted; // the market's events during the current action
    Event[] internal expected; // the events the model expects from it

    constructor(IForecastMarket market_) {
        market = market_;
        reenterer = new Reenterer(market_);
        rejecter = new Rejecter();
        for (uint256 i; i < N_ACTORS - 1; ++i) actors[i] = address(uint160(0xA000 + i));
        actors[N_ACTORS - 1] = address(reenterer);
        now_ = 1_700_000_000;
        vm.warp(now_);
    }

    /// @dev Re-applies the clock, which now and then moves on by up to half an hour (blocks
    /// pass between transactions); when no competition is running, usually starts one instead
    /// of the action (otherwise most calls of a run would hit unknown or settled competitions).
    modifier tick(uint256 seed) {
        if (pick(seed, "time passes", 4) == 0) now_ += 1 + pick(seed, "dt", 20 minutes);
        vm.warp(now_);
        uint256 running = _running();
        if (count < MAX_COMPS && ((running == 0 && pick(seed, "spawn", 4) != 0) || (running < MAX_RUNNING && pick(seed, "spawn", 12) == 0))) {
            _create(seed);
        }
        else _;
        _checkEvents();
    }

    function _running() internal view returns (uint256 n) {
        for (uint256 id = 1; id <= count; ++id) if (comps[id].outcome == IForecastMarket.Phase.None) ++n;
    }

    /// @dev The actions the fuzzer calls (see targetSelectors in the test), each listed as many
    /// times as its weight: forge picks uniformly from this list, and a competition needs
    /// several commits, reveals and scores to get anywhere interesting.
    function selectors() external pure returns (bytes4[] memory s) {
        bytes4[15] memory actions = [
            this.progress.selector,
            this.create.selector,
            this.cancel.selector,
            this.commit.selector,
            this.reveal.selector,
            this.revealTestSet.selector,
            this.postScores.selector,
            this.finalize.selector,
            this.settleWithoutEvaluation.selector,
            this.claim.selector,
            this.claimAndWithdraw.selector,
            this.claimRefund.selector,
            this.withdraw.selector,
            this.withdrawTo.selector,
            this.warp.selector
        ];
        uint8[15] memory weights = [16, 2, 1, 3, 3, 2, 3, 2, 2, 3, 2, 2, 3, 2, 6];
        uint256 n;
        for (uint256 i; i < 15; ++i) n += weights[i];
        s = new bytes4[](n);
        n = 0;
        for (uint256 i; i < 15; ++i) for (uint256 j; j < weights[i]; ++j) s[n++] = actions[i];
    }

    /// @dev The keys of `successes`: what a run can reach.
    function outcomeNames() external pure returns (string[19] memory) {
        return [
            "create", "cancel", "commit", "reveal", "revealTestSet", "postScores", "finalize",
            "finalized: 1 winner", "finalized: 2+ winners", "refund pending", "settle: by ranking",
            "settle: fallback", "claim", "claimAndWithdraw", "claimRefund", "withdraw",
            "withdraw: claim re-entered", "withdrawTo", "warp"
        ];
    }

    // ============================================================== actions: the natural next step

    /// @dev A running competition takes the step its phase calls for (commits, reveals, the
    /// test set, scores, finalize, settle), so that runs reach settlement often; the other
    /// actions aim less and try the wrong moment, the wrong caller and the wrong values too.
    function progress(uint256 seed) external tick(seed) {
        uint256 id = _progressTarget(seed);
        if (id == 0) {
            _create(seed);
            return;
        }
        MComp storage c = comps[id];
        IForecastMarket.Phase ph = _phase(id);
        uint256 n = 1 + pick(seed, "n", 4);
        if (ph == IForecastMarket.Phase.Submission) {
            for (uint256 i; i < n; ++i) _commitOne(uint256(keccak256(abi.encode(seed, i))), id);
        } else if (ph == IForecastMarket.Phase.Reveal) {
            for (uint256 i; i < n; ++i) _revealOne(uint256(keccak256(abi.encode(seed, i))), id);
        } else if (ph == IForecastMarket.Phase.Evaluation) {
            if (!c.testRevealed) _revealTestSet(seed, id);
            else if (c.scoredCount < c.revealCount) _postScores(seed, id);
            else _finalize(seed, id);
        } else if (ph == IForecastMarket.Phase.Expired) {
            _settle(seed, id);
        } else if (c.refundPending) {
            // wait out the challenge period (to its end -1 / 0 / +1 s), then claim
            uint256 at = uint256(c.evEnd) + CHALLENGE_PERIOD - 1 + pick(seed, "offset", 3);
            if (at > now_) {
                now_ = at;
                vm.warp(now_);
            }
            _claimRefund(seed, id);
        } else {
            _claimOne(seed);
        }
    }

    /// @dev A random running competition, else (or now and then) one with a pending refund,
    /// else 0.
    function _progressTarget(uint256 seed) internal view returns (uint256) {
        if (count == 0) return 0;
        if (pick(seed, "refund first", 8) == 0) {
            for (uint256 id = 1; id <= count; ++id) if (comps[id].refundPending) return id;
        }
        uint256 start = pick(seed, "progress", count);
        for (uint256 j; j < count; ++j) {
            uint256 id = 1 + ((start + j) % count);
            if (comps[id].outcome == IForecastMarket.Phase.None) return id;
        }
        for (uint256 id = 1; id <= count; ++id) if (comps[id].refundPending) return id;
        return 0;
    }

    // ============================================================== actions: organizer

    function create(uint256 seed) external tick(seed) {
        _create(seed);
    }

    function _create(uint256 seed) internal {
        address org = _actor(seed, "org");
        uint256 reward = _reward(seed);
        IForecastMarket.CompetitionParams memory p = _params(seed, reward);
        bytes4 want = _expectCreate(p, reward);
        if (want == OK && (count >= MAX_COMPS || _running() >= MAX_RUNNING)) return; // keep the competitions few and busy
        (bool ok, bytes memory ret) = _call(org, reward, abi.encodeCall(IForecastMarket.createCompetition, (p)), want, "createCompetition");
        if (!ok) return;
        uint256 id = abi.decode(ret, (uint256));
        assertEq(id, count + 1, "createCompetition: id");
        count = id;
        MComp storage c = comps[id];
        c.organizer = org;
        c.reward = uint128(reward);
        c.deposit = p.entryDeposit;
        c.k = uint8(p.prizeBps.length);
        c.higher = p.higherIsBetter;
        c.minScore = p.minScore;
        for (uint256 i; i < p.prizeBps.length; ++i) c.bps[i] = p.prizeBps[i];
        c.subEnd = p.submissionEnd;
        c.revEnd = p.revealEnd;
        c.evEnd = p.evaluationEnd;
        c.testSalt = _testSalt(seed);
        c.escrow = reward;
        _expect(IForecastMarket.CompetitionCreated.selector, id, _u(org), abi.encode(reward, p.dataCid, p.submissionEnd, p.revealEnd, p.evaluationEnd));
        ++successes["create"];
    }

    function cancel(uint256 seed) external tick(seed) {
        uint256 id = _id(seed);
        MComp storage c = comps[id];
        // Mostly a stranger: a cancelled competition does nothing more for the run.
        address caller = pick(seed, "stranger", 4) == 0 ? c.organizer : _actor(seed, "caller");
        bytes4 want = _expectRunning(id);
        if (want == OK && caller != c.organizer) want = IForecastMarket.NotOrganizer.selector;
        if (want == OK && c.participants != 0) want = IForecastMarket.HasCommitments.selector;
        (bool ok, ) = _call(caller, 0, abi.encodeCall(IForecastMarket.cancel, (id)), want, "cancel");
        if (!ok) return;
        c.outcome = IForecastMarket.Phase.Cancelled;
        _expect(IForecastMarket.CompetitionCancelled.selector, id, "");
        _credit(id, c.organizer, c.reward, IForecastMarket.CreditReason.Cancellation);
        _checkCompetition(id);
        c.snapshot = _snap(id);
        ++successes["cancel"];
    }

    function revealTestSet(uint256 seed) external tick(seed) {
        _revealTestSet(seed, _idIn(seed, Aim.TestSet));
    }

    function _revealTestSet(uint256 seed, uint256 id) internal {
        MComp storage c = comps[id];
        address caller = pick(seed, "stranger", 8) == 0 ? _actor(seed, "caller") : c.organizer;
        bool wrongSalt = pick(seed, "wrong", 12) == 0;
        bytes32 salt = wrongSalt ? keccak256(abi.encode(c.testSalt)) : c.testSalt;
        bytes4 want = _expectRunning(id);
        if (want == OK && caller != c.organizer) want = IForecastMarket.NotOrganizer.selector;
        if (want == OK && now_ < c.revEnd) want = IForecastMarket.TestSetRevealNotOpen.selector;
        if (want == OK && now_ >= c.evEnd) want = IForecastMarket.EvaluationClosed.selector;
        if (want == OK && c.testRevealed) want = IForecastMarket.TestSetAlreadyRevealed.selector;
        if (want == OK && wrongSalt) want = IForecastMarket.TestSetMismatch.selector;
        (bool ok, ) = _call(caller, 0, abi.encodeCall(IForecastMarket.revealTestSet, (id, _testCid(id), bytes32(0), uint32(0), salt)), want, "revealTestSet");
        if (!ok) return;
        c.testRevealed = true;
        _expect(IForecastMarket.TestSetRevealed.selector, id, abi.encode(_testCid(id)));
        ++successes["revealTestSet"];
    }

    function postScores(uint256 seed) external tick(seed) {
        _postScores(seed, _idIn(seed, Aim.Scoring));
    }

    function _postScores(uint256 seed, uint256 id) internal {
        MComp storage c = comps[id];
        address caller = pick(seed, "stranger", 10) == 0 ? _actor(seed, "caller") : c.organizer;
        (address[] memory who, int64[] memory scores) = _batch(seed, id);
        bytes4 want = _expectRunning(id);
        if (want == OK && caller != c.organizer) want = IForecastMarket.NotOrganizer.selector;
        if (want == OK) want = _expectEvaluationWindow(c);
        if (want == OK && !c.testRevealed) want = IForecastMarket.TestSetNotRevealed.selector;
        if (want == OK && who.length != scores.length) want = IForecastMarket.LengthMismatch.selector;
        if (want == OK) want = _expectBatch(id, who);
        (bool ok, ) = _call(caller, 0, abi.encodeCall(IForecastMarket.postScores, (id, who, scores)), want, "postScores");
        if (!ok) return;
        for (uint256 i; i < who.length; ++i) {
            MSub storage s = subs[id][who[i]];
            _expect(IForecastMarket.ScorePosted.selector, id, _u(who[i]), abi.encode(scores[i]));
            if (scores[i] == Reference.failure(c.higher)) {
                s.status = IForecastMarket.Status.Failed;
                ++c.failedCount;
            } else {
                s.status = IForecastMarket.Status.Scored;
                if (Reference.qualifies(scores[i], c.minScore, c.higher)) {
                    qualified[id].push(Entry(who[i], scores[i], s.order));
                }
            }
        }
        c.scoredCount += uint32(who.length);
        ++successes["postScores"];
    }

    // ============================================================== actions: participants

    /// @dev One to four commitments.
    function commit(uint256 seed) external tick(seed) {
        uint256 n = 1 + pick(seed, "n", 4);
        for (uint256 i; i < n; ++i) {
            uint256 s = uint256(keccak256(abi.encode(seed, i)));
            _commitOne(s, _idIn(s, Aim.Submission));
        }
    }

    function _commitOne(uint256 seed, uint256 id) internal {
        address who = _actor(seed, "who");
        MComp storage c = comps[id];
        MSub storage s = subs[id][who];
        bool first = s.status == IForecastMarket.Status.None;
        uint256 value = _commitValue(seed, first, c.deposit);
        bytes32 salt = keccak256(abi.encode(seed, id, who, c.orderCount, "salt"));
        bytes4 want = _expectRunning(id);
        if (want == OK && now_ >= c.subEnd) want = IForecastMarket.SubmissionClosed.selector;
        if (want == OK && value != (first ? c.deposit : 0)) want = IForecastMarket.WrongDeposit.selector;
        bytes32 commitment = _commitment(salt, who, id);
        bytes memory data = abi.encodeCall(IForecastMarket.commit, (id, commitment));
        (bool ok, ) = _call(who, value, data, want, "commit");
        if (!ok) return;
        if (first) {
            ++c.participants;
            c.escrow += value;
        }
        s.order = ++c.orderCount;
        s.status = IForecastMarket.Status.Committed;
        s.salt = salt;
        _expect(IForecastMarket.Committed.selector, id, _u(who), abi.encode(bytes24(commitment), s.order));
        ++successes["commit"];
    }

    /// @dev The deposit with a first commitment, nothing with a replacement; now and then wrong.
    function _commitValue(uint256 seed, bool first, uint256 deposit) internal pure returns (uint256 value) {
        value = first ? deposit : 0;
        uint256 r = pick(seed, "value", 16);
        if (r == 0) value += 1;
        else if (r == 1 && first) value = 0;
    }

    /// @dev One to four reveals.
    function reveal(uint256 seed) external tick(seed) {
        uint256 n = 1 + pick(seed, "n", 4);
        for (uint256 i; i < n; ++i) {
            uint256 s = uint256(keccak256(abi.encode(seed, i)));
            _revealOne(s, _idIn(s, Aim.Reveal));
        }
    }

    function _revealOne(uint256 seed, uint256 id) internal {
        address who = _actorWith(seed, id, IForecastMarket.Status.Committed);
        MComp storage c = comps[id];
        MSub storage s = subs[id][who];
        uint256 mode = pick(seed, "mode", 16);
        bytes32 salt = s.salt;
        if (mode == 0) salt = keccak256(abi.encode(salt, "wrong"));
        else if (mode == 1) salt = subs[id][_actor(seed, "victim")].salt; // a copycat replays another's reveal
        bytes4 want = _expectRunning(id);
        if (want == OK && now_ < c.subEnd) want = IForecastMarket.RevealNotOpen.selector;
        if (want == OK && now_ >= c.revEnd) want = IForecastMarket.RevealClosed.selector;
        if (want == OK && s.status == IForecastMarket.Status.None) want = IForecastMarket.NoCommitment.selector;
        if (want == OK && s.status != IForecastMarket.Status.Committed) want = IForecastMarket.AlreadyRevealed.selector;
        if (want == OK && salt != s.salt) want = IForecastMarket.CommitmentMismatch.selector;
        (bool ok, ) = _call(who, 0, abi.encodeCall(IForecastMarket.reveal, (id, _cid(salt), _sha(salt), salt)), want, "reveal");
        if (!ok) return;
        s.status = IForecastMarket.Status.Revealed;
        ++c.revealCount;
        _expect(IForecastMarket.Revealed.selector, id, _u(who), abi.encode(_cid(salt), _sha(salt)));
        ++successes["reveal"];
    }

    // ============================================================== actions: settlement

    function finalize(uint256 seed) external tick(seed) {
        _finalize(seed, _idIn(seed, Aim.Finalize));
    }

    function _finalize(uint256 seed, uint256 id) internal {
        MComp storage c = comps[id];
        bytes4 want = _expectRunning(id);
        if (want == OK) want = _expectEvaluationWindow(c);
        if (want == OK && c.scoredCount != c.revealCount) want = IForecastMarket.ScoringIncomplete.selector;
        (bool ok, ) = _call(_actor(seed, "caller"), 0, abi.encodeCall(IForecastMarket.finalize, (id)), want, "finalize");
        if (!ok) return;
        _settleByRanking(id);
        _checkCompetition(id);
        c.snapshot = _snap(id);
        ++successes["finalize"];
    }

    function settleWithoutEvaluation(uint256 seed) external tick(seed) {
        _settle(seed, _idIn(seed, Aim.Expired));
    }

    function _settle(uint256 seed, uint256 id) internal {
        MComp storage c = comps[id];
        bytes4 want = _expectRunning(id);
        if (want == OK && now_ < c.evEnd) want = IForecastMarket.EvaluationStillOpen.selector;
        (bool ok, ) = _call(_actor(seed, "caller"), 0, abi.encodeCall(IForecastMarket.settleWithoutEvaluation, (id)), want, "settleWithoutEvaluation");
        if (!ok) return;
        if (c.scoredCount == c.revealCount) {
            _settleByRanking(id);
            ++successes["settle: by ranking"];
        } else {
            // Every revealed entry not posted as failed shares the pool: reward plus every other deposit.
            uint32 eligible = c.revealCount - c.failedCount;
            uint256 pool = uint256(c.reward) + uint256(c.participants - eligible) * c.deposit;
            c.outcome = IForecastMarket.Phase.Fallback;
            c.share = pool / eligible;
            _expect(IForecastMarket.SettledWithoutEvaluation.selector, id, abi.encode(eligible, pool));
            if (pool % eligible != 0) _credit(id, c.organizer, pool % eligible, IForecastMarket.CreditReason.FallbackRemainder);
            ++successes["settle: fallback"];
        }
        _checkCompetition(id);
        c.snapshot = _snap(id);
    }

    /// @dev One to three claims.
    function claim(uint256 seed) external tick(seed) {
        uint256 n = 1 + pick(seed, "n", 3);
        for (uint256 i; i < n; ++i) _claimOne(uint256(keccak256(abi.encode(seed, i))));
    }

    function _claimOne(uint256 seed) internal {
        (uint256 id, address who) = _claimTarget(seed);
        uint256 amount = claimable(id, who);
        bytes4 want = _expectClaim(id, amount);
        (bool ok, ) = _call(_actor(seed, "caller"), 0, abi.encodeCall(IForecastMarket.claim, (id, who)), want, "claim");
        if (!ok) return;
        subs[id][who].status = IForecastMarket.Status.Claimed;
        _credit(id, who, amount, _claimReason(id));
        ++successes["claim"];
    }

    function claimAndWithdraw(uint256 seed) external tick(seed) {
        (uint256 id, address who) = _claimTarget(seed);
        uint256 amount = claimable(id, who);
        bytes4 want = _expectClaim(id, amount);
        uint256 before = who.balance;
        uint256 reentries = reenterer.reentries();
        (bool ok, ) = _call(who, 0, abi.encodeCall(IForecastMarket.claimAndWithdraw, (id)), want, "claimAndWithdraw");
        if (!ok) return;
        subs[id][who].status = IForecastMarket.Status.Claimed;
        comps[id].escrow -= amount;
        _expect(IForecastMarket.Credited.selector, _u(who), id, abi.encode(amount, _claimReason(id)));
        _expect(IForecastMarket.Withdrawn.selector, _u(who), _u(who), abi.encode(amount));
        _paid(who, before, amount, "claimAndWithdraw: paid");
        _checkReentry(reentries);
        ++successes["claimAndWithdraw"];
    }

    function claimRefund(uint256 seed) external tick(seed) {
        _claimRefund(seed, _refundTarget(seed));
    }

    function _claimRefund(uint256 seed, uint256 id) internal {
        MComp storage c = comps[id];
        bytes4 want = _exists(id) ? OK : IForecastMarket.UnknownCompetition.selector;
        if (want == OK && !c.refundPending) want = IForecastMarket.NoRefundPending.selector;
        if (want == OK && now_ < uint256(c.evEnd) + CHALLENGE_PERIOD) want = IForecastMarket.RefundNotYetClaimable.selector;
        (bool ok, ) = _call(_actor(seed, "caller"), 0, abi.encodeCall(IForecastMarket.claimRefund, (id)), want, "claimRefund");
        if (!ok) return;
        c.refundPending = false;
        _credit(id, c.organizer, c.refund, IForecastMarket.CreditReason.Refund);
        ++successes["claimRefund"];
    }

    function withdraw(uint256 seed) external tick(seed) {
        address who = _funded(seed);
        uint256 amount = modelBalance[who];
        // The contract actor may claim into its balance while its withdrawal is being sent.
        uint256 lateId;
        if (who == address(reenterer) && amount != 0) lateId = _claimableId(who);
        if (lateId != 0) reenterer.armClaim(lateId);
        bytes4 want = amount == 0 ? IForecastMarket.NothingToWithdraw.selector : OK;
        uint256 before = who.balance;
        uint256 reentries = reenterer.reentries();
        (bool ok, ) = _call(who, 0, abi.encodeCall(IForecastMarket.withdraw, ()), want, "withdraw");
        if (lateId != 0) reenterer.armClaim(0);
        if (!ok) return;
        modelBalance[who] = 0;
        _paid(who, before, amount, "withdraw: paid");
        _expect(IForecastMarket.Withdrawn.selector, _u(who), _u(who), abi.encode(amount));
        _checkReentry(reentries);
        if (lateId != 0) {
            assertTrue(reenterer.claimed(), string.concat("a claim made during a withdrawal succeeds: error ", _str(uint256(uint32(bytes4(reenterer.claimError()))))));
            uint256 late = claimable(lateId, who);
            subs[lateId][who].status = IForecastMarket.Status.Claimed;
            _credit(lateId, who, late, _claimReason(lateId));
            ++successes["withdraw: claim re-entered"];
        }
        ++successes["withdraw"];
    }

    function withdrawTo(uint256 seed) external tick(seed) {
        address who = _funded(seed);
        uint256 r = pick(seed, "to", 8);
        address to = r == 0 ? address(0) : r == 1 ? address(rejecter) : r == 2 ? SINK : _actor(seed, "to");
        uint256 amount = modelBalance[who];
        bytes4 want = to == address(0) ? IForecastMarket.WithdrawToZeroAddress.selector : OK;
        if (want == OK && amount == 0) want = IForecastMarket.NothingToWithdraw.selector;
        if (want == OK && to == address(rejecter)) want = IForecastMarket.TransferFailed.selector;
        uint256 before = to.balance;
        uint256 reentries = reenterer.reentries();
        (bool ok, ) = _call(who, 0, abi.encodeCall(IForecastMarket.withdrawTo, (payable(to))), want, "withdrawTo");
        if (!ok) return;
        modelBalance[who] = 0;
        _paid(to, before, amount, "withdrawTo: paid");
        _expect(IForecastMarket.Withdrawn.selector, _u(who), _u(to), abi.encode(amount));
        _checkReentry(reentries);
        ++successes["withdrawTo"];
    }

    /// @dev Move the clock forward: mostly to the next deadline ahead (-1 / 0 / +1 s) or by less
    /// than a window, rarely by days (which ends every running competition).
    function warp(uint256 seed) external tick(seed) {
        uint256 r = pick(seed, "kind", 80);
        uint256 target;
        if (r < 36) {
            uint256 d = _nextDeadline();
            if (d != 0) target = d - 1 + pick(seed, "offset", 3);
        } else if (r < 64) {
            target = now_ + 1 + pick(seed, "random", 1 hours);
        } else if (r < 78) {
            uint256[3] memory steps = [uint256(1), MIN_WINDOW - 1, MIN_WINDOW];
            target = now_ + steps[pick(seed, "step", 3)];
        } else {
            uint256[3] memory leaps = [uint256(1 days), CHALLENGE_PERIOD, r == 79 ? MAX_WINDOW : 1 days];
            target = now_ + leaps[pick(seed, "leap", 3)];
        }
        if (target <= now_) return; // time only moves forward
        now_ = target;
        vm.warp(now_);
        ++successes["warp"];
    }

    // ============================================================== the reference model

    /// @dev What `who` may claim in competition `id` under the money rules (0: nothing).
    function claimable(uint256 id, address who) public view returns (uint256) {
        MComp storage c = comps[id];
        IForecastMarket.Status st = subs[id][who].status;
        if (c.outcome == IForecastMarket.Phase.Fallback) {
            if (st == IForecastMarket.Status.Revealed || st == IForecastMarket.Status.Scored) return c.deposit + c.share;
        } else if (c.outcome == IForecastMarket.Phase.Finalized) {
            if (st == IForecastMarket.Status.Scored) return c.deposit; // winners are already Claimed
        } else if (c.outcome == IForecastMarket.Phase.Refunded) {
            if (st == IForecastMarket.Status.Scored || st == IForecastMarket.Status.Failed) return c.deposit;
        }
        return 0;
    }

    /// @dev Why a claim in competition `id` is credited: a share in a fallback, else a deposit.
    function _claimReason(uint256 id) internal view returns (IForecastMarket.CreditReason) {
        return comps[id].outcome == IForecastMarket.Phase.Fallback
            ? IForecastMarket.CreditReason.FallbackShare
            : IForecastMarket.CreditReason.Deposit;
    }

    function _settleByRanking(uint256 id) internal {
        MComp storage c = comps[id];
        Entry[] memory top = qualified[id].topK(c.k, c.higher);
        if (top.length == 0) {
            c.outcome = IForecastMarket.Phase.Refunded;
            uint256 refund = uint256(c.reward) + uint256(c.participants - c.revealCount) * c.deposit;
            uint256 at = c.revealCount == 0 ? now_ : uint256(c.evEnd) + CHALLENGE_PERIOD;
            _expect(IForecastMarket.Refunded.selector, id, _u(c.organizer), abi.encode(refund, at));
            if (c.revealCount == 0) {
                _credit(id, c.organizer, refund, IForecastMarket.CreditReason.Refund);
            } else {
                c.refundPending = true;
                c.refund = refund;
                ++successes["refund pending"];
            }
            return;
        }
        c.outcome = IForecastMarket.Phase.Finalized;
        ++successes[top.length == 1 ? bytes32("finalized: 1 winner") : bytes32("finalized: 2+ winners")];
        uint256 pool = uint256(c.reward) + uint256(c.participants - c.revealCount + c.failedCount) * c.deposit;
        uint256[] memory prizes = Reference.prizes(pool, c.bps, top.length);
        _expect(IForecastMarket.Finalized.selector, id, abi.encode(top.length, pool));
        for (uint256 i; i < top.length; ++i) {
            subs[id][top[i].who].status = IForecastMarket.Status.Claimed;
            _credit(id, top[i].who, prizes[i] + c.deposit, IForecastMarket.CreditReason.Prize);
        }
    }

    function _credit(uint256 id, address who, uint256 amount, IForecastMarket.CreditReason reason) internal {
        comps[id].escrow -= amount; // reverts (failing the run) if the model over-pays
        modelBalance[who] += amount;
        _expect(IForecastMarket.Credited.selector, _u(who), id, abi.encode(amount, reason));
    }

    function _phase(uint256 id) internal view returns (IForecastMarket.Phase) {
        MComp storage c = comps[id];
        if (!_exists(id)) return IForecastMarket.Phase.None;
        if (c.outcome != IForecastMarket.Phase.None) return c.outcome;
        if (now_ < c.subEnd) return IForecastMarket.Phase.Submission;
        if (now_ < c.revEnd) return IForecastMarket.Phase.Reveal;
        if (now_ < c.evEnd) return IForecastMarket.Phase.Evaluation;
        return IForecastMarket.Phase.Expired;
    }

    /// @dev What competition `id` still owes, recomputed from the model's statuses.
    function _stillOwed(uint256 id) internal view returns (uint256 owed) {
        MComp storage c = comps[id];
        if (c.outcome == IForecastMarket.Phase.None) return uint256(c.reward) + uint256(c.participants) * c.deposit;
        for (uint256 i; i < N_ACTORS; ++i) owed += claimable(id, actors[i]);
        if (c.refundPending) owed += c.refund;
    }

    // ============================================================== invariants (views)

    /// @dev Funds held equal escrowed plus owed (no ether is forced in, so exactly).
    function checkSolvency() external view {
        (uint256 escrowed, uint256 owed) = market.totals();
        assertEq(escrowed + owed, address(market).balance, "escrowed + owed == balance");
    }

    /// @dev Every wei put in is either paid out or still held.
    function checkConservation() external view {
        assertEq(ghostOut + address(market).balance, ghostIn, "paid out + held == put in");
    }

    /// @dev The escrow of every competition is what it still owes; the market's totals and every
    /// balance match the model.
    function checkEscrow() external view {
        (uint256 escrowed, uint256 owed) = market.totals();
        uint256 sumEscrow;
        for (uint256 id = 1; id <= count; ++id) {
            _eq(id, "escrow == what it still owes", comps[id].escrow, _stillOwed(id));
            sumEscrow += comps[id].escrow;
        }
        assertEq(escrowed, sumEscrow, "totals().escrowed == sum of competitions' escrow");
        uint256 sumBalances;
        for (uint256 i; i < N_ACTORS; ++i) {
            uint256 got = market.balanceOf(actors[i]);
            if (got != modelBalance[actors[i]]) assertEq(got, modelBalance[actors[i]], string.concat("balanceOf(actor ", _str(i), ")"));
            sumBalances += modelBalance[actors[i]];
        }
        assertEq(owed, sumBalances, "totals().owed == sum of balances");
    }

    /// @dev A settled competition never changes (except that a pending refund gets claimed).
    function checkSettledFrozen() external view {
        for (uint256 id = 1; id <= count; ++id) {
            if (comps[id].outcome == IForecastMarket.Phase.None) continue;
            _eq(id, "unchanged since settlement", uint256(_snap(id)), uint256(comps[id].snapshot));
        }
    }

    /// @dev The ranking is the sorted reference of the qualifying posted scores, top k.
    function checkRanking() external view {
        for (uint256 id = 1; id <= count; ++id) {
            Entry[] memory want = qualified[id].topK(comps[id].k, comps[id].higher);
            IForecastMarket.Rank[] memory got = market.ranking(id);
            _eq(id, "ranking length", got.length, want.length);
            for (uint256 i; i < want.length; ++i) {
                _eq(id, "ranked participant", uint160(got[i].participant), uint160(want[i].who));
                _eq(id, "ranked score", uint64(got[i].score), uint64(want[i].score));
                _eq(id, "ranked order", got[i].order, want[i].order);
            }
        }
    }

    /// @dev Counters, outcome, phase and every submission match the model. A settled
    /// competition's stored state was compared at settlement ({_checkCompetition}) and is
    /// frozen since (checkSettledFrozen), so only what may still change is read again.
    function checkState() external view {
        assertEq(market.competitionCount(), count, "competitionCount");
        assertEq(uint256(market.phase(count + 1)), 0, "phase of an unknown id");
        for (uint256 id = 1; id <= count; ++id) {
            MComp storage c = comps[id];
            if (c.outcome == IForecastMarket.Phase.None) _checkCompetition(id);
            else if (c.refund != 0) _eq(id, "refundPending", _b(market.competition(id).refundPending), _b(c.refundPending));
            _eq(id, "phase", uint256(market.phase(id)), uint256(_phase(id)));
            for (uint256 i; i < N_ACTORS; ++i) {
                IForecastMarket.Submission memory s = market.submission(id, actors[i]);
                MSub storage ms = subs[id][actors[i]];
                if (uint256(s.status) != uint256(ms.status) || s.order != ms.order) {
                    _eq(id, string.concat("status of actor ", _str(i)), uint256(s.status), uint256(ms.status));
                    _eq(id, string.concat("order of actor ", _str(i)), s.order, ms.order);
                }
            }
        }
    }

    /// @dev The stored competition matches the model.
    function _checkCompetition(uint256 id) internal view {
        MComp storage c = comps[id];
        IForecastMarket.Competition memory m = market.competition(id);
        _eq(id, "organizer", uint160(m.organizer), uint160(c.organizer));
        _eq(id, "reward", m.reward, c.reward);
        _eq(id, "entryDeposit", m.entryDeposit, c.deposit);
        _eq(id, "participants", m.participants, c.participants);
        _eq(id, "orderCount", m.orderCount, c.orderCount);
        _eq(id, "revealCount", m.revealCount, c.revealCount);
        _eq(id, "scoredCount", m.scoredCount, c.scoredCount);
        _eq(id, "failedCount", m.failedCount, c.failedCount);
        _eq(id, "outcome", uint256(m.outcome), uint256(c.outcome));
        _eq(id, "refundPending", _b(m.refundPending), _b(c.refundPending));
        _eq(id, "testRevealed", _b(m.testRevealed), _b(c.testRevealed));
        _eq(id, "winnerCount", m.winnerCount, qualified[id].length < c.k ? qualified[id].length : c.k);
    }

    /// @dev assertEq for a field of competition `id`, building the message only on failure.
    function _eq(uint256 id, string memory field, uint256 got, uint256 want) internal pure {
        if (got != want) assertEq(got, want, string.concat("competition ", _str(id), ": ", field));
    }

    function _b(bool x) internal pure returns (uint256) {
        return x ? 1 : 0;
    }

    // ============================================================== helpers

    /// @dev Call the market as `from` (sending `value`, dealt to it first) and check the
    /// predicted result: success when `want` is 0, else a revert with exactly that error.
    function _call(address from, uint256 value, bytes memory data, bytes4 want, string memory what)
        internal
        returns (bool ok, bytes memory ret)
    {
        ++outcomes[bytes32(bytes(what))][want];
        if (value != 0) vm.deal(from, from.balance + value);
        uint256 held = address(market).balance;
        vm.recordLogs();
        vm.prank(from);
        (ok, ret) = address(market).call{value: value}(data);
        Vm.Log[] memory logs = vm.getRecordedLogs(); // forge records the events of reverted calls too
        for (uint256 i; ok && i < logs.length; ++i) {
            if (logs[i].emitter == address(market)) emitted.push(Event(logs[i].topics, logs[i].data));
        }
        if (want == OK && !ok) revert(string.concat(what, ": unexpected revert ", _hex(ret)));
        if (want != OK && ok) revert(string.concat(what, ": succeeded, expected error ", _hex(want)));
        if (want != OK && bytes4(ret) != want) revert(string.concat(what, ": error ", _hex(ret), ", expected ", _hex(want)));
        if (ok) ghostIn += value;
        // Only withdrawals take ether out, and they check it themselves; everything else must
        // hold exactly what it was sent.
        if (ok && bytes4(data) != IForecastMarket.withdraw.selector && bytes4(data) != IForecastMarket.withdrawTo.selector &&
            bytes4(data) != IForecastMarket.claimAndWithdraw.selector)
        {
            assertEq(address(market).balance, held + value, string.concat(what, ": market balance"));
        }
    }

    /// @dev The market emitted exactly the events the model expects during this action, in any
    /// order (the model does not fix the order of, say, the winners' Credited events).
    function _checkEvents() internal {
        uint256 n = emitted.length;
        assertEq(n, expected.length, "number of events emitted");
        bool[] memory used = new bool[](n);
        for (uint256 i; i < n; ++i) {
            bytes32 h = _eventHash(expected[i]);
            uint256 j;
            while (j < n && (used[j] || _eventHash(emitted[j]) != h)) ++j;
            if (j == n) revert(string.concat("expected event not emitted: topic0 ", _hex(expected[i].topics[0]), " data ", _hex(expected[i].data)));
            used[j] = true;
        }
        delete emitted;
        delete expected;
    }

    function _eventHash(Event storage e) internal view returns (bytes32) {
        return keccak256(abi.encode(e.topics, e.data));
    }

    function _expect(bytes32 topic0, uint256 a, bytes memory data) internal {
        bytes32[] memory t = new bytes32[](2);
        (t[0], t[1]) = (topic0, bytes32(a));
        expected.push(Event(t, data));
    }

    function _expect(bytes32 topic0, uint256 a, uint256 b, bytes memory data) internal {
        bytes32[] memory t = new bytes32[](3);
        (t[0], t[1], t[2]) = (topic0, bytes32(a), bytes32(b));
        expected.push(Event(t, data));
    }

    function _u(address a) internal pure returns (uint256) {
        return uint160(a);
    }

    /// @dev `to` received exactly `amount` since `before`; counts it as paid out.
    function _paid(address to, uint256 before, uint256 amount, string memory what) internal {
        assertEq(to.balance - before, amount, what);
        ghostOut += amount;
    }

    /// @dev When the market paid the contract actor, its re-entry into withdraw was refused by
    /// the reentrancy guard.
    function _checkReentry(uint256 reentriesBefore) internal view {
        if (reenterer.reentries() == reentriesBefore) return;
        assertEq(reenterer.seenEscrowed() + reenterer.seenOwed(), reenterer.seenHeld(), "during the transfer: escrowed + owed == held");
        assertTrue(!reenterer.reentrySucceeded(), "re-entering withdraw succeeded");
        assertEq(reenterer.lastReentryError(), bytes32(bytes4(keccak256("ReentrancyGuardReentrantCall()"))), "re-entry refused by the guard");
    }

    function _exists(uint256 id) internal view returns (bool) {
        return id != 0 && id <= count;
    }

    function _expectRunning(uint256 id) internal view returns (bytes4) {
        if (!_exists(id)) return IForecastMarket.UnknownCompetition.selector;
        if (comps[id].outcome != IForecastMarket.Phase.None) return IForecastMarket.AlreadySettled.selector;
        return OK;
    }

    function _expectEvaluationWindow(MComp storage c) internal view returns (bytes4) {
        if (now_ < c.revEnd) return IForecastMarket.EvaluationNotOpen.selector;
        if (now_ >= c.evEnd) return IForecastMarket.EvaluationClosed.selector;
        return OK;
    }

    function _expectClaim(uint256 id, uint256 amount) internal view returns (bytes4) {
        if (!_exists(id)) return IForecastMarket.UnknownCompetition.selector;
        if (comps[id].outcome == IForecastMarket.Phase.None) return IForecastMarket.NotSettled.selector;
        if (amount == 0) return IForecastMarket.NothingToClaim.selector;
        return OK;
    }

    /// @dev The first error a batch of scores hits entry by entry, or OK.
    function _expectBatch(uint256 id, address[] memory who) internal view returns (bytes4) {
        for (uint256 i; i < who.length; ++i) {
            IForecastMarket.Status st = subs[id][who[i]].status;
            for (uint256 j; j < i; ++j) if (who[j] == who[i]) st = IForecastMarket.Status.Scored; // earlier in the batch
            if (st == IForecastMarket.Status.Scored || st == IForecastMarket.Status.Failed) return IForecastMarket.AlreadyScored.selector;
            if (st != IForecastMarket.Status.Revealed) return IForecastMarket.NotRevealed.selector;
        }
        return OK;
    }

    function _expectCreate(IForecastMarket.CompetitionParams memory p, uint256 reward) internal view returns (bytes4) {
        if (reward == 0) return IForecastMarket.EmptyReward.selector;
        if (reward > type(uint96).max) return IForecastMarket.RewardTooLarge.selector;
        if (
            p.submissionEnd <= now_ ||
            p.submissionEnd > now_ + MAX_WINDOW ||
            p.revealEnd < uint256(p.submissionEnd) + MIN_WINDOW ||
            p.revealEnd > uint256(p.submissionEnd) + MAX_WINDOW ||
            p.evaluationEnd < uint256(p.revealEnd) + MIN_WINDOW ||
            p.evaluationEnd > uint256(p.revealEnd) + MAX_WINDOW
        ) return IForecastMarket.InvalidDeadlines.selector;
        if (bytes(p.dataCid).length == 0 || bytes(p.target).length == 0 || p.sequenceLength == 0 || p.horizon == 0) {
            return IForecastMarket.InvalidTask.selector;
        }
        uint256 total;
        for (uint256 i; i < p.prizeBps.length; ++i) {
            if (p.prizeBps[i] == 0) return IForecastMarket.InvalidPrizeSplit.selector;
            total += p.prizeBps[i];
        }
        if (p.prizeBps.length == 0 || p.prizeBps.length > 3 || total != 10_000) return IForecastMarket.InvalidPrizeSplit.selector;
        return OK;
    }

    function _reward(uint256 seed) internal pure returns (uint256) {
        uint256 r = pick(seed, "reward", 32);
        if (r == 0) return 0;
        if (r == 1) return uint256(type(uint96).max) + 1; // more than the contract accepts
        if (r < 8) return 1 + pick(seed, "small", 10); // dust everywhere
        if (r < 16) return 1 ether;
        return 1 + pick(seed, "big", 100 ether);
    }

    function _params(uint256 seed, uint256 reward) internal view returns (IForecastMarket.CompetitionParams memory p) {
        p.dataCid = pick(seed, "task", 32) == 0 ? "" : "bafy-training-data";
        p.target = "co2";
        p.sequenceLength = 26;
        p.horizon = 4;
        p.higherIsBetter = pick(seed, "direction", 2) == 0;
        int64[6] memory mins = [type(int64).min, type(int64).max, int64(-2), int64(0), int64(2), int64(1_000_000)];
        p.minScore = mins[pick(seed, "min", 6)];
        uint256 sub = now_ + _window(seed, "w1", true);
        uint256 rev = sub + _window(seed, "w2", false);
        uint256 ev = rev + _window(seed, "w3", false);
        p.submissionEnd = uint64(sub);
        p.revealEnd = uint64(rev);
        p.evaluationEnd = uint64(ev);
        p.prizeBps = _split(seed);
        uint72[5] memory deposits = [uint72(0), 1, 3, 0.1 ether, uint72(reward % 7)];
        p.entryDeposit = deposits[pick(seed, "deposit", 5)];
        p.testCommitment = keccak256(abi.encode(_testCid(count + 1), bytes32(0), uint32(0), _testSalt(seed)));
    }

    function _window(uint256 seed, string memory tag, bool first) internal pure returns (uint256) {
        uint256 r = pick(seed, tag, 80);
        if (first) {
            if (r == 0) return 0;
            if (r == 1) return MAX_WINDOW;
            if (r == 2) return MAX_WINDOW + 1;
            if (r == 3) return 1;
            return MIN_WINDOW + pick(seed, string.concat(tag, "len"), 5 hours);
        }
        if (r == 0) return MIN_WINDOW - 1;
        if (r == 1) return MIN_WINDOW;
        if (r == 2) return MAX_WINDOW;
        if (r == 3) return MAX_WINDOW + 1;
        return MIN_WINDOW + pick(seed, string.concat(tag, "len"), 3 hours);
    }

    function _split(uint256 seed) internal pure returns (uint16[] memory bps) {
        uint256 r = pick(seed, "bad split", 64);
        if (r == 0) return new uint16[](0);
        if (r == 1) {
            bps = new uint16[](4);
            (bps[0], bps[1], bps[2], bps[3]) = (2500, 2500, 2500, 2500);
            return bps;
        }
        uint256 k = 1 + pick(seed, "k", 3);
        bps = new uint16[](k);
        if (k == 1) bps[0] = 10_000;
        else if (k == 2) {
            bps[0] = pick(seed, "preset", 2) == 0 ? 7000 : uint16(1 + pick(seed, "a", 9999));
            bps[1] = 10_000 - bps[0];
        } else {
            uint256 a = 1 + pick(seed, "a", 9998);
            uint256 b = 1 + pick(seed, "b", 9999 - a);
            (bps[0], bps[1], bps[2]) = (uint16(a), uint16(b), uint16(10_000 - a - b));
            if (pick(seed, "preset", 2) == 0) (bps[0], bps[1], bps[2]) = (5000, 3000, 2000);
        }
        if (r == 2) bps[k - 1] -= 1; // sums to 9999
        if (r == 3) bps[0] = 0;
    }

    /// @dev A batch of scores: most revealed, unscored entries, now and then a wrong one.
    function _batch(uint256 seed, uint256 id) internal view returns (address[] memory who, int64[] memory scores) {
        address[] memory tmp = new address[](N_ACTORS + 1);
        uint256 n;
        for (uint256 i; i < N_ACTORS; ++i) {
            bool revealed = subs[id][actors[i]].status == IForecastMarket.Status.Revealed;
            uint256 r = pick(seed, string.concat("in", _str(i)), 24);
            if ((revealed && r < 17) || r == 0) tmp[n++] = actors[i];
        }
        if (n != 0 && pick(seed, "dup", 24) == 0) tmp[n++] = tmp[0];
        who = new address[](n);
        for (uint256 i; i < n; ++i) who[i] = tmp[i];
        // shuffle, so that ties are posted in any order
        for (uint256 i = n; i > 1; --i) {
            uint256 j = pick(seed, string.concat("shuffle", _str(i)), i);
            (who[i - 1], who[j]) = (who[j], who[i - 1]);
        }
        scores = new int64[](pick(seed, "length", 32) == 0 ? n + 1 : n);
        for (uint256 i; i < scores.length; ++i) scores[i] = _score(seed, i, comps[id]);
    }

    function _score(uint256 seed, uint256 i, MComp storage c) internal view returns (int64) {
        uint256 r = pick(seed, string.concat("score", _str(i)), 20);
        if (r < 3) return Reference.failure(c.higher);
        if (r == 3) return Reference.failure(!c.higher); // the best possible score, not a failure
        if (r == 4) return c.minScore;
        if (r == 5) return c.minScore == type(int64).min ? c.minScore : c.minScore - 1;
        if (r == 6) return c.minScore == type(int64).max ? c.minScore : c.minScore + 1;
        if (r < 13) return int64(int256(pick(seed, string.concat("small", _str(i)), 5)) - 2); // ties
        return int64(uint64(uint256(keccak256(abi.encode(seed, i, "any")))));
    }

    /// @dev Mostly a competition where an action of kind `aim` can succeed, else any id.
    function _idIn(uint256 seed, Aim aim) internal view returns (uint256) {
        if (count == 0 || pick(seed, "aim", 5) == 0) return _id(seed);
        uint256 start = pick(seed, "start", count);
        for (uint256 j; j < count; ++j) {
            uint256 id = 1 + ((start + j) % count);
            if (_fits(id, aim)) return id;
        }
        return _id(seed);
    }

    /// @dev Whether competition `id` suits an action of kind `aim`: in the phase where it can
    /// succeed, or one second before that phase opens or right at its deadline (the edges where
    /// an off-by-one shows). progress() takes the steps in order; these aims also try them twice
    /// or out of order (a second test set, scores before the test set...).
    function _fits(uint256 id, Aim aim) internal view returns (bool) {
        MComp storage c = comps[id];
        if (c.outcome != IForecastMarket.Phase.None) return false;
        IForecastMarket.Phase ph = _phase(id);
        if (aim == Aim.Submission) return ph == IForecastMarket.Phase.Submission || now_ == c.subEnd;
        if (aim == Aim.Reveal) {
            return (ph == IForecastMarket.Phase.Reveal || now_ + 1 == c.subEnd || now_ == c.revEnd) && _has(id, IForecastMarket.Status.Committed);
        }
        bool evaluationEdge = ph == IForecastMarket.Phase.Evaluation || now_ + 1 == c.revEnd || now_ == c.evEnd;
        if (aim == Aim.TestSet) return evaluationEdge;
        if (aim == Aim.Scoring) return evaluationEdge && c.scoredCount < c.revealCount;
        if (aim == Aim.Finalize) return evaluationEdge && c.scoredCount == c.revealCount;
        return ph == IForecastMarket.Phase.Expired || now_ + 1 == c.evEnd;
    }

    function _has(uint256 id, IForecastMarket.Status st) internal view returns (bool) {
        for (uint256 i; i < N_ACTORS; ++i) if (subs[id][actors[i]].status == st) return true;
        return false;
    }

    /// @dev Mostly an actor with a balance to withdraw, else any actor.
    function _funded(uint256 seed) internal view returns (address) {
        if (pick(seed, "aim", 5) != 0) {
            uint256 start = pick(seed, "start", N_ACTORS);
            for (uint256 j; j < N_ACTORS; ++j) {
                address a = actors[(start + j) % N_ACTORS];
                if (modelBalance[a] != 0) return a;
            }
        }
        return _actor(seed, "who");
    }

    /// @dev Mostly an actor whose submission to `id` has status `st`, else any actor.
    function _actorWith(uint256 seed, uint256 id, IForecastMarket.Status st) internal view returns (address) {
        if (pick(seed, "aim actor", 4) != 0) {
            uint256 start = pick(seed, "start actor", N_ACTORS);
            for (uint256 j; j < N_ACTORS; ++j) {
                address a = actors[(start + j) % N_ACTORS];
                if (subs[id][a].status == st) return a;
            }
        }
        return _actor(seed, "who");
    }

    /// @dev Mostly a (competition, participant) with something to claim, else anything.
    function _claimTarget(uint256 seed) internal view returns (uint256 id, address who) {
        if (count != 0 && pick(seed, "aim", 4) != 0) {
            uint256 start = pick(seed, "start", count * N_ACTORS);
            for (uint256 j; j < count * N_ACTORS; ++j) {
                uint256 x = (start + j) % (count * N_ACTORS);
                (id, who) = (1 + x / N_ACTORS, actors[x % N_ACTORS]);
                if (claimable(id, who) != 0) return (id, who);
            }
        }
        return (_id(seed), _actor(seed, "who"));
    }

    /// @dev Mostly a competition with a pending refund, else any id.
    function _refundTarget(uint256 seed) internal view returns (uint256) {
        if (pick(seed, "aim", 4) != 0) {
            for (uint256 id = 1; id <= count; ++id) if (comps[id].refundPending) return id;
        }
        return _id(seed);
    }

    /// @dev The earliest deadline still ahead (within a second) of any competition, counting the
    /// ends of challenge periods; 0 if none.
    function _nextDeadline() internal view returns (uint256 next) {
        for (uint256 id = 1; id <= count; ++id) {
            MComp storage c = comps[id];
            uint256[4] memory ds = [uint256(c.subEnd), c.revEnd, c.evEnd, uint256(c.evEnd) + CHALLENGE_PERIOD];
            for (uint256 i; i < 4; ++i) {
                if (ds[i] + 1 > now_ && (next == 0 || ds[i] < next)) next = ds[i];
            }
        }
    }

    /// @dev Mostly an existing competition, now and then an unknown id (0 or count + 1).
    function _id(uint256 seed) internal view returns (uint256) {
        uint256 r = pick(seed, "id", 24);
        if (r == 0 || count == 0) return count + 1;
        if (r == 1) return 0;
        return 1 + pick(seed, "which", count);
    }

    function _actor(uint256 seed, string memory tag) internal view returns (address) {
        return actors[pick(seed, tag, N_ACTORS)];
    }

    function _claimableId(address who) internal view returns (uint256) {
        for (uint256 id = 1; id <= count; ++id) if (claimable(id, who) != 0) return id;
        return 0;
    }

    function _commitment(bytes32 salt, address who, uint256 id) internal view returns (bytes32) {
        return keccak256(abi.encode(_cid(salt), _sha(salt), bytes32(0), salt, who, id, address(market)));
    }

    function _cid(bytes32 salt) internal pure returns (string memory) {
        return string.concat("bafy", _str(uint256(salt) >> 192));
    }

    function _sha(bytes32 salt) internal pure returns (bytes32) {
        return sha256(abi.encode(salt));
    }

    function _testCid(uint256 id) internal pure returns (string memory) {
        return string.concat("bafy-test-", _str(id));
    }

    function _testSalt(uint256 seed) internal pure returns (bytes32) {
        return keccak256(abi.encode(seed, "test salt"));
    }

    /// @dev Everything a settled competition must keep: its stored state (except the pending
    /// refund flag, which claimRefund clears) and its ranking.
    function _snap(uint256 id) internal view returns (bytes32) {
        IForecastMarket.Competition memory m = market.competition(id);
        m.refundPending = false;
        return keccak256(abi.encode(m, market.ranking(id)));
    }
}
