// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ForecastMarket} from "../../contracts/ForecastMarket.sol";
import {IForecastMarket} from "../../interfaces/IForecastMarket.sol";
import {Harness} from "./utils/Harness.sol";
import {Entry, Reference} from "./utils/Reference.sol";

/// @dev Stateless fuzz test of the ranking: random scores (any int64, with the failure sentinels,
/// the other extreme, the minimum itself and ties mixed in), a random direction, k in 1..3 and a
/// random minimum, posted in random batches in a random order, against the reference sort
/// (Reference.topK) after every batch; then finalize and check the payout to every entrant.
contract RankingFuzzTest is Harness {
    uint256 internal constant MAX_N = 8;
    uint256 internal constant REWARD = 1 ether + 7; // odd, so the split leaves dust
    uint72 internal constant DEPOSIT = 0.01 ether;
    address internal constant ORGANIZER = address(0x0A11);

    ForecastMarket internal market;

    struct Case {
        uint256 seed;
        bool higher;
        uint256 k;
        uint256 n;
        int64 minScore;
        int64[] scores;
        address[] who;
        uint32[] order;
    }

    function setUp() public {
        market = new ForecastMarket();
        vm.warp(1_700_000_000);
    }

    function testFuzz_rankingMatchesReferenceSort(
        uint256 seed,
        bool higher,
        uint8 kSeed,
        uint8 nSeed,
        int64 minRaw,
        int64[8] memory raw
    ) public {
        Case memory t = _case(seed, higher, kSeed, nSeed, minRaw, raw);
        uint256 id = _create(t);
        _commitAll(t, id);
        vm.warp(block.timestamp + 1 hours); // submissionEnd
        _revealAll(t, id);
        vm.warp(block.timestamp + 1 hours); // revealEnd: evaluation opens
        vm.prank(ORGANIZER);
        market.revealTestSet(id, "bafy-test", bytes32(0), 0, bytes32(id));
        _postInBatches(t, id);
        _finalizeAndCheckPayouts(t, id);
    }

    /// @dev The order in which scores arrive never changes the ranking: two competitions with the
    /// same entries, scored in two different random orders, rank alike (and as the reference).
    function testFuzz_postingOrderDoesNotChangeRanking(uint256 seed, bool higher, uint8 kSeed, int64[8] memory raw) public {
        Case memory t = _case(seed, higher, kSeed, 7, 0, raw);
        uint256 a = _create(t);
        uint256 b = _create(t);
        _commitAll(t, a);
        _commitAll(t, b); // the same commit orders as in a
        vm.warp(block.timestamp + 1 hours);
        _revealAll(t, a);
        _revealAll(t, b);
        vm.warp(block.timestamp + 1 hours);
        vm.startPrank(ORGANIZER);
        market.revealTestSet(a, "bafy-test", bytes32(0), 0, bytes32(a));
        market.revealTestSet(b, "bafy-test", bytes32(0), 0, bytes32(b));
        vm.stopPrank();
        _postInBatches(t, a);
        t.seed = uint256(keccak256(abi.encode(seed, "another order")));
        _postInBatches(t, b);
        IForecastMarket.Rank[] memory ra = market.ranking(a);
        IForecastMarket.Rank[] memory rb = market.ranking(b);
        assertEq(ra.length, rb.length, "same number ranked");
        for (uint256 i; i < ra.length; ++i) {
            assertEq(ra[i].participant, rb[i].participant, "same participant at each rank");
            assertEq(int256(ra[i].score), int256(rb[i].score), "same score at each rank");
        }
    }

    // -------------------------------------------------------------- the case

    function _case(uint256 seed, bool higher, uint8 kSeed, uint8 nSeed, int64 minRaw, int64[8] memory raw)
        internal
        pure
        returns (Case memory t)
    {
        t.seed = seed;
        t.higher = higher;
        t.k = 1 + (kSeed % 3);
        t.n = 1 + (nSeed % MAX_N);
        uint256 m = pick(seed, "min", 5);
        // everyone qualifies (the minimum is then the failure score: failures still never rank),
        // a random minimum, zero, or a small one next to the small scores below
        t.minScore = m == 0 ? Reference.failure(higher) : m == 1 ? minRaw : m == 2 ? int64(0) : int64(int256(pick(seed, "small min", 3)) - 1);
        t.scores = new int64[](t.n);
        for (uint256 i; i < t.n; ++i) t.scores[i] = _score(t, i, raw[i]);
        t.who = new address[](t.n);
        for (uint256 i; i < t.n; ++i) t.who[i] = address(uint160(0xB000 + i));
        t.order = new uint32[](t.n);
    }

    function _score(Case memory t, uint256 i, int64 raw) internal pure returns (int64) {
        uint256 r = pick(t.seed, string.concat("score ", _str(i)), 12);
        if (r == 0) return Reference.failure(t.higher);
        if (r == 1) return Reference.failure(!t.higher); // the best possible score
        if (r == 2) return t.minScore;
        if (r == 3 && i > 0) return t.scores[pick(t.seed, string.concat("tie ", _str(i)), i)]; // a tie
        if (r < 6) return int64(int256(pick(t.seed, string.concat("small ", _str(i)), 5)) - 2);
        return raw;
    }

    // -------------------------------------------------------------- the competition

    function _create(Case memory t) internal returns (uint256 id) {
        IForecastMarket.CompetitionParams memory p;
        p.dataCid = "bafy-data";
        p.target = "y";
        p.sequenceLength = 8;
        p.horizon = 1;
        p.higherIsBetter = t.higher;
        p.minScore = t.minScore;
        p.submissionEnd = uint64(block.timestamp + 1 hours);
        p.revealEnd = uint64(block.timestamp + 2 hours);
        p.evaluationEnd = uint64(block.timestamp + 3 hours);
        uint16[3] memory split = [uint16(5000), 3000, 2000];
        if (t.k == 1) split[0] = 10_000;
        if (t.k == 2) (split[0], split[1]) = (7000, 3000);
        p.prizeBps = new uint16[](t.k);
        for (uint256 i; i < t.k; ++i) p.prizeBps[i] = split[i];
        p.entryDeposit = DEPOSIT;
        id = market.competitionCount() + 1;
        p.testCommitment = keccak256(abi.encode("bafy-test", bytes32(0), uint32(0), bytes32(id)));
        vm.deal(ORGANIZER, REWARD);
        vm.prank(ORGANIZER);
        assertEq(market.createCompetition{value: REWARD}(p), id, "id");
    }

    /// @dev Everyone commits in turn, then some replace their commitment (a later order, which
    /// decides ties).
    function _commitAll(Case memory t, uint256 id) internal {
        uint32 orders;
        for (uint256 i; i < t.n; ++i) {
            bytes32 commitment = _commitment(t.who[i], id); // before the prank, which the next call takes
            vm.deal(t.who[i], DEPOSIT);
            vm.prank(t.who[i]);
            market.commit{value: DEPOSIT}(id, commitment);
            t.order[i] = ++orders;
        }
        for (uint256 i; i < t.n; ++i) {
            if (pick(t.seed, string.concat("replace ", _str(i)), 3) != 0) continue;
            bytes32 commitment = _commitment(t.who[i], id);
            vm.prank(t.who[i]);
            market.commit(id, commitment);
            t.order[i] = ++orders;
        }
    }

    function _revealAll(Case memory t, uint256 id) internal {
        for (uint256 i; i < t.n; ++i) {
            vm.prank(t.who[i]);
            market.reveal(id, "bafy-model", bytes32(uint256(uint160(t.who[i]))), bytes32(i));
        }
    }

    function _commitment(address who, uint256 id) internal view returns (bytes32) {
        uint256 i = uint160(who) - 0xB000;
        return market.commitmentFor("bafy-model", bytes32(uint256(uint160(who))), bytes32(0), bytes32(i), who, id);
    }

    /// @dev Post every score once, in a random order and random batch sizes; after each batch
    /// the ranking must equal the reference of the qualifying scores posted so far.
    function _postInBatches(Case memory t, uint256 id) internal {
        uint256[] memory perm = new uint256[](t.n);
        for (uint256 i; i < t.n; ++i) perm[i] = i;
        for (uint256 i = t.n; i > 1; --i) {
            uint256 j = pick(t.seed, string.concat("shuffle ", _str(i)), i);
            (perm[i - 1], perm[j]) = (perm[j], perm[i - 1]);
        }
        Entry[] memory posted = new Entry[](t.n);
        uint256 nPosted;
        uint256 next;
        while (next < t.n) {
            uint256 size = 1 + pick(t.seed, string.concat("batch ", _str(next)), t.n - next);
            address[] memory who = new address[](size);
            int64[] memory scores = new int64[](size);
            for (uint256 b; b < size; ++b) {
                uint256 i = perm[next + b];
                (who[b], scores[b]) = (t.who[i], t.scores[i]);
                if (Reference.qualifies(t.scores[i], t.minScore, t.higher)) posted[nPosted++] = Entry(t.who[i], t.scores[i], t.order[i]);
            }
            next += size;
            vm.prank(ORGANIZER);
            market.postScores(id, who, scores);
            Entry[] memory sofar = new Entry[](nPosted);
            for (uint256 q; q < nPosted; ++q) sofar[q] = posted[q];
            _assertRanking(id, Reference.topK(sofar, t.k, t.higher));
        }
    }

    function _assertRanking(uint256 id, Entry[] memory want) internal view {
        IForecastMarket.Rank[] memory got = market.ranking(id);
        assertEq(got.length, want.length, "ranking length");
        for (uint256 i; i < want.length; ++i) {
            assertEq(got[i].participant, want[i].who, string.concat("participant at rank ", _str(i + 1)));
            assertEq(int256(got[i].score), int256(want[i].score), string.concat("score at rank ", _str(i + 1)));
            assertEq(uint256(got[i].order), uint256(want[i].order), string.concat("order at rank ", _str(i + 1)));
        }
    }

    /// @dev Finalize: the winners get the reference prizes plus their deposits at once; every
    /// other entry claims its deposit, except failures in a Finalized competition.
    function _finalizeAndCheckPayouts(Case memory t, uint256 id) internal {
        IForecastMarket.Rank[] memory ranks = market.ranking(id);
        uint256 failed;
        for (uint256 i; i < t.n; ++i) if (t.scores[i] == Reference.failure(t.higher)) ++failed;
        market.finalize(id);
        IForecastMarket.Competition memory c = market.competition(id);
        if (ranks.length == 0) {
            assertEq(uint256(c.outcome), uint256(IForecastMarket.Phase.Refunded), "nobody ranked: Refunded");
            assertTrue(c.refundPending, "the organizer's refund waits for the challenge period");
        } else {
            assertEq(uint256(c.outcome), uint256(IForecastMarket.Phase.Finalized), "somebody ranked: Finalized");
            uint16[3] memory bps = c.prizeBps;
            uint256[] memory prizes = Reference.prizes(REWARD + failed * DEPOSIT, bps, ranks.length);
            for (uint256 r; r < ranks.length; ++r) {
                assertEq(market.balanceOf(ranks[r].participant), prizes[r] + DEPOSIT, string.concat("paid to rank ", _str(r + 1)));
            }
        }
        bool finalized = ranks.length != 0;
        for (uint256 i; i < t.n; ++i) {
            if (_ranked(ranks, t.who[i])) continue;
            bool fails = t.scores[i] == Reference.failure(t.higher);
            if (fails && finalized) {
                vm.expectRevert(abi.encodeWithSelector(IForecastMarket.NothingToClaim.selector, id, t.who[i]));
                market.claim(id, t.who[i]);
            } else {
                market.claim(id, t.who[i]);
                assertEq(market.balanceOf(t.who[i]), DEPOSIT, "deposit returned");
            }
        }
    }

    function _ranked(IForecastMarket.Rank[] memory ranks, address who) internal pure returns (bool) {
        for (uint256 r; r < ranks.length; ++r) if (ranks[r].participant == who) return true;
        return false;
    }
}
