// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {IForecastMarket} from "../interfaces/IForecastMarket.sol";
import {DisputeGame} from "./DisputeGame.sol";

/**
 * @title ForecastMarket
 * @notice Many forecasting competitions in one contract: rewards in escrow, sealed model
 * submissions (commit-reveal), a hidden test set committed at creation, scores posted by the
 * organizer and ranked on chain, entry deposits held to settlement, pull payments. See
 * {IForecastMarket} for the protocol and its money rules.
 *
 * @dev Gas design (constant in the number of submissions; nothing loops over them):
 * - a commitment writes one new storage slot: the first 24 bytes of the commitment hash, the
 *   commit order and the status share a word. 192 bits keep the commitment binding (a
 *   collision costs ~2^96 hash evaluations) and hiding (the salt is 256 bits). Storing all 32
 *   bytes would cost a second new slot (~22k gas) per entry, so {Committed} carries the 24
 *   bytes that are checked;
 * - the revealed model (CID and sha256) lives only in the {Revealed} event;
 * - the first word of a competition holds the deadlines {commit} and {reveal} check, the
 *   counters they bump, the outcome and the deposit, so each of {commit}, {reveal} and
 *   {claim} reads and writes one word of the competition;
 * - only the top k (k <= 3) scores are kept, updated on each posted score; winners are paid
 *   (prize and deposit) at settlement, everybody else claims one by one, and
 *   {claimAndWithdraw} pays a claim out directly without writing a balance;
 * - the reentrancy guard lives in transient storage (EIP-1153).
 * Money: every wei sent in is either escrowed for a competition (a running one, or what a
 * settled one still owes to claims or to a pending refund) or owed to an account
 * (`_escrowed + _owed`, one storage word), tracked in storage, never read from
 * `address(this).balance`.
 */
contract ForecastMarket is IForecastMarket, ReentrancyGuardTransient {
    uint16 private constant BPS = 10_000;
    uint8 private constant MAX_WINNERS = 3;

    /// @inheritdoc IForecastMarket
    uint64 public constant MIN_WINDOW = 1 hours;
    /// @inheritdoc IForecastMarket
    uint64 public constant MAX_WINDOW = 90 days;
    /// @inheritdoc IForecastMarket
    uint64 public constant CHALLENGE_PERIOD = 3 days;
    /// @inheritdoc IForecastMarket
    uint64 public constant MAX_CHALLENGE_WINDOW = 4 * CHALLENGE_PERIOD;
    DisputeGame private immutable _game;

    // One word: creating a competition writes the count and the escrow together, and crediting
    // an account moves wei from escrow to owed with a single write. 96 bits hold 79 billion ether,
    // more than exists: no sum of wei held by the contract can overflow them.
    uint64 private _count; // competitions created; ids are 1.._count
    uint96 private _escrowed; // rewards and deposits of unsettled competitions, unclaimed settlement amounts
    uint96 private _owed; // credited to accounts, not yet withdrawn

    mapping(uint256 id => Competition) private _competitions;
    mapping(uint256 id => mapping(address participant => Submission)) private _submissions;
    // A rank packed in one word (participant | score << 160 | order << 224), so that shifting the
    // ranking moves whole words.
    mapping(uint256 id => uint256[MAX_WINNERS]) private _rankings;
    mapping(address account => uint256) private _balances;
    // Bonded competitions only (docs/FRAUD_PROOFS.md): what disputes need.
    mapping(uint256 id => mapping(address participant => bytes32)) private _weightsRoots;
    mapping(uint256 id => mapping(address participant => Claim)) private _claims;
    mapping(uint256 id => mapping(address participant => uint256[2])) private _claimSums; // a replacing challenger's sums

    constructor() {
        _game = new DisputeGame();
    }

    // ================================================================== organizer

    /// @inheritdoc IForecastMarket
    function createCompetition(CompetitionParams calldata p) external payable returns (uint256 id) {
        if (msg.value == 0) revert EmptyReward();
        if (msg.value > type(uint96).max) revert RewardTooLarge(msg.value);
        uint256 reward = msg.value - (msg.value > p.organizerBond ? p.organizerBond : msg.value);
        if (p.organizerBond != 0 && (reward == 0 || p.trainRoot == bytes32(0) || p.trainRows == 0 || p.challengeBond == 0 || p.metric > 1)) {
            revert InvalidBondedParams();
        }
        _checkDeadlines(p.submissionEnd, p.revealEnd, p.evaluationEnd);
        if (bytes(p.dataCid).length == 0 || bytes(p.target).length == 0 || p.sequenceLength == 0 || p.horizon == 0) {
            revert InvalidTask();
        }
        uint256 k = p.prizeBps.length;
        if (k == 0 || k > MAX_WINNERS) revert InvalidPrizeSplit();
        uint256 total = 0;
        for (uint256 i; i < k; ++i) {
            if (p.prizeBps[i] == 0) revert InvalidPrizeSplit();
            total += p.prizeBps[i];
        }
        if (total != BPS) revert InvalidPrizeSplit();

        id = ++_count;
        Competition storage c = _competitions[id];
        // The deadlines fit 40 bits: _checkDeadlines bounds them by now + 3 * MAX_WINDOW, and a
        // block timestamp reaches 2^40 s only in the year 36812.
        c.submissionEnd = uint40(p.submissionEnd);
        c.revealEnd = uint40(p.revealEnd);
        c.entryDeposit = p.entryDeposit;
        c.organizer = msg.sender;
        c.evaluationEnd = uint40(p.evaluationEnd);
        c.prizeCount = uint8(k);
        c.metric = p.metric;
        c.higherIsBetter = p.higherIsBetter;
        c.reward = uint128(reward);
        c.minScore = p.minScore;
        c.sequenceLength = p.sequenceLength;
        c.horizon = p.horizon;
        for (uint256 i; i < k; ++i) c.prizeBps[i] = p.prizeBps[i];
        c.testCommitment = p.testCommitment;
        c.dataCid = p.dataCid;
        c.target = p.target;
        if (p.organizerBond != 0) {
            c.bonded = true;
            c.organizerBond = p.organizerBond;
            c.challengeBond = p.challengeBond;
            c.trainRoot = p.trainRoot;
            c.trainRows = p.trainRows;
        }
        _escrowed += uint96(msg.value);
        emit CompetitionCreated(id, msg.sender, msg.value, p.dataCid, p.submissionEnd, p.revealEnd, p.evaluationEnd);
    }

    /// @inheritdoc IForecastMarket
    function cancel(uint256 id) external {
        Competition storage c = _running(id);
        if (msg.sender != c.organizer) revert NotOrganizer(id, msg.sender);
        if (c.participants != 0) revert HasCommitments(id, c.participants);
        c.outcome = Phase.Cancelled;
        emit CompetitionCancelled(id);
        _release(id, c.organizer, c.reward, CreditReason.Cancellation);
        _returnBond(id, c);
    }

    /// @inheritdoc IForecastMarket
    function revealTestSet(uint256 id, string calldata testCid, bytes32 testRoot, uint32 testRows, bytes32 salt) external {
        Competition storage c = _running(id);
        if (msg.sender != c.organizer) revert NotOrganizer(id, msg.sender);
        if (block.timestamp < c.revealEnd) revert TestSetRevealNotOpen(id, c.revealEnd);
        if (block.timestamp >= c.evaluationEnd) revert EvaluationClosed(id, c.evaluationEnd);
        if (c.testRevealed) revert TestSetAlreadyRevealed(id);
        if (keccak256(abi.encode(testCid, testRoot, testRows, salt)) != c.testCommitment) revert TestSetMismatch(id);
        c.testRevealed = true;
        if (c.bonded) {
            // Disputes need test rows under a root: a bonded competition cannot reveal an empty test set.
            if (testRows == 0 || testRoot == bytes32(0)) revert TestSetMismatch(id);
            c.testRoot = testRoot;
            c.testRows = testRows;
        }
        c.testCid = testCid;
        emit TestSetRevealed(id, testCid);
    }

    /// @inheritdoc IForecastMarket
    function postScores(uint256 id, address[] calldata participants, int64[] calldata scores) external {
        Competition storage c = _running(id);
        if (msg.sender != c.organizer) revert NotOrganizer(id, msg.sender);
        _requireEvaluationWindow(id, c);
        if (!c.testRevealed) revert TestSetNotRevealed(id);
        if (participants.length != scores.length) revert LengthMismatch(participants.length, scores.length);

        Scoring memory sc = Scoring({
            higher: c.higherIsBetter,
            minScore: c.minScore,
            k: c.prizeCount,
            filled: c.winnerCount,
            failed: 0
        });
        for (uint256 i; i < participants.length; ++i) {
            _score(id, sc, participants[i], scores[i]);
        }
        // At most type(uint32).max submissions can be revealed, and each is scored once.
        c.scoredCount += uint32(participants.length);
        if (sc.failed != 0) c.failedCount += sc.failed;
        c.winnerCount = sc.filled;
        if (c.bonded) {
            for (uint256 i; i < participants.length; ++i) {
                // An entry whose weights were requested waits for their publication (or its deadline).
                if (_game.weightsPending(id, participants[i])) revert WeightsPending(id, participants[i]);
                _claims[id][participants[i]].score = scores[i];
            }
            if (c.scoredCount == c.revealCount) {
                c.challengeEnd = uint40(block.timestamp + CHALLENGE_PERIOD);
                c.challengeCap = uint40(block.timestamp + MAX_CHALLENGE_WINDOW);
            }
        }
    }

    /// @inheritdoc IForecastMarket
    function finalize(uint256 id) external {
        Competition storage c = _running(id);
        if (c.bonded) {
            if (block.timestamp < c.revealEnd) revert EvaluationNotOpen(id, c.revealEnd);
        } else {
            _requireEvaluationWindow(id, c);
        }
        if (c.scoredCount != c.revealCount) revert ScoringIncomplete(id, c.scoredCount, c.revealCount);
        _settleByRanking(id, c);
    }

    /// @inheritdoc IForecastMarket
    function claimRefund(uint256 id) external {
        Competition storage c = _existing(id);
        if (!c.refundPending) revert NoRefundPending(id);
        uint64 refundableAt = c.evaluationEnd + CHALLENGE_PERIOD;
        if (block.timestamp < refundableAt) revert RefundNotYetClaimable(id, refundableAt);
        c.refundPending = false;
        _release(id, c.organizer, _organizerRefund(c), CreditReason.Refund);
    }

    // ================================================================== participants

    /// @inheritdoc IForecastMarket
    function commit(uint256 id, bytes32 commitment) external payable {
        Competition storage c = _running(id);
        if (block.timestamp >= c.submissionEnd) revert SubmissionClosed(id, c.submissionEnd);
        Submission storage s = _submissions[id][msg.sender];
        if (s.status == Status.None) {
            if (msg.value != c.entryDeposit) revert WrongDeposit(c.entryDeposit, msg.value);
            c.participants += 1;
            if (msg.value != 0) _escrowed += uint96(msg.value); // msg.value == entryDeposit < 2^72
        } else if (msg.value != 0) {
            revert WrongDeposit(0, msg.value); // the deposit is paid once, with the first commitment
        }
        uint32 order = ++c.orderCount;
        bytes24 seal = bytes24(commitment);
        s.seal = seal;
        s.order = order;
        s.status = Status.Committed;
        emit Committed(id, msg.sender, seal, order);
    }

    /// @inheritdoc IForecastMarket
    function reveal(uint256 id, string calldata modelCid, bytes32 modelSha256, bytes32 salt) external {
        _reveal(id, modelCid, modelSha256, bytes32(0), salt);
    }

    /// @inheritdoc IForecastMarket
    function revealWithRoot(uint256 id, string calldata modelCid, bytes32 modelSha256, bytes32 weightsRoot, bytes32 salt)
        external
    {
        _reveal(id, modelCid, modelSha256, weightsRoot, salt);
    }

    function _reveal(uint256 id, string calldata modelCid, bytes32 modelSha256, bytes32 weightsRoot, bytes32 salt) private {
        Competition storage c = _running(id);
        if (block.timestamp < c.submissionEnd) revert RevealNotOpen(id, c.submissionEnd);
        if (block.timestamp >= c.revealEnd) revert RevealClosed(id, c.revealEnd);
        Submission storage s = _submissions[id][msg.sender];
        if (s.status != Status.Committed) {
            if (s.status == Status.None) revert NoCommitment(id, msg.sender);
            revert AlreadyRevealed(id, msg.sender);
        }
        if (bytes24(_commitment(modelCid, modelSha256, weightsRoot, salt, msg.sender, id)) != s.seal) {
            revert CommitmentMismatch(id, msg.sender);
        }
        if (c.bonded) {
            if (weightsRoot == bytes32(0)) revert MissingWeightsRoot(id);
            _weightsRoots[id][msg.sender] = weightsRoot;
        }
        s.seal = bytes24(0);
        s.status = Status.Revealed;
        c.revealCount += 1;
        emit Revealed(id, msg.sender, modelCid, modelSha256);
    }

    /// @inheritdoc IForecastMarket
    function settleWithoutEvaluation(uint256 id) external {
        Competition storage c = _running(id);
        if (block.timestamp < c.evaluationEnd) revert EvaluationStillOpen(id, c.evaluationEnd);
        // Scoring finished but nobody finalized: the posted ranking decides, as finalize would.
        // (Also the refund path when nobody revealed, or when every revealed entry failed.)
        if (c.scoredCount == c.revealCount) {
            _settleByRanking(id, c);
            return;
        }
        // Some revealed entry is unscored, so it is not Failed: eligible >= 1.
        if (c.openDisputes != 0) revert ChallengePending(id, c.challengeEnd, c.openDisputes);
        uint32 eligible = c.revealCount - c.failedCount;
        uint256 pool = _fallbackPool(c, eligible);
        c.outcome = Phase.Fallback;
        _returnBond(id, c);
        emit SettledWithoutEvaluation(id, eligible, pool);
        // Each eligible entry claims pool / eligible (plus its deposit); the remainder
        // (< eligible wei) goes to the organizer now, so nothing is left behind.
        uint256 dust = pool % eligible;
        if (dust != 0) _release(id, c.organizer, dust, CreditReason.FallbackRemainder);
    }

    /// @inheritdoc IForecastMarket
    function claim(uint256 id, address participant) external {
        (uint256 amount, CreditReason reason) = _claim(id, participant);
        _escrowed -= uint96(amount); // amount <= what this competition still escrows <= _escrowed
        _credit(participant, id, amount, reason);
    }

    /// @inheritdoc IForecastMarket
    function claimAndWithdraw(uint256 id) external nonReentrant {
        (uint256 amount, CreditReason reason) = _claim(id, msg.sender);
        _escrowed -= uint96(amount); // amount <= what this competition still escrows <= _escrowed
        emit Credited(msg.sender, id, amount, reason);
        emit Withdrawn(msg.sender, msg.sender, amount);
        _send(payable(msg.sender), amount);
    }

    /// @inheritdoc IForecastMarket
    function withdraw() external nonReentrant {
        _withdraw(payable(msg.sender));
    }

    /// @inheritdoc IForecastMarket
    function withdrawTo(address payable to) external nonReentrant {
        if (to == address(0)) revert WithdrawToZeroAddress();
        _withdraw(to);
    }

    // ================================================================== disputes

    /// @inheritdoc IForecastMarket
    function openDispute(uint256 id, address participant, uint256 sumSq, uint256 sumAbs) external payable {
        Competition storage c = _bondedRunning(id);
        // Scoring incomplete: disputes only before the evaluation deadline, so that none can hold up the fallback.
        uint64 closes = c.challengeEnd != 0 ? c.challengeEnd : c.evaluationEnd;
        if (block.timestamp >= closes) revert ChallengeWindowClosed(id, closes);
        Status status = _submissions[id][participant].status;
        // A posted failure is disputable (roles reversed) unless the weights were requested and never published.
        bool failure = status == Status.Failed && _game.failureDisputable(id, participant);
        if (status != Status.Scored && !failure) revert NotDisputable(id, participant);
        Claim storage cl = _claims[id][participant];
        if (msg.sender == _defender(c, cl)) revert DisputeNotAllowed(id, participant, msg.sender);
        if (msg.value != c.challengeBond) revert WrongBond(c.challengeBond, msg.value);
        int64 score = _game.scoreFromSums(c.metric, c.testRows, sumSq, sumAbs);
        if (score == cl.score) revert SameScore(score);
        c.openDisputes += 1;
        _escrowed += uint96(msg.value); // a challenge bond <= 2^96 wei
        emit DisputeOpened(id, participant, msg.sender, score);
        _game.open(id, participant, msg.sender, cl.nonce, sumSq, sumAbs, failure);
    }

    /// @inheritdoc IForecastMarket
    function resolveDispute(
        uint256 id,
        address participant,
        address challenger,
        bool defenderWon,
        uint8 how,
        uint256 sumSq,
        uint256 sumAbs
    ) external {
        if (msg.sender != address(_game)) revert NotDisputeGame(msg.sender);
        Competition storage c = _bondedRunning(id);
        c.openDisputes -= 1;
        emit DisputeEnded(id, participant, challenger, defenderWon, how);
        if (how == 2 || defenderWon) {
            address to = how == 2 ? challenger : _defender(c, _claims[id][participant]);
            _release(id, to, c.challengeBond, CreditReason.ChallengeBond);
        } else {
            _replace(id, c, participant, challenger, sumSq, sumAbs);
        }
    }

    /// @inheritdoc IForecastMarket
    function nominate(uint256 id, address participant) external {
        Competition storage c = _bondedRunning(id);
        Submission storage s = _submissions[id][participant];
        int64 score = _claims[id][participant].score;
        bool higher = c.higherIsBetter;
        uint8 filled = c.winnerCount;
        if (s.status != Status.Scored || (higher ? score < c.minScore : score > c.minScore) || _rankOf(id, filled, participant) < filled) {
            revert NotNominable(id, participant);
        }
        Scoring memory sc = Scoring({higher: higher, minScore: c.minScore, k: c.prizeCount, filled: filled, failed: 0});
        c.winnerCount = _insert(_rankings[id], sc, score, s.order, _pack(participant, score, s.order));
    }

    /// @inheritdoc IForecastMarket
    function claimBond(uint256 id, address participant) external {
        Competition storage c = _existing(id);
        Claim storage cl = _claims[id][participant];
        address claimant = cl.claimant;
        if (c.outcome == Phase.None || claimant == address(0)) revert NoBond(id, participant);
        cl.claimant = address(0);
        _release(id, claimant, c.challengeBond, CreditReason.ChallengeBond);
    }

    // ================================================================== views

    /// @inheritdoc IForecastMarket
    function competitionCount() external view returns (uint256) {
        return _count;
    }

    /// @inheritdoc IForecastMarket
    function competition(uint256 id) external view returns (Competition memory) {
        return _existing(id);
    }

    /// @inheritdoc IForecastMarket
    function phase(uint256 id) external view returns (Phase) {
        Competition storage c = _competitions[id];
        if (c.submissionEnd == 0) return Phase.None;
        if (c.outcome != Phase.None) return c.outcome;
        if (block.timestamp < c.submissionEnd) return Phase.Submission;
        if (block.timestamp < c.revealEnd) return Phase.Reveal;
        if (block.timestamp < c.evaluationEnd) return Phase.Evaluation;
        return Phase.Expired;
    }

    /// @inheritdoc IForecastMarket
    function submission(uint256 id, address participant) external view returns (Submission memory) {
        _existing(id);
        return _submissions[id][participant];
    }

    /// @inheritdoc IForecastMarket
    function ranking(uint256 id) external view returns (Rank[] memory ranks) {
        Competition storage c = _existing(id);
        ranks = new Rank[](c.winnerCount);
        for (uint256 i; i < ranks.length; ++i) {
            uint256 word = _rankings[id][i];
            ranks[i] = Rank(_participantOf(word), _scoreOf(word), _orderOf(word));
        }
    }

    /// @inheritdoc IForecastMarket
    function balanceOf(address account) external view returns (uint256) {
        return _balances[account];
    }

    /// @inheritdoc IForecastMarket
    function totals() external view returns (uint256 escrowed, uint256 owed) {
        return (_escrowed, _owed);
    }

    /// @inheritdoc IForecastMarket
    function commitmentFor(
        string calldata modelCid,
        bytes32 modelSha256,
        bytes32 weightsRoot,
        bytes32 salt,
        address participant,
        uint256 id
    ) external view returns (bytes32) {
        return _commitment(modelCid, modelSha256, weightsRoot, salt, participant, id);
    }

    /// @inheritdoc IForecastMarket
    function disputeGame() external view returns (address) {
        return address(_game);
    }

    /// @inheritdoc IForecastMarket
    function disputeContext(uint256 id, address participant) external view returns (DisputeContext memory ctx) {
        Competition storage c = _bondedRunning(id);
        Claim storage cl = _claims[id][participant];
        ctx.defender = _defender(c, cl);
        ctx.nonce = cl.nonce;
        ctx.score = cl.score;
        if (cl.claimant != address(0)) {
            ctx.sumsKnown = true;
            (ctx.sumSq, ctx.sumAbs) = (_claimSums[id][participant][0], _claimSums[id][participant][1]);
        }
        ctx.metric = c.metric;
        ctx.horizon = c.horizon;
        ctx.weightsRoot = _weightsRoots[id][participant];
        ctx.trainRoot = c.trainRoot;
        ctx.testRoot = c.testRoot;
        ctx.trainRows = c.trainRows;
        ctx.testRows = c.testRows;
        ctx.status = _submissions[id][participant].status;
        ctx.revealEnd = c.revealEnd;
        ctx.evaluationEnd = c.evaluationEnd;
    }

    /// @inheritdoc IForecastMarket
    function claimOf(uint256 id, address participant) external view returns (Claim memory) {
        _existing(id);
        return _claims[id][participant];
    }

    /// @inheritdoc IForecastMarket
    function weightsRootOf(uint256 id, address participant) external view returns (bytes32) {
        _existing(id);
        return _weightsRoots[id][participant];
    }


    // ================================================================== internal: disputes

    function _bondedRunning(uint256 id) private view returns (Competition storage c) {
        c = _running(id);
        if (!c.bonded) revert NotBonded(id);
    }

    /// @dev Who defends a standing score: the organizer, or the challenger whose score replaced it.
    function _defender(Competition storage c, Claim storage cl) private view returns (address) {
        address claimant = cl.claimant;
        return claimant == address(0) ? c.organizer : claimant;
    }

    /// @dev The challenger's score replaces the standing one; the defender's bond (the organizer's,
    /// or the challenge bond behind a replacing score) goes to the challenger.
    function _replace(uint256 id, Competition storage c, address participant, address challenger, uint256 sumSq, uint256 sumAbs)
        private
    {
        Claim storage cl = _claims[id][participant];
        uint256 forfeited = c.challengeBond;
        if (cl.claimant == address(0)) {
            forfeited = c.organizerBond;
            c.organizerBond = 0;
        }
        Submission storage s = _submissions[id][participant];
        if (s.status == Status.Failed) {
            // A disputed failure overturned: the entry is scored, keeps its deposit, and may rank.
            s.status = Status.Scored;
            c.failedCount -= 1;
        }
        int64 old = cl.score;
        int64 score = _game.scoreFromSums(c.metric, c.testRows, sumSq, sumAbs);
        cl.score = score;
        cl.nonce += 1;
        cl.claimant = challenger;
        _claimSums[id][participant] = [sumSq, sumAbs];
        _rerank(id, c, participant, score);
        uint256 reopen = block.timestamp + CHALLENGE_PERIOD;
        // The window reopens for the new score, but never past the cap: replacements traded between
        // colluding accounts cannot postpone settlement for ever.
        if (reopen > c.challengeCap) reopen = c.challengeCap;
        if (c.challengeEnd != 0 && reopen > c.challengeEnd) c.challengeEnd = uint40(reopen);
        emit ScoreReplaced(id, participant, old, score);
        if (forfeited != 0) _release(id, challenger, forfeited, CreditReason.DisputeWon);
    }

    /// @dev Position of `who` in the ranking (`filled` if absent).
    function _rankOf(uint256 id, uint8 filled, address who) private view returns (uint256 i) {
        for (; i < filled; ++i) if (_participantOf(_rankings[id][i]) == who) return i;
    }

    /// @dev Take `who` out of the ranking and put it back with `score` if it qualifies. Entries
    /// that move up into a freed place are brought in by {nominate}.
    function _rerank(uint256 id, Competition storage c, address who, int64 score) private {
        uint8 filled = c.winnerCount;
        uint256 pos = _rankOf(id, filled, who);
        uint256[MAX_WINNERS] storage ranks = _rankings[id];
        if (pos < filled) {
            for (uint256 i = pos; i + 1 < filled; ++i) ranks[i] = ranks[i + 1];
            ranks[filled - 1] = 0;
            filled -= 1;
        }
        bool higher = c.higherIsBetter;
        if (!(higher ? score < c.minScore : score > c.minScore)) {
            uint32 order = _submissions[id][who].order;
            Scoring memory sc = Scoring({higher: higher, minScore: c.minScore, k: c.prizeCount, filled: filled, failed: 0});
            filled = _insert(ranks, sc, score, order, _pack(who, score, order));
        }
        c.winnerCount = filled;
    }

    /// @dev Credit the organizer's bond back (at settlement), if it still has one.
    function _returnBond(uint256 id, Competition storage c) private {
        uint256 bond = c.organizerBond;
        if (bond == 0) return;
        c.organizerBond = 0;
        _release(id, c.organizer, bond, CreditReason.Bond);
    }

    // ================================================================== internal

    /// @dev What {postScores} carries from one entry to the next (kept in memory: the stack is
    /// too small for it).
    struct Scoring {
        bool higher;
        int64 minScore;
        uint8 k;
        uint8 filled;
        uint32 failed;
    }

    /// @dev Each window within [MIN_WINDOW, MAX_WINDOW] (the first only bounded above and after
    /// now), in 256-bit arithmetic so that no deadline can overflow.
    function _checkDeadlines(uint64 submissionEnd, uint64 revealEnd, uint64 evaluationEnd) private view {
        uint256 sub = submissionEnd;
        uint256 rev = revealEnd;
        uint256 ev = evaluationEnd;
        if (
            sub <= block.timestamp ||
            sub > block.timestamp + MAX_WINDOW ||
            rev < sub + MIN_WINDOW ||
            rev > sub + MAX_WINDOW ||
            ev < rev + MIN_WINDOW ||
            ev > rev + MAX_WINDOW
        ) revert InvalidDeadlines(submissionEnd, revealEnd, evaluationEnd, block.timestamp);
    }

    function _commitment(
        string calldata modelCid,
        bytes32 modelSha256,
        bytes32 weightsRoot,
        bytes32 salt,
        address participant,
        uint256 id
    ) private view returns (bytes32) {
        return keccak256(abi.encode(modelCid, modelSha256, weightsRoot, salt, participant, id, address(this)));
    }

    /// @dev A competition that exists (a created one has a nonzero `submissionEnd`, read from
    /// the word {commit} and {reveal} need anyway).
    function _existing(uint256 id) private view returns (Competition storage c) {
        c = _competitions[id];
        if (c.submissionEnd == 0) revert UnknownCompetition(id);
    }

    /// @dev A competition that exists and is not settled: nothing changes after settlement.
    function _running(uint256 id) private view returns (Competition storage c) {
        c = _existing(id);
        if (c.outcome != Phase.None) revert AlreadySettled(id);
    }

    function _requireEvaluationWindow(uint256 id, Competition storage c) private view {
        if (block.timestamp < c.revealEnd) revert EvaluationNotOpen(id, c.revealEnd);
        if (block.timestamp >= c.evaluationEnd) revert EvaluationClosed(id, c.evaluationEnd);
    }

    /// @dev The organizer's refund when nobody ranked: the reward plus the deposits of entries
    /// that never revealed. Failed entries claim their own deposits back, so that declaring
    /// failures never profits the organizer.
    function _organizerRefund(Competition storage c) private view returns (uint256) {
        return uint256(c.reward) + uint256(c.participants - c.revealCount) * c.entryDeposit;
    }

    /// @dev The pool of a fallback shared by `eligible` entries: the reward plus the deposits
    /// of everybody else (never revealed, or failed).
    function _fallbackPool(Competition storage c, uint32 eligible) private view returns (uint256) {
        return uint256(c.reward) + uint256(c.participants - eligible) * c.entryDeposit;
    }

    /// @dev What `participant` is owed in settled competition `id`, and why; marks it Claimed.
    /// Winners are already Claimed (paid at settlement); a Cancelled competition has no submissions.
    function _claim(uint256 id, address participant) private returns (uint256 amount, CreditReason reason) {
        Competition storage c = _existing(id);
        Phase outcome = c.outcome;
        if (outcome == Phase.None) revert NotSettled(id);
        Submission storage s = _submissions[id][participant];
        Status status = s.status;
        if (outcome == Phase.Fallback) {
            if (status == Status.Revealed || status == Status.Scored) {
                uint32 eligible = c.revealCount - c.failedCount;
                amount = c.entryDeposit + _fallbackPool(c, eligible) / eligible;
                reason = CreditReason.FallbackShare;
            }
        } else if (status == Status.Scored || (status == Status.Failed && outcome == Phase.Refunded)) {
            amount = c.entryDeposit;
            reason = CreditReason.Deposit;
        }
        if (amount == 0) revert NothingToClaim(id, participant);
        s.status = Status.Claimed;
    }

    /// @dev Pay out the caller's whole balance to `to`: balance zeroed before the transfer.
    function _withdraw(address payable to) private {
        uint256 amount = _balances[msg.sender];
        if (amount == 0) revert NothingToWithdraw(msg.sender);
        _balances[msg.sender] = 0;
        _owed -= uint96(amount); // a balance is part of _owed
        emit Withdrawn(msg.sender, to, amount);
        _send(to, amount);
    }

    /// @dev The only transfer of ether. `to` is the caller, or the recipient it named for its
    /// own balance ({withdrawTo}); `amount` was taken off the books before the call.
    function _send(address payable to, uint256 amount) private {
        // slither-disable-next-line arbitrary-send-eth
        (bool ok, ) = to.call{value: amount}("");
        if (!ok) revert TransferFailed(to, amount);
    }

    /// @dev Move `amount` of competition `id` from escrow to `account`'s balance.
    function _release(uint256 id, address account, uint256 amount, CreditReason reason) private {
        _escrowed -= uint96(amount); // amount <= a competition's escrow <= _escrowed < 2^96
        _credit(account, id, amount, reason);
    }

    function _credit(address account, uint256 id, uint256 amount, CreditReason reason) private {
        _balances[account] += amount;
        _owed += uint96(amount); // everything owed was escrowed first: < 2^96
        emit Credited(account, id, amount, reason);
    }

    /// @dev Settle by the ranking. Winners: the pool (reward plus the deposits of entries that
    /// never revealed or failed) by the prize split renormalised over the ranks filled, so
    /// shares of unfilled ranks go to the winners pro rata and never to the organizer; rounding
    /// dust goes to rank 1, so the prizes add up to the pool exactly; each winner also gets its
    /// own deposit and is marked Claimed. Nobody ranked: refund the organizer, at once if
    /// nobody revealed, else after the challenge period.
    function _settleByRanking(uint256 id, Competition storage c) private {
        if (c.bonded && (block.timestamp < c.challengeEnd || c.openDisputes != 0)) {
            revert ChallengePending(id, c.challengeEnd, c.openDisputes);
        }
        _returnBond(id, c);
        uint8 winners = c.winnerCount;
        if (winners == 0) {
            c.outcome = Phase.Refunded;
            uint256 refund = _organizerRefund(c);
            if (c.revealCount == 0) {
                emit Refunded(id, c.organizer, refund, uint64(block.timestamp));
                _release(id, c.organizer, refund, CreditReason.Refund);
            } else {
                c.refundPending = true;
                emit Refunded(id, c.organizer, refund, c.evaluationEnd + CHALLENGE_PERIOD);
            }
            return;
        }
        uint256 deposit = c.entryDeposit;
        uint256 pool = uint256(c.reward) +
            uint256(c.participants - c.revealCount + c.failedCount) * deposit;
        c.outcome = Phase.Finalized;
        emit Finalized(id, winners, pool);
        uint256 filledBps = 0;
        for (uint256 i; i < winners; ++i) filledBps += c.prizeBps[i];
        uint256[MAX_WINNERS] storage ranks = _rankings[id];
        // pool + the winners' deposits <= this competition's escrow <= _escrowed
        _escrowed -= uint96(pool + winners * deposit);
        uint256 toFirst = pool;
        for (uint256 i = 1; i < winners; ++i) {
            uint256 prize = (pool * c.prizeBps[i]) / filledBps;
            toFirst -= prize; // the prizes of ranks 2..k sum to at most pool
            _payWinner(id, _participantOf(ranks[i]), prize + deposit);
        }
        _payWinner(id, _participantOf(ranks[0]), toFirst + deposit);
    }

    function _payWinner(uint256 id, address winner, uint256 amount) private {
        _submissions[id][winner].status = Status.Claimed;
        _credit(winner, id, amount, CreditReason.Prize);
    }

    /// @dev Mark `who`'s revealed submission Scored (or Failed, for the failure score) and rank
    /// it if it meets the minimum. A failure is never ranked, whatever the minimum.
    function _score(uint256 id, Scoring memory sc, address who, int64 score) private {
        Submission storage s = _submissions[id][who];
        Status status = s.status;
        if (status != Status.Revealed) {
            if (status == Status.Scored || status == Status.Failed) revert AlreadyScored(id, who);
            revert NotRevealed(id, who);
        }
        if (score == (sc.higher ? type(int64).min : type(int64).max)) {
            s.status = Status.Failed;
            emit ScorePosted(id, who, score);
            ++sc.failed;
            return;
        }
        s.status = Status.Scored;
        emit ScorePosted(id, who, score);
        if (sc.higher ? score < sc.minScore : score > sc.minScore) return;
        sc.filled = _insert(_rankings[id], sc, score, s.order, _pack(who, score, s.order));
    }

    /// @dev Insert a rank (`score`, commit `order`, packed as `word`) into the top-k list of
    /// `sc.filled` entries, best first; ties go to the lower commit order. Returns the new number
    /// of entries.
    function _insert(
        uint256[MAX_WINNERS] storage ranks,
        Scoring memory sc,
        int64 score,
        uint32 order,
        uint256 word
    ) private returns (uint8) {
        uint8 filled = sc.filled;
        uint8 k = sc.k;
        uint256 pos = filled;
        while (pos > 0 && _better(score, order, ranks[pos - 1], sc.higher)) --pos;
        if (pos >= k) return filled; // not in the top k
        uint256 last = filled < k ? filled : k - 1;
        for (uint256 i = last; i > pos; --i) ranks[i] = ranks[i - 1];
        ranks[pos] = word;
        return filled < k ? filled + 1 : filled;
    }

    /// @dev Whether (`score`, `order`) ranks before the packed rank `other`.
    function _better(int64 score, uint32 order, uint256 other, bool higher) private pure returns (bool) {
        int64 otherScore = _scoreOf(other);
        if (score != otherScore) return higher ? score > otherScore : score < otherScore;
        return order < _orderOf(other);
    }

    function _pack(address participant, int64 score, uint32 order) private pure returns (uint256) {
        return uint256(uint160(participant)) | (uint256(uint64(score)) << 160) | (uint256(order) << 224);
    }

    function _participantOf(uint256 word) private pure returns (address) {
        return address(uint160(word));
    }

    function _scoreOf(uint256 word) private pure returns (int64) {
        return int64(uint64(word >> 160));
    }

    function _orderOf(uint256 word) private pure returns (uint32) {
        return uint32(word >> 224);
    }
}
