// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IForecastMarket} from "../../interfaces/IForecastMarket.sol";

/// @dev Test-only: a participant that is a contract, forwarding commit/reveal/withdraw.
abstract contract ContractParticipant {
    IForecastMarket public immutable market;

    constructor(IForecastMarket market_) {
        market = market_;
    }

    function commit(uint256 id, bytes32 commitment) external payable {
        market.commit{value: msg.value}(id, commitment);
    }

    function reveal(uint256 id, string calldata cid, bytes32 sha, bytes32 salt) external {
        market.reveal(id, cid, sha, salt);
    }

    function withdraw() external {
        market.withdraw();
    }
}

/// @dev Test-only participant that tries to re-enter `withdraw` from its receive hook.
contract ReentrantParticipant is ContractParticipant {
    uint256 public reentries;
    bool public reentrySucceeded;

    constructor(IForecastMarket market_) ContractParticipant(market_) {}

    receive() external payable {
        if (reentries < 3) {
            ++reentries;
            try market.withdraw() {
                reentrySucceeded = true;
            } catch {}
        }
    }
}

/// @dev Test-only participant whose receive hook always reverts.
contract RevertingParticipant is ContractParticipant {
    constructor(IForecastMarket market_) ContractParticipant(market_) {}

    receive() external payable {
        revert("no thanks");
    }
}
