"""json.loads for files users hand to the CLI (vectors, runner specs): too deep nesting is refused up front.

CPython's json decoder recurses in C once per nesting level. With the recursion limit raised (py_ecc raises it to
100,000 when imported, and tests or user code may too), a file of 100,000 `[` overflows the C stack and kills the
process instead of raising RecursionError; so the depth is measured first, in one linear scan.
"""

from __future__ import annotations

import json
import re
from typing import Any

MAX_DEPTH = 200
_SPECIAL = re.compile(r'[\[\]{}"\\]')  # the characters the scan has to look at


def nesting_depth(text: str, stop: int = MAX_DEPTH) -> int:
    """The deepest nesting of arrays and objects in `text` (brackets inside strings do not count), or the first depth
    past `stop`. One pass over the brackets, quotes and backslashes: linear even for a string that never ends."""
    depth = deepest = 0
    in_string = False
    escaped = -1  # the position a backslash escapes
    for match in _SPECIAL.finditer(text):
        at = match.start()
        if at == escaped:
            continue
        c = text[at]
        if in_string:
            if c == "\\":
                escaped = at + 1
            elif c == '"':
                in_string = False
        elif c == '"':
            in_string = True
        elif c == "[" or c == "{":
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > stop:
                    break
        elif c == "]" or c == "}":
            depth -= 1
    return deepest


def loads(text: str) -> Any:
    """json.loads, but ValueError for nesting deeper than MAX_DEPTH and for integers past Python's digit limit
    (json.JSONDecodeError, also a ValueError, for malformed text)."""
    if nesting_depth(text) > MAX_DEPTH:
        raise ValueError(f"JSON nested more than {MAX_DEPTH} levels deep")
    try:
        return json.loads(text)
    except RecursionError:  # (MAX_DEPTH levels on top of an already deep Python stack)
        raise ValueError("JSON nested too deeply for the Python stack") from None
