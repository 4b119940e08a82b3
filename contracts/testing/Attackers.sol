// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IForecastMarket} from "../../interfaces/IForecastMarket.sol";

/// @dev Test-only: a participant that is a contract, forwarding commit/reveal and the payouts.
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

    function withdrawTo(address payable to) external {
        market.withdrawTo(to);
    }

    function claimAndWithdraw(uint256 id) external {
        market.claimAndWithdraw(id);
    }
}

/// @dev Test-only participant that calls back into the market from its receive hook, with
/// calldata set by the test (by default `withdraw()`), and records what happened.
contract ReentrantParticipant is ContractParticipant {
    bytes public reentry; // calldata sent to the market from the receive hook
    uint256 public reentries;
    bool public reentrySucceeded;
    bytes public reentryError; // revert data of the last failed re-entry

    constructor(IForecastMarket market_) ContractParticipant(market_) {
        reentry = abi.encodeCall(IForecastMarket.withdraw, ());
    }

    function setReentry(bytes calldata data) external {
        reentry = data;
    }

    receive() external payable {
        if (reentries < 3) {
            ++reentries;
            (bool ok, bytes memory ret) = address(market).call(reentry);
            if (ok) reentrySucceeded = true;
            else reentryError = ret;
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

/// @dev Test-only participant that reads the market from its receive hook, to see which state
/// changes were made before the transfer (checks-effects-interactions).
contract StateProbe is ContractParticipant {
    bool public probed;
    uint256 public seenBalance; // market.balanceOf(this) during the transfer
    uint256 public seenEscrowed;
    uint256 public seenOwed;
    uint256 public probeId; // competition whose submission status is read
    uint8 public seenStatus;

    constructor(IForecastMarket market_) ContractParticipant(market_) {}

    function setProbeId(uint256 id) external {
        probeId = id;
    }

    receive() external payable {
        probed = true;
        seenBalance = market.balanceOf(address(this));
        (seenEscrowed, seenOwed) = market.totals();
        if (probeId != 0) seenStatus = uint8(market.submission(probeId, address(this)).status);
    }
}

/// @dev Test-only participant that sends any call through itself with the calldata masked (each byte XOR
/// `mask`) in its own transaction's input: what it sends the callee never appears in a transaction's input.
contract MaskingParticipant {
    function forward(address target, bytes calldata masked, uint8 mask) external payable {
        bytes memory data = masked;
        for (uint256 i; i < data.length; ++i) data[i] = data[i] ^ bytes1(mask);
        (bool ok, bytes memory ret) = target.call{value: msg.value}(data);
        if (!ok) {
            assembly ("memory-safe") {
                revert(add(ret, 0x20), mload(ret))
            }
        }
    }
}
