"""The x86-64 JIT backend: a single-pass compiler (`compiler`), native memory and entry (`runtime`), and
`instance.JitInstance`, which has the interpreter Instance's API and state layout. Instructions the
compiler does not translate run in the interpreter on the same registers, gas and memory.
"""

from .runtime import JitUnavailable, check_supported, is_supported

__all__ = ["JitUnavailable", "check_supported", "is_supported"]
