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
 * the Unix epoch; each window includes its start and excludes its end; each window is at least
 * MIN_WINDOW (1 hour, except the first) and at most MAX_WINDOW (90 days) long):
 *
 *     [created, submissionEnd)       commit (and replace) sealed submissions
 *     [submissionEnd, revealEnd)     reveal submissions
 *     [revealEnd, evaluationEnd)     the organizer reveals the test set, then posts scores;
 *                                    anyone may finalize once every revealed submission is scored
 *     [evaluationEnd, ...)           anyone may settle without evaluation if not yet settled
 *     [evaluationEnd + CHALLENGE_PERIOD, ...)
 *                                    a refund the organizer earned by posting scores becomes
 *                                    claimable ({claimRefund})
 *
 * The organizer may cancel at any time before settlement while nobody has committed.
 *
 * Money. Every wei is escrowed for a competition or credited to an account, and leaves only by
 * a pull payment ({withdraw}, {withdrawTo}, {claimAndWithdraw}). The entry deposit is held
 * until settlement. It is returned to every entry that revealed and was not posted as failed,
 * and forfeited by entries that never revealed and by failed entries (a score equal to the worst
 * int64 for the direction means "failed to load or score"). The pool of a settled competition
 * is its reward plus the forfeited deposits:
 * - Finalized (somebody met the minimum score): the ranked winners share the pool by the prize
 *   split renormalised over the ranks filled; each is credited its prize and its own deposit at
 *   once; the other scored entries claim their deposits.
 * - Refunded (nobody met the minimum, or nobody revealed): scored and failed entries claim their
 *   deposits back; the organizer's refund (reward plus the deposits of entries that never
 *   revealed) is claimable after the challenge period, or at once when nobody revealed.
 * - Fallback (the organizer did not finish scoring by evaluationEnd): the revealed entries not
 *   posted as failed share the pool equally and each claims its share plus its own deposit.
 *
 * Units: amounts are in wei; scores and the minimum score are the metric's value x 1e6, as an
 * integer; prize shares are basis points (10000 = the whole pool).
 *
 * Every function that takes a competition id reverts with {UnknownCompetition} for an id that was
 * never created, except {phase} (which returns `Phase.None`) and {commitmentFor}. Every function
 * that changes a running competition reverts with {AlreadySettled} once it is settled.
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
        Refunded, // nobody qualified (or nobody revealed): the organizer is refunded (maybe after the challenge period)
        Fallback, // the organizer did not finish: revealed, non-failed entries share the pool equally
        Cancelled // the organizer cancelled before any commitment; the reward was credited back
    }

    /// @notice A participant's submission. `None` means no commitment.
    enum Status {
        None,
        Committed, // sealed; forfeits its deposit if never revealed
        Revealed, // opened; waiting for a score
        Scored, // scored (whether or not it met the minimum)
        Failed, // posted with the failure score: it failed to load or score; forfeits its deposit unless Refunded
        Claimed // what it was owed at settlement is credited (winners: at finalize)
    }

    /// @notice Why wei was credited to an account: the `reason` of a {Credited} event. Ordered
    /// by the terminal phase that pays it (Finalized, Refunded, Fallback, Cancelled); new
    /// reasons would be appended, never inserted.
    enum CreditReason {
        Prize, // a winner's prize plus its own deposit (Finalized)
        Deposit, // an entry's own deposit back, by {claim} (Finalized, Refunded)
        Refund, // the organizer's refund when nobody ranked (Refunded)
        FallbackShare, // a share of the fallback pool plus the entry's own deposit, by {claim} (Fallback)
        FallbackRemainder, // the fallback pool's rounding remainder, to the organizer (Fallback)
        Cancellation, // the reward back to the organizer (Cancelled)
        Bond, // the organizer's bond back at settlement (bonded competitions)
        DisputeWon, // the bond of a score's defender, to the challenger who proved the score wrong
        ChallengeBond // a challenger's bond: to the defender when its challenge failed, back to it when its dispute became moot or its replacing score stood
    }

    /// @notice What the organizer passes to {createCompetition}.
    struct CompetitionParams {
        string dataCid; // IPFS CID of the training-data bundle (a folder: train.csv + schema.json)
        string target; // name of the target column
        uint32 sequenceLength; // input window, in time steps
        uint32 horizon; // steps ahead to forecast
        uint8 metric; // metric id (off-chain table: 0 RMSE, 1 MAE, 2 MASE, 3 sMAPE, 4 directional accuracy, 5 Brier, 6 log loss)
        bool higherIsBetter; // score direction of the metric
        int64 minScore; // a score must meet this (metric x 1e6) to win: >= if higherIsBetter, else <=
        uint64 submissionEnd; // seconds since epoch; in the future, at most MAX_WINDOW (90 days) ahead
        uint64 revealEnd; // seconds since epoch; MIN_WINDOW (1 hour) to MAX_WINDOW (90 days) after submissionEnd
        uint64 evaluationEnd; // seconds since epoch; MIN_WINDOW (1 hour) to MAX_WINDOW (90 days) after revealEnd
        uint16[] prizeBps; // share of the pool for rank 1..k, nonzero basis points summing to 10000, k <= 3
        uint72 entryDeposit; // wei each participant locks at first commit; held until settlement
        bytes32 testCommitment; // keccak256(abi.encode(testCid, testRoot, testRows, salt))
        bytes32 trainRoot; // Merkle root of the quantized training rows (docs/FRAUD_PROOFS.md); bonded competitions only
        uint32 trainRows; // training rows under trainRoot
        uint96 organizerBond; // wei of msg.value held as the organizer's bond (0: no disputes, the organizer is trusted)
        uint96 challengeBond; // wei a challenger deposits to dispute a score (bonded competitions: nonzero)
    }

    /// @notice A competition as stored. Getter: {competition}.
    /// @dev The first word holds everything {commit} and {reveal} read and write and what {claim}
    /// reads outside a fallback, so each touches one word of the competition. Deadlines fit 40
    /// bits because every window is at most MAX_WINDOW long.
    struct Competition {
        uint40 submissionEnd; // seconds since epoch (nonzero: the competition exists)
        uint40 revealEnd; // seconds since epoch
        uint32 participants; // addresses that committed (each paid the entry deposit once)
        uint32 orderCount; // commitments so far, replacements included: the commit-order counter
        uint32 revealCount; // submissions revealed
        Phase outcome; // None while running; a terminal phase once settled
        uint72 entryDeposit; // wei
        address organizer;
        uint40 evaluationEnd; // seconds since epoch
        uint8 winnerCount; // entries in the ranking
        uint8 prizeCount; // k
        uint8 metric;
        bool higherIsBetter;
        bool testRevealed;
        bool refundPending; // Refunded: the organizer's refund awaits {claimRefund}
        uint128 reward; // wei escrowed at creation
        int64 minScore; // metric x 1e6
        uint32 scoredCount; // submissions scored, failures included
        uint32 failedCount; // submissions posted with the failure score
        uint32 sequenceLength;
        uint32 horizon;
        uint16[3] prizeBps; // basis points; only the first k entries are used
        bytes32 testCommitment;
        string dataCid;
        string target;
        string testCid; // set by revealTestSet
        uint96 organizerBond; // wei still held as the organizer's bond (0 once paid to a challenger or returned)
        uint96 challengeBond; // wei a challenger deposits
        uint40 challengeEnd; // bonded: disputes may be opened until then (set when scoring completes, pushed back by a replaced score)
        bool bonded; // created with an organizer bond: scores can be disputed
        uint32 trainRows;
        uint32 testRows; // set by revealTestSet
        uint32 openDisputes; // disputes not yet ended: settlement waits for them
        uint40 challengeCap; // challengeEnd never moves past this: MAX_CHALLENGE_WINDOW after scoring completed
        bytes32 trainRoot;
        bytes32 testRoot; // set by revealTestSet
    }

    /// @notice What the dispute game reads about one submission's standing score. Getter: {disputeContext}.
    struct DisputeContext {
        address defender; // the organizer, or the challenger whose score replaced the posted one
        uint32 nonce;
        int64 score;
        bool sumsKnown; // a replacing challenger's sums are known; the organizer gives its own in {IDisputeGame.defend}
        uint256 sumSq;
        uint256 sumAbs;
        uint8 metric;
        uint32 horizon;
        bytes32 weightsRoot;
        bytes32 trainRoot;
        bytes32 testRoot;
        uint32 trainRows;
        uint32 testRows;
        Status status; // the submission's status
        uint40 revealEnd;
        uint40 evaluationEnd;
    }

    /// @notice The score that stands for a submission of a bonded competition and who defends it.
    /// Getter: {claimOf}.
    struct Claim {
        int64 score; // metric x 1e6
        uint32 nonce; // bumped when the score is replaced: disputes about an older claim are moot
        address claimant; // zero: the organizer; else the challenger whose proven score replaced it
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
    /// @dev Followed by a {Credited} event (reason `Cancellation`) returning the reward to the
    /// organizer.
    event CompetitionCancelled(uint256 indexed id);

    /// @notice Emitted by {commit} for every commitment, first or replacement.
    /// @param seal The first 24 bytes of the commitment: exactly what is stored and checked at
    /// the reveal (the last 8 bytes of the commitment are never used).
    /// @param order The commit order it was given (1-based, per competition); ties in the
    /// ranking go to the lower.
    event Committed(uint256 indexed id, address indexed participant, bytes24 seal, uint32 order);

    /// @notice Emitted by {reveal} when a participant opens its commitment.
    /// @dev The only record of the model: storage keeps neither the CID nor the digest. Clients
    /// read the bundle's CID and sha256 from this event (the reveal checked both against the
    /// commitment).
    /// @param modelCid IPFS CID of the submission bundle.
    /// @param modelSha256 sha256 digest of the submission bundle, as committed (the contract
    /// does not check it against the CID).
    event Revealed(uint256 indexed id, address indexed participant, string modelCid, bytes32 modelSha256);

    /// @notice Emitted by {revealTestSet} when the organizer publishes the hidden test set.
    /// @param testCid IPFS CID of the test bundle, checked against the creation commitment.
    event TestSetRevealed(uint256 indexed id, string testCid);

    /// @notice Emitted by {postScores} once for each scored submission, whether or not the
    /// score meets the minimum and enters the ranking.
    /// @param score The score, metric x 1e6; the failure score (`type(int64).min` when higher is
    /// better, `type(int64).max` when lower is better) marks the submission Failed.
    event ScorePosted(uint256 indexed id, address indexed participant, int64 score);

    /// @notice Emitted when a competition is settled by its ranking, by {finalize} or by
    /// {settleWithoutEvaluation} with complete scoring, and at least one score met the minimum.
    /// @dev Followed by one {Credited} event (reason `Prize`) per winner: its prize plus its own
    /// deposit.
    /// @param winners Number of ranked winners (1..k).
    /// @param pool The amount shared out by the prize split, in wei: reward plus the deposits
    /// of entries that never revealed or failed (the winners' own deposits are not in it).
    event Finalized(uint256 indexed id, uint8 winners, uint256 pool);

    /// @notice Emitted when a competition is settled with nobody ranked (no reveal, or no score
    /// met the minimum), by {finalize} or {settleWithoutEvaluation}. Not emitted by {cancel}.
    /// @dev When nobody revealed, followed by a {Credited} event (reason `Refund`) for the
    /// organizer (`refundableAt` is then the block's timestamp). Otherwise the refund is escrowed
    /// until `refundableAt`, then credited by {claimRefund}.
    /// @param amount The organizer's refund, in wei: the reward plus the deposits of entries that
    /// never revealed (failed entries get their own deposits back).
    /// @param refundableAt When the refund is (or was) credited or claimable, seconds since
    /// epoch: `evaluationEnd + CHALLENGE_PERIOD` when somebody revealed.
    event Refunded(uint256 indexed id, address indexed organizer, uint256 amount, uint64 refundableAt);

    /// @notice Emitted by {settleWithoutEvaluation} when scoring was not complete at the
    /// evaluation deadline: each eligible entry (revealed, not posted as failed) may then claim
    /// `pool / eligible` plus its own deposit with {claim}.
    /// @dev Followed by a {Credited} event (reason `FallbackRemainder`) for the organizer when
    /// `pool % eligible` is not zero.
    /// @param eligible Number of entries sharing the pool (at least 1).
    /// @param pool The amount shared, in wei: reward plus the deposits of entries that never
    /// revealed or failed.
    event SettledWithoutEvaluation(uint256 indexed id, uint32 eligible, uint256 pool);

    /// @notice Emitted whenever wei of competition `id` is credited to an account, with the
    /// reason: a prize (with the winner's deposit), a returned deposit or fallback share ({claim},
    /// {claimAndWithdraw}), a refund, a cancelled reward, or the fallback's rounding remainder.
    /// @param account The account credited; it withdraws with {withdraw} or {withdrawTo}
    /// (after {claimAndWithdraw}, a {Withdrawn} event follows at once).
    /// @param id The competition the wei comes from.
    /// @param amount Wei credited.
    /// @param reason Why (see {CreditReason}):
    /// - `Prize`: a winner's prize plus its own deposit, by {finalize} or {settleWithoutEvaluation}
    ///   (after a {Finalized} event; one per winner);
    /// - `Deposit`: an entry's own deposit returned by {claim} or {claimAndWithdraw}: a scored
    ///   entry that did not win (Finalized), or a scored or failed entry (Refunded);
    /// - `Refund`: the organizer's refund (reward plus the deposits of entries that never
    ///   revealed) when nobody ranked: by {finalize} or {settleWithoutEvaluation} when nobody
    ///   revealed, else by {claimRefund} after the challenge period;
    /// - `FallbackShare`: `pool / eligible` plus the entry's own deposit, by {claim} or
    ///   {claimAndWithdraw} after a {SettledWithoutEvaluation} event;
    /// - `FallbackRemainder`: `pool % eligible` to the organizer, by {settleWithoutEvaluation}
    ///   (only when nonzero);
    /// - `Cancellation`: the reward back to the organizer, by {cancel}.
    event Credited(address indexed account, uint256 indexed id, uint256 amount, CreditReason reason);

    /// @notice Emitted by {withdraw}, {withdrawTo} and {claimAndWithdraw} when wei leaves the
    /// contract.
    /// @param account The account whose credit is paid out.
    /// @param to The recipient (`account` itself except for {withdrawTo}).
    /// @param amount Wei sent.
    event Withdrawn(address indexed account, address indexed to, uint256 amount);

    /// @notice Emitted by {openDispute}: `challenger` disputes `participant`'s score, claiming `score`.
    event DisputeOpened(uint256 indexed id, address indexed participant, address indexed challenger, int64 score);

    /// @notice Emitted when a dispute ends. `defenderWon`: the score (or the failure) stood; otherwise it was
    /// replaced by the challenger's. `how`: 0 the step was executed, 1 a missed move, 2 moot, 3 invalidity proved.
    event DisputeEnded(
        uint256 indexed id, address indexed participant, address indexed challenger, bool defenderWon, uint8 how
    );

    /// @notice Emitted when a challenger's proven score replaces `participant`'s.
    event ScoreReplaced(uint256 indexed id, address indexed participant, int64 oldScore, int64 newScore);

    // ------------------------------------------------------------------ errors

    /// @notice No competition has id `id` (ids run from 1 to {competitionCount}).
    error UnknownCompetition(uint256 id);

    /// @notice {createCompetition}: `submissionEnd` is not after `now_` (the block timestamp), or
    /// is more than MAX_WINDOW (90 days) after it, or the reveal or evaluation window is shorter
    /// than MIN_WINDOW (1 hour) or longer than MAX_WINDOW. All in seconds since epoch.
    error InvalidDeadlines(uint64 submissionEnd, uint64 revealEnd, uint64 evaluationEnd, uint256 now_);

    /// @notice {createCompetition}: `prizeBps` is empty, has more than 3 entries, has a zero
    /// entry, or does not sum to 10000 basis points.
    error InvalidPrizeSplit();

    /// @notice {createCompetition}: `dataCid` or `target` is empty, or `sequenceLength` or
    /// `horizon` is zero.
    error InvalidTask();

    /// @notice {createCompetition} was sent no wei.
    error EmptyReward();

    /// @notice {createCompetition} was sent more than `type(uint96).max` wei (79 billion ether).
    /// @param reward The wei sent.
    error RewardTooLarge(uint256 reward);

    /// @notice {cancel}, {revealTestSet} or {postScores} called by `caller`, who is not the
    /// organizer of competition `id`.
    error NotOrganizer(uint256 id, address caller);

    /// @notice {commit} at or after the submission deadline.
    /// @param deadline The competition's `submissionEnd`, seconds since epoch.
    error SubmissionClosed(uint256 id, uint64 deadline);

    /// @notice {reveal} before the submission deadline.
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

    /// @notice {revealTestSet} before the reveal deadline: the test set stays hidden while
    /// participants may still choose whether to reveal.
    /// @param opensAt The competition's `revealEnd`, seconds since epoch.
    error TestSetRevealNotOpen(uint256 id, uint64 opensAt);

    /// @notice {revealTestSet} called a second time.
    error TestSetAlreadyRevealed(uint256 id);

    /// @notice {revealTestSet}: `keccak256(abi.encode(testCid, testRoot, testRows, salt))` differs from the
    /// competition's `testCommitment`, or (bonded competitions) the test root or row count is zero.
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

    /// @notice {postScores} names a `participant` already scored (or failed), in an earlier call
    /// or earlier in the same batch.
    error AlreadyScored(uint256 id, address participant);

    /// @notice {finalize} while some revealed submissions have no score.
    /// @param scored Submissions scored so far (failures included).
    /// @param revealed Submissions revealed.
    error ScoringIncomplete(uint256 id, uint32 scored, uint32 revealed);

    /// @notice The competition is already settled (finalized, refunded, fallback or cancelled):
    /// raised by {cancel}, {revealTestSet}, {postScores}, {finalize}, {commit}, {reveal} and
    /// {settleWithoutEvaluation}.
    error AlreadySettled(uint256 id);

    /// @notice {settleWithoutEvaluation} before the evaluation deadline.
    /// @param deadline The competition's `evaluationEnd`, seconds since epoch.
    error EvaluationStillOpen(uint256 id, uint64 deadline);

    /// @notice {claim} or {claimAndWithdraw} on a competition that is not settled yet.
    error NotSettled(uint256 id);

    /// @notice {claim} or {claimAndWithdraw} for a `participant` owed nothing in competition
    /// `id`: it never committed, never revealed, failed (unless the competition was refunded),
    /// won (winners are credited at settlement), already claimed, or its deposit is zero.
    error NothingToClaim(uint256 id, address participant);

    /// @notice {claimRefund} on a competition with no organizer refund waiting: not refunded,
    /// refunded at once (nobody revealed), or already claimed.
    error NoRefundPending(uint256 id);

    /// @notice {claimRefund} before the posted scores stood through the challenge period.
    /// @param refundableAt `evaluationEnd + CHALLENGE_PERIOD`, seconds since epoch.
    error RefundNotYetClaimable(uint256 id, uint64 refundableAt);

    /// @notice {cancel} after somebody committed.
    /// @param commitments Number of addresses that committed (replacements not counted).
    error HasCommitments(uint256 id, uint32 commitments);

    /// @notice {createCompetition} with an organizer bond: the bond leaves no reward, or the
    /// training root, training rows or challenge bond is zero, or the metric is not
    /// step-verifiable (0 RMSE, 1 MAE).
    error InvalidBondedParams();

    /// @notice {reveal} in a bonded competition without a weights root.
    error MissingWeightsRoot(uint256 id);

    /// @notice A dispute function on a competition created without an organizer bond.
    error NotBonded(uint256 id);

    /// @notice {openDispute} after the challenge window closed (or, while scoring is incomplete,
    /// at or after the evaluation deadline).
    error ChallengeWindowClosed(uint256 id, uint64 closedAt);

    /// @notice {openDispute} on a submission that is neither Scored nor a disputable failure.
    error NotDisputable(uint256 id, address participant);

    /// @notice {openDispute} by the score's own defender.
    error DisputeNotAllowed(uint256 id, address participant, address challenger);

    /// @notice {postScores} names a `participant` whose weights were requested and are not published
    /// yet, while its publication period runs ({IDisputeGame.requestWeights}).
    error WeightsPending(uint256 id, address participant);
    /// @notice {openDispute} sent the wrong bond.
    error WrongBond(uint256 expected, uint256 sent);

    /// @notice {openDispute} claims the score that is already posted.
    error SameScore(int64 score);

    /// @notice {finalize} or {settleWithoutEvaluation} of a bonded competition while disputes may
    /// still be opened (until `challengeEnd`) or are open (`openDisputes`).
    error ChallengePending(uint256 id, uint64 challengeEnd, uint32 openDisputes);

    /// @notice {resolveDispute} called by an account other than the dispute game.
    error NotDisputeGame(address caller);

    /// @notice {nominate}: the submission is not Scored, already ranked, or does not qualify.
    error NotNominable(uint256 id, address participant);

    /// @notice {claimBond}: no replacing score's bond to return (not settled, or returned).
    error NoBond(uint256 id, address participant);

    /// @notice {withdraw} or {withdrawTo} by an `account` with a zero balance.
    error NothingToWithdraw(address account);

    /// @notice {withdrawTo} the zero address, which would burn the wei.
    error WithdrawToZeroAddress();

    /// @notice {withdraw}, {withdrawTo} or {claimAndWithdraw}: sending `amount` wei to `account`
    /// failed; nothing changed (the balance or the claim is kept).
    error TransferFailed(address account, uint256 amount);

    // ------------------------------------------------------------------ constants

    /// @notice Shortest reveal window and shortest evaluation window, in seconds (1 hour).
    /// @dev A one-second reveal window would let an organizer collect every deposit as forfeited.
    /// @return The minimum window length, in seconds.
    function MIN_WINDOW() external view returns (uint64);

    /// @notice Longest window, in seconds (90 days): from creation to `submissionEnd`, from
    /// `submissionEnd` to `revealEnd`, and from `revealEnd` to `evaluationEnd`.
    /// @dev Bounds every deadline, so the fallback and every refund are reachable in at most
    /// 270 days plus the challenge period.
    /// @return The maximum window length, in seconds.
    function MAX_WINDOW() external view returns (uint64);

    /// @notice How long posted scores stand before an organizer who ranked nobody may claim its
    /// refund, in seconds (3 days), counted from `evaluationEnd`.
    /// @dev In a bonded competition, also the challenge window: disputes may be opened for this long
    /// after scoring completes (and again after each replaced score, up to MAX_CHALLENGE_WINDOW),
    /// and settlement by the ranking waits for it (docs/FRAUD_PROOFS.md).
    /// @return The challenge period, in seconds.
    function CHALLENGE_PERIOD() external view returns (uint64);

    // ------------------------------------------------------------------ organizer

    /// @notice Create a competition, escrowing `msg.value` (wei): the reward, plus the organizer's
    /// bond when `p.organizerBond` is nonzero (a bonded competition, whose scores can be disputed).
    /// Anyone may call; the caller becomes the organizer.
    /// @dev Reverts with {EmptyReward}, {RewardTooLarge}, {InvalidDeadlines}, {InvalidTask} or
    /// {InvalidPrizeSplit}, or {InvalidBondedParams} for a bond without a training root, training
    /// rows, a challenge bond or a step-verifiable metric. The test commitment is not checked.
    /// Emits a {CompetitionCreated} event.
    /// @param p The task, data, deadlines, prize split, deposit and test-set commitment.
    /// @return id The new competition's id (1-based).
    function createCompetition(CompetitionParams calldata p) external payable returns (uint256 id);

    /// @notice Cancel a competition nobody has committed to; the reward is credited back to the
    /// organizer.
    /// @dev Organizer only, at any time before settlement, while nobody has committed: an
    /// organizer must not cancel on participants who are already training. So one commitment
    /// blocks cancelling; with no entry deposit a stranger can do that for free, and a deposit
    /// makes it cost something. A blocked organizer still gets everything back as soon as
    /// {finalize} opens at `revealEnd` if nobody reveals. Reverts with {NotOrganizer} or
    /// {HasCommitments}. Emits a {CompetitionCancelled} event and a {Credited} event
    /// (`Cancellation`).
    function cancel(uint256 id) external;

    /// @notice Publish the hidden test set: its CID, the Merkle root and number of its quantized
    /// rows (docs/FRAUD_PROOFS.md; zero and zero when unused), and the salt of the creation
    /// commitment `keccak256(abi.encode(testCid, testRoot, testRows, salt))`.
    /// @dev Organizer only, once, in [revealEnd, evaluationEnd): after the reveal window, so no
    /// participant can see the test set and then decide whether to reveal. Reverts with
    /// {NotOrganizer}, {TestSetRevealNotOpen}, {EvaluationClosed}, {TestSetAlreadyRevealed} or
    /// {TestSetMismatch}. Emits a {TestSetRevealed} event.
    function revealTestSet(uint256 id, string calldata testCid, bytes32 testRoot, uint32 testRows, bytes32 salt) external;

    /// @notice Post the scores (metric x 1e6) of revealed submissions, each exactly once. Scores
    /// that meet the minimum are ranked as they arrive; the best k are kept. The failure score,
    /// the worst int64 for the direction (`type(int64).min` when higher is better,
    /// `type(int64).max` when lower is better), means the submission failed to load or score:
    /// it is marked Failed, never ranked, and its deposit is forfeited unless nobody ranks.
    /// @dev Organizer only, in [revealEnd, evaluationEnd), once the test set is revealed; may be
    /// called in batches. Reverts with {NotOrganizer}, {EvaluationNotOpen}, {EvaluationClosed},
    /// {TestSetNotRevealed}, {LengthMismatch}, {NotRevealed} or {AlreadyScored}.
    /// Emits a {ScorePosted} event for each entry.
    /// @param participants Addresses of revealed, not yet scored submissions.
    /// @param scores Their scores, metric x 1e6, in the same order.
    function postScores(uint256 id, address[] calldata participants, int64[] calldata scores) external;

    /// @notice Close scoring. When somebody met the minimum score, credit the ranked winners:
    /// the pool (reward plus forfeited deposits) by the prize split renormalised over the ranks
    /// filled (rounding dust to rank 1), each with its own deposit. Otherwise refund the
    /// organizer: at once when nobody revealed, else after the challenge period ({claimRefund}).
    /// In a bonded competition it also waits for the challenge window to close and every dispute to
    /// end ({ChallengePending}), has no upper deadline, and credits the organizer's bond back.
    /// @dev Anyone may call, in [revealEnd, evaluationEnd) (bonded: from revealEnd), once every revealed submission is
    /// scored. Reverts with {EvaluationNotOpen}, {EvaluationClosed} or {ScoringIncomplete}.
    /// Emits a {Finalized} or a {Refunded} event, and {Credited} events (`Prize`, or `Refund`).
    function finalize(uint256 id) external;

    /// @notice Credit the organizer's refund of a competition settled as Refunded after
    /// somebody revealed: the reward plus the deposits of entries that never revealed. Anyone
    /// may call it; the refund always goes to the organizer.
    /// @dev Claimable from `evaluationEnd + CHALLENGE_PERIOD`: until then the refund stays
    /// escrowed, so that posted scores stand through a challenge period before an organizer
    /// takes its reward back on its own word. A later version adds a bonded challenge of posted
    /// scores in this period. Reverts with {NoRefundPending} or {RefundNotYetClaimable}. Emits a
    /// {Credited} event (`Refund`).
    function claimRefund(uint256 id) external;

    // ------------------------------------------------------------------ participants

    /// @notice Commit (or replace, before the deadline) a sealed submission. Anyone may commit,
    /// the organizer included.
    /// `commitment = keccak256(abi.encode(modelCid, modelSha256, weightsRoot, salt, msg.sender, id, address(this)))`,
    /// `weightsRoot` zero unless revealed with {revealWithRoot}.
    /// @dev Before submissionEnd. Only the first 24 bytes are stored and checked at the reveal.
    /// The entry deposit (wei) is due with the first commitment only and held until settlement;
    /// a replacement gets a new, later commit order. Reverts with {SubmissionClosed} or
    /// {WrongDeposit}. Emits a {Committed} event.
    function commit(uint256 id, bytes32 commitment) external payable;

    /// @notice Reveal the committed model. The deposit stays escrowed until settlement.
    /// @dev Allowed in [submissionEnd, revealEnd). Reverts with {RevealNotOpen}, {RevealClosed},
    /// {NoCommitment}, {AlreadyRevealed} or {CommitmentMismatch}. Emits a {Revealed} event.
    function reveal(uint256 id, string calldata modelCid, bytes32 modelSha256, bytes32 salt) external;

    /// @notice {reveal} with the Merkle root of the model's quantized weights (docs/FRAUD_PROOFS.md,
    /// section 2), which the commitment covers; required in a bonded competition (there {reveal},
    /// whose root is zero, reverts with {MissingWeightsRoot}). The root is stored for disputes.
    /// @dev As {reveal}; also reverts with {MissingWeightsRoot}. Emits a {Revealed} event.
    function revealWithRoot(uint256 id, string calldata modelCid, bytes32 modelSha256, bytes32 weightsRoot, bytes32 salt)
        external;

    /// @notice After the evaluation deadline of an unfinished competition, settle it. When every
    /// revealed submission was scored, the ranking pays as {finalize} would. Otherwise the
    /// revealed entries not posted as failed share the pool (reward plus the deposits of entries
    /// that never revealed or failed) equally, each claiming its share and its own deposit with
    /// {claim}; the remainder of the division (less than one wei per entry) goes to the
    /// organizer. With no reveals, the organizer is refunded at once.
    /// In a bonded competition: the ranking path waits as {finalize} does, the fallback waits for
    /// open disputes; the organizer's bond, if not lost, is credited back.
    /// @dev Anyone may call, at or after evaluationEnd. Reverts with {EvaluationStillOpen} or {ChallengePending}.
    /// Emits a {Finalized}, {SettledWithoutEvaluation} or {Refunded} event, and {Credited}
    /// events (`Prize`, `FallbackRemainder` or `Refund`).
    function settleWithoutEvaluation(uint256 id) external;

    /// @notice Credit what `participant` is owed in settled competition `id`, and mark its
    /// submission Claimed: its deposit back if it revealed and did not fail (failed entries
    /// too when the competition was Refunded), plus its equal share in a Fallback. Anyone may
    /// call it for anyone: the wei always goes to the participant's balance.
    /// @dev Reverts with {NotSettled} or {NothingToClaim}. Emits a {Credited} event (`Deposit`,
    /// or `FallbackShare` in a Fallback).
    function claim(uint256 id, address participant) external;

    /// @notice {claim} for the caller and send the claimed wei to it in the same transaction,
    /// without going through its balance (other credit stays for {withdraw}).
    /// @dev Pull payment with a reentrancy guard; checks, effects, then the transfer. Reverts
    /// with {NotSettled}, {NothingToClaim} or {TransferFailed}. Emits a {Credited} and a
    /// {Withdrawn} event.
    function claimAndWithdraw(uint256 id) external;

    /// @notice Send the caller everything credited to it (wei).
    /// @dev Pull payment with a reentrancy guard; the balance is zeroed before the transfer.
    /// Reverts with {NothingToWithdraw} or {TransferFailed}. Emits a {Withdrawn} event.
    function withdraw() external;

    /// @notice Send everything credited to the caller to `to`: for an account (such as a
    /// contract) that cannot receive ether itself.
    /// @dev Pull payment with a reentrancy guard; the balance is zeroed before the transfer.
    /// Reverts with {WithdrawToZeroAddress}, {NothingToWithdraw} or {TransferFailed}. Emits a
    /// {Withdrawn} event.
    /// @param to The recipient.
    function withdrawTo(address payable to) external;

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
    /// never committed. The revealed model (CID and sha256) is in the {Revealed} event.
    /// @param id The competition's id.
    /// @param participant The participant's address.
    /// @return The submission as stored.
    function submission(uint256 id, address participant) external view returns (Submission memory);

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
    /// unsettled competitions, and what settled ones still owe to claims and pending refunds)
    /// and wei owed to accounts. The contract's balance is never less than their sum.
    /// @return escrowed Wei held for competitions.
    /// @return owed Wei credited to accounts and not yet withdrawn.
    function totals() external view returns (uint256 escrowed, uint256 owed);

    /// @notice The commitment a participant must submit (helper for clients).
    /// @dev Computed as `keccak256(abi.encode(modelCid, modelSha256, weightsRoot, salt, participant, id,
    /// address(this)))`; does not check that competition `id` exists. Call it off-chain: a
    /// transaction would publish the salt.
    /// @param modelCid IPFS CID of the submission bundle.
    /// @param modelSha256 sha256 digest of the submission bundle.
    /// @param weightsRoot Merkle root of the model's quantized weights (zero to reveal with {reveal}).
    /// @param salt A secret random value, revealed with the model.
    /// @param participant The address that will commit and reveal.
    /// @param id The competition's id.
    /// @return The commitment to pass to {commit}.
    function commitmentFor(
        string calldata modelCid,
        bytes32 modelSha256,
        bytes32 weightsRoot,
        bytes32 salt,
        address participant,
        uint256 id
    ) external view returns (bytes32);

    // ------------------------------------------------------------------ disputes (docs/FRAUD_PROOFS.md)

    /// @notice The longest the challenge window of a bonded competition can last, counted from the
    /// `postScores` call that completed scoring, in seconds (12 days): each replaced score reopens
    /// the window for CHALLENGE_PERIOD, but never past this.
    function MAX_CHALLENGE_WINDOW() external view returns (uint64);

    /// @notice The dispute game ({IDisputeGame}) this market deployed: players make their moves there.
    function disputeGame() external view returns (address);

    /// @notice Dispute `participant`'s score in a bonded competition, claiming the evaluation's sums
    /// are `sumSq` and `sumAbs` (a different score). Sends exactly the competition's challenge bond.
    /// A posted failure is disputed the same way when it is disputable ({IDisputeGame.failureDisputable}):
    /// the roles reverse (the challenger claims the sums and defends them, the organizer challenges
    /// them or proves the model invalid); a won dispute replaces the failure with the challenger's score.
    /// @dev While the submission is Scored (or a disputable Failed) and the challenge window is open; not by the score's
    /// defender; one dispute per challenger and submission at a time. Reverts with {NotBonded},
    /// {ChallengeWindowClosed}, {NotDisputable}, {DisputeNotAllowed}, {WrongBond} or {SameScore}.
    /// Emits {DisputeOpened}.
    function openDispute(uint256 id, address participant, uint256 sumSq, uint256 sumAbs) external payable;

    /// @notice Called by the dispute game when a dispute ends: moves the bonds, and when the
    /// challenger won, replaces the score with the one its sums give.
    /// @param how 0 the step was executed, 1 a missed move, 2 moot (the disputed score was replaced meanwhile),
    /// 3 the organizer proved the model invalid (a disputed failure stands).
    /// @dev Reverts with {NotDisputeGame}. Emits {DisputeEnded}, maybe {ScoreReplaced}, and {Credited}.
    function resolveDispute(
        uint256 id,
        address participant,
        address challenger,
        bool defenderWon,
        uint8 how,
        uint256 sumSq,
        uint256 sumAbs
    ) external;

    /// @notice What the dispute game needs about `participant`'s standing score in running bonded competition `id`.
    /// @dev Reverts with {UnknownCompetition}, {AlreadySettled} or {NotBonded}.
    function disputeContext(uint256 id, address participant) external view returns (DisputeContext memory);

    /// @notice Put a Scored submission whose standing score qualifies into the ranking (after a
    /// replaced score left a place free). Anyone may call it.
    /// @dev Reverts with {NotBonded} or {NotNominable}.
    function nominate(uint256 id, address participant) external;

    /// @notice After settlement, return the bond of the challenger whose score replaced `participant`'s.
    /// @dev Reverts with {NoBond}. Emits {Credited} (`ChallengeBond`).
    function claimBond(uint256 id, address participant) external;

    /// @notice The standing score of `participant`'s submission in a bonded competition.
    function claimOf(uint256 id, address participant) external view returns (Claim memory);

    /// @notice The weights root revealed with `participant`'s submission (zero if none).
    function weightsRootOf(uint256 id, address participant) external view returns (bytes32);

}
