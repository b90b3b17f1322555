"""The x86-64 JIT backend: a single-pass compiler (`compiler`), executable memory and the context (`runtime`), a
4 GiB address-space reservation per instance holding guest memory at its guest addresses (`space`), the SIGSEGV
handler that turns guest faults into exits (`signals`), and `instance.JitInstance`, which has the interpreter
Instance's API and state layout. Instructions the compiler does not translate run in the interpreter on the same
registers, gas and memory.
"""

from . import cache  # noqa: F401  (first: it notes the sources as imported, see cache.unchanged)
from .runtime import JitUnavailable, check_supported, is_supported

__all__ = ["JitUnavailable", "check_supported", "is_supported"]
