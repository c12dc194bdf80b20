"""Giving the memory a big request freed back to the OS while it is still being served.

glibc's malloc keeps freed blocks resident for reuse. A big batch's body is freed chunk by
chunk as its items are served, but its holes stay in RSS while the answer grows elsewhere (its
pieces are bigger than the holes, or mmapped), so without help one request's peak is its whole
body plus its whole answer. ``malloc_trim(0)`` hands every arena's whole free pages back
(``madvise``); it takes well under a millisecond once the heap is tidy, ~20 ms the first time
on a fragmented one. Where the C library has no ``malloc_trim`` (musl, macOS) it does nothing.
"""
from __future__ import annotations

import ctypes

#: bytes of a request freed between two trims while it is served
TRIM_EVERY = 256 * 1024
#: an answer this big is trimmed away once sent (RSS goes back down after a big request)
RELEASE_AFTER = 1 << 20


def _malloc_trim():
    try:
        trim = ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):  # no such symbol in this C library
        return None
    trim.argtypes = (ctypes.c_size_t,)
    trim.restype = ctypes.c_int
    return trim


_trim = _malloc_trim()


def release_free_memory() -> None:
    """Return the heap's free pages to the OS (glibc; a no-op elsewhere)."""
    if _trim is not None:
        _trim(0)
