// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @dev A posted score that met the minimum, as the reference model records it.
struct Entry {
    address who;
    int64 score;
    uint32 order; // commit order of the participant's last commitment
}

/// @dev The ranking rule written out plainly, as the reference the contract's incremental top-k
/// is checked against: sort every qualifying entry (best score first for the direction, ties to
/// the lower commit order) and keep the first k. Also the money rules' arithmetic.
library Reference {
    /// @dev The failure score for a direction: the worst int64.
    function failure(bool higherIsBetter) internal pure returns (int64) {
        return higherIsBetter ? type(int64).min : type(int64).max;
    }

    /// @dev Whether a (non-failure) score meets the minimum: >= when higher is better, else <=.
    function qualifies(int64 score, int64 minScore, bool higherIsBetter) internal pure returns (bool) {
        if (score == failure(higherIsBetter)) return false;
        return higherIsBetter ? score >= minScore : score <= minScore;
    }

    function better(Entry memory a, Entry memory b, bool higherIsBetter) internal pure returns (bool) {
        if (a.score != b.score) return higherIsBetter ? a.score > b.score : a.score < b.score;
        return a.order < b.order;
    }

    /// @dev The best `k` of `entries` (not modified), best first.
    function topK(Entry[] memory entries, uint256 k, bool higherIsBetter) internal pure returns (Entry[] memory top) {
        uint256 n = entries.length;
        Entry[] memory sorted = new Entry[](n);
        for (uint256 i; i < n; ++i) sorted[i] = entries[i];
        // insertion sort: n is small (a handful of participants)
        for (uint256 i = 1; i < n; ++i) {
            Entry memory e = sorted[i];
            uint256 j = i;
            while (j > 0 && better(e, sorted[j - 1], higherIsBetter)) {
                sorted[j] = sorted[j - 1];
                --j;
            }
            sorted[j] = e;
        }
        uint256 m = n < k ? n : k;
        top = new Entry[](m);
        for (uint256 i; i < m; ++i) top[i] = sorted[i];
    }

    /// @dev The prizes of `winners` ranked entries: `pool` by the split renormalised over the
    /// filled ranks, rounding dust to rank 1 (so they sum to `pool` exactly).
    function prizes(uint256 pool, uint16[3] memory bps, uint256 winners) internal pure returns (uint256[] memory p) {
        p = new uint256[](winners);
        uint256 filled;
        for (uint256 i; i < winners; ++i) filled += bps[i];
        uint256 rest = pool;
        for (uint256 i = 1; i < winners; ++i) {
            p[i] = (pool * bps[i]) / filled;
            rest -= p[i];
        }
        if (winners != 0) p[0] = rest;
    }
}
