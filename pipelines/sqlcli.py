"""`lantern sql`: ad-hoc queries on the analyst copy, inside DuckDB's own sandbox, every request
logged before it runs.

The door is the engine's, not a text filter: the analyst copy is opened read-only with external
access off (no files, no other databases, no network), extension installing and autoloading off,
and the configuration locked, all given when the database is opened, before any user text runs.
Only one SELECT (or WITH ... SELECT) statement is accepted. The pipeline's warehouse (which holds
`raw`) is never opened here: with no analyst copy the command refuses.
"""

from __future__ import annotations

import getpass
import sys
from pathlib import Path

import duckdb

from pipelines.settings import Settings
from transforms.access_log import AccessEntry

SANDBOX: dict[str, str | int | float | list[str]] = {
    "enable_external_access": False,
    "autoinstall_known_extensions": False,
    "autoload_known_extensions": False,
    "allow_community_extensions": False,
    "allow_unsigned_extensions": False,
    "lock_configuration": True,
}


class Refused(Exception):
    """A request the door does not let through (the message says why)."""


def open_analyst_copy(settings: Settings) -> duckdb.DuckDBPyConnection:
    """The analyst copy, read-only, sandboxed before anything runs on it; refuses with a message
    when there is no copy (it never falls back to the pipeline's warehouse)."""
    copy = settings.analyst_copy
    if not copy.is_file():
        raise Refused(
            f"no analyst copy at {copy}: ask for a refresh (`lantern refresh`) to publish one; "
            "analysts' queries never run on the pipeline's warehouse"
        )
    if copy.is_symlink() or copy.resolve() == settings.warehouse.resolve():
        raise Refused(f"refused: {copy} is not an analyst copy (a link, or the pipeline's warehouse)")
    con = duckdb.connect(str(copy), read_only=True, config={**SANDBOX, "memory_limit": settings.memory_limit})
    held = {s for (s,) in con.execute("SELECT DISTINCT schema_name FROM duckdb_tables()").fetchall()}
    if held - {"core", "marts"}:
        con.close()
        raise Refused(
            f"refused: {copy} holds {sorted(held - {'core', 'marts'})}, not only core and marts: "
            "it is not an analyst copy"
        )
    return con


def check_query(query: str) -> None:
    """Accept one SELECT statement (WITH ... SELECT included); refuse anything else."""
    try:
        stmts = duckdb.extract_statements(query)
    except duckdb.Error as exc:
        raise Refused(f"cannot parse the query: {str(exc).splitlines()[0]}") from None
    if len(stmts) != 1:
        raise Refused(
            f"refused: `lantern sql` is read-only and runs one SELECT at a time ({len(stmts)} statements given)"
        )
    kind = str(stmts[0].type).split(".")[-1].upper()
    if kind != "SELECT":
        raise Refused(f"refused: `lantern sql` is read-only and runs only SELECT ({kind} statements are not allowed)")


def export_path(settings: Settings, out: str | None) -> Path | None:
    """Where an export goes: a file name inside `<build>/exports/` (restricted, 0640; an erasure
    withdraws what is there). A path outside that folder is refused."""
    if not out:
        return None
    folder = settings.exports.resolve()
    target = Path(out)
    target = (folder / target).resolve() if not target.is_absolute() else target.resolve()
    if folder not in target.parents:
        raise Refused(
            f"refused: exports are written inside {settings.exports}/ (restricted, withdrawn "
            f"by an erasure); give a file name, e.g. --out {Path(out).name}"
        )
    return target


def run_sql(settings: Settings, query: str, fmt: str = "table", out: str | None = None) -> int:
    """Run a read-only query and print or export the result; returns an exit code."""
    from pipelines.exports import write_frame

    entry = AccessEntry(settings.access_spool, user=getpass.getuser(), kind="sql", query=query)
    try:
        check_query(query)
        target = export_path(settings, out)
        if fmt in ("xlsx", "parquet") and target is None:
            raise Refused(f"--out FILE is needed for {fmt}")
        con = open_analyst_copy(settings)
    except Refused as exc:
        entry.close("refused", message=str(exc))
        print(str(exc), file=sys.stderr)
        return 2
    try:
        with con:
            frame = con.execute(query).df()
    except duckdb.Error as exc:
        first = str(exc).splitlines()[0]
        entry.close("failed", message=first)
        print(f"query failed: {first}", file=sys.stderr)
        return 2
    try:
        where = write_frame(frame, fmt, str(target) if target else None, exports=settings.exports)
    except Exception as exc:
        entry.close("failed", rows=len(frame), message=f"export failed: {exc.__class__.__name__}: {exc}")
        print(f"export failed: {exc.__class__.__name__}: {exc}", file=sys.stderr)
        return 2
    entry.close("ok", rows=len(frame), target=where)
    return 0
