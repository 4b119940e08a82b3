// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {SignedMath} from "@openzeppelin/contracts/utils/math/SignedMath.sol";

/// @title Fixed-point recurrent-network steps, bit for bit the twin of ml_models/intinfer (numpy).
/// @notice Reals are integers with F = 24 fractional bits (ONE = 2**24). Rounding: `>>` on a signed
/// integer rounds toward minus infinity (as numpy's), and `/` is only applied to a non-negative
/// numerator and a positive divisor (where truncation and Python's floor division agree). A dot
/// product is accumulated exactly at 2F bits (bias shifted up by F) and shifted down once.
/// Weights are flattened row-major in Keras's layout: kernel[k][j] is w[k * cols + j], gate order
/// LSTM i f c o, GRU z r h (reset_after = true: bIn and bRec are the two bias rows).
/// Precondition: weights, inputs and states fit int64 (requireInt64), as numpy's load-time bounds
/// guarantee for every intermediate. The dot-product loop is unchecked assembly (exact under that
/// precondition); the rest is checked Solidity, so a value beyond int256 reverts.
library FixedPointRNN {
    uint256 internal constant F = 24;
    int256 internal constant ONE = 16777216; // 2**24
    int256 internal constant LN2 = 11629080; // round(ln 2 * 2**24)
    int256 internal constant EXP_TERMS = 10; // unrolled in expNeg

    uint8 internal constant LINEAR = 0;
    uint8 internal constant RELU = 1;
    uint8 internal constant SIGMOID = 2;

    error NegativeExpArgument(int256 y);
    error ShapeMismatch();
    error OutOfInt64Range(uint256 index, int256 value);
    error UnknownActivation(uint8 activation);
    error NonPositiveScale(int256 scale);

    // ------------------------------------------------------------------ activations

    /// @notice exp(-y) for y >= 0: range reduction by ln 2, Horner on 10 Taylor terms, then a shift:
    /// k = y / LN2, r = y - k LN2; t = ONE; for n = 10 .. 1: t = ONE - ((r t) >> F) / n; t >> k (0 if k > F).
    /// The loop is unrolled assembly: 0 <= r < LN2 < 2**24 and 0 < t <= ONE keep every value small
    /// and non-negative, so EVM mul, sar and sdiv are exact and sdiv truncation equals floor.
    function expNeg(int256 y) internal pure returns (int256 t) {
        if (y < 0) revert NegativeExpArgument(y);
        // slither-disable-next-line divide-before-multiply
        int256 k = y / LN2;
        if (k > int256(F)) return 0;
        assembly ("memory-safe") {
            let r := sub(y, mul(k, LN2))
            t := sub(ONE, sdiv(sar(F, mul(r, ONE)), 10))
            t := sub(ONE, sdiv(sar(F, mul(r, t)), 9))
            t := sub(ONE, sdiv(sar(F, mul(r, t)), 8))
            t := sub(ONE, sdiv(sar(F, mul(r, t)), 7))
            t := sub(ONE, sdiv(sar(F, mul(r, t)), 6))
            t := sub(ONE, sdiv(sar(F, mul(r, t)), 5))
            t := sub(ONE, sdiv(sar(F, mul(r, t)), 4))
            t := sub(ONE, sdiv(sar(F, mul(r, t)), 3))
            t := sub(ONE, sdiv(sar(F, mul(r, t)), 2))
            t := sub(ONE, sar(F, mul(r, t)))
            t := sar(k, t)
        }
    }

    /// @notice Logistic function in [0, ONE], exactly symmetric about ONE / 2.
    function sigmoid(int256 x) internal pure returns (int256) {
        int256 a = (ONE * ONE) / (ONE + expNeg(int256(SignedMath.abs(x))));
        return x >= 0 ? a : ONE - a;
    }

    /// @notice Hyperbolic tangent in [-ONE, ONE], exactly odd.
    function tanh(int256 x) internal pure returns (int256) {
        int256 e = expNeg(int256(SignedMath.abs(x)) * 2);
        int256 a = (ONE * (ONE - e)) / (ONE + e);
        return x >= 0 ? a : -a;
    }

    // ------------------------------------------------------------------ linear algebra

    /// @notice Reverts unless every value fits int64: the precondition of the steps below (weights,
    /// inputs and states from ml_models.intinfer always do; check untrusted arrays once, on loading).
    function requireInt64(int256[] memory v) internal pure {
        for (uint256 i = 0; i < v.length; ++i) {
            if (v[i] < type(int64).min || v[i] > type(int64).max) revert OutOfInt64Range(i, v[i]);
        }
    }

    /// @dev acc[j] = b[j] << F, the start of a dot product accumulated at 2F bits (exact for |b| < 2**231:
    /// shl of a two's-complement word multiplies by 2**F).
    function _biasUp(int256[] memory b) private pure returns (int256[] memory acc) {
        acc = new int256[](b.length);
        assembly ("memory-safe") {
            let n := shl(5, mload(b))
            for { let o := 0x20 } iszero(gt(o, n)) { o := add(o, 0x20) } {
                mstore(add(acc, o), shl(F, mload(add(b, o))))
            }
        }
    }

    /// @dev acc[j] += sum_k x[k] * w[k * cols + j], with cols = acc.length. The inner loop is
    /// assembly with EVM (wrapping) mul and add, which is exact as long as the true sums fit int256:
    /// with every x and w in int64 (see requireInt64) each product is below 2**126, so from a start
    /// below 2**200 (a bias << F) fewer than 2**90 products stay below 2**255. Checked Solidity
    /// costs several times the gas here.
    function _accumulate(int256[] memory acc, int256[] memory x, int256[] memory w) private pure {
        uint256 cols = acc.length;
        if (w.length != x.length * cols) revert ShapeMismatch();
        assembly ("memory-safe") {
            let accp := add(acc, 0x20)
            let xp := add(x, 0x20)
            let wp := add(w, 0x20)
            let stride := shl(5, cols)
            let end := add(accp, stride)
            for { let k := 0 } lt(k, mload(x)) { k := add(k, 1) } {
                let xk := mload(add(xp, shl(5, k)))
                if xk {
                    let row := add(wp, mul(k, stride))
                    for { let p := accp } lt(p, end) { p := add(p, 0x20) } {
                        mstore(p, add(mload(p), mul(xk, mload(add(row, sub(p, accp))))))
                    }
                }
            }
        }
    }

    /// @dev acc[j] >>= F (arithmetic shift: floor), in place.
    function _shiftDown(int256[] memory acc) private pure returns (int256[] memory) {
        assembly ("memory-safe") {
            let n := shl(5, mload(acc))
            for { let o := 0x20 } iszero(gt(o, n)) { o := add(o, 0x20) } {
                let p := add(acc, o)
                mstore(p, sar(F, mload(p)))
            }
        }
        return acc;
    }

    /// @notice (x . w + (b << F)) >> F.
    function affine(int256[] memory x, int256[] memory w, int256[] memory b) internal pure returns (int256[] memory acc) {
        acc = _biasUp(b);
        _accumulate(acc, x, w);
        return _shiftDown(acc);
    }

    // ------------------------------------------------------------------ cells

    /// @notice Keras LSTM step: z = (x W + h U + b << F) >> F; c' = (f c + i g) >> F; h' = (o tanh(c')) >> F.
    function lstmStep(
        int256[] memory x,
        int256[] memory h,
        int256[] memory c,
        int256[] memory w,
        int256[] memory u,
        int256[] memory b
    ) internal pure returns (int256[] memory h2, int256[] memory c2) {
        uint256 n = h.length;
        if (c.length != n || b.length != 4 * n) revert ShapeMismatch();
        int256[] memory z = _biasUp(b);
        _accumulate(z, x, w);
        _accumulate(z, h, u);
        _shiftDown(z);
        h2 = new int256[](n);
        c2 = new int256[](n);
        for (uint256 j = 0; j < n; ++j) {
            int256 cj = (sigmoid(z[n + j]) * c[j] + sigmoid(z[j]) * tanh(z[2 * n + j])) >> F;
            c2[j] = cj;
            h2[j] = (sigmoid(z[3 * n + j]) * tanh(cj)) >> F;
        }
    }

    /// @notice Keras GRU step (reset_after = true): a = (x W + bIn << F) >> F, m = (h U + bRec << F) >> F;
    /// z, r = sigmoid(a + m); n = tanh(a_h + (r m_h) >> F); h' = (z h + (ONE - z) n) >> F.
    function gruStep(
        int256[] memory x,
        int256[] memory h,
        int256[] memory w,
        int256[] memory u,
        int256[] memory bIn,
        int256[] memory bRec
    ) internal pure returns (int256[] memory h2) {
        uint256 n = h.length;
        if (bIn.length != 3 * n || bRec.length != 3 * n) revert ShapeMismatch();
        int256[] memory a = affine(x, w, bIn);
        int256[] memory m = affine(h, u, bRec);
        h2 = new int256[](n);
        for (uint256 j = 0; j < n; ++j) {
            int256 z = sigmoid(a[j] + m[j]);
            int256 r = sigmoid(a[n + j] + m[n + j]);
            int256 cand = tanh(a[2 * n + j] + ((r * m[2 * n + j]) >> F));
            h2[j] = (z * h[j] + (ONE - z) * cand) >> F;
        }
    }

    /// @notice Keras SimpleRNN step (tanh): h' = tanh((x W + h U + b << F) >> F).
    function simpleRnnStep(
        int256[] memory x,
        int256[] memory h,
        int256[] memory w,
        int256[] memory u,
        int256[] memory b
    ) internal pure returns (int256[] memory h2) {
        if (b.length != h.length) revert ShapeMismatch();
        h2 = _biasUp(b);
        _accumulate(h2, x, w);
        _accumulate(h2, h, u);
        _shiftDown(h2);
        for (uint256 j = 0; j < h2.length; ++j) {
            h2[j] = tanh(h2[j]);
        }
    }

    /// @notice Keras Dense step: (x W + b << F) >> F, then LINEAR, RELU (max(y, 0)) or SIGMOID.
    function denseStep(int256[] memory x, int256[] memory w, int256[] memory b, uint8 activation)
        internal
        pure
        returns (int256[] memory y)
    {
        if (activation > SIGMOID) revert UnknownActivation(activation);
        y = affine(x, w, b);
        if (activation == RELU) {
            assembly ("memory-safe") {
                let n := shl(5, mload(y))
                for { let o := 0x20 } iszero(gt(o, n)) { o := add(o, 0x20) } {
                    let p := add(y, o)
                    if slt(mload(p), 0) { mstore(p, 0) }
                }
            }
        } else if (activation == SIGMOID) {
            for (uint256 j = 0; j < y.length; ++j) {
                y[j] = sigmoid(y[j]);
            }
        }
    }

    // ------------------------------------------------------------------ preprocessing

    /// @notice A standardised input: (raw - mean) * ONE / scale, the division truncating toward zero.
    function standardize(int256 raw, int256 mean, int256 scale) internal pure returns (int256) {
        if (scale <= 0) revert NonPositiveScale(scale);
        return ((raw - mean) * ONE) / scale;
    }

    /// @notice A network output in target units: ((out * scale) >> F) + offset (offset: the window's last
    /// raw target for the delta transform, the target mean for level).
    function toTargetUnits(int256 out, int256 scale, int256 offset) internal pure returns (int256) {
        return ((out * scale) >> F) + offset;
    }

    // ------------------------------------------------------------------ metrics

    /// @notice acc + (pred - target)**2, at 2F fractional bits.
    function squaredErrorStep(uint256 acc, int256 pred, int256 target) internal pure returns (uint256) {
        uint256 d = SignedMath.abs(pred - target);
        return acc + d * d;
    }

    /// @notice acc + |pred - target|, at F fractional bits.
    function absErrorStep(uint256 acc, int256 pred, int256 target) internal pure returns (uint256) {
        return acc + SignedMath.abs(pred - target);
    }

    /// @notice Mean squared error (2F bits): sumSq / n, floor.
    function mse(uint256 sumSq, uint256 n) internal pure returns (uint256) {
        return sumSq / n;
    }

    /// @notice Root mean squared error (F bits): floor(sqrt(sumSq / n)).
    function rmse(uint256 sumSq, uint256 n) internal pure returns (uint256) {
        return Math.sqrt(sumSq / n);
    }

    /// @notice Mean absolute error (F bits): sumAbs / n, floor.
    function mae(uint256 sumAbs, uint256 n) internal pure returns (uint256) {
        return sumAbs / n;
    }
}
