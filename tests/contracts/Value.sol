// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// Native value: payable constructor, receive/fallback, forwarding, balances.
contract Value {
    uint256 public receivedCount;
    uint256 public fallbackCount;
    uint256 public totalReceived;
    uint256 public initialValue;

    event Received(address indexed from, uint256 amount);
    event Fallback(address indexed from, uint256 amount, bytes data);

    constructor() payable {
        initialValue = msg.value;
    }

    receive() external payable {
        receivedCount += 1;
        totalReceived += msg.value;
        emit Received(msg.sender, msg.value);
    }

    fallback() external payable {
        fallbackCount += 1;
        totalReceived += msg.value;
        emit Fallback(msg.sender, msg.value, msg.data);
    }

    /// Returns (msg.value, balance after receiving it).
    function deposit() external payable returns (uint256 value, uint256 balance) {
        return (msg.value, address(this).balance);
    }

    function selfBalance() external view returns (uint256) {
        return address(this).balance;
    }

    function balanceOf(address account) external view returns (uint256) {
        return account.balance;
    }

    /// Not payable: any call with value reverts (empty revert data).
    function notPayable() external pure returns (uint256) {
        return 1;
    }

    /// Forwards msg.value to `to` with a plain CALL (no data); returns success.
    function forward(address payable to) external payable returns (bool ok) {
        (ok,) = to.call{value: msg.value}("");
    }

    /// Pays `amount` from this contract's balance to `to` with a plain CALL; reverts if that fails.
    function pay(address payable to, uint256 amount) external returns (uint256 remaining) {
        (bool ok,) = to.call{value: amount}("");
        require(ok, "Value: payment failed");
        return address(this).balance;
    }

    /// Pays `amount` with `transfer` (2300-gas stipend path); reverts if the recipient rejects.
    function payWithTransfer(address payable to, uint256 amount) external {
        to.transfer(amount);
    }

    /// Pays `amount` with `send`; returns false if the recipient rejects.
    function payWithSend(address payable to, uint256 amount) external returns (bool) {
        return to.send(amount);
    }

    /// Calls `to` with value and calldata (e.g. to hit another Value's fallback).
    function payWithData(address to, uint256 amount, bytes calldata data) external returns (bool ok) {
        (ok,) = to.call{value: amount}(data);
    }
}

/// Rejects plain value transfers.
contract RejectEther {
    receive() external payable {
        revert("RejectEther: no thanks");
    }

    function balance() external view returns (uint256) {
        return address(this).balance;
    }
}

/// Has code but neither receive nor fallback: plain transfers revert.
contract NoReceive {
    function ping() external pure returns (uint256) {
        return 1;
    }
}
