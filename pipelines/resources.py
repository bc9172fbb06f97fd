"""Dagster resources: the warehouse connection and Lantern's settings."""


from collections.abc import Iterator
from contextlib import contextmanager

import dagster as dg
import duckdb
from dagster_duckdb import DuckDBResource

from pipelines.settings import Settings, load_settings, memory_limit
from transforms.memory import ENGINE_CONFIG


def connect_warehouse(path: str, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """A connection to the warehouse with the configuration every Lantern connection shares
    (DuckDB refuses a second in-process connection to one file with a different one), and the
    memory limit (`LANTERN_MEMORY_LIMIT`, default 4GB): beyond it DuckDB spills to disk beside
    the warehouse rather than growing (by default it would take 80% of the machine)."""
    con = duckdb.connect(path, read_only=read_only, config={"custom_user_agent": "lantern"})
    con.execute(f"SET memory_limit = '{memory_limit()}'")
    con.execute("SET enable_progress_bar = false")
    for name, value in ENGINE_CONFIG.items():  # freed memory goes back to the system
        con.execute(f"SET {name} = {value}")
    return con


class WarehouseResource(DuckDBResource):
    """The DuckDB warehouse; closes its connection even when the asset fails."""

    @contextmanager
    def get_connection(self) -> Iterator[duckdb.DuckDBPyConnection]:
        conn = connect_warehouse(self.database)
        try:
            yield conn
        finally:
            conn.close()


class LanternConfig(dg.ConfigurableResource):
    """Paths and keys of one Lantern deployment (defaults from the environment)."""

    inbox: str
    profiles: str
    build: str
    pseudonym_key: str
    small_count: int = 5

    @classmethod
    def from_settings(cls, s: Settings) -> "LanternConfig":
        """The resource for resolved settings."""
        return cls(inbox=str(s.inbox), profiles=str(s.profiles), build=str(s.build),
                   pseudonym_key=s.pseudonym_key, small_count=s.small_count)


def build_resources(settings: Settings | None = None) -> dict[str, object]:
    """The resources every Lantern asset can ask for."""
    s = settings or load_settings()
    s.warehouse.parent.mkdir(parents=True, exist_ok=True)
    return {
        "duckdb": WarehouseResource(database=str(s.warehouse)),
        "lantern": LanternConfig.from_settings(s),
    }
