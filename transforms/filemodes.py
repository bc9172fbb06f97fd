"""File modes as the governance table says, set by the process's umask when a file is created
(never by a chmod afterwards, which leaves a window in which the file is readable).

| what | umask | files | folders |
|---|---|---|---|
| the warehouse, its WAL and spill files, the work folder (scoring databases, staging) | PRIVATE | 0600 | 0700 |
| the analyst copy and its Parquet, `build/restricted/`, exports, reviews | RESTRICTED | 0640 | 0750 |
| the partners' edition (`build/profile/`) | PUBLIC | 0644 | 0755 |
| the access-log spool (`build/access/`): analysts add files, nobody lists them | SPOOL | 0640 | 0730 |

A Lantern process starts under PRIVATE (`set_process_umask`), and loosens it only around the
writing of what may be shared (`umask(RESTRICTED)`, `umask(PUBLIC)`).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

PRIVATE = 0o077
RESTRICTED = 0o027
PUBLIC = 0o022

_lock = threading.RLock()


def set_process_umask() -> None:
    """Start the process private: whatever it creates without saying otherwise is 0600/0700."""
    os.umask(PRIVATE)


@contextmanager
def umask(mask: int) -> Iterator[None]:
    """Create files under `mask` inside the block; the process's umask is restored after."""
    with _lock:
        old = os.umask(mask)
        try:
            yield
        finally:
            os.umask(old)


def make_dir(path: Path, mask: int, mode: int = 0o777) -> Path:
    """`path` (and missing parents) created under `mask`; an existing folder is left as it is."""
    with umask(mask):
        path.mkdir(parents=True, exist_ok=True, mode=mode)
    return path


def prepare_layout(warehouse: Path, build: Path) -> None:
    """The folders of a deployment with their modes, created when missing: the warehouse's folder
    and work folder private, `build/` and the partners' edition world-readable, the analyst copy
    and restricted pages for the analysts' group, the access-log spool writable by that group
    but not listable (0730)."""
    make_dir(warehouse.parent, PRIVATE)
    make_dir(work_dir(warehouse), PRIVATE)
    make_dir(build, PUBLIC)
    make_dir(build / "profile", PUBLIC)
    for sub in ("analyst", "restricted", "exports", "review"):
        make_dir(build / sub, RESTRICTED)
    make_dir(build / "access", 0o007, mode=0o730)


def work_dir(warehouse: Path) -> Path:
    """The pipeline's private work folder beside the warehouse (temporary scoring databases,
    re-encoded extracts): emptied at the start of every run and by erase and purge."""
    return warehouse.with_name(warehouse.name + ".work")
