// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {FixedPointRNN} from "../lib/FixedPointRNN.sol";

/// @title Test and benchmark harness of FixedPointRNN: many cases per call (for the differential
/// tests) and the gas of one step measured around the library call (for the benchmark).
contract FixedPointRNNHarness {
    /// @notice A whole network, weights quantized and flattened: per recurrent layer the kernel, the
    /// recurrent kernel and the bias (for GRU bs holds the input bias, bRecs the recurrent one), then
    /// the dense layers (head, output) with their activations. cell: 0 LSTM, 1 GRU, 2 SimpleRNN.
    struct Net {
        uint8 cell;
        int256[][] ws;
        int256[][] us;
        int256[][] bs;
        int256[][] bRecs;
        int256[][] denseWs;
        int256[][] denseBs;
        uint8[] acts;
    }

    /// @notice The network's output for each window (steps x features), composed from the library's steps.
    function runNetwork(Net memory net, int256[][][] memory windows) external pure returns (int256[] memory outs) {
        outs = new int256[](windows.length);
        for (uint256 i = 0; i < windows.length; ++i) outs[i] = _run(net, windows[i]);
    }

    function _run(Net memory net, int256[][] memory seq) private pure returns (int256) {
        uint256 gates = net.cell == 0 ? 4 : (net.cell == 1 ? 3 : 1);
        for (uint256 l = 0; l < net.ws.length; ++l) {
            uint256 units = net.bs[l].length / gates;
            int256[] memory h = new int256[](units);
            int256[] memory c = new int256[](units);
            int256[][] memory outSeq = new int256[][](seq.length);
            for (uint256 t = 0; t < seq.length; ++t) {
                if (net.cell == 0) {
                    (h, c) = FixedPointRNN.lstmStep(seq[t], h, c, net.ws[l], net.us[l], net.bs[l]);
                } else if (net.cell == 1) {
                    h = FixedPointRNN.gruStep(seq[t], h, net.ws[l], net.us[l], net.bs[l], net.bRecs[l]);
                } else {
                    h = FixedPointRNN.simpleRnnStep(seq[t], h, net.ws[l], net.us[l], net.bs[l]);
                }
                outSeq[t] = h;
            }
            seq = outSeq;
        }
        int256[] memory y = seq[seq.length - 1];
        for (uint256 d = 0; d < net.denseWs.length; ++d) {
            y = FixedPointRNN.denseStep(y, net.denseWs[d], net.denseBs[d], net.acts[d]);
        }
        return y[0];
    }

    function requireInt64(int256[] calldata v) external pure {
        FixedPointRNN.requireInt64(v);
    }

    function expNegMany(int256[] calldata ys) external pure returns (int256[] memory out) {
        out = new int256[](ys.length);
        for (uint256 i = 0; i < ys.length; ++i) out[i] = FixedPointRNN.expNeg(ys[i]);
    }

    function sigmoidMany(int256[] calldata xs) external pure returns (int256[] memory out) {
        out = new int256[](xs.length);
        for (uint256 i = 0; i < xs.length; ++i) out[i] = FixedPointRNN.sigmoid(xs[i]);
    }

    function tanhMany(int256[] calldata xs) external pure returns (int256[] memory out) {
        out = new int256[](xs.length);
        for (uint256 i = 0; i < xs.length; ++i) out[i] = FixedPointRNN.tanh(xs[i]);
    }

    function lstmSteps(
        int256[][] memory xs,
        int256[][] memory hs,
        int256[][] memory cs,
        int256[] memory w,
        int256[] memory u,
        int256[] memory b
    ) external pure returns (int256[][] memory h2, int256[][] memory c2) {
        h2 = new int256[][](xs.length);
        c2 = new int256[][](xs.length);
        for (uint256 i = 0; i < xs.length; ++i) (h2[i], c2[i]) = FixedPointRNN.lstmStep(xs[i], hs[i], cs[i], w, u, b);
    }

    function gruSteps(
        int256[][] memory xs,
        int256[][] memory hs,
        int256[] memory w,
        int256[] memory u,
        int256[] memory bIn,
        int256[] memory bRec
    ) external pure returns (int256[][] memory h2) {
        h2 = new int256[][](xs.length);
        for (uint256 i = 0; i < xs.length; ++i) h2[i] = FixedPointRNN.gruStep(xs[i], hs[i], w, u, bIn, bRec);
    }

    function simpleRnnSteps(
        int256[][] memory xs,
        int256[][] memory hs,
        int256[] memory w,
        int256[] memory u,
        int256[] memory b
    ) external pure returns (int256[][] memory h2) {
        h2 = new int256[][](xs.length);
        for (uint256 i = 0; i < xs.length; ++i) h2[i] = FixedPointRNN.simpleRnnStep(xs[i], hs[i], w, u, b);
    }

    function denseSteps(int256[][] memory xs, int256[] memory w, int256[] memory b, uint8 activation)
        external
        pure
        returns (int256[][] memory ys)
    {
        ys = new int256[][](xs.length);
        for (uint256 i = 0; i < xs.length; ++i) ys[i] = FixedPointRNN.denseStep(xs[i], w, b, activation);
    }

    function standardizeMany(int256[] calldata raws, int256 mean, int256 scale) external pure returns (int256[] memory out) {
        out = new int256[](raws.length);
        for (uint256 i = 0; i < raws.length; ++i) out[i] = FixedPointRNN.standardize(raws[i], mean, scale);
    }

    function toTargetUnitsMany(int256[] calldata outs, int256 scale, int256[] calldata offsets)
        external
        pure
        returns (int256[] memory units)
    {
        if (outs.length != offsets.length) revert FixedPointRNN.ShapeMismatch();
        units = new int256[](outs.length);
        for (uint256 i = 0; i < outs.length; ++i) units[i] = FixedPointRNN.toTargetUnits(outs[i], scale, offsets[i]);
    }

    /// @notice Error sums and the three metrics, accumulated one step at a time.
    function metrics(int256[] calldata preds, int256[] calldata targets)
        external
        pure
        returns (uint256 sumSq, uint256 sumAbs, uint256 mse, uint256 rmse, uint256 mae)
    {
        if (preds.length != targets.length || preds.length == 0) revert FixedPointRNN.ShapeMismatch();
        for (uint256 i = 0; i < preds.length; ++i) {
            sumSq = FixedPointRNN.squaredErrorStep(sumSq, preds[i], targets[i]);
            sumAbs = FixedPointRNN.absErrorStep(sumAbs, preds[i], targets[i]);
        }
        uint256 n = preds.length;
        return (sumSq, sumAbs, FixedPointRNN.mse(sumSq, n), FixedPointRNN.rmse(sumSq, n), FixedPointRNN.mae(sumAbs, n));
    }

    /// @notice Gas of one cell step (cell 0 LSTM, 1 GRU, 2 SimpleRNN) of `units` units on `inputs`
    /// inputs, with pseudo-random weights and state built in memory first (not counted): what the
    /// step itself costs, for the benchmark. Returns the gas used by the step.
    function cellStepGas(uint8 cell, uint256 inputs, uint256 units) external view returns (uint256 used) {
        uint256 gates = cell == 0 ? 4 : (cell == 1 ? 3 : 1);
        int256[] memory x = _fill(inputs, 1);
        int256[] memory h = _fill(units, 2);
        int256[] memory c = _fill(units, 3);
        int256[] memory w = _fill(inputs * gates * units, 4);
        int256[] memory u = _fill(units * gates * units, 5);
        int256[] memory b = _fill(gates * units, 6);
        int256[] memory b2 = _fill(gates * units, 7);
        uint256 before = gasleft();
        if (cell == 0) {
            FixedPointRNN.lstmStep(x, h, c, w, u, b);
        } else if (cell == 1) {
            FixedPointRNN.gruStep(x, h, w, u, b, b2);
        } else {
            FixedPointRNN.simpleRnnStep(x, h, w, u, b);
        }
        used = before - gasleft();
    }

    /// @notice Gas of one dense step of `inputs` x `outputs` (ReLU), measured like cellStepGas.
    function denseStepGas(uint256 inputs, uint256 outputs) external view returns (uint256 used) {
        int256[] memory x = _fill(inputs, 1);
        int256[] memory w = _fill(inputs * outputs, 4);
        int256[] memory b = _fill(outputs, 6);
        uint256 before = gasleft();
        FixedPointRNN.denseStep(x, w, b, FixedPointRNN.RELU);
        used = before - gasleft();
    }

    /// @dev n pseudo-random values in [-ONE / 2, ONE / 2) (fixed point) from a multiplicative hash of
    /// (salt, i): cheap enough to fill the largest networks' matrices.
    function _fill(uint256 n, uint256 salt) private pure returns (int256[] memory v) {
        v = new int256[](n);
        uint256 one = uint256(FixedPointRNN.ONE);
        for (uint256 i = 0; i < n; ++i) {
            v[i] = int256(((i + 1) * 2654435761 + salt * 40503) % one) - FixedPointRNN.ONE / 2;
        }
    }
}
