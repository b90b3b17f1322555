// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/* runner.json
{
    "differential": true,
    "actions": [
        {
            "Instantiate": {
                "code": {"Solidity": {"contract": "MemSize", "solc_optimizer": false}}
            }
        },
        {
            "Call": {
                "dest": {"Instantiated": 0},
                "data": "28531f060000000000000000000000000000000000000000000000000000000000000000"
            }
        },
        {
            "Call": {
                "dest": {"Instantiated": 0},
                "data": "28531f0600000000000000000000000000000000000000000000000000000000000001f4"
            }
        }
    ]
}
*/

/// `msize` is refused by solc's Yul optimizer: the spec compiles this with `solc_optimizer: false` (both builds),
/// and compares the memory size after allocating n bytes with the EVM's.
contract MemSize {
    function grow(uint256 n) external pure returns (uint256 size) {
        bytes memory b = new bytes(n);
        assembly {
            size := msize()
        }
        require(b.length == n);
    }
}
