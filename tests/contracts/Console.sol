// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// A few of console.sol's functions, written here: forge-std spells the integer types uint256/int256 in the
/// signatures it hashes, hardhat's original console.sol uint/int (other selectors for the same functions).
library Log {
    address constant CONSOLE = 0x000000000000000000636F6e736F6c652e6c6f67;

    function send(bytes memory payload) private view {
        (bool ok, ) = CONSOLE.staticcall(payload);
        ok;
    }

    function log(string memory s, uint256 v) internal view {
        send(abi.encodeWithSignature("log(string,uint256)", s, v));
    }

    function logHardhat(string memory s, uint256 v) internal view {
        send(abi.encodeWithSignature("log(string,uint)", s, v));
    }

    function log(string memory s, address a, bool b) internal view {
        send(abi.encodeWithSignature("log(string,address,bool)", s, a, b));
    }

    function logInt(int256 v) internal view {
        send(abi.encodeWithSignature("logInt(int)", v));
    }

    function logBytes32(bytes32 v) internal view {
        send(abi.encodeWithSignature("logBytes32(bytes32)", v));
    }

    function log(bytes32 v) internal view {
        send(abi.encodeWithSignature("log(bytes32)", v));
    }

    function log(string memory s, int256 v) internal view {
        send(abi.encodeWithSignature("log(string,int256)", s, v));
    }

    function log(string memory s) internal view {
        send(abi.encodeWithSignature("log(string)", s));
    }

    function unknown() internal view {
        send(abi.encodeWithSignature("notALog(uint256)", 1));
    }
}

contract ConsoleUser {
    uint256 public x;

    function work(uint256 v) external returns (uint256) {
        x = v;
        Log.log("x is now", v);
        Log.logHardhat("hex %x, dec %d, %% and %s", v);
        Log.log("from %s ok=%s", msg.sender, true);
        Log.logInt(-5);
        Log.logBytes32(bytes32(uint256(0xabcdef)));
        Log.log(bytes32(uint256(0xabcdef)));
        Log.log("neg %x, %e", int256(-100));
        Log.log("%18e ETH", v * 1e17);
        bytes memory raw = new bytes(2);
        raw[0] = 0xff;
        raw[1] = 0x41;
        Log.log(string(raw));
        Log.unknown();
        return v + 1;
    }

    function fails(uint256 v) external {
        x = v;
        Log.log("about to fail", v);
        revert("no");
    }
}
