// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// Persistent storage ([get_storage]/[set_storage], flags 0) and transient storage (flags 1).
/// Layout: slot 0 a, 1 b, 2 c, 3 map, 4 nested, 5 packedLo|packedHi (16 bytes each), 6 list (length; items at
/// keccak256(6)+i).
contract Storage {
    uint256 public a;
    uint256 public b;
    bytes32 public c;
    mapping(uint256 => uint256) public map;
    mapping(address => mapping(uint256 => bytes32)) public nested;
    uint128 public packedLo;
    uint128 public packedHi;
    uint256[] public list;

    uint256 transient lock; // Solidity transient state variable (TSTORE/TLOAD slot 0)

    function setA(uint256 v) external {
        a = v;
    }

    function setB(uint256 v) external {
        b = v;
    }

    function setC(bytes32 v) external {
        c = v;
    }

    function setMany(uint256 a_, uint256 b_, bytes32 c_) external {
        a = a_;
        b = b_;
        c = c_;
    }

    function getMany() external view returns (uint256, uint256, bytes32) {
        return (a, b, c);
    }

    function setMap(uint256 key, uint256 v) external {
        map[key] = v;
    }

    function setNested(address owner, uint256 key, bytes32 v) external {
        nested[owner][key] = v;
    }

    function setPacked(uint128 lo, uint128 hi) external {
        packedLo = lo;
        packedHi = hi;
    }

    function push(uint256 v) external returns (uint256 length) {
        list.push(v);
        return list.length;
    }

    function pop() external returns (uint256 v) {
        v = list[list.length - 1];
        list.pop();
    }

    function listLength() external view returns (uint256) {
        return list.length;
    }

    /// Overwrite a, b, c and map[key] with zero.
    function clear(uint256 key) external {
        a = 0;
        b = 0;
        c = bytes32(0);
        delete map[key];
    }

    function rawStore(bytes32 slot, bytes32 v) external {
        assembly {
            sstore(slot, v)
        }
    }

    function rawLoad(bytes32 slot) external view returns (bytes32 v) {
        assembly {
            v := sload(slot)
        }
    }

    /// Increment a, return the new value (read-modify-write in one call).
    function increment() external returns (uint256) {
        return ++a;
    }

    /// Write a then revert: the write must be rolled back.
    function setAThenRevert(uint256 v) external {
        a = v;
        revert("Storage: rolled back");
    }

    /// Calls setAThenRevert on itself inside try/catch; returns a afterwards (unchanged).
    function trySetAThenRevert(uint256 v) external returns (uint256) {
        try this.setAThenRevert(v) {} catch {}
        return a;
    }

    // ---- transient storage -----------------------------------------------------------------------------------

    function tstore(bytes32 key, uint256 v) public {
        assembly {
            tstore(key, v)
        }
    }

    function tload(bytes32 key) public view returns (uint256 v) {
        assembly {
            v := tload(key)
        }
    }

    /// Store a transient value, then read it back through an external self-call (a new frame, same transaction).
    function tstoreThenSelfRead(bytes32 key, uint256 v) external returns (uint256 direct, uint256 viaCall) {
        tstore(key, v);
        direct = tload(key);
        viaCall = this.tload(key);
    }

    /// Store a transient value, then let `reader` call back into tload (reader -> this): must see the value.
    function tstoreThenReadVia(TransientReader reader, bytes32 key, uint256 v) external returns (uint256) {
        tstore(key, v);
        return reader.readFrom(this, key);
    }

    /// The callee stores a transient value and reverts: the transient write is rolled back (returns 0).
    function tstoreInRevertedCall(bytes32 key, uint256 v) external returns (uint256) {
        try this.tstoreThenRevert(key, v) {} catch {}
        return tload(key);
    }

    function tstoreThenRevert(bytes32 key, uint256 v) external {
        tstore(key, v);
        revert("Storage: transient rolled back");
    }

    /// A reentrancy lock on the `transient` state variable: enter twice in one transaction -> reverts.
    function guarded(bool reenter) external returns (uint256) {
        require(lock == 0, "Storage: reentrant");
        lock = 1;
        uint256 r = 1;
        if (reenter) r += this.guarded(false);
        lock = 0;
        return r;
    }

    function lockValue() external view returns (uint256) {
        return lock;
    }
}

/// Reads transient storage of another contract by calling back into it; its own transient space is separate.
contract TransientReader {
    function readFrom(Storage s, bytes32 key) external view returns (uint256) {
        return s.tload(key);
    }

    function ownTload(bytes32 key) external view returns (uint256 v) {
        assembly {
            v := tload(key)
        }
    }

    function ownTstore(bytes32 key, uint256 v) external {
        assembly {
            tstore(key, v)
        }
    }
}
