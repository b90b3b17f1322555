// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// State variables of every kind the storage layout describes, for Contract._storage: packed value types, an enum,
/// a struct, short and long strings and bytes, fixed and dynamic arrays (packed and not), and mappings keyed by
/// value types, strings and structs' owners; user-defined value types; names a view's own attributes might have.
type Interval is uint64;
type Temp is int16;

contract Layout {
    enum Mood { Calm, Busy, Gone }
    struct Account { uint64 id; bool active; address owner; uint256[] history; string note; }

    bool public flag;                 // slot 0, offset 0
    address public owner;             // slot 0, offset 1
    int8 public small;                // slot 0, offset 21
    Mood public mood;                 // slot 0, offset 22
    bytes4 public tag;                // slot 0, offset 23
    uint256 public big;               // slot 1
    int256 public negative;           // slot 2
    string public shortText;
    string public longText;
    bytes public blob;
    uint16[5] public smalls;          // packed: 16 per slot
    uint256[2] public pair;
    address[] public people;
    uint32[] public counts;           // packed dynamic array
    Account public account;
    mapping(address => uint256) public balances;
    mapping(string => uint256) public byName;
    mapping(uint256 => mapping(address => bool)) public allowed;
    mapping(address => Account) public accounts;
    Account[] public ledger;
    struct Slotted { uint256 slot; uint256 _types; }
    string private _name;
    Slotted public slotted;
    Interval public interval;
    Temp public temp;
    mapping(Interval => uint256) public byInterval;

    function fill() external {
        flag = true;
        owner = msg.sender;
        small = -5;
        mood = Mood.Busy;
        tag = 0xdeadbeef;
        big = type(uint256).max - 1;
        negative = -123456789;
        shortText = "hello";
        longText = "a string well over thirty-one bytes, so stored apart";
        blob = hex"00010203";
        smalls = [uint16(1), 2, 3, 65535, 5];
        pair = [uint256(7), 8];
        people.push(msg.sender);
        people.push(address(this));
        counts.push(10);
        counts.push(20);
        counts.push(30);
        account.id = 42;
        account.active = true;
        account.owner = address(this);
        account.history.push(100);
        account.history.push(200);
        account.note = "noted";
        balances[msg.sender] = 1000;
        byName["alice"] = 7;
        allowed[3][msg.sender] = true;
        Account storage a = accounts[msg.sender];
        a.id = 9;
        a.note = "mapped";
        a.history.push(1);
        ledger.push();
        ledger[0].id = 77;
        ledger[0].note = "first";
        _name = "Token";
        slotted = Slotted(42, 7);
        interval = Interval.wrap(type(uint64).max);
        temp = Temp.wrap(-40);
        byInterval[Interval.wrap(5)] = 55;
    }
}
