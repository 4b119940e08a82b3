// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ForecastMarket} from "../../contracts/ForecastMarket.sol";
import {HandlerInvariants} from "./utils/Harness.sol";
import {MarketHandler} from "./MarketHandler.sol";

/// @dev Invariant test: forge calls the handler's actions in random sequences (runs x depth in
/// foundry.toml) on one market and checks every invariant below after every call. The handler
/// itself fails the run when a call's outcome (success or the exact error, the wei moved)
/// differs from its model.
///
/// forge 1.x runs one campaign per `invariant_*` function and checks only that function in it,
/// so the invariants are asserted together from one function: every run checks all of them.
/// A failure names the invariant in its message.
contract ForecastMarketInvariants is HandlerInvariants {
    ForecastMarket internal market;
    MarketHandler internal handler;

    function setUp() public {
        market = new ForecastMarket();
        handler = new MarketHandler(market);
    }

    function _handler() internal view override returns (address) {
        return address(handler);
    }

    /// @dev 1. totals().escrowed + totals().owed == address(market).balance (nothing forces
    ///    ether in, so exactly);
    /// 2. wei paid out + wei held == wei put in;
    /// 3. each competition's escrow is exactly what it still owes (running: reward and
    ///    deposits; settled: open claims and a pending refund), totals().escrowed is their sum,
    ///    totals().owed is the sum of the balances, and every balance is the model's;
    /// 4. a settled competition never changes again (stored state and ranking; only a pending
    ///    refund gets claimed);
    /// 5. every ranking equals the sorted reference of the qualifying posted scores (best
    ///    first, ties to the earlier commit, top k);
    /// 6. counters, outcome, phase and every submission's status and order match the model.
    function invariant_marketMatchesModel() public view {
        handler.checkSolvency();
        handler.checkConservation();
        handler.checkEscrow();
        handler.checkSettledFrozen();
        handler.checkRanking();
        handler.checkState();
    }

    /// @dev After each run: how often each outcome was reached in it (shown with -vv).
    function afterInvariant() public view {
        string[19] memory names = handler.outcomeNames();
        for (uint256 i; i < names.length; ++i) log(names[i], handler.successes(bytes32(bytes(names[i]))));
    }
}
