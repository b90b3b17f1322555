// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// The smallest stateful contract: one bool in storage slot 0.
contract Flipper {
    bool private value;

    function flip() external {
        value = !value;
    }

    function get() external view returns (bool) {
        return value;
    }
}
