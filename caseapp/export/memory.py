"""Keep a dossier build's large, short-lived buffers from staying in the process for good.

Decoding a photo, slicing a long screenshot or reading an original allocates buffers of
several megabytes that live for a moment. glibc's allocator raises its mmap threshold as
such buffers are freed, so later ones come from the heap, whose freed pages are rarely
given back: a 200-item build then keeps a few hundred megabytes it no longer uses, on top
of WeasyPrint's layout. A fixed 1 MiB threshold serves every large buffer from its own
mapping, returned to the system when freed. Elsewhere than glibc this does nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import threading

_M_MMAP_THRESHOLD = -3  # mallopt parameter number in glibc's malloc.h
_THRESHOLD = 1024 * 1024
_lock = threading.Lock()
_done = False


def release_large_buffers() -> None:
    """Serve allocations of 1 MiB and more from their own mappings (once per process)."""
    global _done
    with _lock:
        if _done:
            return
        _done = True
        name = ctypes.util.find_library("c")
        if not name:
            return
        try:
            libc = ctypes.CDLL(name)
            mallopt = libc.mallopt
        except (OSError, AttributeError):
            return  # not glibc (musl, macOS): nothing to tune
        mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
        mallopt(_M_MMAP_THRESHOLD, _THRESHOLD)
