// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/**
 * @title IForecastMarket
 * @notice A market for trained forecasting models. An organizer escrows a reward and publishes
 * training data on IPFS; participants commit to a trained model before a deadline and reveal it
 * after; the organizer reveals a hidden test set, posts every revealed model's score, and the
 * contract ranks them and pays the best by pull payments.
 *
 * Time windows of a competition, enforced with `block.timestamp` (deadlines are seconds since
 * the Unix epoch; each window includes its start and excludes its end):
 *
 *     [created, submissionEnd)       commit (and replace) sealed submissions
 *     [submissionEnd, revealEnd)     reveal submissions
 *     [submissionEnd, evaluationEnd) the organizer may reveal the test set
 *     [revealEnd, evaluationEnd)     the organizer posts scores (after revealing the test set);
 *                                    anyone may finalize once every revealed submission is scored
 *     [evaluationEnd, ...)           anyone may settle without evaluation if not yet settled
 *
 * The organizer may cancel at any time before settlement while nobody has committed.
 *
 * Units: amounts are in wei; scores and the minimum score are the metric's value x 1e6, as an
 * integer; prize shares are basis points (10000 = the whole pool). The pool of a competition is
 * its reward plus the entry deposits of participants who never revealed.
 *
 * Every function that takes a competition id reverts with {UnknownCompetition} for an id that was
 * never created, except {phase} (which returns `Phase.None`) and {commitmentFor}. Every function
 * that changes a competition reverts with {AlreadySettled} once it is settled, except
 * {claimFallbackShare}.
 */
interface IForecastMarket {
    /// @notice Where a competition stands. `Submission`, `Reveal` and `Evaluation` follow from
    /// the clock; the last four are terminal and recorded when they happen.
    enum Phase {
        None, // no such competition
        Submission, // before submissionEnd
        Reveal, // [submissionEnd, revealEnd)
        Evaluation, // [revealEnd, evaluationEnd)
        Expired, // evaluation deadline passed and nothing settled yet: settleWithoutEvaluation
        Finalized, // winners credited by the prize split
        Refunded, // nobody qualified (or nobody revealed): the organizer was refunded the pool
        Fallback, // the organizer did not finish: revealed participants share the pool equally
        Cancelled // the organizer cancelled before any commitment; the reward was credited back
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
        int64 minScore; // a score must meet this (metric x 1e6) to win: >= if higherIsBetter, else <=
        uint64 submissionEnd; // seconds since epoch; must be in the future
        uint64 revealEnd; // seconds since epoch; at least MIN_WINDOW (1 hour) after submissionEnd
        uint64 evaluationEnd; // seconds since epoch; at least MIN_WINDOW (1 hour) after revealEnd
        uint16[] prizeBps; // share of the pool for rank 1..k, nonzero basis points summing to 10000, k <= 3
        uint96 entryDeposit; // wei each participant locks at first commit; returned on reveal, else forfeited to the pool
        bytes32 testCommitment; // keccak256(abi.encode(testCid, salt))
    }

    /// @notice A competition as stored. Getter: {competition}.
    struct Competition {
        address organizer;
        uint64 submissionEnd; // seconds since epoch
        uint32 orderCount; // commitments so far, replacements included: the commit-order counter
        uint64 revealEnd; // seconds since epoch
        uint64 evaluationEnd; // seconds since epoch
        uint32 participants; // addresses that committed (each paid the entry deposit once)
        uint32 revealCount;
        uint32 scoredCount;
        Phase outcome; // None while running; a terminal phase once settled
        bool testRevealed;
        uint8 winnerCount; // entries in the ranking
        uint128 reward; // wei escrowed at creation
        uint96 entryDeposit; // wei
        int64 minScore; // metric x 1e6
        uint32 sequenceLength;
        uint32 horizon;
        uint8 metric;
        bool higherIsBetter;
        uint8 prizeCount; // k
        uint16[3] prizeBps; // basis points; only the first k entries are used
        bytes32 testCommitment;
        string dataCid;
        string target;
        string testCid; // set by revealTestSet
    }

    /// @notice One place in a competition's ranking. Getter: {ranking}.
    struct Rank {
        address participant;
        int64 score; // metric x 1e6
        uint32 order; // commit order of the participant's last commitment; ties go to the lower
    }

    /// @notice A participant's submission as stored. Getter: {submission}.
    struct Submission {
        bytes24 seal; // first 24 bytes of the commitment while Committed; zero once revealed
        uint32 order; // commit order within the competition (1-based), renewed by each replacement; ties go to the lower
        Status status;
    }

    // ------------------------------------------------------------------ events

    /// @notice Emitted when a competition is created by {createCompetition}.
    /// @param id The new competition's id.
    /// @param organizer The creator, who alone may cancel, reveal the test set and post scores.
    /// @param reward The escrowed reward, in wei.
    /// @param dataCid IPFS CID of the training-data bundle.
    /// @param submissionEnd Commit deadline, seconds since epoch.
    /// @param revealEnd Reveal deadline, seconds since epoch.
    /// @param evaluationEnd Evaluation deadline, seconds since epoch.
    event CompetitionCreated(
        uint256 indexed id,
        address indexed organizer,
        uint256 reward,
        string dataCid,
        uint64 submissionEnd,
        uint64 revealEnd,
        uint64 evaluationEnd
    );

    /// @notice Emitted when the organizer cancels competition `id` with {cancel}.
    /// @dev Followed by a {Credited} event returning the reward to the organizer.
    event CompetitionCancelled(uint256 indexed id);

    /// @notice Emitted by {commit} for every commitment, first or replacement.
    /// @param commitment The full 32-byte commitment (storage keeps only its first 24 bytes).
    /// @param order The commit order it was given (1-based, per competition); ties in the
    /// ranking go to the lower.
    event Committed(uint256 indexed id, address indexed participant, bytes32 commitment, uint32 order);

    /// @notice Emitted by {reveal} when a participant opens its commitment.
    /// @dev The model CID is recorded only here, not in storage; {modelDigest} keeps the sha256.
    /// @param modelCid IPFS CID of the submission bundle.
    /// @param modelSha256 sha256 digest of the submission bundle, as committed (the contract
    /// does not check it against the CID).
    event Revealed(uint256 indexed id, address indexed participant, string modelCid, bytes32 modelSha256);

    /// @notice Emitted by {revealTestSet} when the organizer publishes the hidden test set.
    /// @param testCid IPFS CID of the test bundle, checked against the creation commitment.
    event TestSetRevealed(uint256 indexed id, string testCid);

    /// @notice Emitted by {postScores} once for each scored submission, whether or not the
    /// score meets the minimum and enters the ranking.
    /// @param score The score, metric x 1e6.
    event ScorePosted(uint256 indexed id, address indexed participant, int64 score);

    /// @notice Emitted when a competition is settled by its ranking, by {finalize} or by
    /// {settleWithoutEvaluation} with complete scoring, and at least one score met the minimum.
    /// @dev Followed by one {Credited} event per winner and, when fewer than k ranked and the
    /// unawarded share is not zero, one for the organizer.
    /// @param winners Number of ranked winners (1..k).
    /// @param pool The amount shared out, in wei: reward plus forfeited deposits.
    event Finalized(uint256 indexed id, uint8 winners, uint256 pool);

    /// @notice Emitted when a competition is settled with nobody ranked (no reveal, or no score
    /// met the minimum), by {finalize} or {settleWithoutEvaluation}: the pool goes back to the
    /// organizer. Not emitted by {cancel}.
    /// @dev Followed by a {Credited} event for the organizer.
    /// @param amount The pool, in wei: reward plus forfeited deposits.
    event Refunded(uint256 indexed id, address indexed organizer, uint256 amount);

    /// @notice Emitted by {settleWithoutEvaluation} when scoring was not complete at the
    /// evaluation deadline: each revealed participant may then claim `pool / revealed` with
    /// {claimFallbackShare}.
    /// @dev Followed by a {Credited} event for the organizer when `pool % revealed` is not zero.
    /// @param revealed Number of revealed submissions sharing the pool.
    /// @param pool The amount shared, in wei: reward plus forfeited deposits.
    event SettledWithoutEvaluation(uint256 indexed id, uint32 revealed, uint256 pool);

    /// @notice Emitted whenever wei is credited to an account's withdrawable balance: a deposit
    /// returned on reveal, a prize, a refund, a cancelled reward, a fallback share or its dust.
    /// @param account The account credited; it withdraws with {withdraw}.
    /// @param id The competition the wei comes from.
    /// @param amount Wei credited.
    event Credited(address indexed account, uint256 indexed id, uint256 amount);

    /// @notice Emitted by {withdraw} when an account takes its whole balance.
    /// @param amount Wei sent.
    event Withdrawn(address indexed account, uint256 amount);

    // ------------------------------------------------------------------ errors

    /// @notice No competition has id `id` (ids run from 1 to {competitionCount}).
    error UnknownCompetition(uint256 id);

    /// @notice {createCompetition}: `submissionEnd` is not after `now_` (the block timestamp), or
    /// the reveal or evaluation window is shorter than MIN_WINDOW (1 hour). All in seconds since
    /// epoch.
    /// @dev A `submissionEnd` or `revealEnd` within an hour of `type(uint64).max` reverts with an
    /// arithmetic panic instead.
    error InvalidDeadlines(uint64 submissionEnd, uint64 revealEnd, uint64 evaluationEnd, uint256 now_);

    /// @notice {createCompetition}: `prizeBps` is empty, has more than 3 entries, has a zero
    /// entry, or does not sum to 10000 basis points.
    error InvalidPrizeSplit();

    /// @notice {createCompetition}: `dataCid` or `target` is empty, or `sequenceLength` or
    /// `horizon` is zero.
    error InvalidTask();

    /// @notice {createCompetition} was sent no wei.
    error EmptyReward();

    /// @notice {createCompetition} was sent more than `type(uint128).max` wei.
    /// @param reward The wei sent.
    error RewardTooLarge(uint256 reward);

    /// @notice {cancel}, {revealTestSet} or {postScores} called by `caller`, who is not the
    /// organizer of competition `id`.
    error NotOrganizer(uint256 id, address caller);

    /// @notice {commit} at or after the submission deadline.
    /// @param deadline The competition's `submissionEnd`, seconds since epoch.
    error SubmissionClosed(uint256 id, uint64 deadline);

    /// @notice {reveal} or {revealTestSet} before the submission deadline.
    /// @param opensAt The competition's `submissionEnd`, seconds since epoch.
    error RevealNotOpen(uint256 id, uint64 opensAt);

    /// @notice {reveal} at or after the reveal deadline.
    /// @param deadline The competition's `revealEnd`, seconds since epoch.
    error RevealClosed(uint256 id, uint64 deadline);

    /// @notice {commit} sent the wrong amount: a first commitment must send exactly the entry
    /// deposit, a replacement must send nothing (then `expected` is 0).
    /// @param expected Wei due.
    /// @param sent Wei sent.
    error WrongDeposit(uint256 expected, uint256 sent);

    /// @notice {reveal} by a `participant` who never committed to competition `id`.
    error NoCommitment(uint256 id, address participant);

    /// @notice {reveal} by a `participant` whose submission is already revealed.
    error AlreadyRevealed(uint256 id, address participant);

    /// @notice {reveal}: the commitment recomputed from the arguments and the sender does not
    /// match the stored one (see {commitmentFor}).
    error CommitmentMismatch(uint256 id, address participant);

    /// @notice {revealTestSet} called a second time.
    error TestSetAlreadyRevealed(uint256 id);

    /// @notice {revealTestSet}: `keccak256(abi.encode(testCid, salt))` differs from the
    /// competition's `testCommitment`.
    error TestSetMismatch(uint256 id);

    /// @notice {postScores} before the test set is revealed.
    error TestSetNotRevealed(uint256 id);

    /// @notice {postScores} or {finalize} before the reveal deadline.
    /// @param opensAt The competition's `revealEnd`, seconds since epoch.
    error EvaluationNotOpen(uint256 id, uint64 opensAt);

    /// @notice {revealTestSet}, {postScores} or {finalize} at or after the evaluation deadline.
    /// @param deadline The competition's `evaluationEnd`, seconds since epoch.
    error EvaluationClosed(uint256 id, uint64 deadline);

    /// @notice {postScores}: the two arrays differ in length.
    /// @param participants Length of the participants array.
    /// @param scores Length of the scores array.
    error LengthMismatch(uint256 participants, uint256 scores);

    /// @notice {postScores} names a `participant` who has no revealed submission.
    error NotRevealed(uint256 id, address participant);

    /// @notice {postScores} names a `participant` already scored, in an earlier call or earlier
    /// in the same batch.
    error AlreadyScored(uint256 id, address participant);

    /// @notice {finalize} while some revealed submissions have no score.
    /// @param scored Submissions scored so far.
    /// @param revealed Submissions revealed.
    error ScoringIncomplete(uint256 id, uint32 scored, uint32 revealed);

    /// @notice The competition is already settled (finalized, refunded, fallback or cancelled):
    /// raised by {cancel}, {revealTestSet}, {postScores}, {finalize}, {commit}, {reveal} and
    /// {settleWithoutEvaluation}.
    error AlreadySettled(uint256 id);

    /// @notice {settleWithoutEvaluation} before the evaluation deadline.
    /// @param deadline The competition's `evaluationEnd`, seconds since epoch.
    error EvaluationStillOpen(uint256 id, uint64 deadline);

    /// @notice {claimFallbackShare} on a competition not settled by the fallback.
    error NotFallback(uint256 id);

    /// @notice {claimFallbackShare} for a `participant` who never revealed, or whose share was
    /// already credited.
    error NothingToClaim(uint256 id, address participant);

    /// @notice {cancel} after somebody committed.
    /// @param commitments Number of addresses that committed (replacements not counted).
    error HasCommitments(uint256 id, uint32 commitments);

    /// @notice {withdraw} by an `account` with a zero balance.
    error NothingToWithdraw(address account);

    /// @notice {withdraw}: sending `amount` wei to `account` failed; the balance is kept.
    error TransferFailed(address account, uint256 amount);

    // ------------------------------------------------------------------ organizer

    /// @notice Create a competition, escrowing `msg.value` (wei) as the reward. Anyone may call;
    /// the caller becomes the organizer.
    /// @dev Reverts with {EmptyReward}, {RewardTooLarge}, {InvalidDeadlines}, {InvalidTask} or
    /// {InvalidPrizeSplit}. The metric id and the test commitment are not checked.
    /// Emits a {CompetitionCreated} event.
    /// @param p The task, data, deadlines, prize split, deposit and test-set commitment.
    /// @return id The new competition's id (1-based).
    function createCompetition(CompetitionParams calldata p) external payable returns (uint256 id);

    /// @notice Cancel a competition nobody has committed to; the reward is credited back to the
    /// organizer.
    /// @dev Organizer only, at any time before settlement (no deadline applies). Reverts with
    /// {NotOrganizer} or {HasCommitments}. Emits a {CompetitionCancelled} event and a {Credited}
    /// event.
    function cancel(uint256 id) external;

    /// @notice Publish the hidden test set: its CID and the salt of the creation commitment.
    /// @dev Organizer only, once, in [submissionEnd, evaluationEnd): models are sealed by then,
    /// so seeing the test set early gives nobody a choice to make. Reverts with {NotOrganizer},
    /// {RevealNotOpen}, {EvaluationClosed}, {TestSetAlreadyRevealed} or {TestSetMismatch}.
    /// Emits a {TestSetRevealed} event.
    function revealTestSet(uint256 id, string calldata testCid, bytes32 salt) external;

    /// @notice Post the scores (metric x 1e6) of revealed submissions, each exactly once. Scores
    /// that meet the minimum are ranked as they arrive; the best k are kept.
    /// @dev Organizer only, in [revealEnd, evaluationEnd), once the test set is revealed; may be
    /// called in batches. Reverts with {NotOrganizer}, {EvaluationNotOpen}, {EvaluationClosed},
    /// {TestSetNotRevealed}, {LengthMismatch}, {NotRevealed} or {AlreadyScored}.
    /// Emits a {ScorePosted} event for each entry.
    /// @param participants Addresses of revealed, not yet scored submissions.
    /// @param scores Their scores, metric x 1e6, in the same order.
    function postScores(uint256 id, address[] calldata participants, int64[] calldata scores) external;

    /// @notice Close scoring: credit the ranked winners by the prize split, or refund the
    /// organizer when nobody met the minimum score (or nobody revealed). Every revealed
    /// submission must be scored. Shares of prize ranks nobody reached go to the organizer;
    /// rounding dust goes to rank 1.
    /// @dev Anyone may call, in [revealEnd, evaluationEnd), once every revealed submission is
    /// scored. Reverts with {EvaluationNotOpen}, {EvaluationClosed} or {ScoringIncomplete}.
    /// Emits a {Finalized} or a {Refunded} event, and {Credited} events.
    function finalize(uint256 id) external;

    // ------------------------------------------------------------------ participants

    /// @notice Commit (or replace, before the deadline) a sealed submission. Anyone may commit,
    /// the organizer included.
    /// `commitment = keccak256(abi.encode(modelCid, modelSha256, salt, msg.sender, id, address(this)))`.
    /// @dev Before submissionEnd. The entry deposit (wei) is due with the first commitment only;
    /// a replacement gets a new, later commit order. Reverts with {SubmissionClosed} or
    /// {WrongDeposit}. Emits a {Committed} event.
    function commit(uint256 id, bytes32 commitment) external payable;

    /// @notice Reveal the committed model; the entry deposit is credited back to the caller
    /// (withdraw it with {withdraw}).
    /// @dev Allowed in [submissionEnd, revealEnd). Reverts with {RevealNotOpen}, {RevealClosed},
    /// {NoCommitment}, {AlreadyRevealed} or {CommitmentMismatch}. Emits a {Revealed} event, and a
    /// {Credited} event when the entry deposit is not zero.
    function reveal(uint256 id, string calldata modelCid, bytes32 modelSha256, bytes32 salt) external;

    /// @notice After the evaluation deadline of an unfinished competition, settle it. When every
    /// revealed submission was scored, the ranking pays as {finalize} would; otherwise the
    /// revealed participants share the pool equally (claim with {claimFallbackShare}) and the
    /// remainder of the division goes to the organizer; with no reveals, the organizer is
    /// refunded.
    /// @dev Anyone may call, at or after evaluationEnd. Reverts with {EvaluationStillOpen}.
    /// Emits a {Finalized}, {SettledWithoutEvaluation} or {Refunded} event, and {Credited}
    /// events.
    function settleWithoutEvaluation(uint256 id) external;

    /// @notice Credit `participant`'s equal share (pool / revealed submissions, in wei) of a
    /// competition settled without evaluation. Anyone may call it for anyone: the share always
    /// goes to the participant.
    /// @dev Reverts with {NotFallback} or {NothingToClaim}. Emits a {Credited} event.
    function claimFallbackShare(uint256 id, address participant) external;

    /// @notice Send the caller everything credited to it (wei).
    /// @dev Pull payment with a reentrancy guard. Reverts with {NothingToWithdraw} or
    /// {TransferFailed}. Emits a {Withdrawn} event.
    function withdraw() external;

    // ------------------------------------------------------------------ views

    /// @notice Number of competitions created; ids run from 1 to this number.
    /// @return The number of competitions created so far.
    function competitionCount() external view returns (uint256);

    /// @notice A competition's stored parameters and state.
    /// @dev Reverts with {UnknownCompetition}. `outcome` is `Phase.None` while it runs; use
    /// {phase} for the current phase.
    /// @param id The competition's id.
    /// @return The competition as stored.
    function competition(uint256 id) external view returns (Competition memory);

    /// @notice The current phase of competition `id`: the recorded outcome once settled,
    /// otherwise the window `block.timestamp` falls in.
    /// @dev Never reverts: returns `Phase.None` for an unknown id.
    /// @param id The competition's id.
    /// @return The current phase.
    function phase(uint256 id) external view returns (Phase);

    /// @notice `participant`'s submission to competition `id`.
    /// @dev Reverts with {UnknownCompetition}. All zero (status `None`) for an address that
    /// never committed.
    /// @param id The competition's id.
    /// @param participant The participant's address.
    /// @return The submission as stored.
    function submission(uint256 id, address participant) external view returns (Submission memory);

    /// @notice The model digest revealed by `participant` (zero before the reveal).
    /// @dev Reverts with {UnknownCompetition}.
    /// @param id The competition's id.
    /// @param participant The participant's address.
    /// @return The sha256 of the revealed submission bundle, or zero.
    function modelDigest(uint256 id, address participant) external view returns (bytes32);

    /// @notice Competition `id`'s current ranking, best first: at most k entries, only scores
    /// that met the minimum. Final once the competition is finalized.
    /// @dev Reverts with {UnknownCompetition}. Ties go to the lower commit order.
    /// @param id The competition's id.
    /// @return The ranked entries (empty while nobody qualifies).
    function ranking(uint256 id) external view returns (Rank[] memory);

    /// @notice Wei `account` can withdraw now.
    /// @param account The account.
    /// @return The withdrawable balance, in wei.
    function balanceOf(address account) external view returns (uint256);

    /// @notice Contract-wide accounting: wei escrowed for competitions (rewards and deposits of
    /// unsettled competitions, and fallback shares not yet claimed) and wei owed to accounts.
    /// The contract's balance is never less than their sum.
    /// @return escrowed Wei held for competitions.
    /// @return owed Wei credited to accounts and not yet withdrawn.
    function totals() external view returns (uint256 escrowed, uint256 owed);

    /// @notice The commitment a participant must submit (helper for clients).
    /// @dev Computed as `keccak256(abi.encode(modelCid, modelSha256, salt, participant, id,
    /// address(this)))`; does not check that competition `id` exists. Call it off-chain: a
    /// transaction would publish the salt.
    /// @param modelCid IPFS CID of the submission bundle.
    /// @param modelSha256 sha256 digest of the submission bundle.
    /// @param salt A secret random value, revealed with the model.
    /// @param participant The address that will commit and reveal.
    /// @param id The competition's id.
    /// @return The commitment to pass to {commit}.
    function commitmentFor(
        string calldata modelCid,
        bytes32 modelSha256,
        bytes32 salt,
        address participant,
        uint256 id
    ) external view returns (bytes32);
}
