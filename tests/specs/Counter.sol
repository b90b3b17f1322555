// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/* runner.json
{
    "differential": true,
    "actions": [
        {
            "Instantiate": {
                "data": "0000000000000000000000000000000000000000000000000000000000000029"
            }
        },
        {
            "Call": {
                "dest": {
                    "Instantiated": 0
                },
                "data": "d09de08a"
            }
        },
        {
            "VerifyCall": {
                "success": true,
                "output": "000000000000000000000000000000000000000000000000000000000000002a"
            }
        },
        {
            "VerifyStorage": {
                "contract": {
                    "Instantiated": 0
                },
                "key": "0000000000000000000000000000000000000000000000000000000000000000",
                "expected": "000000000000000000000000000000000000000000000000000000000000002a"
            }
        },
        {
            "Call": {
                "origin": "Bob",
                "dest": {
                    "Instantiated": 0
                },
                "data": "d826f88f"
            }
        },
        {
            "VerifyCall": {
                "success": false,
                "output": "08c379a000000000000000000000000000000000000000000000000000000000000000200000000000000000000000000000000000000000000000000000000000000012436f756e7465723a206e6f74206f776e65720000000000000000000000000000"
            }
        }
    ]
}
*/

/* runner.json
{
    "actions": [
        {
            "Instantiate": {
                "code": {
                    "Solidity": {
                        "contract": "Counter"
                    }
                },
                "value": 500,
                "data": "0000000000000000000000000000000000000000000000000000000000000000"
            }
        },
        {
            "VerifyBalance": {
                "origin": {
                    "Instantiated": 0
                },
                "expected": 500
            }
        },
        {
            "VerifyStorage": {
                "contract": {
                    "Instantiated": 0
                },
                "key": "0000000000000000000000000000000000000000000000000000000000000001",
                "expected": "0000000000000000000000000101010101010101010101010101010101010101"
            }
        },
        {
            "Call": {
                "dest": {
                    "Instantiated": 0
                },
                "data": "d826f88f"
            }
        },
        {
            "VerifyBalance": {
                "origin": {
                    "Instantiated": 0
                },
                "expected": 0
            }
        }
    ]
}
*/

/// A counter with an owner; `reset` pays the contract's balance back to the owner.
contract Counter {
    uint256 public count; // slot 0
    address public owner; // slot 1

    constructor(uint256 start) payable {
        count = start;
        owner = msg.sender;
    }

    function increment() external returns (uint256) {
        return ++count;
    }

    function reset() external {
        require(msg.sender == owner, "Counter: not owner");
        count = 0;
        payable(owner).transfer(address(this).balance);
    }
}
