// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// [deposit_event] with 0..4 topics and various data sizes.
contract Events {
    event Anon0(uint256 value) anonymous; // LOG0: no topics, 32 bytes of data
    event One(uint256 value); // LOG1: topic0 = signature
    event Two(address indexed who, uint256 value); // LOG2
    event Three(address indexed who, uint256 indexed id, bytes data); // LOG3
    event Four(uint256 indexed a, uint256 indexed b, bytes32 indexed c, string text); // LOG4
    event Anon4(uint256 indexed a, uint256 indexed b, uint256 indexed c, uint256 indexed d) anonymous; // LOG4, no sig
    event Data(bytes data); // LOG1 with a dynamic payload
    event Counter(uint256 indexed i);

    function emitLog0(bytes calldata data) external {
        bytes memory copy = data;
        assembly {
            log0(add(copy, 32), mload(copy))
        }
    }

    function emitAnon0(uint256 value) external {
        emit Anon0(value);
    }

    function emitOne(uint256 value) external {
        emit One(value);
    }

    function emitTwo(uint256 value) external {
        emit Two(msg.sender, value);
    }

    function emitThree(uint256 id, bytes calldata data) external {
        emit Three(msg.sender, id, data);
    }

    function emitFour(uint256 a, uint256 b, bytes32 c, string calldata text) external {
        emit Four(a, b, c, text);
    }

    function emitAnon4(uint256 a, uint256 b, uint256 c, uint256 d) external {
        emit Anon4(a, b, c, d);
    }

    function emitData(bytes calldata data) external {
        emit Data(data);
    }

    /// Raw LOGn with n = topics.length (0..4), data as given (no ABI encoding).
    function emitRaw(bytes32[] calldata topics, bytes calldata data) external {
        require(topics.length <= 4, "Events: too many topics");
        bytes memory d = data;
        uint256 n = topics.length;
        bytes32 t0 = n > 0 ? topics[0] : bytes32(0);
        bytes32 t1 = n > 1 ? topics[1] : bytes32(0);
        bytes32 t2 = n > 2 ? topics[2] : bytes32(0);
        bytes32 t3 = n > 3 ? topics[3] : bytes32(0);
        assembly {
            let p := add(d, 32)
            let len := mload(d)
            switch n
            case 0 { log0(p, len) }
            case 1 { log1(p, len, t0) }
            case 2 { log2(p, len, t0, t1) }
            case 3 { log3(p, len, t0, t1, t2) }
            default { log4(p, len, t0, t1, t2, t3) }
        }
    }

    /// `count` events Counter(0..count-1), in order.
    function emitMany(uint256 count) external {
        for (uint256 i = 0; i < count; i++) {
            emit Counter(i);
        }
    }

    /// Emits, then reverts: the event must not survive.
    function emitThenRevert(uint256 value) external {
        emit One(value);
        revert("Events: reverted");
    }

    /// Emits One(1), then an inner call that emits One(2) and reverts (caught), then One(3): two events survive.
    function emitAroundRevert() external {
        emit One(1);
        try this.emitThenRevert(2) {} catch {}
        emit One(3);
    }
}
