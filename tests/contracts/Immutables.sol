// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// Immutables: written once by the constructor ([set_immutable_data]), read at runtime ([get_immutable_data]).
contract Immutables {
    uint256 public immutable number;
    address public immutable owner;
    bytes32 public immutable tag;
    uint8 public immutable small;
    bool public immutable flag;

    constructor(uint256 number_, bytes32 tag_) {
        number = number_;
        owner = msg.sender;
        tag = tag_;
        small = uint8(number_);
        flag = number_ % 2 == 1;
    }

    function all() external view returns (uint256, address, bytes32, uint8, bool) {
        return (number, owner, tag, small, flag);
    }

    function plus(uint256 x) external view returns (uint256) {
        return number + x;
    }
}

/// Reads Immutables' `number` by STATICCALL and by DELEGATECALL (immutables belong to the code, so both see it).
contract ImmutableReader {
    function viaCall(Immutables target) external view returns (uint256) {
        return target.number();
    }

    function viaDelegateCall(address target) external returns (uint256) {
        (bool ok, bytes memory ret) = target.delegatecall(abi.encodeWithSignature("number()"));
        require(ok, "ImmutableReader: delegatecall failed");
        return abi.decode(ret, (uint256));
    }
}
