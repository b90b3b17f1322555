// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// The call target of Caller.sol. Storage slots 0..2 mirror Caller's so a delegatecall lands in Caller's slots.
contract Callee {
    uint256 public x; // slot 0
    address public lastSender; // slot 1
    uint256 public lastValue; // slot 2

    error CalleeError(uint256 code, address who);

    event Called(address indexed from, uint256 value, uint256 x);

    /// Records msg.sender/msg.value and returns the previous x.
    function setX(uint256 v) external payable returns (uint256 old) {
        old = x;
        x = v;
        lastSender = msg.sender;
        lastValue = msg.value;
        emit Called(msg.sender, msg.value, v);
    }

    function getX() external view returns (uint256) {
        return x;
    }

    function add(uint256 a, uint256 b) external pure returns (uint256) {
        return a + b;
    }

    function echo(bytes calldata data) external payable returns (bytes memory) {
        return data;
    }

    /// `size` bytes: byte i = uint8(i), ABI-encoded as `bytes`.
    function returnBytes(uint256 size) external pure returns (bytes memory out) {
        out = new bytes(size);
        for (uint256 i = 0; i < size; i++) out[i] = bytes1(uint8(i));
    }

    function revertWithString(string calldata reason) external pure {
        revert(reason);
    }

    function revertWithCustom(uint256 code) external view {
        revert CalleeError(code, msg.sender);
    }

    function revertEmpty() external pure {
        revert();
    }

    function divide(uint256 a, uint256 b) external pure returns (uint256) {
        return a / b; // Panic(0x12) for b == 0
    }

    function assertPositive(uint256 a) external pure returns (uint256) {
        assert(a > 0); // Panic(0x01) for a == 0
        return a;
    }

    /// Writes storage; declared `view` in IViewWriter (Caller.sol) so a staticcall into it must fail.
    function writeStorage(uint256 v) external {
        x = v;
    }

    /// Calls back into the caller (reentrancy): ICallerBack(msg.sender).reenter(v) + 1.
    function callBack(uint256 v) external returns (uint256) {
        return ICallerBack(msg.sender).reenter(v) + 1;
    }

    function balance() external view returns (uint256) {
        return address(this).balance;
    }

    receive() external payable {}
}

interface ICallerBack {
    function reenter(uint256 v) external returns (uint256);
}
