"""`lantern sql`: read-only ad-hoc queries, with an access log."""

from __future__ import annotations

import getpass
import json
import sys
from pathlib import Path

import duckdb

from pipelines.settings import Settings

READ_ONLY_TYPES = {"SELECT", "EXPLAIN", "PRAGMA"}


def _refuse_writes(query: str) -> str | None:
    try:
        stmts = duckdb.extract_statements(query)
    except duckdb.Error as exc:
        return f"cannot parse the query: {exc}"
    for st in stmts:
        kind = str(st.type).split(".")[-1].upper()
        if kind not in READ_ONLY_TYPES:
            return f"refused: `lantern sql` is read-only ({kind} statements are not allowed)"
    return None


def _source(settings: Settings) -> Path:
    return settings.analyst_copy if settings.analyst_copy.exists() else settings.warehouse


def _log(settings: Settings, query: str, rows: int, target: str) -> None:
    try:
        with duckdb.connect(str(settings.warehouse)) as con:
            con.execute("INSERT INTO ops.access_log (accessed_at, user_name, kind, query, row_count, target) "
                        "VALUES (now(), ?, 'sql', ?, ?, ?)", [getpass.getuser(), query, rows, target])
    except duckdb.Error:
        pending = settings.build / "access_log.pending.jsonl"
        pending.parent.mkdir(parents=True, exist_ok=True)
        with pending.open("a", encoding="utf-8") as fh:
            fh.write(json.dumps({"user": getpass.getuser(), "query": query, "rows": rows, "target": target}) + "\n")


def run_sql(settings: Settings, query: str, fmt: str = "table", out: str | None = None) -> int:
    """Run a read-only query and print or export the result; returns an exit code."""
    problem = _refuse_writes(query)
    if problem:
        print(problem, file=sys.stderr)
        return 2
    db = _source(settings)
    if not db.exists():
        print(f"no warehouse at {db}: run `lantern refresh` first", file=sys.stderr)
        return 1
    with duckdb.connect(str(db), read_only=True) as con:
        try:
            frame = con.execute(query).df()
        except duckdb.Error as exc:
            print(f"query failed: {exc}", file=sys.stderr)
            return 2
    from pipelines.exports import write_frame

    target = write_frame(frame, fmt, out)
    _log(settings, query, len(frame), target)
    return 0
