// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// Libraries with public and external functions: their callers delegate-call them at the address they were linked
/// to, so the libraries must be deployed there first (and a library may call another one the same way).
library Scale {
    function twice(uint256 a) external pure returns (uint256) {
        return 2 * a;
    }
}

library Ledger {
    event Pushed(uint256 indexed index, uint256 value);
    error Full(uint256 length);

    function add(uint256 a, uint256 b) public pure returns (uint256) {
        return Scale.twice(a) + b;
    }

    /// Runs in the caller's storage (a delegate call): the array is the caller's.
    function append(uint256[] storage items, uint256 value) external {
        if (items.length >= 3) revert Full(items.length);
        items.push(value);
        emit Pushed(items.length - 1, value);
    }

    /// Inlined into its caller, which then calls Scale through Scale's address (not Ledger's: it names no public
    /// function of Ledger's).
    function addOne(uint256 a) internal pure returns (uint256) {
        return Scale.twice(a) + 1;
    }

    function self() external view returns (address) {
        return address(this);
    }
}

contract LibraryUser {
    using Ledger for uint256[];

    uint256[] public items;
    uint256 public immutable first;

    constructor(uint256 seed) {
        first = Ledger.add(seed, 0);
    }

    function add(uint256 a, uint256 b) external pure returns (uint256) {
        return Ledger.add(a, b);
    }

    function addOne(uint256 a) external pure returns (uint256) {
        return Ledger.addOne(a);
    }

    function append(uint256 value) external returns (uint256) {
        items.append(value);
        return items.length;
    }

    function count() external view returns (uint256) {
        return items.length;
    }

    /// Where the library's code says it runs: the caller's address, as a delegate call keeps it.
    function libraryThis() external view returns (address) {
        return Ledger.self();
    }
}

/// Uses Scale directly and nothing of Ledger: only Scale is linked.
contract ScaleUser {
    function twice(uint256 a) external pure returns (uint256) {
        return Scale.twice(a);
    }
}

/// Calls Scale only from Ledger's internal function, which is compiled into it: Scale is linked, Ledger is not.
contract InlineUser {
    function addOne(uint256 a) external pure returns (uint256) {
        return Ledger.addOne(a);
    }
}

/// Creates LibraryUsers: their libraries must be there before the first `new`.
contract LibraryFactory {
    function make(uint256 seed) external returns (address) {
        return address(new LibraryUser(seed));
    }
}
