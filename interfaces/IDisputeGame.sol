// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/**
 * @title IDisputeGame
 * @notice The bisection game over one submission's evaluation (docs/FRAUD_PROOFS.md, section 4):
 * a challenger opens a dispute on {IForecastMarket.openDispute}; the defender of the score and the
 * challenger then move here, each within MOVE_PERIOD, until one step is executed on chain. The
 * outcome (bonds, a replaced score) is applied by {IForecastMarket.resolveDispute}.
 */
interface IDisputeGame {
    /// @notice Whose move a dispute awaits (see docs/FRAUD_PROOFS.md). `None`: no such dispute.
    enum Stage {
        None,
        Defense, // the defender: {defend} with the model's meta leaf (and the sums, if the organizer)
        Bisect, // the defender: {bisect} with the state hashes at the interval's interior points
        Choose, // the challenger: {choose} the first segment it disagrees with
        Step // the challenger (or anyone): {proveStep}, the one step re-executed on chain
    }
    // In a reversed dispute (`Dispute.failure`: a posted failure disputed) the roles swap: the
    // challenger (the claimant) makes the defender's moves with its own sums, the organizer makes
    // the challenger's moves, and may end it at any stage with {proveInvalid}.

    /// @notice A model's meta leaf (docs/FRAUD_PROOFS.md, section 2) and its proof under the weights root.
    struct MetaLeaf {
        bytes payload;
        bytes32[] proof;
    }

    /// @notice Where a step's leaves are proven: the submission's weights root and the data roots.
    struct Roots {
        bytes32 weights;
        bytes32 train;
        bytes32 test;
        uint256 trainRows;
        uint256 testRows;
    }

    /// @notice A weight leaf `(key, payload)`; the key follows from the step.
    struct Leaf {
        bytes payload;
        bytes32[] proof;
    }

    /// @notice A data row `(index, values)`; the index follows from the step.
    struct Row {
        int256[] values;
        bytes32[] proof;
    }

    /// @notice The pre-state `(step, sumSq, sumAbs, vec)` in full, the meta leaf, and the leaves and
    /// rows the step reads (`forecast_market.fraud.StepMachine.weight_keys` and `locate`): a chunk
    /// step's unit leaves in unit order, or the dense layers in order for a head step; the input
    /// row then the window's end row (delta only) for layer 0, or the target row then the end row
    /// (delta only) for a head step.
    struct StepProof {
        uint256 step;
        uint256 sumSq;
        uint256 sumAbs;
        bytes vec;
        bytes meta;
        bytes32[] metaProof;
        Leaf[] weights;
        Row[] rows;
    }

    /// @notice A dispute between a challenger and the defender of one submission's score. Getter: {dispute}.
    struct Dispute {
        Stage stage;
        uint40 deadline; // the awaited move is due before this, seconds since epoch
        uint32 nonce; // the claim's nonce when opened
        uint32 vecLen; // state vector length, from the meta leaf (0 until the defense)
        uint64 lo; // agreed step index
        uint64 hi; // disputed step index
        bool failure; // a reversed dispute about a posted failure: the challenger claims and defends, the organizer challenges
        bytes32 loHash; // agreed state hash at lo
        bytes32 hiHash; // the defender's state hash at hi
        bytes32 points; // Bisect/Choose: keccak256 of the posted interior hashes
        uint256 sumSq; // the challenger's claimed sums
        uint256 sumAbs;
    }

    /// @notice The organizer's request that a revealed entry's weights be published on chain (data
    /// availability, docs/FRAUD_PROOFS.md section 4, "Posted failures"). Getter: {weightsRequest}.
    struct WeightsRequest {
        uint40 deadline; // the publication must complete before this (0: no request)
        uint32 published; // leaves published so far, in key order
        uint32 total; // leaves of the tree, from the meta leaf (0 until it is published)
        uint32 unitLeaves; // layers * units
        uint16 units;
        bool complete; // every leaf published and the tree rebuilt to the revealed root
        bytes32 acc; // keccak chain of the published leaf hashes, in key order
    }

    /// @notice {proveInvalid}: why a model cannot be run exactly, with the leaves or rows that show it.
    /// `kind` 0: the meta leaf is outside the covered models or inconsistent with the task (the
    /// verifier's `InvalidModelMeta`); 1: the leaf `key` (a key the meta implies) has the wrong length;
    /// 2: an interval bound reaches 2**62 (`key` a unit key: that unit leaf; `key` = `2 << 32`: the
    /// dense leaves, in order); 3: the window `window` reads at time `t` a training row without a
    /// column the model reads (`rows`: that row, then the window's end row with the delta transform);
    /// values out of range are clamped, never a reason.
    struct InvalidityProof {
        uint8 kind;
        bytes meta;
        bytes32[] metaProof;
        uint256 key;
        Leaf[] leaves;
        uint256 window;
        uint256 t;
        Row[] rows;
    }

    /// @notice Emitted by {defend}: the defender's claim is that `steps` steps lead from the initial
    /// state to the state with these sums.
    event DisputeDefended(
        uint256 indexed id, address indexed participant, address indexed challenger, uint256 steps, uint256 sumSq, uint256 sumAbs
    );

    /// @notice Emitted by {bisect}: the defender's state hashes at the interior points of [lo, hi]
    /// (`lo + (hi - lo) q / s`, q = 1 .. s - 1, s = hashes.length + 1).
    event DisputeBisected(
        uint256 indexed id, address indexed participant, address indexed challenger, uint64 lo, uint64 hi, bytes32[] hashes
    );

    /// @notice Emitted by {choose}: the disputed interval is now [lo, hi].
    event DisputeNarrowed(uint256 indexed id, address indexed participant, address indexed challenger, uint64 lo, uint64 hi);

    /// @notice Emitted by {requestWeights}: `participant`'s weights must be published before `deadline`.
    event WeightsRequested(uint256 indexed id, address indexed participant, uint64 deadline);

    /// @notice Emitted by {publishWeights}: leaves `first .. first + count - 1` (in key order), their payloads
    /// in the log itself (whoever called: a contract participant's transaction input is not this call's).
    event WeightsPublished(uint256 indexed id, address indexed participant, uint32 first, uint32 count, bytes[] payloads);

    /// @notice Emitted by {completeWeights}: every leaf is published and rebuilds the revealed root.
    event WeightsAvailable(uint256 indexed id, address indexed participant);

    /// @notice A dispute move by the wrong account, at the wrong stage, after its deadline, or
    /// with malformed arguments (`reason` says which).
    error BadMove(uint8 reason);

    /// @notice {defend}: the organizer's sums do not give its posted `score`.
    error SumsMismatch(int64 score, int64 fromSums);

    /// @notice {proveStep}: the given pre-state is not the agreed one.
    error PreStateMismatch(bytes32 expected, bytes32 got);

    /// @notice {endDispute} before the move's deadline on a dispute that is not moot.
    error DisputeNotExpired(uint64 deadline);

    /// @notice {open} for a challenger that already has a dispute about this submission.
    error DisputeExists(uint256 id, address participant, address challenger);

    /// @notice {open} called by an account other than the market.
    error NotMarket(address caller);

    /// @notice How long each dispute move may take, in seconds (1 day).
    function MOVE_PERIOD() external view returns (uint64);

    /// @notice How long a participant has to publish its weights once requested, in seconds (1 day).
    function AVAILABILITY_PERIOD() external view returns (uint64);

    /// @notice Called by the market's {IForecastMarket.openDispute}: a dispute awaiting the defender's
    /// move (`failure`: a reversed dispute about a posted failure, awaiting the challenger's defense).
    function open(uint256 id, address participant, address challenger, uint32 nonce, uint256 sumSq, uint256 sumAbs, bool failure)
        external;

    /// @notice The organizer asks that `participant`'s weights be published on chain within
    /// AVAILABILITY_PERIOD (it could not use the bundle). Once per entry, on a revealed and unscored
    /// entry of a bonded competition, from revealEnd and while the whole period ends before the
    /// evaluation deadline (so the participant always gets the full period). While it is pending the
    /// market refuses to score the entry; unanswered, the entry's failure cannot be disputed.
    /// @dev Reverts with {BadMove}. Emits {WeightsRequested}.
    function requestWeights(uint256 id, address participant) external;

    /// @notice The participant publishes the next leaves' payloads of its weights tree, in key order
    /// (the meta leaf, the unit leaves layer by layer, the dense leaves), in one or several
    /// transactions before the request's deadline.
    /// @dev Reverts with {BadMove} or {InvalidModelMeta}. Emits {WeightsPublished}.
    function publishWeights(uint256 id, address participant, bytes[] calldata payloads) external;

    /// @notice Close a publication: `sorted` is every published leaf hash in ascending order and
    /// `order` (2 bytes per leaf, big-endian) the position in `sorted` of each leaf in key order; the
    /// tree they make must be the revealed weights root. Anyone may call it, before the deadline.
    /// @dev Reverts with {BadMove}. Emits {WeightsAvailable}.
    function completeWeights(uint256 id, address participant, bytes32[] calldata sorted, bytes calldata order) external;

    /// @notice The weights request about `participant`'s entry (all zero: none).
    function weightsRequest(uint256 id, address participant) external view returns (WeightsRequest memory);

    /// @notice Whether a weights request keeps `participant`'s entry from being scored now.
    function weightsPending(uint256 id, address participant) external view returns (bool);

    /// @notice Whether a posted failure of `participant` may be disputed: no request was made, or the
    /// weights were published in time.
    function failureDisputable(uint256 id, address participant) external view returns (bool);

    /// @notice In a reversed dispute (a posted failure), prove the model cannot be run exactly: the
    /// organizer wins. Any stage, before the awaited move's deadline. Anyone may call it (it can only
    /// make the failure stand), like {proveStep}.
    /// @dev Reverts with {BadMove} (3: nothing proven) or the verifier's errors. Emits {DisputeEnded} (how 3).
    function proveInvalid(uint256 id, address participant, address challenger, InvalidityProof calldata proof) external;

    /// @notice The score from the metric's sums on `n` test windows (metric x 1e6; docs/FRAUD_PROOFS.md section 3).
    function scoreFromSums(uint8 metric, uint256 n, uint256 sumSq, uint256 sumAbs) external pure returns (int64);

    /// @notice The defender's first move: the model's meta leaf with its proof under the
    /// submission's weights root, and (the organizer only) the sums its score came from.
    /// @dev Reverts with {BadMove} or {SumsMismatch}, or the verifier's `InvalidModelMeta`/`BadLeaf`.
    /// Emits {DisputeDefended}.
    function defend(
        uint256 id,
        address participant,
        address challenger,
        uint256 sumSq,
        uint256 sumAbs,
        MetaLeaf calldata meta
    ) external;

    /// @notice The defender's state hashes at the interior points of the disputed interval.
    /// @dev Reverts with {BadMove}. Emits {DisputeBisected}.
    function bisect(uint256 id, address participant, address challenger, bytes32[] calldata hashes) external;

    /// @notice The challenger picks segment `q` (it agrees with the hash at its start, not at its end),
    /// resending the hashes of the last {bisect}.
    /// @dev Reverts with {BadMove}. Emits {DisputeNarrowed}.
    function choose(uint256 id, address participant, address challenger, uint256 q, bytes32[] calldata hashes) external;

    /// @notice Execute the one disputed step on chain; the defender wins if the result is its hash.
    /// Anyone may call it.
    /// @dev Reverts with {BadMove}, {PreStateMismatch}, or the verifier's errors. Emits {DisputeEnded}.
    function proveStep(uint256 id, address participant, address challenger, StepProof calldata proof) external;

    /// @notice End a dispute whose awaited move is overdue (the party to move loses) or that is moot
    /// (the score it disputes was replaced meanwhile: the bond goes back). Anyone may call it.
    /// @dev Reverts with {BadMove} or {DisputeNotExpired}. Emits {DisputeEnded}.
    function endDispute(uint256 id, address participant, address challenger) external;

    /// @notice The dispute of `challenger` about `participant`'s score.
    function dispute(uint256 id, address participant, address challenger) external view returns (Dispute memory);
}
