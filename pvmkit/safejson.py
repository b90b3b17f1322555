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
_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]', re.DOTALL)


def nesting_depth(text: str) -> int:
    """The deepest nesting of arrays and objects in `text` (brackets inside strings do not count)."""
    depth = deepest = 0
    for match in _TOKENS.finditer(text):
        token = match.group()
        if token in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif token in "]}":
            depth -= 1
    return deepest


def loads(text: str) -> Any:
    """json.loads, but ValueError for nesting deeper than MAX_DEPTH and for integers past Python's digit limit
    (json.JSONDecodeError, also a ValueError, for malformed text)."""
    depth = nesting_depth(text)
    if depth > MAX_DEPTH:
        raise ValueError(f"JSON nested {depth} levels deep (at most {MAX_DEPTH})")
    try:
        return json.loads(text)
    except RecursionError:  # (MAX_DEPTH levels on top of an already deep Python stack)
        raise ValueError("JSON nested too deeply for the Python stack") from None
