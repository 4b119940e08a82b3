// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IDisputeGame} from "../interfaces/IDisputeGame.sol";
import {IForecastMarket} from "../interfaces/IForecastMarket.sol";
import {EvaluationStep} from "./EvaluationStep.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {FixedPointRNN} from "./lib/FixedPointRNN.sol";

/**
 * @title DisputeGame
 * @notice The bisection game of {IDisputeGame}, deployed by its {ForecastMarket} (the only caller
 * of {open}), and the one-step re-execution it ends in ({EvaluationStep}). It holds no wei: the
 * bonds stay in the market, which applies each outcome in {IForecastMarket.resolveDispute}.
 * @dev A separate contract so that the market stays under the 24 KB code-size limit (EIP-170).
 */
contract DisputeGame is IDisputeGame, EvaluationStep {
    /// @inheritdoc IDisputeGame
    uint64 public constant MOVE_PERIOD = 1 days;
    uint256 private constant ARITY = 16; // at most 16 segments per bisection round
    /// @inheritdoc IDisputeGame
    uint64 public constant AVAILABILITY_PERIOD = 1 days;

    IForecastMarket private immutable _market;

    mapping(uint256 id => mapping(address participant => mapping(address challenger => Dispute))) private _disputes;
    mapping(uint256 id => mapping(address participant => WeightsRequest)) private _requests;

    constructor() {
        _market = IForecastMarket(msg.sender);
    }

    /// @inheritdoc IDisputeGame
    function open(uint256 id, address participant, address challenger, uint32 nonce, uint256 sumSq, uint256 sumAbs, bool failure)
        external
    {
        if (msg.sender != address(_market)) revert NotMarket(msg.sender);
        Dispute storage d = _disputes[id][participant][challenger];
        if (d.stage != Stage.None) revert DisputeExists(id, participant, challenger);
        d.nonce = nonce;
        d.failure = failure;
        d.sumSq = sumSq;
        d.sumAbs = sumAbs;
        _advance(d, Stage.Defense);
    }

    /// @inheritdoc IDisputeGame
    function defend(uint256 id, address participant, address challenger, uint256 sumSq, uint256 sumAbs, MetaLeaf calldata meta)
        external
    {
        (IForecastMarket.DisputeContext memory ctx, Dispute storage d) = _move(id, participant, challenger, Stage.Defense);
        if (msg.sender != _claimant(d, ctx, challenger)) revert BadMove(1);
        if (d.failure) {
            (sumSq, sumAbs) = (d.sumSq, d.sumAbs); // the claimant defends its own sums
        } else if (ctx.sumsKnown) {
            (sumSq, sumAbs) = (ctx.sumSq, ctx.sumAbs);
        } else {
            int64 fromSums = scoreFromSums(ctx.metric, ctx.testRows, sumSq, sumAbs);
            if (fromSums != ctx.score) revert SumsMismatch(ctx.score, fromSums);
        }
        (uint256 steps, uint256 vecLen) = describe(_roots(ctx), meta.payload, meta.proof, ctx.horizon);
        d.vecLen = uint32(vecLen);
        d.hi = uint64(steps);
        d.loHash = zeroStateHash(0, 0, 0, vecLen);
        d.hiHash = zeroStateHash(steps, sumSq, sumAbs, vecLen);
        _advance(d, steps > 1 ? Stage.Bisect : Stage.Step);
        emit DisputeDefended(id, participant, challenger, steps, sumSq, sumAbs);
    }

    /// @inheritdoc IDisputeGame
    function bisect(uint256 id, address participant, address challenger, bytes32[] calldata hashes) external {
        (IForecastMarket.DisputeContext memory ctx, Dispute storage d) = _move(id, participant, challenger, Stage.Bisect);
        if (msg.sender != _claimant(d, ctx, challenger)) revert BadMove(1);
        if (hashes.length + 1 != _segments(d)) revert BadMove(3);
        d.points = keccak256(abi.encode(hashes));
        _advance(d, Stage.Choose);
        emit DisputeBisected(id, participant, challenger, d.lo, d.hi, hashes);
    }

    /// @inheritdoc IDisputeGame
    function choose(uint256 id, address participant, address challenger, uint256 q, bytes32[] calldata hashes) external {
        (IForecastMarket.DisputeContext memory ctx, Dispute storage d) = _move(id, participant, challenger, Stage.Choose);
        if (msg.sender != (d.failure ? ctx.defender : challenger)) revert BadMove(1);
        uint256 segments = _segments(d);
        if (q >= segments || keccak256(abi.encode(hashes)) != d.points) revert BadMove(3);
        uint256 lo = d.lo;
        uint256 span = d.hi - lo;
        if (q != 0) d.loHash = hashes[q - 1];
        if (q != segments - 1) d.hiHash = hashes[q];
        d.lo = uint64(lo + (span * q) / segments);
        d.hi = uint64(lo + (span * (q + 1)) / segments);
        d.points = bytes32(0);
        _advance(d, d.hi - d.lo > 1 ? Stage.Bisect : Stage.Step);
        emit DisputeNarrowed(id, participant, challenger, d.lo, d.hi);
    }

    /// @inheritdoc IDisputeGame
    function proveStep(uint256 id, address participant, address challenger, StepProof calldata proof) external {
        (IForecastMarket.DisputeContext memory ctx, Dispute storage d) = _move(id, participant, challenger, Stage.Step);
        if (proof.step != d.lo) revert BadMove(3);
        (bytes32 pre, bytes32 post) = run(_roots(ctx), proof);
        if (pre != d.loHash) revert PreStateMismatch(d.loHash, pre);
        _finish(id, participant, challenger, (post == d.hiHash) != d.failure, 0);
    }

    /// @inheritdoc IDisputeGame
    function proveInvalid(uint256 id, address participant, address challenger, InvalidityProof calldata proof) external {
        Dispute storage d = _disputes[id][participant][challenger];
        if (!d.failure) revert BadMove(0);
        (IForecastMarket.DisputeContext memory ctx, ) = _move(id, participant, challenger, d.stage);
        Roots memory roots = _roots(ctx);
        if (proof.kind == 0) {
            // The meta leaf fails the verifier's own checks (a proof that does not verify is no proof).
            // slither-disable-next-line unused-return
            try this.describe(roots, proof.meta, proof.metaProof, ctx.horizon) {
                revert BadMove(3);
            } catch (bytes memory err) {
                if (bytes4(err) != InvalidModelMeta.selector) revert BadMove(3);
            }
        } else if (!invalid(roots, proof)) {
            revert BadMove(3);
        }
        _finish(id, participant, challenger, true, 3);
    }

    // ================================================================== weights availability

    /// @inheritdoc IDisputeGame
    function requestWeights(uint256 id, address participant) external {
        IForecastMarket.DisputeContext memory ctx = _market.disputeContext(id, participant);
        WeightsRequest storage r = _requests[id][participant];
        if (msg.sender != ctx.defender) revert BadMove(1);
        if (
            ctx.status != IForecastMarket.Status.Revealed ||
            r.deadline != 0 ||
            block.timestamp < ctx.revealEnd ||
            block.timestamp + AVAILABILITY_PERIOD >= ctx.evaluationEnd // the full period, and time to score after it
        ) revert BadMove(5);
        uint40 deadline = uint40(block.timestamp + AVAILABILITY_PERIOD);
        r.deadline = deadline;
        emit WeightsRequested(id, participant, deadline);
    }

    /// @inheritdoc IDisputeGame
    function publishWeights(uint256 id, address participant, bytes[] calldata payloads) external {
        WeightsRequest storage r = _requests[id][participant];
        if (msg.sender != participant) revert BadMove(1);
        if (r.deadline <= block.timestamp || r.complete) revert BadMove(2);
        uint256 i = r.published;
        uint32 first = uint32(i);
        bytes32 acc = r.acc;
        for (uint256 k; k < payloads.length; ++k) {
            bytes calldata payload = payloads[k];
            uint256 key = 0; // the meta leaf
            if (i == 0) {
                (uint256 layers, uint256 units, uint256 heads) = publicationShape(payload);
                r.units = uint16(units);
                r.unitLeaves = uint32(layers * units);
                r.total = uint32(1 + layers * units + heads);
            } else {
                if (i >= r.total) revert BadMove(3);
                uint256 u = r.unitLeaves;
                key = i <= u ? (1 << 32) | (((i - 1) / r.units) << 16) | ((i - 1) % r.units) : (2 << 32) | (i - 1 - u);
            }
            acc = keccak256(abi.encode(acc, keccak256(bytes.concat(keccak256(abi.encode(key, payload))))));
            ++i;
        }
        r.published = uint32(i);
        r.acc = acc;
        emit WeightsPublished(id, participant, first, uint32(i) - first, payloads);
    }

    /// @inheritdoc IDisputeGame
    function completeWeights(uint256 id, address participant, bytes32[] calldata sorted, bytes calldata order) external {
        WeightsRequest storage r = _requests[id][participant];
        uint256 n = r.total;
        if (r.deadline <= block.timestamp || r.complete) revert BadMove(2);
        if (n == 0 || r.published != n || sorted.length != n || order.length != 2 * n) revert BadMove(3);
        bytes32 acc = bytes32(0);
        for (uint256 i; i < n; ++i) {
            if (i != 0 && sorted[i] <= sorted[i - 1]) revert BadMove(3);
            // Each leaf in key order is one of the sorted hashes; the keys differ, so they are all different.
            acc = keccak256(abi.encode(acc, sorted[uint16(bytes2(order[2 * i:2 * i + 2]))]));
        }
        if (acc != r.acc || treeRoot(sorted) != _market.disputeContext(id, participant).weightsRoot) revert BadMove(3);
        r.complete = true;
        emit WeightsAvailable(id, participant);
    }

    /// @inheritdoc IDisputeGame
    function weightsRequest(uint256 id, address participant) external view returns (WeightsRequest memory) {
        return _requests[id][participant];
    }

    /// @inheritdoc IDisputeGame
    function weightsPending(uint256 id, address participant) external view returns (bool) {
        WeightsRequest storage r = _requests[id][participant];
        return r.deadline > block.timestamp && !r.complete;
    }

    /// @inheritdoc IDisputeGame
    function failureDisputable(uint256 id, address participant) external view returns (bool) {
        WeightsRequest storage r = _requests[id][participant];
        return r.deadline == 0 || r.complete;
    }

    /// @inheritdoc IDisputeGame
    function endDispute(uint256 id, address participant, address challenger) external {
        Dispute storage d = _disputes[id][participant][challenger];
        Stage stage = d.stage;
        if (stage == Stage.None) revert BadMove(0);
        if (_market.disputeContext(id, participant).nonce != d.nonce) {
            _finish(id, participant, challenger, false, 2);
            return;
        }
        if (block.timestamp < d.deadline) revert DisputeNotExpired(d.deadline);
        // The party whose move it was loses: the defender (a failure's claimant) at Defense and Bisect,
        // the challenger (a failure's organizer) after.
        _finish(id, participant, challenger, (stage == Stage.Choose || stage == Stage.Step) != d.failure, 1);
    }

    /// @inheritdoc IDisputeGame
    function dispute(uint256 id, address participant, address challenger) external view returns (Dispute memory) {
        return _disputes[id][participant][challenger];
    }

    /// @inheritdoc IDisputeGame
    function scoreFromSums(uint8 metric, uint256 n, uint256 sumSq, uint256 sumAbs) public pure returns (int64) {
        if (n == 0) return type(int64).max - 1;
        // The integer scorer's rounding (ml_models.intinfer.scores): RMSE round(sqrt(sumSq 1e12 / (n 4^F)))
        // = (isqrt(4 z) + 1) / 2, MAE sumAbs 1e6 / (n 2^F) rounded halves up. No overflow: sums of
        // int64 differences over at most 2^32 rows stay below 2^160, times 4e12 below 2^202. A forecast beyond
        // int64 (int256 on chain) can make sumSq larger: from 2^200 the RMSE is beyond int64 anyway, so clamp.
        uint256 q;
        if (metric == 0) {
            if (sumSq >> 200 != 0) return type(int64).max - 1;
            q = (Math.sqrt((4 * sumSq * 1e12) / (n << (2 * FixedPointRNN.F))) + 1) / 2;
        } else {
            uint256 den = n << FixedPointRNN.F;
            q = (2 * sumAbs * 1e6 + den) / (2 * den);
        }
        // Kept clear of the failure score, as the scorer's clamp does.
        return q > uint64(type(int64).max - 1) ? type(int64).max - 1 : int64(uint64(q));
    }

    // ================================================================== internal

    /// @dev The dispute and its submission's context, if it awaits a move of `stage` before its
    /// deadline and the score it disputes still stands.
    function _move(uint256 id, address participant, address challenger, Stage stage)
        private
        view
        returns (IForecastMarket.DisputeContext memory ctx, Dispute storage d)
    {
        d = _disputes[id][participant][challenger];
        if (d.stage != stage) revert BadMove(0);
        if (block.timestamp >= d.deadline) revert BadMove(2);
        ctx = _market.disputeContext(id, participant);
        if (ctx.nonce != d.nonce) revert BadMove(4);
    }

    /// @dev Who makes the defender's moves: the score's defender, or a failure's claimant (the challenger).
    function _claimant(Dispute storage d, IForecastMarket.DisputeContext memory ctx, address challenger)
        private
        view
        returns (address)
    {
        return d.failure ? challenger : ctx.defender;
    }

    function _advance(Dispute storage d, Stage stage) private {
        d.stage = stage;
        d.deadline = uint40(block.timestamp + MOVE_PERIOD);
    }

    function _segments(Dispute storage d) private view returns (uint256) {
        uint256 span = d.hi - d.lo;
        return span < ARITY ? span : ARITY;
    }

    function _roots(IForecastMarket.DisputeContext memory ctx) private pure returns (Roots memory) {
        return Roots(ctx.weightsRoot, ctx.trainRoot, ctx.testRoot, ctx.trainRows, ctx.testRows);
    }

    /// @dev Delete the dispute, then let the market apply the outcome. `defenderWon`: the standing score
    /// (or failure) stands.
    function _finish(uint256 id, address participant, address challenger, bool defenderWon, uint8 how) private {
        Dispute storage d = _disputes[id][participant][challenger];
        (uint256 sumSq, uint256 sumAbs) = (d.sumSq, d.sumAbs);
        delete _disputes[id][participant][challenger];
        _market.resolveDispute(id, participant, challenger, defenderWon, how, sumSq, sumAbs);
    }
}
