"""Create the warehouse's schemas and the `raw` and `ops` tables (idempotent)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import duckdb
import pandas as pd

import sql
from transforms.extracts.contract import SOURCE_BY_NAME, Source
from transforms.sqlrun import execute, literal, model_order, transaction

_RAW_META = (
    ("delivery_month", "VARCHAR", "Month of the delivery folder the row came in (YYYY-MM)."),
    ("load_id", "BIGINT", "The load (ops.loads) that brought the row."),
    ("source_file", "VARCHAR", "File path relative to the inbox."),
    ("row_number", "BIGINT", "Data row number within the file (1 = first row after the header)."),
)
_HISTORY_META = (
    ("superseded_by_load", "BIGINT", "The load that re-sent this record and replaced this version."),
    ("superseded_at", "TIMESTAMP", "When this version was replaced."),
)


def raw_ddl(source: Source) -> list[str]:
    """CREATE and COMMENT statements for `raw.<source>` and `raw.<source>_history`."""
    cols = [
        (c.name, c.sql_type, c.comment or f"{c.name} as delivered, typed ({c.kind}).") for c in source.columns
    ] + list(_RAW_META)
    out = []
    for table, extra, what in (
        (source.name, (), f"Current version of each record of {source.file} ({source.description})."),
        (
            f"{source.name}_history",
            _HISTORY_META,
            f"Earlier versions of {source.name} records that a later delivery re-sent (corrections).",
        ),
    ):
        all_cols = cols + list(extra)
        body = ", ".join(f'"{n}" {t}' for n, t, _ in all_cols)
        out.append(f"CREATE TABLE IF NOT EXISTS raw.{table} ({body})")
        # a column added to the contract later (optional, e.g. the MAP cells' action_*) reaches a
        # warehouse built before it: added empty, earlier rows keep NULL
        out.extend(f'ALTER TABLE raw.{table} ADD COLUMN IF NOT EXISTS "{n}" {t}' for n, t, _ in all_cols)
        out.append(f"COMMENT ON TABLE raw.{table} IS {literal(what + ' Personal data: pipeline only.')}")
        out.extend(f'COMMENT ON COLUMN raw.{table}."{n}" IS {literal(c)}' for n, _, c in all_cols)
    return out


def bootstrap(con: duckdb.DuckDBPyConnection) -> None:
    """Create schemas, `ops` tables and one `raw` table (plus history) per source."""
    for stmt in sql.statements("ops/schema"):
        con.execute(stmt)
    for source in SOURCE_BY_NAME.values():
        for stmt in raw_ddl(source):
            con.execute(stmt)


def run_models(
    con: duckdb.DuckDBPyConnection,
    models: Sequence[str],
    frames: Mapping[str, pd.DataFrame] | None = None,
    params: Mapping[str, object] | None = None,
    then: Sequence[str] = (),
) -> None:
    """Run the SQL models (`sql/<name>.sql`) in one transaction, in their dependency order
    (`sqlrun.model_order`), with `frames` registered under their names for the SQL to read and
    `params` bound where a statement names them (`$name`, by DuckDB's parser); `then` are
    statements run after the models inside the same transaction (e.g. a memo rewrite)."""
    frames = frames or {}
    params = params or {}
    for name, frame in frames.items():
        con.register(name, frame)
    try:
        with transaction(con):
            for model in model_order(models):
                for stmt in sql.statements(model):
                    execute(con, stmt, params)
            for stmt in then:
                execute(con, stmt)
    finally:
        for name in frames:
            con.unregister(name)
