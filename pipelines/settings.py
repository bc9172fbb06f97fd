"""Where Lantern's configuration enters: environment variables with safe defaults for the sample.

| variable | default | meaning |
|---|---|---|
| `LANTERN_WAREHOUSE` | `data/warehouse.duckdb` | the DuckDB warehouse (pipeline's; write access) |
| `LANTERN_INBOX` | `data/sample` | the borough inbox: month folders + `reference/` |
| `LANTERN_PROFILES` | `<inbox>/profiles` | the borough's source profiles (YAML); canonical if absent |
| `LANTERN_BUILD` | `build` | where pages, exports and the analyst copy are written |
| `LANTERN_PSEUDONYM_KEY` | a fixed sample-only key | the key of the keyed hash behind `person_key` |
| `LANTERN_FIRST_MONTH` | `2024-11` | the first monthly partition |
| `LANTERN_SMALL_COUNT` | `5` | counts from 1 to this are suppressed in published outputs |
| `LANTERN_MEMORY_LIMIT` | `4GB` | DuckDB's memory limit per process (it spills to disk beyond it) |
| `LANTERN_LINK_MEMORY_LIMIT` | `4GB` | the same for identity scoring's own database |
| `LANTERN_NETWORK_WORKERS` | one per core, at most 4 | processes finding the months' peer groups |
| `LANTERN_THEME_WORKERS` | one per core, at most 4 | processes fitting the emerging-theme periods |

Every value is checked here, once; transforms receive them as arguments and never read the
environment.
"""

from __future__ import annotations

import logging
import os
import re
from dataclasses import dataclass
from pathlib import Path

from transforms.filemodes import work_dir

logger = logging.getLogger(__name__)

SAMPLE_KEY = "lantern-sample-key-not-secret"


@dataclass(frozen=True)
class Settings:
    """Resolved configuration for one process."""

    warehouse: Path
    inbox: Path
    profiles: Path
    build: Path
    pseudonym_key: str
    first_month: str
    small_count: int
    memory_limit: str = "4GB"
    link_memory_limit: str = "4GB"
    network_workers: int = 1
    theme_workers: int = 1

    @property
    def analyst_copy(self) -> Path:
        """The read-only analyst copy of `core` and `marts`."""
        return self.build / "analyst" / "lantern.duckdb"

    @property
    def work(self) -> Path:
        """The pipeline's private work folder beside the warehouse (scoring databases, staging)."""
        return work_dir(self.warehouse)

    @property
    def access_spool(self) -> Path:
        """Where readers append their access-log entries (collected by the next refresh)."""
        return self.build / "access"

    @property
    def exports(self) -> Path:
        """Where `lantern sql --out` writes (restricted; an erasure withdraws what is there)."""
        return self.build / "exports"


def _size(variable: str, value: str) -> str:
    """A DuckDB memory size (e.g. 4GB or 800MB), checked."""
    v = value.strip().upper().replace(" ", "")
    if not re.fullmatch(r"\d+(\.\d+)?(KB|MB|GB|TB|KIB|MIB|GIB|TIB)", v):
        raise ValueError(f"{variable}={value!r}: give a size such as 4GB or 800MB")
    return v


def _count(variable: str, value: str, default: int) -> int:
    """A positive whole number, checked; `default` when blank."""
    if not value.strip():
        return default
    if not re.fullmatch(r"\d+", value.strip()) or int(value) < 1:
        raise ValueError(f"{variable}={value!r}: give a whole number of at least 1")
    return int(value)


def _month(variable: str, value: str) -> str:
    if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", value):
        raise ValueError(f"{variable}={value!r}: give a month as YYYY-MM")
    return value


def memory_limit() -> str:
    """DuckDB's memory limit of the warehouse (`LANTERN_MEMORY_LIMIT`), checked."""
    return load_settings().memory_limit


def load_settings(**overrides: object) -> Settings:
    """Settings from the environment, with keyword overrides (e.g. from the command line)."""
    env = os.environ
    inbox = Path(str(overrides.get("inbox") or env.get("LANTERN_INBOX", "data/sample")))
    key = str(overrides.get("pseudonym_key") or env.get("LANTERN_PSEUDONYM_KEY", SAMPLE_KEY))
    if key == SAMPLE_KEY and inbox.resolve() != Path("data/sample").resolve():
        logger.warning(
            "LANTERN_PSEUDONYM_KEY is not set: using the sample key. Set a secret key "
            "before loading a real borough's extracts."
        )

    def get(name: str, variable: str, default: str) -> str:
        return str(overrides.get(name) or env.get(variable, default))

    return Settings(
        warehouse=Path(get("warehouse", "LANTERN_WAREHOUSE", "data/warehouse.duckdb")),
        inbox=inbox,
        profiles=Path(str(overrides.get("profiles") or env.get("LANTERN_PROFILES", inbox / "profiles"))),
        build=Path(get("build", "LANTERN_BUILD", "build")),
        pseudonym_key=key,
        first_month=_month("LANTERN_FIRST_MONTH", get("first_month", "LANTERN_FIRST_MONTH", "2024-11")),
        small_count=_count("LANTERN_SMALL_COUNT", get("small_count", "LANTERN_SMALL_COUNT", "5"), 5),
        memory_limit=_size("LANTERN_MEMORY_LIMIT", get("memory_limit", "LANTERN_MEMORY_LIMIT", "4GB")),
        link_memory_limit=_size(
            "LANTERN_LINK_MEMORY_LIMIT", get("link_memory_limit", "LANTERN_LINK_MEMORY_LIMIT", "4GB")
        ),
        network_workers=_count(
            "LANTERN_NETWORK_WORKERS",
            get("network_workers", "LANTERN_NETWORK_WORKERS", ""),
            max(1, min(os.cpu_count() or 1, 4)),
        ),
        theme_workers=_count(
            "LANTERN_THEME_WORKERS",
            get("theme_workers", "LANTERN_THEME_WORKERS", ""),
            max(1, min(os.cpu_count() or 1, 4)),
        ),
    )
