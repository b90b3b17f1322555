// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// Execution-context getters, one host function each (import in brackets).
contract Context {
    address public immutable deployer; // [caller] at deploy time, read back via [get_immutable_data]
    uint256 public deployValue; // [value_transferred] in the constructor
    uint256 public deployCodeSize; // CODESIZE in deploy code (resolc: the call-data size)

    constructor() payable {
        deployer = msg.sender;
        deployValue = msg.value;
        uint256 size;
        assembly {
            size := codesize()
        }
        deployCodeSize = size;
    }

    function self() external view returns (address) {
        return address(this); // [address]
    }

    function sender() external view returns (address) {
        return msg.sender; // [caller]
    }

    function origin() external view returns (address) {
        return tx.origin; // [origin]
    }

    function value() external payable returns (uint256) {
        return msg.value; // [value_transferred]
    }

    function selfBalance() external view returns (uint256) {
        return address(this).balance; // [balance]
    }

    function balanceOf(address account) external view returns (uint256) {
        return account.balance; // [balance_of]
    }

    function blockNumber() external view returns (uint256) {
        return block.number; // [block_number]
    }

    function timestamp() external view returns (uint256) {
        return block.timestamp; // [now]
    }

    function chainId() external view returns (uint256) {
        return block.chainid; // [chain_id]
    }

    function baseFee() external view returns (uint256) {
        return block.basefee; // [base_fee]
    }

    function gasPrice() external view returns (uint256) {
        return tx.gasprice; // [gas_price]
    }

    function gasLimit() external view returns (uint256) {
        return block.gaslimit; // [gas_limit]
    }

    function coinbase() external view returns (address) {
        return block.coinbase; // [block_author]
    }

    function prevrandao() external view returns (uint256) {
        return block.prevrandao; // resolc: constant 2500000000000000, no host call
    }

    function blockHash(uint256 number) external view returns (bytes32) {
        return blockhash(number); // [block_hash]
    }

    function gasLeft() external view returns (uint256) {
        return gasleft(); // [ref_time_left]
    }

    function hasGasLeft() external view returns (bool) {
        return gasleft() > 0; // [ref_time_left]
    }

    function codeSize(address account) external view returns (uint256) {
        return account.code.length; // [code_size]
    }

    function ownCodeSize() external view returns (uint256 size) {
        assembly {
            size := codesize() // runtime CODESIZE: [address] + [code_size]
        }
    }

    function codeHash(address account) external view returns (bytes32) {
        return account.codehash; // [code_hash]
    }

    function keccak(bytes calldata data) external pure returns (bytes32) {
        return keccak256(data); // [hash_keccak_256]
    }

    function callDataSize() external pure returns (uint256) {
        return msg.data.length; // [call_data_size]
    }

    /// Everything at once, for a single differential comparison.
    function snapshot()
        external
        payable
        returns (
            address self_,
            address sender_,
            address origin_,
            uint256 value_,
            uint256 balance_,
            uint256 number_,
            uint256 timestamp_,
            uint256 chainId_,
            address coinbase_
        )
    {
        return (
            address(this),
            msg.sender,
            tx.origin,
            msg.value,
            address(this).balance,
            block.number,
            block.timestamp,
            block.chainid,
            block.coinbase
        );
    }
}
