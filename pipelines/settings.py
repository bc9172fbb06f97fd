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


def memory_limit() -> str:
    """DuckDB's memory limit (`LANTERN_MEMORY_LIMIT`, e.g. 4GB or 800MB): checked, then returned."""
    value = os.environ.get("LANTERN_MEMORY_LIMIT", "4GB").strip().upper().replace(" ", "")
    if not re.fullmatch(r"\d+(\.\d+)?(KB|MB|GB|TB|KIB|MIB|GIB|TIB)", value):
        raise ValueError(f"LANTERN_MEMORY_LIMIT={value!r}: give a size such as 4GB or 800MB")
    return value


def load_settings(**overrides: object) -> Settings:
    """Settings from the environment, with keyword overrides (e.g. from the command line)."""
    env = os.environ
    inbox = Path(str(overrides.get("inbox") or env.get("LANTERN_INBOX", "data/sample")))
    key = str(overrides.get("pseudonym_key") or env.get("LANTERN_PSEUDONYM_KEY", SAMPLE_KEY))
    if key == SAMPLE_KEY and inbox.resolve() != Path("data/sample").resolve():
        logger.warning("LANTERN_PSEUDONYM_KEY is not set: using the sample key. Set a secret key "
                       "before loading a real borough's extracts.")
    return Settings(
        warehouse=Path(str(overrides.get("warehouse") or env.get("LANTERN_WAREHOUSE", "data/warehouse.duckdb"))),
        inbox=inbox,
        profiles=Path(str(overrides.get("profiles") or env.get("LANTERN_PROFILES", inbox / "profiles"))),
        build=Path(str(overrides.get("build") or env.get("LANTERN_BUILD", "build"))),
        pseudonym_key=key,
        first_month=str(overrides.get("first_month") or env.get("LANTERN_FIRST_MONTH", "2024-11")),
        small_count=int(str(overrides.get("small_count") or env.get("LANTERN_SMALL_COUNT", "5"))),
    )
