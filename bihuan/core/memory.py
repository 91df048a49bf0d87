"""Keep a threaded server process's memory close to what it uses.

Under ASGI every request runs its sync view in a thread, and glibc gives threads malloc
arenas of their own (up to eight per core); freed memory then stays scattered over many
arenas and the worker's resident size grows well past its working set. Two arenas are
enough for a process that holds the GIL: measured on the 10k bench data, 3 uvicorn
workers, peak RSS per worker 174 -> 156 MB at the same throughput (docs/performance.md).
The same as ``MALLOC_ARENA_MAX=2`` in the environment, but applied by the app itself.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import os

logger = logging.getLogger(__name__)
_M_ARENA_MAX = -8  # glibc's mallopt parameter number, from <malloc.h>


def limit_malloc_arenas(arenas: int = 2) -> bool:
    """Cap glibc's malloc arenas for this process (unless MALLOC_ARENA_MAX is set already)."""
    if os.environ.get("MALLOC_ARENA_MAX"):
        return False
    name = ctypes.util.find_library("c")
    if not name:
        return False
    try:
        libc = ctypes.CDLL(name)
        return bool(libc.mallopt(_M_ARENA_MAX, arenas))
    except (OSError, AttributeError):  # not glibc (musl, macOS): nothing to tune
        logger.debug("mallopt is not available; malloc arenas left as they are")
        return False
