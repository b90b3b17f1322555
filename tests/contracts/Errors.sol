// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// Every way a Solidity function can fail, each in its own function ([seal_return] with the revert flag, or a trap).
contract Errors {
    error Unauthorized(address caller);
    error WithArgs(uint256 a, string b);
    error NoArgs();

    enum Color {
        Red,
        Green,
        Blue
    }

    uint256[] private items;

    function ok() external pure returns (uint256) {
        return 42;
    }

    /// Error(string)
    function revertString(string calldata reason) external pure {
        revert(reason);
    }

    /// Error("Errors: x too small") when x <= 10, else returns x.
    function requireString(uint256 x) external pure returns (uint256) {
        require(x > 10, "Errors: x too small");
        return x;
    }

    /// Empty revert data.
    function requireNoReason() external pure {
        require(false);
    }

    /// Empty revert data.
    function revertEmpty() external pure {
        revert();
    }

    function revertUnauthorized() external view {
        revert Unauthorized(msg.sender);
    }

    function revertWithArgs(uint256 a, string calldata b) external pure {
        revert WithArgs(a, b);
    }

    function revertNoArgs() external pure {
        revert NoArgs();
    }

    /// Arbitrary raw revert data.
    function revertRaw(bytes calldata data) external pure {
        bytes memory d = data;
        assembly {
            revert(add(d, 32), mload(d))
        }
    }

    /// Panic(0x01)
    function panicAssert() external pure {
        assert(false);
    }

    /// Panic(0x11) when a == type(uint256).max
    function panicOverflow(uint256 a) external pure returns (uint256) {
        return a + 1;
    }

    /// Panic(0x11) when b > a
    function panicUnderflow(uint256 a, uint256 b) external pure returns (uint256) {
        return a - b;
    }

    /// Panic(0x11) for int8 overflow (narrow type)
    function panicInt8(int8 a, int8 b) external pure returns (int8) {
        return a * b;
    }

    /// Panic(0x12) when b == 0
    function panicDivZero(uint256 a, uint256 b) external pure returns (uint256) {
        return a / b;
    }

    /// Panic(0x12) when b == 0
    function panicModZero(uint256 a, uint256 b) external pure returns (uint256) {
        return a % b;
    }

    /// Panic(0x21) when v > 2
    function panicEnum(uint256 v) external pure returns (uint256) {
        return uint256(Color(v));
    }

    /// Panic(0x31): pop from an empty storage array
    function panicPop() external {
        items.pop();
    }

    /// Panic(0x32) when i >= 3
    function panicIndex(uint256 i) external pure returns (uint256) {
        uint256[3] memory a = [uint256(10), 20, 30];
        return a[i];
    }

    /// Panic(0x32) when i >= items.length (storage array)
    function panicStorageIndex(uint256 i) external view returns (uint256) {
        return items[i];
    }

    /// Panic(0x41) for absurd sizes (e.g. 2**64)
    function panicAlloc(uint256 n) external pure returns (uint256) {
        uint256[] memory a = new uint256[](n);
        return a.length;
    }

    /// The INVALID opcode: EVM consumes all gas, resolc 0.3.0 traps.
    function invalid() external pure {
        assembly {
            invalid()
        }
    }
}
