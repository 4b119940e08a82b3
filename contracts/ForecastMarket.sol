// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {IForecastMarket} from "../interfaces/IForecastMarket.sol";

/**
 * @title ForecastMarket
 * @notice Many forecasting competitions in one contract: rewards in escrow, sealed model
 * submissions (commit-reveal), a hidden test set committed at creation, scores posted by the
 * organizer and ranked on chain, pull payments. See {IForecastMarket} for the protocol.
 *
 * @dev Gas design (targets: create <= 300k, commit <= 70k, reveal <= 70k, <= 30k per posted
 * score; constant in the number of submissions):
 * - a commitment writes one new storage slot: the first 24 bytes of the commitment hash, the
 *   commit order and the status share a word. 192 bits keep the commitment binding (a
 *   collision costs ~2^96 hash evaluations) and hiding (the salt is 256 bits);
 * - model CIDs live in {Revealed} events; storage keeps the model's sha256 for clients;
 * - only the top k (k <= 3) scores are kept, updated on each posted score; nothing loops over
 *   all submissions: fallback shares are claimed one by one.
 * Money: every wei sent in is either escrowed for a competition (a running one, or unclaimed
 * fallback shares) or owed to an account (`_escrowed + _owed`), tracked in storage, never read
 * from `address(this).balance`.
 */
contract ForecastMarket is IForecastMarket, ReentrancyGuard {
    uint16 private constant BPS = 10_000;
    uint8 private constant MAX_WINNERS = 3;
    /// @notice Shortest reveal window and shortest evaluation window, in seconds.
    /// @dev A one-second reveal window would let an organizer collect every deposit as forfeited.
    uint64 public constant MIN_WINDOW = 1 hours;

    // `_escrowed` and `_count` share a slot: creating a competition writes both.
    uint128 private _escrowed; // rewards and deposits of unsettled competitions, unclaimed fallback shares
    uint64 private _count; // competitions created; ids are 1.._count
    uint256 private _owed; // credited to accounts, not yet withdrawn

    mapping(uint256 id => Competition) private _competitions;
    mapping(uint256 id => mapping(address participant => Submission)) private _submissions;
    mapping(uint256 id => mapping(address participant => bytes32)) private _modelDigests;
    mapping(uint256 id => Rank[MAX_WINNERS]) private _rankings;
    mapping(address account => uint256) private _balances;

    // ================================================================== organizer

    /// @inheritdoc IForecastMarket
    function createCompetition(CompetitionParams calldata p) external payable returns (uint256 id) {
        if (msg.value == 0) revert EmptyReward();
        if (msg.value > type(uint128).max) revert RewardTooLarge(msg.value);
        if (
            p.submissionEnd <= block.timestamp ||
            p.revealEnd < p.submissionEnd + MIN_WINDOW ||
            p.evaluationEnd < p.revealEnd + MIN_WINDOW
        ) revert InvalidDeadlines(p.submissionEnd, p.revealEnd, p.evaluationEnd, block.timestamp);
        if (bytes(p.dataCid).length == 0 || bytes(p.target).length == 0 || p.sequenceLength == 0 || p.horizon == 0) {
            revert InvalidTask();
        }
        uint256 k = p.prizeBps.length;
        if (k == 0 || k > MAX_WINNERS) revert InvalidPrizeSplit();
        uint256 total;
        for (uint256 i; i < k; ++i) {
            if (p.prizeBps[i] == 0) revert InvalidPrizeSplit();
            total += p.prizeBps[i];
        }
        if (total != BPS) revert InvalidPrizeSplit();

        id = ++_count;
        Competition storage c = _competitions[id];
        c.organizer = msg.sender;
        c.submissionEnd = p.submissionEnd;
        c.revealEnd = p.revealEnd;
        c.evaluationEnd = p.evaluationEnd;
        c.reward = uint128(msg.value);
        c.entryDeposit = p.entryDeposit;
        c.minScore = p.minScore;
        c.sequenceLength = p.sequenceLength;
        c.horizon = p.horizon;
        c.metric = p.metric;
        c.higherIsBetter = p.higherIsBetter;
        c.prizeCount = uint8(k);
        for (uint256 i; i < k; ++i) c.prizeBps[i] = p.prizeBps[i];
        c.testCommitment = p.testCommitment;
        c.dataCid = p.dataCid;
        c.target = p.target;
        _escrowed += uint128(msg.value);
        emit CompetitionCreated(id, msg.sender, msg.value, p.dataCid, p.submissionEnd, p.revealEnd, p.evaluationEnd);
    }

    /// @inheritdoc IForecastMarket
    function cancel(uint256 id) external {
        Competition storage c = _running(id);
        if (msg.sender != c.organizer) revert NotOrganizer(id, msg.sender);
        if (c.participants != 0) revert HasCommitments(id, c.participants);
        c.outcome = Phase.Cancelled;
        emit CompetitionCancelled(id);
        _release(id, c.organizer, c.reward);
    }

    /// @inheritdoc IForecastMarket
    function revealTestSet(uint256 id, string calldata testCid, bytes32 salt) external {
        Competition storage c = _running(id);
        if (msg.sender != c.organizer) revert NotOrganizer(id, msg.sender);
        if (block.timestamp < c.submissionEnd) revert RevealNotOpen(id, c.submissionEnd);
        if (block.timestamp >= c.evaluationEnd) revert EvaluationClosed(id, c.evaluationEnd);
        if (c.testRevealed) revert TestSetAlreadyRevealed(id);
        if (keccak256(abi.encode(testCid, salt)) != c.testCommitment) revert TestSetMismatch(id);
        c.testRevealed = true;
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

        uint8 filled = c.winnerCount;
        for (uint256 i; i < participants.length; ++i) {
            filled = _score(id, c, participants[i], scores[i], filled);
        }
        // At most type(uint32).max submissions can be revealed, and each is scored once.
        c.scoredCount += uint32(participants.length);
        c.winnerCount = filled;
    }

    /// @inheritdoc IForecastMarket
    function finalize(uint256 id) external {
        Competition storage c = _running(id);
        _requireEvaluationWindow(id, c);
        if (c.scoredCount != c.revealCount) revert ScoringIncomplete(id, c.scoredCount, c.revealCount);
        _settleByRanking(id, c);
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
            if (msg.value != 0) _escrowed += uint128(msg.value);
        } else if (msg.value != 0) {
            revert WrongDeposit(0, msg.value); // the deposit is paid once, with the first commitment
        }
        uint32 order = ++c.orderCount;
        s.seal = bytes24(commitment);
        s.order = order;
        s.status = Status.Committed;
        emit Committed(id, msg.sender, commitment, order);
    }

    /// @inheritdoc IForecastMarket
    function reveal(uint256 id, string calldata modelCid, bytes32 modelSha256, bytes32 salt) external {
        Competition storage c = _running(id);
        if (block.timestamp < c.submissionEnd) revert RevealNotOpen(id, c.submissionEnd);
        if (block.timestamp >= c.revealEnd) revert RevealClosed(id, c.revealEnd);
        Submission storage s = _submissions[id][msg.sender];
        if (s.status != Status.Committed) {
            if (s.status == Status.None) revert NoCommitment(id, msg.sender);
            revert AlreadyRevealed(id, msg.sender);
        }
        if (bytes24(_commitment(modelCid, modelSha256, salt, msg.sender, id)) != s.seal) {
            revert CommitmentMismatch(id, msg.sender);
        }
        s.seal = bytes24(0);
        s.status = Status.Revealed;
        _modelDigests[id][msg.sender] = modelSha256;
        c.revealCount += 1;
        emit Revealed(id, msg.sender, modelCid, modelSha256);
        uint256 deposit = c.entryDeposit;
        if (deposit != 0) {
            _escrowed -= uint128(deposit);
            _credit(msg.sender, id, deposit);
        }
    }

    /// @inheritdoc IForecastMarket
    function settleWithoutEvaluation(uint256 id) external {
        Competition storage c = _running(id);
        if (block.timestamp < c.evaluationEnd) revert EvaluationStillOpen(id, c.evaluationEnd);
        uint32 revealed = c.revealCount;
        // Scoring finished but nobody finalized: the posted ranking decides, as finalize would.
        // (Also the refund path when nobody revealed.)
        if (c.scoredCount == revealed) {
            _settleByRanking(id, c);
            return;
        }
        uint256 pool = _pool(c);
        c.outcome = Phase.Fallback;
        emit SettledWithoutEvaluation(id, revealed, pool);
        // Each revealed participant claims pool / revealed; the remainder (< revealed wei)
        // goes to the organizer now, so nothing is left behind.
        uint256 dust = pool % revealed;
        if (dust != 0) _release(id, c.organizer, dust);
    }

    /// @inheritdoc IForecastMarket
    function claimFallbackShare(uint256 id, address participant) external {
        Competition storage c = _existing(id);
        if (c.outcome != Phase.Fallback) revert NotFallback(id);
        Submission storage s = _submissions[id][participant];
        if (s.status != Status.Revealed && s.status != Status.Scored) revert NothingToClaim(id, participant);
        s.status = Status.Claimed;
        _release(id, participant, _pool(c) / c.revealCount);
    }

    /// @inheritdoc IForecastMarket
    function withdraw() external nonReentrant {
        uint256 amount = _balances[msg.sender];
        if (amount == 0) revert NothingToWithdraw(msg.sender);
        _balances[msg.sender] = 0;
        _owed -= amount;
        emit Withdrawn(msg.sender, amount);
        (bool ok, ) = payable(msg.sender).call{value: amount}("");
        if (!ok) revert TransferFailed(msg.sender, amount);
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
        if (c.organizer == address(0)) return Phase.None;
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
    function modelDigest(uint256 id, address participant) external view returns (bytes32) {
        _existing(id);
        return _modelDigests[id][participant];
    }

    /// @inheritdoc IForecastMarket
    function ranking(uint256 id) external view returns (Rank[] memory ranks) {
        Competition storage c = _existing(id);
        ranks = new Rank[](c.winnerCount);
        for (uint256 i; i < ranks.length; ++i) ranks[i] = _rankings[id][i];
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
        bytes32 salt,
        address participant,
        uint256 id
    ) external view returns (bytes32) {
        return _commitment(modelCid, modelSha256, salt, participant, id);
    }

    // ================================================================== internal

    function _commitment(
        string calldata modelCid,
        bytes32 modelSha256,
        bytes32 salt,
        address participant,
        uint256 id
    ) private view returns (bytes32) {
        return keccak256(abi.encode(modelCid, modelSha256, salt, participant, id, address(this)));
    }

    function _existing(uint256 id) private view returns (Competition storage c) {
        c = _competitions[id];
        if (c.organizer == address(0)) revert UnknownCompetition(id);
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

    /// @dev The reward plus the deposits of participants who never revealed.
    function _pool(Competition storage c) private view returns (uint256) {
        return uint256(c.reward) + uint256(c.participants - c.revealCount) * c.entryDeposit;
    }

    /// @dev Move `amount` of competition `id` from escrow to `account`'s balance.
    function _release(uint256 id, address account, uint256 amount) private {
        _escrowed -= uint128(amount); // amount <= a competition's escrow <= _escrowed
        _credit(account, id, amount);
    }

    function _credit(address account, uint256 id, uint256 amount) private {
        _balances[account] += amount;
        _owed += amount;
        emit Credited(account, id, amount);
    }

    /// @dev Credit the ranked winners by the prize split, or refund the organizer when nobody
    /// met the minimum. Shares of ranks nobody reached go back to the organizer; rounding dust
    /// goes to rank 1, so the credits add up to the pool exactly.
    function _settleByRanking(uint256 id, Competition storage c) private {
        uint256 pool = _pool(c);
        uint8 winners = c.winnerCount;
        if (winners == 0) {
            c.outcome = Phase.Refunded;
            emit Refunded(id, c.organizer, pool);
            _release(id, c.organizer, pool);
            return;
        }
        c.outcome = Phase.Finalized;
        emit Finalized(id, winners, pool);
        uint256 unawardedBps;
        for (uint256 i = winners; i < c.prizeCount; ++i) unawardedBps += c.prizeBps[i];
        uint256 toOrganizer = (pool * unawardedBps) / BPS;
        uint256 toFirst = pool - toOrganizer;
        Rank[MAX_WINNERS] storage ranks = _rankings[id];
        _escrowed -= uint128(pool); // pool <= this competition's escrow <= _escrowed
        for (uint256 i = 1; i < winners; ++i) {
            uint256 share = (pool * c.prizeBps[i]) / BPS;
            toFirst -= share; // the shares of ranks 2..k sum to at most pool - toOrganizer
            _credit(ranks[i].participant, id, share);
        }
        _credit(ranks[0].participant, id, toFirst);
        if (toOrganizer != 0) _credit(c.organizer, id, toOrganizer);
    }

    /// @dev Mark `who`'s revealed submission scored and rank it if it meets the minimum.
    function _score(
        uint256 id,
        Competition storage c,
        address who,
        int64 score,
        uint8 filled
    ) private returns (uint8) {
        Submission storage s = _submissions[id][who];
        if (s.status != Status.Revealed) {
            if (s.status == Status.Scored) revert AlreadyScored(id, who);
            revert NotRevealed(id, who);
        }
        s.status = Status.Scored;
        emit ScorePosted(id, who, score);
        bool higher = c.higherIsBetter;
        if (higher ? score < c.minScore : score > c.minScore) return filled;
        return _insert(_rankings[id], filled, c.prizeCount, Rank(who, score, s.order), higher);
    }

    /// @dev Insert `r` into the top-`k` list of `filled` entries, best first; ties go to the
    /// lower commit order. Returns the new number of entries.
    function _insert(
        Rank[MAX_WINNERS] storage ranks,
        uint8 filled,
        uint8 k,
        Rank memory r,
        bool higher
    ) private returns (uint8) {
        uint256 pos = filled;
        while (pos > 0 && _better(r, ranks[pos - 1], higher)) --pos;
        if (pos >= k) return filled; // not in the top k
        uint256 last = filled < k ? filled : k - 1;
        for (uint256 i = last; i > pos; --i) ranks[i] = ranks[i - 1];
        ranks[pos] = r;
        return filled < k ? filled + 1 : filled;
    }

    function _better(Rank memory a, Rank storage b, bool higher) private view returns (bool) {
        if (a.score != b.score) return higher ? a.score > b.score : a.score < b.score;
        return a.order < b.order;
    }
}
