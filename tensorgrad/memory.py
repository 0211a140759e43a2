"""Keep freed memory for reuse: tensorgrad's one allocator setting (glibc only).

Why: a training step makes many temporaries of the same large sizes again and
again (attention scores, the MLP's hidden layer, every gradient). glibc's
``malloc`` hands each block above its mmap threshold (128 KiB to start) to the
kernel when it is freed, and returns the top of its heap once more than its
trim threshold lies free there; so the next step's block of the same size is
page-faulted in afresh, one 4 KiB page at a time. That was about 40 % of a GPT
step (``benchmarks/`` and PERFORMANCE.md: ~2,700 page faults per step).
PyTorch's caching allocator avoids it by keeping its blocks; this is the
smallest way to get the same effect for NumPy's arrays.

What: when tensorgrad is imported, ``keep_freed_memory()`` calls glibc's
``mallopt`` twice (through ctypes), for the whole process:

* ``M_MMAP_THRESHOLD`` = 32 MiB (glibc's largest): blocks below it come from
  the heap, where freed blocks stay and are reused by the next ones;
* ``M_TRIM_THRESHOLD`` = 256 MiB: the heap's free top goes back to the kernel
  only once more than that lies free.

It changes where blocks live, never what is computed: every result is the
same to the bit. The price is that up to 256 MiB of freed memory may stay
with the process instead of going back to the system. Elsewhere (macOS,
Windows, musl) nothing is done. Set the environment variable
``TENSORGRAD_KEEP_FREED_MEMORY=0`` before importing tensorgrad to leave
glibc's defaults alone.
"""

import ctypes
import os
import platform

OPT_OUT = "TENSORGRAD_KEEP_FREED_MEMORY"  # "0": leave the allocator alone
M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3  # mallopt's parameter numbers, from glibc's malloc.h
MMAP_THRESHOLD = 32 * 2**20  # the largest value glibc accepts on 64-bit machines
TRIM_THRESHOLD = 256 * 2**20

_applied = False


def keep_freed_memory():
    """Ask glibc to keep freed blocks for reuse (see the module docstring); return whether it is in force.

    Does nothing, and returns False, if ``TENSORGRAD_KEEP_FREED_MEMORY=0`` is
    set or the C library is not glibc. Calling it again changes nothing.
    """
    global _applied
    if _applied:
        return True
    if os.environ.get(OPT_OUT, "1").strip() == "0" or platform.libc_ver()[0] != "glibc":
        return False
    libc = ctypes.CDLL(None)  # the C library this Python runs on
    # mallopt returns 1 on success: both settings or neither counts as applied
    _applied = libc.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD) == 1 and libc.mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD) == 1
    return _applied


def keeps_freed_memory():
    """True if ``keep_freed_memory()`` is in force in this process."""
    return _applied
