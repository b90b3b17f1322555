// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// The Ethereum precompiles 0x01..0x09, reached through [call] (STATICCALL). Results are returned raw.
contract Precompiles {
    /// Generic STATICCALL to any address: (success, raw output).
    function callPrecompile(address precompile, bytes calldata input)
        external
        view
        returns (bool ok, bytes memory output)
    {
        (ok, output) = precompile.staticcall(input);
    }

    /// 0x01 via the Solidity builtin (address(0) for an invalid signature).
    function recover(bytes32 digest, uint8 v, bytes32 r, bytes32 s) external pure returns (address) {
        return ecrecover(digest, v, r, s);
    }

    /// 0x02 via the builtin.
    function sha256Of(bytes calldata data) external pure returns (bytes32) {
        return sha256(data);
    }

    /// 0x03 via the builtin.
    function ripemd160Of(bytes calldata data) external pure returns (bytes20) {
        return ripemd160(data);
    }

    /// 0x04 identity.
    function identity(bytes calldata data) external view returns (bytes memory) {
        return _call(address(4), data);
    }

    /// 0x05 modexp: base^exp % mod, big-endian byte strings; the output has mod.length bytes.
    function modexp(bytes calldata base, bytes calldata exp, bytes calldata mod) external view returns (bytes memory) {
        return _call(address(5), abi.encodePacked(base.length, exp.length, mod.length, base, exp, mod));
    }

    /// 0x06 alt_bn128 point addition.
    function ecAdd(uint256 x1, uint256 y1, uint256 x2, uint256 y2) external view returns (uint256 x, uint256 y) {
        return abi.decode(_call(address(6), abi.encode(x1, y1, x2, y2)), (uint256, uint256));
    }

    /// 0x07 alt_bn128 scalar multiplication.
    function ecMul(uint256 x1, uint256 y1, uint256 s) external view returns (uint256 x, uint256 y) {
        return abi.decode(_call(address(7), abi.encode(x1, y1, s)), (uint256, uint256));
    }

    /// 0x08 alt_bn128 pairing check over `input` (a multiple of 192 bytes): true iff the product is 1.
    function ecPairing(bytes calldata input) external view returns (bool) {
        return abi.decode(_call(address(8), input), (uint256)) == 1;
    }

    /// 0x09 blake2f compression (EIP-152); returns the 64-byte state h.
    function blake2f(uint32 rounds, bytes32[2] calldata h, bytes32[4] calldata m, bytes8[2] calldata t, bool f)
        external
        view
        returns (bytes32[2] memory out)
    {
        bytes memory input = abi.encodePacked(rounds, h[0], h[1], m[0], m[1], m[2], m[3], t[0], t[1], f);
        bytes memory r = _call(address(9), input);
        require(r.length == 64, "Precompiles: blake2f output");
        assembly {
            mstore(out, mload(add(r, 32)))
            mstore(add(out, 32), mload(add(r, 64)))
        }
    }

    function _call(address precompile, bytes memory input) internal view returns (bytes memory output) {
        bool ok;
        (ok, output) = precompile.staticcall(input);
        require(ok, "Precompiles: call failed");
    }
}
