"""Give memory that Python has freed back to the operating system.

A refresh runs every stage in one process. pandas' buffers (glibc malloc) and Arrow's (pyarrow's
own pool) stay mapped after the frames that used them are gone, and DuckDB allocates through its
own allocator, so without this the memory a stage freed still counts when the next one (or
DuckDB inside the same stage) allocates. Measured at London scale: the identity stage's peak fell
when its frames were released before scoring, and the one-process refresh no longer carries
identity's frames into the network stage.

DuckDB's side of the same problem is a setting: its connections run with
`allocator_background_threads` on (`ENGINE_CONFIG`), so its allocator returns freed memory to the
system instead of keeping it for the next query (after identity reads every record at London
scale, about a gigabyte).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import logging

logger = logging.getLogger(__name__)

#: DuckDB settings every Lantern connection takes: freed memory goes back to the system.
ENGINE_CONFIG: dict[str, bool] = {"allocator_background_threads": True}


def _libc() -> ctypes.CDLL | None:
    name = ctypes.util.find_library("c")
    try:
        return ctypes.CDLL(name) if name else None
    except OSError:  # pragma: no cover - no C library to load (not Linux)
        return None


_LIBC = _libc()


def release_memory() -> None:
    """Collect garbage, then return the free pages of glibc's heap and of Arrow's pool.

    Safe to call at any time: it frees nothing that is still referenced. Where `malloc_trim` does
    not exist (not glibc), only the collection and Arrow's release happen."""
    gc.collect()
    if _LIBC is not None and hasattr(_LIBC, "malloc_trim"):
        _LIBC.malloc_trim(0)
    try:
        import pyarrow as pa

        pa.default_memory_pool().release_unused()
    except Exception:  # pragma: no cover - pyarrow missing or a pool that cannot release
        logger.debug("arrow pool not released", exc_info=True)
