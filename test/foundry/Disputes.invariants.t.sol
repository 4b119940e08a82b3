// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ForecastMarket} from "../../contracts/ForecastMarket.sol";
import {Harness, HandlerInvariants} from "./utils/Harness.sol";
import {DisputeHandler} from "./DisputeHandler.sol";

/// @dev Invariant test with disputes: forge calls DisputeHandler's actions in random sequences on
/// one market; after every call the money invariants hold (held == escrowed + owed, wei in == wei
/// out + held, owed == the balances, each competition's escrow as the bond rules say, no dispute
/// outlives settlement), with weights requests and disputes of posted failures.
contract DisputesInvariants is HandlerInvariants {
    DisputeHandler internal handler;

    function setUp() public {
        handler = new DisputeHandler(new ForecastMarket());
    }

    function _handler() internal view override returns (address) {
        return address(handler);
    }

    function invariant_disputesKeepTheMoney() public view {
        handler.checkMoney();
    }
}

/// @dev The dispute handler reaches every outcome in random sequences (so that the invariant test
/// above exercises them), with the invariants checked after every step.
contract DisputeCoverageTest is Harness {
    function test_randomSequencesReachEveryDisputeOutcome() public {
        string[16] memory names = ["create", "advance", "open", "defend", "bisect", "choose", "timeout", "moot",
            "replaced", "settled", "claimBond", "withdraw", "request", "publish", "failureOpen", "forgedInvalid"];
        uint256[16] memory total;
        for (uint256 run; run < 16; ++run) {
            DisputeHandler h = new DisputeHandler(new ForecastMarket());
            bytes4[] memory actions = h.selectors();
            for (uint256 step; step < 160; ++step) {
                uint256 seed = uint256(keccak256(abi.encode(run, step)));
                _act(address(h), actions[seed % actions.length], seed >> 8);
                h.checkMoney();
            }
            for (uint256 i; i < names.length; ++i) total[i] += h.successes(bytes32(bytes(names[i])));
        }
        for (uint256 i; i < names.length; ++i) {
            log(names[i], total[i]);
            assertTrue(total[i] != 0, string.concat("no ", names[i], " in 16 random runs"));
        }
    }
}
