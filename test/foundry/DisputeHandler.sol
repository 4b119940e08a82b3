// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IDisputeGame} from "../../interfaces/IDisputeGame.sol";
import {IForecastMarket} from "../../interfaces/IForecastMarket.sol";
import {Harness} from "./utils/Harness.sol";

/// @dev Drives bonded competitions of one ForecastMarket through random lifecycles with disputes
/// (open, defend, bisect, choose, timeouts, moot endings, score replacements, nominate, settlement,
/// bonds claimed back, withdrawals; weights requests, publications that never complete, entries
/// posted as failed and the reversed disputes of those failures) and keeps a money model of them: what each competition still
/// escrows, following the bond rules of docs/FRAUD_PROOFS.md, written from the documentation.
/// The one step itself (proveStep) needs real Merkle proofs and is tested on anvil
/// (tests/contract/test_disputes.py); here disputes end by timeouts, which move the same money.
/// Every model is a SimpleRNN whose weights tree is its single meta leaf (root = leaf hash, empty
/// proof), enough for {IDisputeGame.defend}.
contract DisputeHandler is Harness {
    IForecastMarket public immutable market;
    IDisputeGame public immutable game;

    uint256 internal constant N = 3; // participants and challengers per competition
    uint96 internal constant OBOND = 5 ether;
    uint96 internal constant CBOND = 1 ether;
    uint256 internal constant TEST_ROWS = 4;
    address internal constant ORG = address(0xA11CE);

    struct MComp {
        uint256 id;
        uint256 escrow; // wei the model says the competition still holds
        uint8 stage; // 0 created, 1 committed, 2 revealed, 3 test set revealed, 4 scored
        bool settled;
        uint32 open; // open disputes, by the model
    }

    MComp[] internal comps;
    uint256 public putIn;
    uint256 public paidOut;
    mapping(bytes32 => bytes32[]) internal posted; // a dispute's last bisection hashes
    mapping(bytes32 => uint256) public successes;
    uint256 public forgedAccepted; // forged invalidity proofs the game accepted (must stay 0)

    constructor(IForecastMarket market_) {
        market = market_;
        game = IDisputeGame(market_.disputeGame());
        vm.deal(ORG, 1e30);
        for (uint256 i; i < 2 * N; ++i) vm.deal(_actor(i), 1e30);
    }

    function selectors() external pure returns (bytes4[] memory s) {
        s = new bytes4[](13);
        (s[0], s[1], s[2], s[3], s[4]) = (this.advance.selector, this.open.selector, this.defend.selector, this.bisect.selector, this.choose.selector);
        (s[5], s[6], s[7], s[8], s[9]) = (this.warp.selector, this.endDispute.selector, this.settle.selector, this.claimBond.selector, this.withdraw.selector);
        (s[10], s[11], s[12]) = (this.request.selector, this.publish.selector, this.forgeInvalid.selector);
    }

    // ================================================================== actions

    /// @dev The current competition's next lifecycle step (a new competition once it is settled).
    function advance(uint256 seed) external {
        if (comps.length == 0 || comps[comps.length - 1].settled) return _create(seed);
        MComp storage c = comps[comps.length - 1];
        IForecastMarket.Competition memory m = market.competition(c.id);
        if (c.stage == 0) {
            for (uint256 i; i < N; ++i) {
                vm.prank(_actor(i));
                market.commit(c.id, _commitment(c.id, _actor(i)));
            }
        } else if (c.stage == 1) {
            vm.warp(m.submissionEnd);
            for (uint256 i; i < N; ++i) {
                vm.prank(_actor(i));
                market.revealWithRoot(c.id, "bafy-m", bytes32(i), _weightsRoot(), bytes32(i));
            }
        } else if (c.stage == 2) {
            vm.warp(m.revealEnd);
            vm.prank(ORG);
            market.revealTestSet(c.id, "bafy-t", bytes32(uint256(1)), uint32(TEST_ROWS), bytes32(c.id));
        } else if (c.stage == 3) {
            address[] memory who = new address[](N);
            int64[] memory scores = new int64[](N);
            for (uint256 i; i < N; ++i) {
                who[i] = _actor(i);
                // an entry whose weights were requested waits for the request's deadline (never published:
                // the meta-only trees here cannot complete a publication), then fails for good
                IDisputeGame.WeightsRequest memory r = game.weightsRequest(c.id, who[i]);
                if (r.deadline > block.timestamp) vm.warp(r.deadline);
                (uint256 sq, uint256 ab) = _sums(c.id, i, seed);
                // the organizer posts some entries as failed (a lie: every model here runs)
                scores[i] = r.deadline != 0 || (seed >> (8 + i)) % 4 == 0 ? type(int64).max : game.scoreFromSums(0, TEST_ROWS, sq, ab);
            }
            vm.prank(ORG);
            market.postScores(c.id, who, scores);
        } else {
            return;
        }
        ++c.stage;
        ++successes["advance"];
    }

    function open(uint256 seed) external {
        MComp storage c = _current();
        if (c.stage != 4 || c.settled) return;
        IForecastMarket.Competition memory m = market.competition(c.id);
        if (m.challengeEnd != 0 && block.timestamp >= m.challengeEnd) return;
        address p = _actor(pick(seed, "p", N));
        address ch = _actor(pick(seed, "c", 2 * N));
        IForecastMarket.Claim memory cl = market.claimOf(c.id, p);
        if (ch == (cl.claimant == address(0) ? ORG : cl.claimant)) return;
        if (game.dispute(c.id, p, ch).stage != IDisputeGame.Stage.None) return;
        IForecastMarket.Status status = market.submission(c.id, p).status;
        bool failure = status == IForecastMarket.Status.Failed;
        if (failure && !game.failureDisputable(c.id, p)) return;
        uint256 sq = bound(seed >> 16, 0, 1e20);
        if (game.scoreFromSums(0, TEST_ROWS, sq, 0) == cl.score) return;
        vm.prank(ch);
        market.openDispute{value: CBOND}(c.id, p, sq, 0);
        putIn += CBOND;
        c.escrow += CBOND;
        c.open += 1;
        ++successes[failure ? bytes32("failureOpen") : bytes32("open")];
    }

    function defend(uint256 seed) external {
        (MComp storage c, address p, address ch, bool ok) = _dispute(seed, IDisputeGame.Stage.Defense);
        if (!ok) return;
        (uint256 sq, uint256 ab) = _sums(c.id, _index(p), 0);
        vm.prank(_defenderOf(c.id, p, ch));
        game.defend(c.id, p, ch, sq, ab, IDisputeGame.MetaLeaf(_meta(), new bytes32[](0)));
        ++successes["defend"];
    }

    function bisect(uint256 seed) external {
        (MComp storage c, address p, address ch, bool ok) = _dispute(seed, IDisputeGame.Stage.Bisect);
        if (!ok) return;
        IDisputeGame.Dispute memory d = game.dispute(c.id, p, ch);
        uint256 span = d.hi - d.lo;
        bytes32[] memory hashes = new bytes32[]((span < 16 ? span : 16) - 1);
        for (uint256 i; i < hashes.length; ++i) hashes[i] = keccak256(abi.encode(seed, i));
        posted[keccak256(abi.encode(c.id, p, ch))] = hashes;
        vm.prank(_defenderOf(c.id, p, ch));
        game.bisect(c.id, p, ch, hashes);
        ++successes["bisect"];
    }

    function choose(uint256 seed) external {
        (MComp storage c, address p, address ch, bool ok) = _dispute(seed, IDisputeGame.Stage.Choose);
        if (!ok) return;
        bytes32[] memory hashes = posted[keccak256(abi.encode(c.id, p, ch))];
        vm.prank(game.dispute(c.id, p, ch).failure ? ORG : ch); // a failure's organizer challenges the claim
        game.choose(c.id, p, ch, seed % (hashes.length + 1), hashes);
        ++successes["choose"];
    }

    /// @dev Time passes only in the dispute phase (the lifecycle steps move the clock to each deadline).
    function warp(uint256 seed) external {
        if (comps.length != 0 && !comps[comps.length - 1].settled && comps[comps.length - 1].stage != 4) return;
        vm.warp(block.timestamp + bound(seed, 1 hours, 2 days));
    }

    /// @dev End an overdue or moot dispute and follow its money: the loser's bond moves.
    function endDispute(uint256 seed) external {
        MComp storage c = _current();
        if (c.settled || c.open == 0) return;
        for (uint256 k; k < N * 2 * N; ++k) {
            uint256 j = (seed % (N * 2 * N) + k) % (N * 2 * N);
            address p = _actor(j % N);
            address ch = _actor(j / N);
            IDisputeGame.Dispute memory d = game.dispute(c.id, p, ch);
            if (d.stage == IDisputeGame.Stage.None) continue;
            IForecastMarket.Claim memory cl = market.claimOf(c.id, p);
            bool moot = cl.nonce != d.nonce;
            if (!moot && block.timestamp < d.deadline) continue;
            // The side to move loses; in a failure dispute the claimant makes the defender's moves.
            bool defenderWon = (d.stage == IDisputeGame.Stage.Choose || d.stage == IDisputeGame.Stage.Step) != d.failure;
            uint256 orgBond = market.competition(c.id).organizerBond;
            game.endDispute(c.id, p, ch);
            c.open -= 1;
            if (moot || defenderWon) {
                c.escrow -= CBOND; // the challenge bond to the challenger (moot) or to the defender
            } else {
                c.escrow -= cl.claimant == address(0) ? orgBond : CBOND; // the defender's bond to the challenger
                ++successes["replaced"];
            }
            ++successes[moot ? bytes32("moot") : bytes32("timeout")];
            return;
        }
    }

    /// @dev Finalize once the window passed and no dispute is open (or put a scored entry in the ranking first).
    function settle(uint256 seed) external {
        MComp storage c = _current();
        if (c.stage != 4 || c.settled) return;
        IForecastMarket.Competition memory m = market.competition(c.id);
        if (seed % 3 == 0) {
            address p = _actor(pick(seed, "n", N));
            IForecastMarket.Claim memory cl = market.claimOf(c.id, p);
            bool ranked;
            IForecastMarket.Rank[] memory r = market.ranking(c.id);
            for (uint256 i; i < r.length; ++i) ranked = ranked || r[i].participant == p;
            if (!ranked && cl.score <= m.minScore && r.length < m.prizeCount) {
                market.nominate(c.id, p);
                ++successes["nominate"];
            }
            return;
        }
        if (c.open != 0) return;
        if (block.timestamp < m.challengeEnd) vm.warp(m.challengeEnd); // nobody disputed in time
        uint256 winners = market.ranking(c.id).length;
        market.finalize(c.id);
        c.settled = true;
        c.escrow -= m.organizerBond; // returned (or already lost)
        if (winners != 0) c.escrow -= m.reward; // the prize (deposits are zero)
        ++successes["settled"];
        ++successes[winners != 0 ? bytes32("finalized") : bytes32("refunded")];
    }

    function claimBond(uint256 seed) external {
        if (comps.length == 0) return;
        MComp storage c = comps[seed % comps.length];
        if (!c.settled) return;
        address p = _actor(pick(seed, "b", N));
        if (market.claimOf(c.id, p).claimant == address(0)) return;
        market.claimBond(c.id, p);
        c.escrow -= CBOND;
        ++successes["claimBond"];
    }

    function withdraw(uint256 seed) external {
        address who = seed % 7 == 0 ? ORG : _actor(seed % (2 * N));
        uint256 amount = market.balanceOf(who);
        if (amount == 0) return;
        vm.prank(who);
        market.withdraw();
        paidOut += amount;
        ++successes["withdraw"];
    }

    /// @dev The organizer requests an unscored entry's weights (the scoring then waits for the deadline).
    function request(uint256 seed) external {
        MComp storage c = _current();
        if (c.stage != 3 || c.settled) return;
        address p = _actor(pick(seed, "r", N));
        if (game.weightsRequest(c.id, p).deadline != 0) return;
        vm.prank(ORG);
        game.requestWeights(c.id, p);
        ++successes["request"];
    }

    /// @dev A requested participant publishes its meta leaf (a meta-only tree never completes: it is failed
    /// for good once the deadline passes, and its failure cannot be disputed).
    function publish(uint256 seed) external {
        MComp storage c = _current();
        if (c.settled) return;
        address p = _actor(pick(seed, "u", N));
        IDisputeGame.WeightsRequest memory r = game.weightsRequest(c.id, p);
        if (r.deadline <= block.timestamp || r.published != 0) return;
        bytes[] memory leaves = new bytes[](1);
        leaves[0] = _meta();
        vm.prank(p);
        game.publishWeights(c.id, p, leaves);
        ++successes["publish"];
    }

    /// @dev The organizer tries to end a failure dispute with a forged invalidity proof: a meta leaf that is not
    /// the model's (short, unproven). It must be refused; were it accepted, the claimant's bond would move
    /// without the model's knowing, and `forgedAccepted` says why the invariant broke.
    function forgeInvalid(uint256 seed) external {
        for (uint8 st = 1; st <= 4; ++st) {
            (MComp storage c, address p, address ch, bool ok) = _dispute(seed, IDisputeGame.Stage(st));
            if (!ok || !game.dispute(c.id, p, ch).failure) continue;
            IDisputeGame.InvalidityProof memory forged;
            forged.meta = new bytes(seed % 88); // shorter than the fixed part of any meta leaf
            vm.prank(ORG);
            try game.proveInvalid(c.id, p, ch, forged) {
                ++forgedAccepted;
            } catch {
                ++successes["forgedInvalid"];
            }
            return;
        }
    }

    // ================================================================== invariants

    function checkMoney() external view {
        assertEq(forgedAccepted, 0, "no forged invalidity proof ends a failure dispute");
        (uint256 escrowed, uint256 owed) = market.totals();
        assertEq(address(market).balance, escrowed + owed, "held == escrowed + owed");
        assertEq(putIn, paidOut + address(market).balance, "wei in == wei out + held");
        uint256 balances = market.balanceOf(ORG);
        for (uint256 i; i < 2 * N; ++i) balances += market.balanceOf(_actor(i));
        assertEq(owed, balances, "owed == the sum of the balances");
        uint256 modelled;
        for (uint256 i; i < comps.length; ++i) {
            MComp storage c = comps[i];
            IForecastMarket.Competition memory m = market.competition(c.id);
            modelled += c.escrow;
            assertEq(m.openDisputes, c.open, "open disputes as modelled");
            if (m.outcome != IForecastMarket.Phase.None) assertEq(m.openDisputes, 0, "no dispute outlives settlement");
        }
        assertEq(escrowed, modelled, "escrowed == what each competition still holds, by the model");
    }

    // ================================================================== helpers

    function _create(uint256 seed) internal {
        uint256 reward = bound(seed, 1, 10 ether);
        uint16[] memory bps = new uint16[](1);
        bps[0] = 10_000;
        uint256 id = market.competitionCount() + 1;
        IForecastMarket.CompetitionParams memory p = IForecastMarket.CompetitionParams({
            dataCid: "bafy-d",
            target: "y",
            sequenceLength: 2,
            horizon: 1,
            metric: 0,
            higherIsBetter: false,
            minScore: int64(uint64(bound(seed >> 64, 0, 2e6))),
            submissionEnd: uint64(block.timestamp + 1 days),
            revealEnd: uint64(block.timestamp + 2 days),
            evaluationEnd: uint64(block.timestamp + 5 days), // more than a day: weights can be requested
            prizeBps: bps,
            entryDeposit: 0,
            testCommitment: keccak256(abi.encode("bafy-t", bytes32(uint256(1)), uint32(TEST_ROWS), bytes32(id))),
            trainRoot: bytes32(uint256(2)),
            trainRows: 8,
            organizerBond: OBOND,
            challengeBond: CBOND
        });
        vm.prank(ORG);
        market.createCompetition{value: reward + OBOND}(p);
        putIn += reward + OBOND;
        comps.push(MComp({id: id, escrow: reward + OBOND, stage: 0, settled: false, open: 0}));
        ++successes["create"];
    }

    function _current() internal view returns (MComp storage c) {
        if (comps.length == 0) return _empty();
        return comps[comps.length - 1];
    }

    MComp internal none;

    function _empty() internal view returns (MComp storage) {
        return none;
    }

    /// @dev A dispute of the current competition at `stage` whose deadline has not passed and is not moot.
    function _dispute(uint256 seed, IDisputeGame.Stage stage)
        internal
        view
        returns (MComp storage c, address p, address ch, bool ok)
    {
        c = _current();
        if (c.settled || c.open == 0) return (c, p, ch, false);
        for (uint256 k; k < N * 2 * N; ++k) {
            uint256 j = (seed % (N * 2 * N) + k) % (N * 2 * N);
            (p, ch) = (_actor(j % N), _actor(j / N));
            IDisputeGame.Dispute memory d = game.dispute(c.id, p, ch);
            if (d.stage == stage && block.timestamp < d.deadline && market.claimOf(c.id, p).nonce == d.nonce) {
                return (c, p, ch, true);
            }
        }
        return (c, p, ch, false);
    }

    /// @dev Who makes the defender's moves: the score's defender, or a failure's claimant.
    function _defenderOf(uint256 id, address p, address ch) internal view returns (address) {
        if (game.dispute(id, p, ch).failure) return ch;
        IForecastMarket.Claim memory cl = market.claimOf(id, p);
        return cl.claimant == address(0) ? ORG : cl.claimant;
    }

    function _actor(uint256 i) internal pure returns (address) {
        return address(uint160(0x1000 + i));
    }

    function _index(address a) internal pure returns (uint256) {
        return uint160(a) - 0x1000;
    }

    /// @dev Participant i's true sums (what the organizer posts and defends).
    function _sums(uint256 id, uint256 i, uint256) internal pure returns (uint256 sq, uint256 ab) {
        sq = uint256(keccak256(abi.encode(id, i))) % 1e20;
        ab = 0;
    }

    function _commitment(uint256 id, address who) internal view returns (bytes32) {
        uint256 i = _index(who);
        return keccak256(abi.encode("bafy-m", bytes32(i), _weightsRoot(), bytes32(i), who, id, address(market)));
    }

    /// @dev A valid meta leaf: SimpleRNN, 1 layer of 4 units, 1 feature, sequence 2, horizon 1, delta.
    function _meta() internal pure returns (bytes memory) {
        int64[14] memory v = [int64(1), 2, 1, 4, 0, 1, 2, 1, 1, 0, 16777216, 0, 0, 16777216];
        bytes memory out;
        for (uint256 i; i < v.length; ++i) out = bytes.concat(out, bytes8(uint64(v[i])));
        return out;
    }

    function _weightsRoot() internal pure returns (bytes32) {
        return keccak256(bytes.concat(keccak256(abi.encode(uint256(0), _meta()))));
    }
}
