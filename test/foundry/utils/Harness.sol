// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @dev The few forge cheatcodes these tests use. forge-std cannot be fetched offline, so this
/// is declared here; the signatures are forge's own (forge 1.x, `Vm.sol`).
interface Vm {
    struct Log {
        bytes32[] topics;
        bytes data;
        address emitter;
    }

    function warp(uint256 newTimestamp) external;
    function deal(address account, uint256 newBalance) external;
    function prank(address msgSender) external;
    function startPrank(address msgSender) external;
    function stopPrank() external;
    function expectRevert(bytes4 revertData) external;
    function expectRevert(bytes calldata revertData) external;
    function assume(bool condition) external pure;
    function label(address account, string calldata newLabel) external;
    function recordLogs() external;
    function getRecordedLogs() external returns (Log[] memory logs);
}

/// @dev Assertion helpers and the cheatcode handle, shared by the test contracts and the
/// invariant handler. A failed assertion reverts with a message naming both values: forge
/// reports the revert string, and in an invariant handler (`fail_on_revert = true`) it fails
/// the run.
abstract contract Harness {
    Vm internal constant vm = Vm(address(uint160(uint256(keccak256("hevm cheat code")))));

    function assertTrue(bool ok, string memory what) internal pure {
        if (!ok) revert(string.concat("assertion failed: ", what));
    }

    function assertEq(uint256 a, uint256 b, string memory what) internal pure {
        if (a != b) revert(string.concat(what, ": ", _str(a), " != ", _str(b)));
    }

    function assertEq(int256 a, int256 b, string memory what) internal pure {
        if (a != b) revert(string.concat(what, ": ", _str(a), " != ", _str(b)));
    }

    function assertEq(address a, address b, string memory what) internal pure {
        if (a != b) revert(string.concat(what, ": ", _str(uint256(uint160(a))), " != ", _str(uint256(uint160(b)))));
    }

    function assertEq(bytes32 a, bytes32 b, string memory what) internal pure {
        if (a != b) revert(string.concat(what, ": ", _hex(a), " != ", _hex(b)));
    }

    function assertEq(bool a, bool b, string memory what) internal pure {
        if (a != b) revert(string.concat(what, a ? ": true != false" : ": false != true"));
    }

    /// @dev `x` mapped into [lo, hi] (inclusive), uniformly enough for fuzzing.
    function bound(uint256 x, uint256 lo, uint256 hi) internal pure returns (uint256) {
        if (lo > hi) revert("bound: lo > hi");
        if (lo == 0 && hi == type(uint256).max) return x;
        return lo + (x % (hi - lo + 1));
    }

    /// @dev A pseudo-random number derived from `seed` and a label, in [0, n).
    function pick(uint256 seed, string memory tag, uint256 n) internal pure returns (uint256) {
        return uint256(keccak256(abi.encode(seed, tag))) % n;
    }

    /// @dev forge's console.log(string, uint256), shown with -vv and up.
    function log(string memory label, uint256 value) internal view {
        address console = 0x000000000000000000636F6e736F6c652e6c6f67;
        (bool ok, ) = console.staticcall(abi.encodeWithSignature("log(string,uint256)", label, value));
        ok; // console.log never fails the caller
    }

    function _str(uint256 v) internal pure returns (string memory) {
        if (v == 0) return "0";
        uint256 len;
        for (uint256 t = v; t != 0; t /= 10) ++len;
        bytes memory b = new bytes(len);
        for (; v != 0; v /= 10) b[--len] = bytes1(uint8(48 + (v % 10)));
        return string(b);
    }

    /// @dev `b` in hex, without trailing zero bytes (so a bytes4 selector prints as 0x12345678).
    function _hex(bytes32 b) internal pure returns (string memory) {
        uint256 len = 32;
        while (len > 1 && b[len - 1] == 0) --len;
        bytes memory data = new bytes(len);
        for (uint256 i; i < len; ++i) data[i] = b[i];
        return _hex(data);
    }

    /// @dev `data` in hex (revert data, say).
    function _hex(bytes memory data) internal pure returns (string memory) {
        bytes memory out = new bytes(2 + 2 * data.length);
        (out[0], out[1]) = ("0", "x");
        bytes16 digits = "0123456789abcdef";
        for (uint256 i; i < data.length; ++i) {
            out[2 + 2 * i] = digits[uint8(data[i]) >> 4];
            out[3 + 2 * i] = digits[uint8(data[i]) & 15];
        }
        return string(out);
    }

    function _str(int256 v) internal pure returns (string memory) {
        if (v >= 0) return _str(uint256(v));
        // -(v + 1) + 1 avoids overflowing on type(int256).min
        return string.concat("-", _str(uint256(-(v + 1)) + 1));
    }

    /// @dev Call `handler`'s action `selector` with `seed`, as forge would; a revert fails the caller with its data.
    function _act(address handler, bytes4 selector, uint256 seed) internal {
        (bool ok, bytes memory ret) = handler.call(abi.encodeWithSelector(selector, seed));
        if (!ok) {
            assembly {
                revert(add(ret, 32), mload(ret))
            }
        }
    }
}

/// @dev A handler whose actions are listed by `selectors()`.
interface IHandler {
    function selectors() external view returns (bytes4[] memory);
}

/// @dev An invariant test that fuzzes one handler, and only its actions (not its views).
abstract contract HandlerInvariants is Harness {
    function _handler() internal view virtual returns (address);

    /// @dev forge fuzzes only the handler (not the market, nor the handler's helper contracts)...
    function targetContracts() public view returns (address[] memory targets) {
        targets = new address[](1);
        targets[0] = _handler();
    }

    /// @dev ... and only its actions (weighted by repetition), not its views.
    function targetSelectors() public view returns (FuzzSelector[] memory targets) {
        targets = new FuzzSelector[](1);
        targets[0] = FuzzSelector(_handler(), IHandler(_handler()).selectors());
    }
}

/// @dev What forge reads from `targetSelectors()` on an invariant test contract (the same
/// layout as forge-std's `StdInvariant.FuzzSelector`).
struct FuzzSelector {
    address addr;
    bytes4[] selectors;
}
