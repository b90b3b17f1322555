// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Callee} from "./Callee.sol";

/// Declares Callee.writeStorage as `view`, so Solidity calls it with STATICCALL.
interface IViewWriter {
    function writeStorage(uint256 v) external view;
}

/// [call], [delegate_call], [return_data_size]/[return_data_copy] and their failure paths.
/// Slots 0..2 mirror Callee (for delegatecall), slot 3 counts reentries.
contract Caller {
    uint256 public x; // slot 0
    address public lastSender; // slot 1
    uint256 public lastValue; // slot 2
    uint256 public reentered; // slot 3

    // ---- plain calls ---------------------------------------------------------------------------------------------

    /// Forwards msg.value to callee.setX(v); returns the old x.
    function callSetX(Callee callee, uint256 v) external payable returns (uint256 old) {
        return callee.setX{value: msg.value}(v);
    }

    function callEcho(Callee callee, bytes calldata data) external payable returns (bytes memory) {
        return callee.echo{value: msg.value}(data);
    }

    function callAdd(Callee callee, uint256 a, uint256 b) external view returns (uint256) {
        return callee.add(a, b); // STATICCALL (add is pure)
    }

    function staticGetX(Callee callee) external view returns (uint256) {
        return callee.getX(); // STATICCALL
    }

    /// Low-level CALL with value; never reverts itself.
    function rawCall(address target, uint256 value, bytes calldata data)
        external
        payable
        returns (bool ok, bytes memory ret)
    {
        (ok, ret) = target.call{value: value}(data);
    }

    function rawStaticCall(address target, bytes calldata data) external view returns (bool ok, bytes memory ret) {
        (ok, ret) = target.staticcall(data);
    }

    function rawDelegateCall(address target, bytes calldata data) external payable returns (bool ok, bytes memory ret) {
        (ok, ret) = target.delegatecall(data);
    }

    // ---- delegatecall ----------------------------------------------------------------------------------------------

    /// Runs Callee.setX in this contract's context: x/lastSender/lastValue of *this* contract change
    /// (lastSender = our msg.sender, lastValue = our msg.value); the callee's storage is untouched.
    function delegateSetX(address callee, uint256 v) external payable returns (uint256 old) {
        (bool ok, bytes memory ret) = callee.delegatecall(abi.encodeCall(Callee.setX, (v)));
        require(ok, "Caller: delegatecall failed");
        return abi.decode(ret, (uint256));
    }

    // ---- reverts and try/catch ---------------------------------------------------------------------------------

    function tryRevertString(Callee callee, string calldata reason) external returns (bool ok, string memory caught) {
        try callee.revertWithString(reason) {
            return (true, "");
        } catch Error(string memory r) {
            return (false, r);
        }
    }

    function tryDivide(Callee callee, uint256 a, uint256 b) external returns (uint256 result, uint256 panicCode) {
        try callee.divide(a, b) returns (uint256 r) {
            return (r, 0);
        } catch Panic(uint256 code) {
            return (0, code);
        }
    }

    function tryAssert(Callee callee, uint256 a) external returns (uint256 panicCode) {
        try callee.assertPositive(a) {
            return 0;
        } catch Panic(uint256 code) {
            return code;
        }
    }

    /// Returns the raw revert data of CalleeError(code, address(this)).
    function tryCustom(Callee callee, uint256 code) external returns (bytes memory data) {
        try callee.revertWithCustom(code) {
            return "";
        } catch (bytes memory d) {
            return d;
        }
    }

    function tryRevertEmpty(Callee callee) external returns (bool ok, uint256 dataLength) {
        try callee.revertEmpty() {
            return (true, 0);
        } catch (bytes memory d) {
            return (false, d.length);
        }
    }

    /// No try/catch: the callee's revert data bubbles up unchanged.
    function bubbleString(Callee callee, string calldata reason) external {
        callee.revertWithString(reason);
    }

    function bubbleCustom(Callee callee, uint256 code) external {
        callee.revertWithCustom(code);
    }

    function bubbleDivide(Callee callee, uint256 a, uint256 b) external returns (uint256) {
        return callee.divide(a, b);
    }

    // ---- reentrancy ----------------------------------------------------------------------------------------------

    /// this -> callee.callBack(v) -> this.reenter(v): returns 2*v + 1, reentered += 1.
    function startReentry(Callee callee, uint256 v) external returns (uint256) {
        return callee.callBack(v);
    }

    function reenter(uint256 v) external returns (uint256) {
        reentered += 1;
        return 2 * v;
    }

    // ---- static-call violation -----------------------------------------------------------------------------------

    /// STATICCALL into a function that writes storage: the callee fails, we catch it (returns false).
    function tryStaticWrite(address callee, uint256 v) external returns (bool ok) {
        try IViewWriter(callee).writeStorage(v) {
            return true;
        } catch {
            return false;
        }
    }

    /// Same without try/catch: this call reverts too.
    function staticWrite(address callee, uint256 v) external view {
        IViewWriter(callee).writeStorage(v);
    }

    // ---- return data via assembly --------------------------------------------------------------------------------

    /// Calls callee.returnBytes(size); returns RETURNDATASIZE and a RETURNDATACOPY of the whole buffer.
    function returnData(address callee, uint256 size) external returns (uint256 rdsize, bytes memory copy) {
        bytes memory input = abi.encodeCall(Callee.returnBytes, (size));
        assembly {
            let ok := call(gas(), callee, 0, add(input, 32), mload(input), 0, 0)
            if iszero(ok) { revert(0, 0) }
            rdsize := returndatasize()
            copy := mload(0x40)
            mstore(copy, rdsize)
            returndatacopy(add(copy, 32), 0, rdsize)
            mstore(0x40, add(add(copy, 32), and(add(rdsize, 31), not(31))))
        }
    }

    /// RETURNDATACOPY(offset, len) after calling callee.returnBytes(size): reverts (EVM) / traps (PVM) when
    /// offset + len > RETURNDATASIZE.
    function returnDataSlice(address callee, uint256 size, uint256 offset, uint256 len)
        external
        returns (bytes memory out)
    {
        bytes memory input = abi.encodeCall(Callee.returnBytes, (size));
        assembly {
            let ok := call(gas(), callee, 0, add(input, 32), mload(input), 0, 0)
            if iszero(ok) { revert(0, 0) }
            out := mload(0x40)
            mstore(out, len)
            returndatacopy(add(out, 32), offset, len)
            mstore(0x40, add(add(out, 32), and(add(len, 31), not(31))))
        }
    }

    /// RETURNDATASIZE before any call (0) and after a call that returned nothing (0).
    function returnDataSizeFresh() external returns (uint256 before, uint256 afterEmpty) {
        assembly {
            before := returndatasize()
            let ok := call(gas(), address(), 0, 0, 0, 0, 0) // hits receive(): empty output
            afterEmpty := returndatasize()
        }
    }

    // ---- value transfers -----------------------------------------------------------------------------------------

    /// CALL with value and no data to any address (an account without code: a plain transfer).
    function sendValue(address payable to, uint256 amount) external payable returns (bool ok) {
        (ok,) = to.call{value: amount}("");
    }

    /// `transfer` (2300 gas stipend; resolc's send/transfer heuristic path). Reverts on failure.
    function transferTo(address payable to, uint256 amount) external payable {
        to.transfer(amount);
    }

    /// `send`: like transfer but returns false instead of reverting.
    function sendTo(address payable to, uint256 amount) external payable returns (bool) {
        return to.send(amount);
    }

    // ---- precompile by address -----------------------------------------------------------------------------------

    /// CALL (not STATICCALL) to the identity precompile 0x04.
    function callIdentity(bytes calldata data) external returns (bytes memory) {
        (bool ok, bytes memory ret) = address(4).call(data);
        require(ok, "Caller: identity failed");
        return ret;
    }

    /// CALL to the sha256 precompile 0x02.
    function callSha256(bytes calldata data) external returns (bytes32) {
        (bool ok, bytes memory ret) = address(2).call(data);
        require(ok && ret.length == 32, "Caller: sha256 failed");
        return abi.decode(ret, (bytes32));
    }

    function balance() external view returns (uint256) {
        return address(this).balance;
    }

    receive() external payable {}
}
