// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ForecastMarket} from "../../contracts/ForecastMarket.sol";
import {Harness} from "./utils/Harness.sol";
import {MarketHandler} from "./MarketHandler.sol";

/// @dev Guards the invariant test against a handler that quietly stops reaching the paths that
/// matter (say, after an API change makes most actions revert as predicted): random sequences
/// drawn like forge's (weighted actions, random seeds) on fresh markets must reach every kind of
/// success, with the model and the invariants checked after every step.
contract HandlerCoverageTest is Harness {
    uint256 internal constant RUNS = 24;
    uint256 internal constant DEPTH = 128;

    function test_randomSequencesReachEveryOutcome() public {
        uint256[19] memory total;
        string[19] memory names;
        for (uint256 run; run < RUNS; ++run) {
            MarketHandler h = new MarketHandler(new ForecastMarket());
            names = h.outcomeNames();
            bytes4[] memory actions = h.selectors();
            for (uint256 step; step < DEPTH; ++step) {
                uint256 seed = uint256(keccak256(abi.encode(run, step)));
                _act(address(h), actions[seed % actions.length], seed >> 8);
                h.checkSolvency();
                h.checkConservation();
                h.checkEscrow();
                h.checkSettledFrozen();
                h.checkRanking();
                h.checkState();
            }
            for (uint256 i; i < names.length; ++i) total[i] += h.successes(bytes32(bytes(names[i])));
        }
        for (uint256 i; i < names.length; ++i) {
            log(names[i], total[i]);
            assertTrue(total[i] != 0, string.concat("no successful ", names[i], " in ", _str(RUNS), " random runs"));
        }
    }
}
