"""Dagster resources: the warehouse connection and Lantern's settings."""

import fcntl
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import duckdb
from dagster_duckdb import DuckDBResource

from pipelines.settings import Settings, load_settings, memory_limit
from transforms.memory import ENGINE_CONFIG


class WarehouseBusy(RuntimeError):
    """A refresh is writing the warehouse: a reader does not open it (it would make the refresh fail)."""


class _WriterGate:
    """Writers of the warehouse hold `<warehouse>.readers.lock` exclusively while a connection is
    open (per process, counted: Dagster opens a connection per asset); a reader (`lantern status`)
    holds it shared for the few milliseconds of its read, or does not open the warehouse at all.
    DuckDB allows one writing process or many reading ones, so a reader that held the file when
    a refresh opened it would make the refresh fail ("Could not set lock"): with the gate the
    refresh waits for the reader instead, and a reader never waits for a refresh."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._held: dict[str, tuple[int, int]] = {}

    @staticmethod
    def path(warehouse: str) -> str:
        return warehouse + ".readers.lock"

    def acquire(self, warehouse: str) -> None:
        key = os.path.abspath(warehouse)
        with self._lock:
            if key in self._held:
                fd, n = self._held[key]
                self._held[key] = (fd, n + 1)
                return
            Path(key).parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path(key), os.O_RDWR | os.O_CREAT, 0o600)
            fcntl.flock(fd, fcntl.LOCK_EX)  # waits for readers, never the other way round
            self._held[key] = (fd, 1)

    def release(self, warehouse: str) -> None:
        key = os.path.abspath(warehouse)
        with self._lock:
            fd, n = self._held[key]
            if n > 1:
                self._held[key] = (fd, n - 1)
                return
            del self._held[key]
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)


WRITER_GATE = _WriterGate()


@contextmanager
def writer_gate(path: Path | str) -> Iterator[None]:
    """Hold the writer gate (readers stay out) for work on the warehouse file itself."""
    WRITER_GATE.acquire(str(path))
    try:
        yield
    finally:
        WRITER_GATE.release(str(path))


@contextmanager
def read_warehouse(path: str) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only connection to the warehouse for the pipeline's own readers (`lantern status`,
    `lantern links list`), only when no refresh is writing it; else `WarehouseBusy`."""
    if not os.path.exists(path):
        raise FileNotFoundError(path)
    fd = os.open(_WriterGate.path(os.path.abspath(path)), os.O_RDONLY | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            raise WarehouseBusy(
                f"a refresh is writing {path}; try again when it has finished (readers never hold up a refresh)"
            ) from None
        con = duckdb.connect(path, read_only=True, config={"custom_user_agent": "lantern"})
        try:
            yield con
        finally:
            con.close()
    finally:
        os.close(fd)


def connect_warehouse(path: str, read_only: bool = False, limit: str | None = None) -> duckdb.DuckDBPyConnection:
    """A connection to the warehouse with the configuration every Lantern connection shares
    (DuckDB refuses a second in-process connection to one file with a different one), and the
    memory limit (`LANTERN_MEMORY_LIMIT`, default 4GB): beyond it DuckDB spills to disk beside
    the warehouse rather than growing (by default it would take 80% of the machine)."""
    if not read_only:
        WRITER_GATE.acquire(path)
        try:
            con = duckdb.connect(path, config={"custom_user_agent": "lantern"})
        except BaseException:
            WRITER_GATE.release(path)
            raise
        con = _GatedConnection(con, path)  # type: ignore[assignment]
    else:
        con = duckdb.connect(path, read_only=True, config={"custom_user_agent": "lantern"})
    con.execute(f"SET memory_limit = '{limit or memory_limit()}'")
    con.execute("SET enable_progress_bar = false")
    for name, value in ENGINE_CONFIG.items():  # freed memory goes back to the system
        con.execute(f"SET {name} = {value}")
    return con


class _GatedConnection:
    """A warehouse connection that gives the writer gate back when it is closed."""

    def __init__(self, con: duckdb.DuckDBPyConnection, path: str) -> None:
        self._con, self._path, self._open = con, path, True

    def __getattr__(self, name: str) -> object:
        return getattr(self._con, name)

    def close(self) -> None:
        if self._open:
            self._open = False
            try:
                self._con.close()
            finally:
                WRITER_GATE.release(self._path)

    def __enter__(self) -> "_GatedConnection":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        if getattr(self, "_open", False):
            self.close()


class WarehouseResource(DuckDBResource):
    """The DuckDB warehouse; closes its connection even when the asset fails."""

    memory_limit: str = "4GB"

    @contextmanager
    def get_connection(self) -> Iterator[duckdb.DuckDBPyConnection]:
        conn = connect_warehouse(self.database, limit=self.memory_limit)
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
    work: str = ""
    link_memory_limit: str = "4GB"
    network_workers: int = 1
    theme_workers: int = 1

    @classmethod
    def from_settings(cls, s: Settings) -> "LanternConfig":
        """The resource for resolved settings."""
        return cls(
            inbox=str(s.inbox),
            profiles=str(s.profiles),
            build=str(s.build),
            pseudonym_key=s.pseudonym_key,
            small_count=s.small_count,
            work=str(s.work),
            link_memory_limit=s.link_memory_limit,
            network_workers=s.network_workers,
            theme_workers=s.theme_workers,
        )


def build_resources(settings: Settings | None = None) -> dict[str, object]:
    """The resources every Lantern asset can ask for."""
    s = settings or load_settings()
    s.warehouse.parent.mkdir(parents=True, exist_ok=True)
    return {
        "duckdb": WarehouseResource(database=str(s.warehouse), memory_limit=s.memory_limit),
        "lantern": LanternConfig.from_settings(s),
    }
