// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";
import {FixedPointRNN} from "./lib/FixedPointRNN.sol";
import {IDisputeGame} from "../interfaces/IDisputeGame.sol";

/**
 * @title EvaluationStep
 * @notice One step of a submission's integer evaluation, re-executed from a proven pre-state:
 * the on-chain twin of `forecast_market.fraud.machine.StepMachine.step`. Specification:
 * docs/FRAUD_PROOFS.md, sections 2 and 3. Stateless; the base of {DisputeGame}.
 *
 * @dev Weights arrive as calldata leaves of packed int64 values (8 bytes big-endian) and are
 * read inside the dot products with `sar(192, calldataload(p))`, which sign-extends the top 8
 * bytes: no copy, no decoding. Every value a dot product multiplies is an int64 (weights and the
 * state are packed int64; inputs are checked), so each product is below 2**126 and the EVM's
 * wrapping arithmetic is exact. Everything else is checked Solidity and FixedPointRNN.
 */
abstract contract EvaluationStep {
    uint256 private constant META_VERSION = 1;
    uint256 private constant META_FIXED = 11; // values before the per-feature triples
    uint256 private constant CHUNK_VALUES = 8192;
    uint256 private constant MAX_LAYERS = 4;
    uint256 private constant MAX_UNITS = 512;
    uint256 private constant MAX_FEATURES = 64;
    uint256 private constant MAX_HEAD = 16384; // denseUnits * units
    int256 private constant ONE = 16777216;
    // The integer scorer's overflow proof (ml_models.intinfer.network): every interval bound below 2**62,
    // windows within +-100 (standardised units), LSTM sequences shorter than 2**14 - 1.
    uint256 private constant SAFE = 2 ** 62;
    uint256 private constant INPUT_BOUND = 100 * 16777216;
    int256 private constant STANDARD_CLAMP = 2 ** 61;
    uint256 private constant MAX_LSTM_STEPS = 16382;

    /// @dev The meta leaf, parsed, and what follows from it.
    struct Meta {
        uint256 cell; // 0 LSTM, 1 GRU, 2 SimpleRNN
        uint256 layers;
        uint256 units;
        uint256 dense;
        uint256 features;
        uint256 seqLen;
        uint256 horizon;
        bool delta;
        uint8 outAct;
        int256 deltaScale;
        uint256 gates;
        uint256 chunk;
        uint256 chunks;
        uint256 perWindow;
        uint256 vecLen;
    }

    /// @notice The meta leaf is not a model this version can run (`reason` says which check).
    error InvalidModelMeta(uint8 reason);
    /// @notice A leaf or row is not under its root, or has the wrong length.
    error BadLeaf(uint256 key);
    error BadRow(uint256 index);
    /// @notice The pre-state is malformed or its step is past the end.
    error BadState();
    /// @notice A standardised input does not fit int64 (the integer scorer refuses such windows).
    error InputOutOfRange(int256 value);

    // ================================================================== entry points

    /// @notice Check a model's meta leaf against its weights root and the task, and return the
    /// number of steps of its evaluation on `roots.testRows` windows.
    /// @param horizon The competition's horizon, which the model must use.
    function describe(IDisputeGame.Roots memory roots, bytes calldata meta, bytes32[] calldata proof, uint256 horizon)
        public
        pure
        returns (uint256 steps, uint256 vecLen)
    {
        Meta memory m = _meta(roots, meta, proof);
        if (m.horizon != horizon) revert InvalidModelMeta(20);
        return (roots.testRows * m.perWindow, m.vecLen);
    }

    /// @notice The hash of state `(step, sumSq, sumAbs, vec)`.
    function stateHash(uint256 step, uint256 sumSq, uint256 sumAbs, bytes memory vec) public pure returns (bytes32) {
        return keccak256(abi.encode(step, sumSq, sumAbs, vec));
    }

    /// @notice The hash of a state whose vector is all zeros (the initial and the final state).
    function zeroStateHash(uint256 step, uint256 sumSq, uint256 sumAbs, uint256 vecLen) public pure returns (bytes32) {
        return stateHash(step, sumSq, sumAbs, new bytes(8 * vecLen));
    }

    /// @notice Execute step `p.step`: returns the hash of the given pre-state and of the state after it.
    function run(IDisputeGame.Roots memory roots, IDisputeGame.StepProof calldata p) public pure returns (bytes32 pre, bytes32 post) {
        pre = keccak256(abi.encode(p.step, p.sumSq, p.sumAbs, p.vec));
        Meta memory m = _meta(roots, p.meta, p.metaProof);
        if (p.vec.length != 8 * m.vecLen || p.step >= roots.testRows * m.perWindow) revert BadState();
        int256[] memory v = _unpackState(p.vec);
        uint256 w = p.step / m.perWindow;
        uint256 r = p.step % m.perWindow;
        uint256 end = roots.trainRows + w - m.horizon;
        uint256 sumSq = p.sumSq;
        uint256 sumAbs = p.sumAbs;
        if (r == m.perWindow - 1) {
            (sumSq, sumAbs) = _head(roots, p, m, v, w, end);
        } else {
            _chunk(roots, p, m, v, r, end);
        }
        post = stateHash(p.step + 1, sumSq, sumAbs, _packState(v));
    }

    // ================================================================== invalid models

    /// @notice Whether `p` (kinds 1 to 3 of {IDisputeGame.InvalidityProof}) shows that the model under
    /// `roots.weights` cannot be run exactly: the checks the integer scorer makes
    /// (`forecast_market.fraud.invalid`, `ml_models.intinfer.network`). Reverts when the meta leaf
    /// is not a valid model's (kind 0 proves that) or a leaf or row does not verify.
    function invalid(IDisputeGame.Roots memory roots, IDisputeGame.InvalidityProof calldata p) public pure returns (bool) {
        Meta memory m = _meta(roots, p.meta, p.metaProof);
        uint256 key = p.key;
        uint256 nd = m.dense == 0 ? 1 : 2;
        if (p.kind == 1) {
            if (p.leaves.length != 1 || !_proven(roots.weights, key, p.leaves[0])) revert BadLeaf(key);
            uint256 count = 0;
            if (key >> 32 == 1 && (key >> 16) & 0xffff < m.layers && key & 0xffff < m.units) {
                count = _unitValues(m, (key >> 16) & 0xffff);
            } else if (key >> 32 == 2 && key & 0xffffffff < nd) {
                (uint256 inW, uint256 outW) = _denseShape(m, key & 0xffffffff, nd);
                count = inW * outW + outW;
            } else {
                revert BadLeaf(key); // not a leaf the model reads
            }
            return p.leaves[0].payload.length != 8 * count;
        }
        if (p.kind == 2) return key == 2 << 32 ? _denseUnbounded(roots.weights, p, m, nd) : _unitUnbounded(roots.weights, p, m);
        if (p.kind == 3 && p.window < roots.testRows && p.t < m.seqLen) {
            // Only a public training row can prove a missing column: a test row is the organizer's, and an
            // organizer that planted a short one would otherwise fail every model reading that column.
            uint256 end = roots.trainRows + p.window - m.horizon;
            uint256 row = end - m.seqLen + 1 + p.t;
            if (row >= roots.trainRows) revert IDisputeGame.BadMove(3);
            (, , bool bad) = _input(roots, p.meta, p.rows, m, row, end);
            return bad;
        }
        revert IDisputeGame.BadMove(3);
    }

    /// @dev Values of a unit leaf of `layer`.
    function _unitValues(Meta memory m, uint256 layer) private pure returns (uint256) {
        return m.gates * ((layer == 0 ? m.features : m.units) + m.units) + m.gates * (m.cell == 1 ? 2 : 1);
    }

    function _denseShape(Meta memory m, uint256 i, uint256 nd) private pure returns (uint256 inW, uint256 outW) {
        return (i == 0 ? m.units : m.dense, i == nd - 1 ? 1 : m.dense);
    }

    /// @dev A unit leaf whose gate pre-activations cannot be bounded below 2**62 (IntNetwork._prove_bounds).
    function _unitUnbounded(bytes32 root, IDisputeGame.InvalidityProof calldata p, Meta memory m) private pure returns (bool) {
        uint256 key = p.key;
        uint256 layer = (key >> 16) & 0xffff;
        if (key >> 32 != 1 || layer >= m.layers || (key & 0xffff) >= m.units || p.leaves.length != 1) revert BadLeaf(key);
        bytes calldata w = _leaf(root, key, p.leaves[0], _unitValues(m, layer));
        uint256 inW = layer == 0 ? m.features : m.units;
        for (uint256 g; g < m.gates; ++g) {
            if (_gateUnbounded(w, m, g, inW, layer == 0 ? INPUT_BOUND + 1 : uint256(ONE))) return true;
        }
        return false;
    }

    /// @dev Gate `g` of a unit leaf: LSTM and SimpleRNN |x W + h U + b| and twice its pre-activation;
    /// GRU each affine part, the reset gate times the recurrent candidate, and twice the candidate.
    function _gateUnbounded(bytes calldata w, Meta memory m, uint256 g, uint256 inW, uint256 bx) private pure returns (bool) {
        uint256 stride = inW + m.units;
        uint256 wx = _sumAbs(w, g * stride, inW, 1) * bx + _abs(_value(w, m.gates * stride + g)) * uint256(ONE);
        uint256 uh = _sumAbs(w, g * stride + inW, m.units, 1) * uint256(ONE);
        if (m.cell != 1) return _twiceUnbounded(wx + uh, 0, false);
        uh += _abs(_value(w, m.gates * stride + 3 + g)) * uint256(ONE);
        return wx >= SAFE || uh >= SAFE || (g == 2 && uint256(ONE) * (uh / uint256(ONE) + 1) >= SAFE) || _twiceUnbounded(wx, uh, true);
    }

    /// @dev LSTM and SimpleRNN: a >= 2**62 or 2 (a / ONE + 1) >= 2**62; GRU: 2 (a / ONE + r / ONE + 3) >= 2**62.
    function _twiceUnbounded(uint256 a, uint256 r, bool gru) private pure returns (bool) {
        uint256 one = uint256(ONE);
        if (!gru) return a >= SAFE || 2 * (a / one + 1) >= SAFE;
        return 2 * (a / one + r / one + 3) >= SAFE;
    }

    /// @dev Dense layers whose outputs cannot be bounded below 2**62 (IntNetwork._prove_bounds).
    function _denseUnbounded(bytes32 root, IDisputeGame.InvalidityProof calldata p, Meta memory m, uint256 nd)
        private
        pure
        returns (bool)
    {
        if (p.leaves.length != nd) revert BadLeaf(nd);
        uint256 bx = uint256(ONE);
        for (uint256 i; i < nd; ++i) {
            (uint256 inW, uint256 outW) = _denseShape(m, i, nd);
            bytes calldata w = _leaf(root, (2 << 32) | i, p.leaves[i], inW * outW + outW);
            uint256 next = 0;
            for (uint256 j; j < outW; ++j) {
                uint256 bound = _sumAbs(w, j, inW, outW) * bx + _abs(_value(w, inW * outW + j)) * uint256(ONE);
                if (bound >= SAFE) return true;
                bound = bound / uint256(ONE) + 1;
                if (bound > next) next = bound;
            }
            bx = next;
        }
        return false;
    }

    /// @dev sum_k |data[at + k * stride]| for k < n (int64 values: no overflow).
    function _sumAbs(bytes calldata data, uint256 at, uint256 n, uint256 stride) private pure returns (uint256 acc) {
        for (uint256 k; k < n; ++k) acc += _abs(_value(data, at + k * stride));
    }

    function _abs(int256 v) private pure returns (uint256) {
        return v < 0 ? uint256(-v) : uint256(v);
    }

    // ================================================================== publication

    /// @notice From a published meta leaf: layers, units and dense leaves of the tree to publish (the
    /// covered sizes only: a model outside them is invalid whatever its leaves).
    function publicationShape(bytes calldata meta) public pure returns (uint256 layers, uint256 units, uint256 heads) {
        if (meta.length < 8 * META_FIXED) revert InvalidModelMeta(0);
        int256 l = _value(meta, 2);
        int256 u = _value(meta, 3);
        int256 d = _value(meta, 4);
        if (l <= 0 || l > int256(MAX_LAYERS) || u <= 0 || u > int256(MAX_UNITS) || d < 0) revert InvalidModelMeta(4);
        return (uint256(l), uint256(u), d == 0 ? 1 : 2);
    }

    /// @notice The root of the StandardMerkleTree over leaf hashes sorted ascending (OpenZeppelin's layout:
    /// leaves from the end of a flat array, node i the sorted-pair hash of 2i+1 and 2i+2).
    function treeRoot(bytes32[] calldata sorted) public pure returns (bytes32) {
        uint256 n = sorted.length;
        bytes32[] memory t = new bytes32[](2 * n - 1);
        for (uint256 i; i < n; ++i) t[2 * n - 2 - i] = sorted[i];
        for (uint256 i = n - 1; i > 0; --i) {
            (bytes32 a, bytes32 b) = (t[2 * i - 1], t[2 * i]);
            t[i - 1] = a < b ? keccak256(abi.encode(a, b)) : keccak256(abi.encode(b, a));
        }
        return t[0];
    }

    // ================================================================== steps

    function _head(IDisputeGame.Roots memory roots, IDisputeGame.StepProof calldata p, Meta memory m, int256[] memory v, uint256 w, uint256 end)
        private
        pure
        returns (uint256 sumSq, uint256 sumAbs)
    {
        int256 out = _dense(roots.weights, p, m, _slice(v, (m.layers - 1) * m.units, m.units));
        int256 target = _row(roots, p.rows, 0, roots.trainRows + w)[0];
        int256 pred;
        if (m.delta) {
            pred = FixedPointRNN.toTargetUnits(out, m.deltaScale, _row(roots, p.rows, 1, end)[0]);
        } else {
            (int256 mean0, int256 scale0) = _scaler(p.meta, 0);
            pred = FixedPointRNN.toTargetUnits(out, scale0, mean0);
        }
        sumSq = FixedPointRNN.squaredErrorStep(p.sumSq, pred, target);
        sumAbs = FixedPointRNN.absErrorStep(p.sumAbs, pred, target);
        for (uint256 i; i < v.length; ++i) v[i] = 0;
    }

    /// @dev The dense head (ReLU) and the output layer on the last layer's h: the network's output.
    /// Each is FixedPointRNN.denseStep's arithmetic, (x W + b << F) >> F then the activation, with the
    /// kernel read in place from the packed leaf (row-major: column j is every outW-th value).
    function _dense(bytes32 root, IDisputeGame.StepProof calldata p, Meta memory m, int256[] memory y)
        private
        pure
        returns (int256)
    {
        uint256 nd = m.dense == 0 ? 1 : 2;
        if (p.weights.length != nd) revert BadLeaf(nd);
        for (uint256 i; i < nd; ++i) {
            uint256 inW = i == 0 ? m.units : m.dense;
            uint256 outW = i == nd - 1 ? 1 : m.dense;
            bytes calldata payload = _leaf(root, (2 << 32) | i, p.weights[i], inW * outW + outW);
            int256[] memory next = _denseLayer(payload, y, outW, i == nd - 1 ? m.outAct : FixedPointRNN.RELU);
            y = next;
        }
        return y[0];
    }

    function _denseLayer(bytes calldata payload, int256[] memory x, uint256 outW, uint8 act)
        private
        pure
        returns (int256[] memory y)
    {
        uint256 biasAt = x.length * outW;
        y = new int256[](outW);
        for (uint256 j; j < outW; ++j) {
            int256 z = (_dotStrided(payload, x, j, outW) + _value(payload, biasAt + j) * ONE) >> FixedPointRNN.F;
            if (act == FixedPointRNN.RELU) y[j] = z > 0 ? z : int256(0);
            else if (act == FixedPointRNN.SIGMOID) y[j] = FixedPointRNN.sigmoid(z);
            else y[j] = z;
        }
    }

    /// @dev Where a chunk step writes: its layer, units [j0, j1), the partial h at pAt.
    struct Chunk {
        uint256 layer;
        uint256 j0;
        uint256 j1;
        uint256 stride; // inputs + units: one gate's column in a unit leaf
        uint256 perUnit; // values in a unit leaf
        uint256 pAt;
    }

    function _chunk(IDisputeGame.Roots memory roots, IDisputeGame.StepProof calldata p, Meta memory m, int256[] memory v, uint256 r, uint256 end)
        private
        pure
    {
        Chunk memory ck = Chunk({layer: (r / m.chunks) % m.layers, j0: 0, j1: 0, stride: 0, perUnit: 0, pAt: 0});
        uint256 k = r % m.chunks;
        int256[] memory x;
        if (ck.layer == 0) {
            uint256 row = end - m.seqLen + 1 + r / (m.layers * m.chunks);
            bool missing;
            (x, missing, ) = _input(roots, p.meta, p.rows, m, row, end);
            if (missing) revert BadRow(row);
            FixedPointRNN.requireInt64(x);
        } else {
            x = _slice(v, (ck.layer - 1) * m.units, m.units);
        }
        ck.j0 = k * m.chunk;
        ck.j1 = ck.j0 + m.chunk < m.units ? ck.j0 + m.chunk : m.units;
        if (p.weights.length != ck.j1 - ck.j0) revert BadLeaf(ck.j1 - ck.j0);
        ck.stride = x.length + m.units;
        ck.perUnit = m.gates * ck.stride + m.gates * (m.cell == 1 ? 2 : 1);
        ck.pAt = (m.cell == 0 ? 2 * m.layers : m.layers) * m.units;
        _units(roots.weights, p, m, v, x, ck);
        if (k == m.chunks - 1) {
            for (uint256 j; j < m.units; ++j) {
                v[ck.layer * m.units + j] = v[ck.pAt + j];
                v[ck.pAt + j] = 0;
            }
        }
    }

    function _units(bytes32 root, IDisputeGame.StepProof calldata p, Meta memory m, int256[] memory v, int256[] memory x, Chunk memory ck)
        private
        pure
    {
        int256[] memory h = _slice(v, ck.layer * m.units, m.units);
        for (uint256 j = ck.j0; j < ck.j1; ++j) {
            bytes calldata payload = _leaf(root, (1 << 32) | (ck.layer << 16) | j, p.weights[j - ck.j0], ck.perUnit);
            if (m.cell == 0) {
                uint256 cAt = (m.layers + ck.layer) * m.units + j;
                (v[ck.pAt + j], v[cAt]) = _lstmUnit(payload, x, h, v[cAt], ck.stride);
            } else if (m.cell == 1) {
                v[ck.pAt + j] = _gruUnit(payload, x, h, h[j], ck.stride);
            } else {
                v[ck.pAt + j] = FixedPointRNN.tanh(_gate(payload, x, h, 0, ck.stride));
            }
        }
    }

    /// @dev The LSTM unit: gates i f c o; c' = (f c + i g) >> F; h' = (o tanh(c')) >> F.
    function _lstmUnit(bytes calldata payload, int256[] memory x, int256[] memory h, int256 c, uint256 stride)
        private
        pure
        returns (int256 h2, int256 c2)
    {
        uint256 bias = 4 * stride;
        int256 zi = _gate(payload, x, h, stride * 0, bias);
        int256 zf = _gate(payload, x, h, stride, bias + 1);
        int256 zc = _gate(payload, x, h, stride * 2, bias + 2);
        int256 zo = _gate(payload, x, h, stride * 3, bias + 3);
        c2 = (FixedPointRNN.sigmoid(zf) * c + FixedPointRNN.sigmoid(zi) * FixedPointRNN.tanh(zc)) >> FixedPointRNN.F;
        h2 = (FixedPointRNN.sigmoid(zo) * FixedPointRNN.tanh(c2)) >> FixedPointRNN.F;
    }

    /// @dev The GRU unit (reset_after): a = (x W + bIn << F) >> F, m = (h U + bRec << F) >> F per gate.
    function _gruUnit(bytes calldata payload, int256[] memory x, int256[] memory h, int256 hj, uint256 stride)
        private
        pure
        returns (int256)
    {
        uint256 nx = x.length;
        uint256 bIn = 3 * stride;
        int256 z = FixedPointRNN.sigmoid(_half(payload, x, 0, bIn) + _half(payload, h, nx, bIn + 3));
        int256 r = FixedPointRNN.sigmoid(_half(payload, x, stride, bIn + 1) + _half(payload, h, stride + nx, bIn + 4));
        int256 mh = _half(payload, h, 2 * stride + nx, bIn + 5);
        int256 cand = FixedPointRNN.tanh(_half(payload, x, 2 * stride, bIn + 2) + ((r * mh) >> FixedPointRNN.F));
        return (z * hj + (ONE - z) * cand) >> FixedPointRNN.F;
    }

    /// @dev (x . W_col + h . U_col + (b << F)) >> F, the column starting at value `at` of the payload.
    function _gate(bytes calldata payload, int256[] memory x, int256[] memory h, uint256 at, uint256 bias)
        private
        pure
        returns (int256)
    {
        return (_dot(payload, x, at) + _dot(payload, h, at + x.length) + _value(payload, bias) * ONE) >> FixedPointRNN.F;
    }

    /// @dev (v . col + (b << F)) >> F.
    function _half(bytes calldata payload, int256[] memory v, uint256 at, uint256 bias) private pure returns (int256) {
        return (_dot(payload, v, at) + _value(payload, bias) * ONE) >> FixedPointRNN.F;
    }

    // ================================================================== data

    /// @dev The standardised input of data row `row` (delta: the target minus the end row's), each value
    /// clamped to the proven input range (ml_models.intinfer's standardize clamps at 2**61 and
    /// IntNetwork.predict at the input bound: an outlier in the data fails no model); and whether the row
    /// lacks a column the model reads (then `bad` too: the model is invalid).
    function _input(
        IDisputeGame.Roots memory roots,
        bytes calldata meta,
        IDisputeGame.Row[] calldata rows,
        Meta memory m,
        uint256 row,
        uint256 end
    ) private pure returns (int256[] memory x, bool missing, bool bad) {
        x = new int256[](m.features);
        missing = _standardizedRow(meta, _row(roots, rows, 0, row), x);
        if (missing) return (x, true, true);
        if (m.delta) x[0] -= _standardized(meta, 0, _row(roots, rows, 1, end)[0]);
        for (uint256 f; f < x.length; ++f) x[f] = _clamp(x[f], int256(INPUT_BOUND));
        bad = false;
    }

    /// @dev x[f] = the standardised value of the row's column of feature f; whether a column is missing.
    function _standardizedRow(bytes calldata meta, int256[] calldata values, int256[] memory x)
        private
        pure
        returns (bool missing)
    {
        for (uint256 f; f < x.length; ++f) {
            uint256 col = uint256(_value(meta, META_FIXED + 3 * f));
            if (col >= values.length) return true;
            x[f] = _standardized(meta, f, values[col]);
        }
    }

    function _clamp(int256 v, int256 bound) private pure returns (int256) {
        return v > bound ? bound : (v < -bound ? -bound : v);
    }

    function _standardized(bytes calldata meta, uint256 f, int256 raw) private pure returns (int256) {
        (int256 mean, int256 scale) = _scaler(meta, f);
        return _clamp(FixedPointRNN.standardize(raw, mean, scale), STANDARD_CLAMP);
    }

    function _scaler(bytes calldata meta, uint256 f) private pure returns (int256 mean, int256 scale) {
        return (_value(meta, META_FIXED + 3 * f + 1), _value(meta, META_FIXED + 3 * f + 2));
    }

    /// @dev Row `rows[i]`, proven to be global row `index` (training or test tree).
    function _row(IDisputeGame.Roots memory roots, IDisputeGame.Row[] calldata rows, uint256 i, uint256 index)
        private
        pure
        returns (int256[] calldata values)
    {
        if (i >= rows.length || index >= roots.trainRows + roots.testRows) revert BadRow(index);
        IDisputeGame.Row calldata row = rows[i];
        bytes32 leaf = keccak256(bytes.concat(keccak256(abi.encode(index, row.values))));
        bytes32 root = index < roots.trainRows ? roots.train : roots.test;
        if (row.values.length == 0 || !MerkleProof.verifyCalldata(row.proof, root, leaf)) revert BadRow(index);
        return row.values;
    }

    /// @dev The payload of weight leaf `key`, proven under `root` and `count` values long.
    function _leaf(bytes32 root, uint256 key, IDisputeGame.Leaf calldata l, uint256 count) private pure returns (bytes calldata) {
        if (l.payload.length != 8 * count || !_proven(root, key, l)) revert BadLeaf(key);
        return l.payload;
    }

    function _proven(bytes32 root, uint256 key, IDisputeGame.Leaf calldata l) private pure returns (bool) {
        return MerkleProof.verifyCalldata(l.proof, root, keccak256(bytes.concat(keccak256(abi.encode(key, l.payload)))));
    }

    function _meta(IDisputeGame.Roots memory roots, bytes calldata meta, bytes32[] calldata proof) private pure returns (Meta memory m) {
        // The proof first: a leaf that is not the model's shows nothing about it, whatever its length.
        bytes32 leaf = keccak256(bytes.concat(keccak256(abi.encode(uint256(0), meta))));
        if (!MerkleProof.verifyCalldata(proof, roots.weights, leaf)) revert BadLeaf(0);
        if (meta.length < 8 * META_FIXED) revert InvalidModelMeta(0);
        int256[] memory h = _unpack(meta, 0, META_FIXED);
        if (h[0] != int256(META_VERSION)) revert InvalidModelMeta(1);
        for (uint256 i = 1; i < 10; ++i) if (h[i] < 0) revert InvalidModelMeta(2);
        m.cell = uint256(h[1]);
        m.layers = uint256(h[2]);
        m.units = uint256(h[3]);
        m.dense = uint256(h[4]);
        m.features = uint256(h[5]);
        m.seqLen = uint256(h[6]);
        m.horizon = uint256(h[7]);
        m.delta = h[8] == 1;
        m.deltaScale = h[10];
        if (m.cell > 2) revert InvalidModelMeta(3);
        if (m.layers == 0 || m.layers > MAX_LAYERS) revert InvalidModelMeta(4);
        if (m.units == 0 || m.units > MAX_UNITS) revert InvalidModelMeta(5);
        if (m.dense * m.units > MAX_HEAD) revert InvalidModelMeta(6);
        if (m.features == 0 || m.features > MAX_FEATURES) revert InvalidModelMeta(7);
        if (m.seqLen == 0 || m.horizon == 0 || roots.trainRows + 1 < m.seqLen + m.horizon) revert InvalidModelMeta(8);
        if (m.cell == 0 && m.seqLen > MAX_LSTM_STEPS) revert InvalidModelMeta(13); // |c_t| <= t ONE must stay provable
        if (h[8] > 1 || (h[9] != 0 && h[9] != 2) || m.deltaScale <= 0) revert InvalidModelMeta(9);
        m.outAct = uint8(uint256(h[9]));
        if (meta.length != 8 * (META_FIXED + 3 * m.features)) revert InvalidModelMeta(10);
        if (_value(meta, META_FIXED) != 0) revert InvalidModelMeta(11); // feature 0 is the target
        for (uint256 f; f < m.features; ++f) {
            (, int256 scale) = _scaler(meta, f);
            if (_value(meta, META_FIXED + 3 * f) < 0 || scale <= 0) revert InvalidModelMeta(12);
        }
        m.gates = m.cell == 0 ? 4 : (m.cell == 1 ? 3 : 1);
        uint256 widest = m.features > m.units ? m.features : m.units;
        uint256 perUnit = m.gates * (widest + m.units) + m.gates * (m.cell == 1 ? 2 : 1);
        m.chunk = CHUNK_VALUES / perUnit;
        if (m.chunk == 0) m.chunk = 1;
        m.chunks = (m.units + m.chunk - 1) / m.chunk;
        m.perWindow = m.seqLen * m.layers * m.chunks + 1;
        m.vecLen = ((m.cell == 0 ? 2 * m.layers : m.layers) + 1) * m.units;
    }

    // ================================================================== packed int64

    /// @dev Value `i` of a packed int64 sequence.
    function _value(bytes calldata data, uint256 i) internal pure returns (int256 v) {
        if (8 * i + 8 > data.length) revert BadState();
        assembly ("memory-safe") {
            v := sar(192, calldataload(add(data.offset, shl(3, i))))
        }
    }

    /// @dev sum_k v[k] * data[at + k], exact (int64 operands; see the contract's notes).
    function _dot(bytes calldata data, int256[] memory v, uint256 at) private pure returns (int256 acc) {
        if (8 * (at + v.length) > data.length) revert BadState();
        assembly ("memory-safe") {
            let p := add(data.offset, shl(3, at))
            let vp := add(v, 0x20)
            let n := mload(v)
            for { let k := 0 } lt(k, n) { k := add(k, 1) } {
                acc := add(acc, mul(mload(add(vp, shl(5, k))), sar(192, calldataload(add(p, shl(3, k))))))
            }
        }
    }

    /// @dev sum_k v[k] * data[at + k * stride], exact (int64 operands).
    function _dotStrided(bytes calldata data, int256[] memory v, uint256 at, uint256 stride)
        private
        pure
        returns (int256 acc)
    {
        if (v.length != 0 && 8 * (at + (v.length - 1) * stride + 1) > data.length) revert BadState();
        assembly ("memory-safe") {
            let p := add(data.offset, shl(3, at))
            let step := shl(3, stride)
            let vp := add(v, 0x20)
            let n := mload(v)
            for { let k := 0 } lt(k, n) { k := add(k, 1) } {
                acc := add(acc, mul(mload(add(vp, shl(5, k))), sar(192, calldataload(add(p, mul(k, step))))))
            }
        }
    }

    function _unpack(bytes calldata data, uint256 at, uint256 n) private pure returns (int256[] memory out) {
        if (8 * (at + n) > data.length) revert BadState();
        out = new int256[](n);
        assembly ("memory-safe") {
            let p := add(data.offset, shl(3, at))
            let o := add(out, 0x20)
            for { let k := 0 } lt(k, n) { k := add(k, 1) } {
                mstore(add(o, shl(5, k)), sar(192, calldataload(add(p, shl(3, k)))))
            }
        }
    }

    function _unpackState(bytes calldata vec) private pure returns (int256[] memory) {
        return _unpack(vec, 0, vec.length / 8);
    }

    /// @dev The state vector packed back (every value is int64: cells keep |h| <= ONE, |c| <= t ONE).
    function _packState(int256[] memory v) private pure returns (bytes memory out) {
        FixedPointRNN.requireInt64(v);
        uint256 n = v.length;
        out = new bytes(8 * n + 24); // 24 bytes of slack: each mstore writes a whole word
        assembly ("memory-safe") {
            let o := add(out, 0x20)
            let vp := add(v, 0x20)
            for { let k := 0 } lt(k, n) { k := add(k, 1) } {
                mstore(add(o, shl(3, k)), shl(192, mload(add(vp, shl(5, k)))))
            }
            mstore(out, shl(3, n))
        }
    }

    function _slice(int256[] memory v, uint256 at, uint256 n) private pure returns (int256[] memory out) {
        out = new int256[](n);
        for (uint256 i; i < n; ++i) out[i] = v[at + i];
    }
}
