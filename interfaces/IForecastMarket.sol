// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/**
 * @title IForecastMarket
 * @notice A market for trained forecasting models. An organizer escrows a reward and publishes
 * training data on IPFS; participants commit to a trained model before a deadline and reveal it
 * after; the organizer reveals a hidden test set, posts every revealed model's score, and the
 * contract ranks them and pays the best by pull payments.
 *
 * Time windows of a competition, enforced with `block.timestamp`:
 *
 *     [created, submissionEnd)   commit (and replace) sealed submissions
 *     [submissionEnd, revealEnd) reveal submissions; the organizer may reveal the test set
 *     [revealEnd, evaluationEnd) post scores (after the test set is revealed), finalize
 *                                (anyone, once every revealed submission is scored)
 *     [evaluationEnd, ...)       anyone may settle without evaluation if not finalized
 */
interface IForecastMarket {
    /// @notice Where a competition stands. `Submission`, `Reveal` and `Evaluation` follow from
    /// the clock; the last four are terminal and recorded when they happen.
    enum Phase {
        None, // no such competition
        Submission,
        Reveal,
        Evaluation,
        Expired, // evaluation deadline passed and nothing settled yet: settleWithoutEvaluation
        Finalized, // winners credited by the prize split
        Refunded, // nobody qualified (or nobody revealed): the organizer was refunded
        Fallback, // the organizer did not finish: revealed participants share the reward
        Cancelled
    }

    /// @notice A participant's submission. `None` means no commitment.
    enum Status {
        None,
        Committed,
        Revealed,
        Scored,
        Claimed // fallback share credited
    }

    /// @notice What the organizer passes to {createCompetition}.
    struct CompetitionParams {
        string dataCid; // IPFS CID of the training-data bundle (a folder: train.csv + schema.json)
        string target; // name of the target column
        uint32 sequenceLength; // input window, in time steps
        uint32 horizon; // steps ahead to forecast
        uint8 metric; // metric id (off-chain table: 0 RMSE, 1 MAE, 2 MASE, 3 sMAPE, 4 directional accuracy)
        bool higherIsBetter; // score direction of the metric
        int64 minScore; // a score must meet this (metric x 1e6) to win
        uint64 submissionEnd;
        uint64 revealEnd;
        uint64 evaluationEnd;
        uint16[] prizeBps; // share of the pool for rank 1..k, basis points summing to 10000, k <= 3
        uint96 entryDeposit; // wei each participant locks at first commit; returned on reveal
        bytes32 testCommitment; // keccak256(abi.encode(testCid, salt))
    }

    /// @notice A competition as stored. Getter: {competition}.
    struct Competition {
        address organizer;
        uint64 submissionEnd;
        uint32 orderCount; // commitments so far, replacements included: the commit-order counter
        uint64 revealEnd;
        uint64 evaluationEnd;
        uint32 participants; // addresses that committed (each paid the entry deposit once)
        uint32 revealCount;
        uint32 scoredCount;
        Phase outcome; // None while running; a terminal phase once settled
        bool testRevealed;
        uint8 winnerCount; // entries in the ranking
        uint128 reward;
        uint96 entryDeposit;
        int64 minScore;
        uint32 sequenceLength;
        uint32 horizon;
        uint8 metric;
        bool higherIsBetter;
        uint8 prizeCount; // k
        uint16[3] prizeBps;
        bytes32 testCommitment;
        string dataCid;
        string target;
        string testCid; // set by revealTestSet
    }

    /// @notice One place in a competition's ranking. Getter: {ranking}.
    struct Rank {
        address participant;
        int64 score;
        uint32 order; // commit order; ties go to the lower
    }

    /// @notice A participant's submission as stored. Getter: {submission}.
    struct Submission {
        bytes24 seal; // first 24 bytes of the commitment while Committed; zero once revealed
        uint32 order; // commit order within the competition (1-based); ties go to the lower
        Status status;
    }

    // ------------------------------------------------------------------ events

    event CompetitionCreated(
        uint256 indexed id,
        address indexed organizer,
        uint256 reward,
        string dataCid,
        uint64 submissionEnd,
        uint64 revealEnd,
        uint64 evaluationEnd
    );
    event CompetitionCancelled(uint256 indexed id);
    event Committed(uint256 indexed id, address indexed participant, bytes32 commitment, uint32 order);
    event Revealed(uint256 indexed id, address indexed participant, string modelCid, bytes32 modelSha256);
    event TestSetRevealed(uint256 indexed id, string testCid);
    event ScorePosted(uint256 indexed id, address indexed participant, int64 score);
    event Finalized(uint256 indexed id, uint8 winners, uint256 pool);
    event Refunded(uint256 indexed id, address indexed organizer, uint256 amount);
    event SettledWithoutEvaluation(uint256 indexed id, uint32 revealed, uint256 pool);
    event Credited(address indexed account, uint256 indexed id, uint256 amount);
    event Withdrawn(address indexed account, uint256 amount);

    // ------------------------------------------------------------------ errors

    error UnknownCompetition(uint256 id);
    error InvalidDeadlines(uint64 submissionEnd, uint64 revealEnd, uint64 evaluationEnd, uint256 now_);
    error InvalidPrizeSplit();
    error InvalidTask();
    error EmptyReward();
    error RewardTooLarge(uint256 reward);
    error NotOrganizer(uint256 id, address caller);
    error SubmissionClosed(uint256 id, uint64 deadline);
    error RevealNotOpen(uint256 id, uint64 opensAt);
    error RevealClosed(uint256 id, uint64 deadline);
    error WrongDeposit(uint256 expected, uint256 sent);
    error NoCommitment(uint256 id, address participant);
    error AlreadyRevealed(uint256 id, address participant);
    error CommitmentMismatch(uint256 id, address participant);
    error TestSetAlreadyRevealed(uint256 id);
    error TestSetMismatch(uint256 id);
    error TestSetNotRevealed(uint256 id);
    error EvaluationNotOpen(uint256 id, uint64 opensAt);
    error EvaluationClosed(uint256 id, uint64 deadline);
    error LengthMismatch(uint256 participants, uint256 scores);
    error NotRevealed(uint256 id, address participant);
    error AlreadyScored(uint256 id, address participant);
    error ScoringIncomplete(uint256 id, uint32 scored, uint32 revealed);
    error AlreadySettled(uint256 id);
    error EvaluationStillOpen(uint256 id, uint64 deadline);
    error NotFallback(uint256 id);
    error NothingToClaim(uint256 id, address participant);
    error HasCommitments(uint256 id, uint32 commitments);
    error NothingToWithdraw(address account);
    error TransferFailed(address account, uint256 amount);

    // ------------------------------------------------------------------ organizer

    /// @notice Create a competition, escrowing `msg.value` as the reward.
    /// @dev Emits a {CompetitionCreated} event.
    /// @param p The task, data, deadlines, prize split, deposit and test-set commitment.
    /// @return id The new competition's id (1-based).
    function createCompetition(CompetitionParams calldata p) external payable returns (uint256 id);

    /// @notice Cancel a competition nobody has committed to; the reward is credited back.
    /// @dev Emits {CompetitionCancelled} and {Credited}.
    function cancel(uint256 id) external;

    /// @notice Publish the hidden test set: its CID and the salt of the creation commitment.
    /// @dev Allowed in [submissionEnd, evaluationEnd): models are sealed by then, so seeing the
    /// test set early gives nobody a choice to make. Emits a {TestSetRevealed} event.
    function revealTestSet(uint256 id, string calldata testCid, bytes32 salt) external;

    /// @notice Post the scores (metric x 1e6) of revealed submissions, each exactly once.
    /// @dev Allowed in [revealEnd, evaluationEnd) once the test set is revealed.
    /// Emits a {ScorePosted} event for each entry.
    function postScores(uint256 id, address[] calldata participants, int64[] calldata scores) external;

    /// @notice Close scoring: credit the ranked winners by the prize split, or refund the
    /// organizer when nobody met the minimum score. Every revealed submission must be scored.
    /// @dev Organizer only, in [revealEnd, evaluationEnd). Emits {Finalized} or {Refunded}.
    function finalize(uint256 id) external;

    // ------------------------------------------------------------------ participants

    /// @notice Commit (or replace, before the deadline) a sealed submission.
    /// `commitment = keccak256(abi.encode(modelCid, modelSha256, salt, msg.sender, id, address(this)))`.
    /// @dev The entry deposit is due with the first commitment only. Emits a {Committed} event.
    function commit(uint256 id, bytes32 commitment) external payable;

    /// @notice Reveal the committed model; returns the entry deposit.
    /// @dev Allowed in [submissionEnd, revealEnd). Emits {Revealed} (and {Credited} with a deposit).
    function reveal(uint256 id, string calldata modelCid, bytes32 modelSha256, bytes32 salt) external;

    /// @notice After the evaluation deadline of an unfinished competition, settle it. When every
    /// revealed submission was scored, the ranking pays as {finalize} would; otherwise the
    /// revealed participants share the pool equally (claim with {claimFallbackShare}); with no
    /// reveals, the organizer is refunded.
    /// @dev Anyone may call. Emits {Finalized}, {SettledWithoutEvaluation} or {Refunded}.
    function settleWithoutEvaluation(uint256 id) external;

    /// @notice Credit `participant`'s equal share of a competition settled without evaluation.
    /// Anyone may call it for anyone: the share always goes to the participant.
    /// @dev Emits a {Credited} event.
    function claimFallbackShare(uint256 id, address participant) external;

    /// @notice Send the caller everything credited to it.
    /// @dev Emits a {Withdrawn} event.
    function withdraw() external;

    // ------------------------------------------------------------------ views

    function competitionCount() external view returns (uint256);

    function competition(uint256 id) external view returns (Competition memory);

    function phase(uint256 id) external view returns (Phase);

    function submission(uint256 id, address participant) external view returns (Submission memory);

    /// @notice The model digest revealed by `participant` (zero before the reveal).
    function modelDigest(uint256 id, address participant) external view returns (bytes32);

    function ranking(uint256 id) external view returns (Rank[] memory);

    /// @notice Wei `account` can withdraw now.
    function balanceOf(address account) external view returns (uint256);

    /// @notice Contract-wide accounting: wei escrowed for unsettled competitions and wei owed to
    /// accounts. The contract's balance is never less than their sum.
    function totals() external view returns (uint256 escrowed, uint256 owed);

    /// @notice The commitment a participant must submit (helper for clients).
    function commitmentFor(
        string calldata modelCid,
        bytes32 modelSha256,
        bytes32 salt,
        address participant,
        uint256 id
    ) external view returns (bytes32);
}
