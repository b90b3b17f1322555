// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// Created by Factory. The constructor reverts with "Child: unlucky" for v == 13.
contract Child {
    uint256 public value;
    address public creator;
    uint256 public endowment;

    constructor(uint256 v) payable {
        require(v != 13, "Child: unlucky");
        value = v;
        creator = msg.sender;
        endowment = msg.value;
    }

    function get() external view returns (uint256) {
        return value;
    }

    function setValue(uint256 v) external {
        value = v;
    }
}

/// [instantiate] via `new` (CREATE) and `new{salt}` (CREATE2). resolc derives CREATE2 addresses from the PVM blob,
/// so addresses are returned, never predicted in Solidity.
contract Factory {
    event Created(address indexed child, uint256 value, bytes32 salt);

    address[] public children;

    /// CREATE, forwarding msg.value to the child. Reverts (bubbling "Child: unlucky") if the constructor reverts.
    function create(uint256 v) external payable returns (address child) {
        child = address(new Child{value: msg.value}(v));
        children.push(child);
        emit Created(child, v, bytes32(0));
    }

    /// CREATE2 with `salt`, forwarding msg.value.
    function create2(uint256 v, bytes32 salt) external payable returns (address child) {
        child = address(new Child{value: msg.value, salt: salt}(v));
        children.push(child);
        emit Created(child, v, salt);
    }

    /// CREATE inside try/catch: (false, address(0), reason) when the constructor reverts.
    function tryCreate(uint256 v) external returns (bool ok, address child, string memory reason) {
        try new Child(v) returns (Child c) {
            children.push(address(c));
            return (true, address(c), "");
        } catch Error(string memory r) {
            return (false, address(0), r);
        }
    }

    /// CREATE2 twice with the same salt and arguments: the second one fails (address collision).
    function create2Twice(uint256 v, bytes32 salt) external returns (address first, bool secondOk) {
        first = address(new Child{salt: salt}(v));
        children.push(first);
        try new Child{salt: salt}(v) returns (Child) {
            secondOk = true;
        } catch {
            secondOk = false;
        }
    }

    /// CREATE a child then call it in the same transaction.
    function createAndGet(uint256 v) external returns (address child, uint256 got) {
        Child c = new Child(v);
        children.push(address(c));
        return (address(c), c.get());
    }

    /// `n` CREATEs in a row (consecutive nonces); returns their addresses.
    function createMany(uint256 n) external returns (address[] memory out) {
        out = new address[](n);
        for (uint256 i = 0; i < n; i++) {
            out[i] = address(new Child(i));
            children.push(out[i]);
        }
    }

    function childValue(Child c) external view returns (uint256) {
        return c.value();
    }

    function childCreator(Child c) external view returns (address) {
        return c.creator();
    }

    function childCount() external view returns (uint256) {
        return children.length;
    }

    receive() external payable {}
}
