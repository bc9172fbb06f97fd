"""Retention, erasure and the analyst copy: the data-protection duties of a children's-data
system (the ICO's findings on the Met's Gangs Matrix named the missing retention period and audit).

* `purge` removes raw records older than each source's retention period.
* `erase` removes one person's records everywhere in the warehouse and records that an erasure
  happened (when, by whom, from which source, how many records) but not what was erased.
* `publish_analyst_copy` writes `core` and `marts` to a separate read-only DuckDB file (and
  Parquet) that analysts and BI tools open while the pipeline writes the warehouse.
"""

from __future__ import annotations

import logging
import os
import shutil
from dataclasses import dataclass
from datetime import date
from importlib import resources
from pathlib import Path

import duckdb
import yaml

from transforms.extracts.contract import SOURCE_BY_NAME, SOURCES

logger = logging.getLogger(__name__)

# Event date of each source's records (for retention), as SQL over raw.<source>.
EVENT_DATE = {
    "police_crimes": "CAST(committed_from AS DATE)",
    "social_care_referrals": "referral_date",
    "missing_episodes": "CAST(reported_at AS DATE)",
    "school_exclusions": "start_date",
    "map_assessments": "meeting_date",
}
# Dependent sources go with their parent record.
CHILDREN = {"police_persons": ("police_crimes", "crime_ref"),
            "map_assessment_cells": ("map_assessments", "assessment_id")}


def retention_defaults() -> dict[str, int]:
    """Retention in months per source, from the shipped `retention.yaml`."""
    text = resources.files("transforms").joinpath("retention.yaml").read_text(encoding="utf-8")
    return {str(k): int(v) for k, v in (yaml.safe_load(text) or {})["retention_months"].items()}


def _ensure_ops(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("CREATE TABLE IF NOT EXISTS ops.purges (purged_at TIMESTAMP, as_of DATE, source VARCHAR, "
                "retention_months INTEGER, rows_removed BIGINT)")
    con.execute("COMMENT ON TABLE ops.purges IS 'One row per source per purge: records past their retention period removed.'")
    con.execute("CREATE TABLE IF NOT EXISTS ops.erasures (erased_at TIMESTAMP, user_name VARCHAR, "
                "requested_source VARCHAR, records_erased BIGINT, tables_touched INTEGER)")
    con.execute("COMMENT ON TABLE ops.erasures IS 'One row per erasure: when, by whom, from which source it was requested and how many records went. Never what was erased.'")


def drop_caches(con: duckdb.DuckDBPyConnection) -> int:
    """Drop every table of the `cache` schema (memos of per-month work, rebuilt on the next
    refresh) and the linkage memos in `raw`: after a purge or an erasure no memo may keep what
    was removed. Returns tables dropped."""
    tables = con.execute("SELECT schema_name, table_name FROM duckdb_tables() WHERE database_name = current_database() "
                         "AND (schema_name = 'cache' OR (schema_name = 'raw' AND table_name LIKE 'linkage_cache_%'))"
                         ).fetchall()
    for schema, t in tables:
        con.execute(f'DROP TABLE {schema}."{t}"')
    return len(tables)


def purge(con: duckdb.DuckDBPyConnection, as_of: date, retention: dict[str, int]) -> dict[str, int]:
    """Delete raw records (current and history) older than their source's retention; returns rows removed."""
    _ensure_ops(con)
    removed: dict[str, int] = {}
    con.execute("BEGIN TRANSACTION")
    try:
        for source, expr in EVENT_DATE.items():
            months = retention[source]
            cutoff = f"(CAST(? AS DATE) - INTERVAL {int(months)} MONTH)"
            key = SOURCE_BY_NAME[source].key[0]
            for child, (parent, col) in CHILDREN.items():
                if parent == source:
                    for suffix in ("", "_history"):
                        n = con.execute(
                            f"DELETE FROM raw.{child}{suffix} WHERE {col} IN (SELECT {key} FROM raw.{source} "
                            f"WHERE {expr} < {cutoff} UNION ALL SELECT {key} FROM raw.{source}_history "
                            f"WHERE {expr} < {cutoff})", [as_of, as_of]).fetchall()[0][0]
                        removed[child] = removed.get(child, 0) + int(n)
            for suffix in ("", "_history"):
                n = con.execute(f"DELETE FROM raw.{source}{suffix} WHERE {expr} < {cutoff}", [as_of]).fetchall()[0][0]
                removed[source] = removed.get(source, 0) + int(n)
        oldest = min(retention.values())
        n = con.execute(f"DELETE FROM ops.quarantine WHERE CAST(delivery_month || '-01' AS DATE) < "
                        f"CAST(? AS DATE) - INTERVAL {oldest} MONTH", [as_of]).fetchall()[0][0]
        removed["quarantine"] = int(n)
        drop_caches(con)
        for source, n in removed.items():
            con.execute("INSERT INTO ops.purges VALUES (now(), ?, ?, ?, ?)",
                        [as_of, source, retention.get(source), n])
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    return removed


@dataclass(frozen=True)
class Erasure:
    """What an erasure removed (counts only)."""

    person_key: str | None
    records: int
    rows_deleted: int
    tables: int


def _tables_with(con: duckdb.DuckDBPyConnection, schemas: tuple[str, ...], column: str) -> list[str]:
    return [f"{s}.{t}" for s, t in con.execute(
        "SELECT c.schema_name, c.table_name FROM duckdb_columns() c JOIN duckdb_tables() t "
        "ON t.database_name = c.database_name AND t.schema_name = c.schema_name AND t.table_name = c.table_name "
        "WHERE c.column_name = ? AND c.database_name = current_database() "
        "AND c.schema_name IN (SELECT unnest(?::VARCHAR[])) ORDER BY ALL",
        [column, list(schemas)]).fetchall()]


def erase(con: duckdb.DuckDBPyConnection, source: str, key: str, user: str) -> Erasure:
    """Remove every record of the person that record (`source`, `key`) belongs to, everywhere in
    the warehouse (raw, history, quarantine, identity tables, core, marts); core and marts must
    then be rebuilt (the caller re-runs the downstream assets, the analyst copy and the pages)."""
    _ensure_ops(con)
    found = con.execute("SELECT person_key FROM core.person_link WHERE source = ? AND source_key = ?",
                        [source, key]).fetchall()
    person = found[0][0] if found else None
    if person is not None:
        records = con.execute("SELECT source, source_key FROM core.person_link WHERE person_key = ?",
                              [person]).fetchall()
    else:
        records = [(source, key)]
    con.execute("CREATE OR REPLACE TEMP TABLE _erase AS SELECT * FROM (VALUES " +
                ", ".join("(?, ?)" for _ in records) + ") t(source, source_key)",
                [v for r in records for v in r])
    child_ids = [r[0] for r in con.execute(
        "SELECT DISTINCT agency_id FROM raw.person_record WHERE agency = 'social_care' AND "
        "(source, source_key) IN (SELECT (source, source_key) FROM _erase) AND agency_id IS NOT NULL").fetchall()]
    deleted, touched = 0, set()
    con.execute("BEGIN TRANSACTION")
    try:
        for s in SOURCES:
            if not s.person_bearing:
                continue
            keyexpr = " || '|' || ".join(f"CAST({k} AS VARCHAR)" for k in s.key)
            for suffix in ("", "_history"):
                n = con.execute(f"DELETE FROM raw.{s.name}{suffix} WHERE {keyexpr} IN "
                                f"(SELECT source_key FROM _erase WHERE source = ?)", [s.name]).fetchall()[0][0]
                if n:
                    deleted += int(n)
                    touched.add(f"raw.{s.name}{suffix}")
        # their MAP cells go with their assessments; mentions of them in others' records go too
        for suffix in ("", "_history"):
            n = con.execute(f"DELETE FROM raw.map_assessment_cells{suffix} WHERE assessment_id IN "
                            "(SELECT source_key FROM _erase WHERE source = 'map_assessments')").fetchall()[0][0]
            deleted += int(n)
            if child_ids:
                con.execute(f"UPDATE raw.missing_episodes{suffix} SET missing_with = list_filter(missing_with, "
                            "lambda c: NOT list_contains(?::VARCHAR[], c))", [child_ids])
                con.execute(f"UPDATE raw.map_assessment_cells{suffix} SET named_peers = list_filter(named_peers, "
                            "lambda c: NOT list_contains(?::VARCHAR[], c))", [child_ids])
        # quarantined copies of their rows
        for s in SOURCES:
            if s.person_bearing:
                keyexpr = " || '|' || ".join(f"json_extract_string(record, '$.{k}')" for k in s.key)
                n = con.execute(f"DELETE FROM ops.quarantine WHERE source = ? AND {keyexpr} IN "
                                "(SELECT source_key FROM _erase WHERE source = ?)", [s.name, s.name]).fetchall()[0][0]
                deleted += int(n)
        # identity and any other table keyed by (source, source_key) or person_key
        for table in _tables_with(con, ("core", "marts", "raw"), "source_key"):
            cols = {c for (c,) in con.execute(
                "SELECT column_name FROM duckdb_columns() WHERE database_name = current_database() "
                "AND schema_name || '.' || table_name = ?", [table]).fetchall()}
            if "source" in cols:
                n = con.execute(f"DELETE FROM {table} WHERE (source, source_key) IN "
                                "(SELECT (source, source_key) FROM _erase)").fetchall()[0][0]
                deleted += int(n)
                touched.add(table)
        if person is not None:
            for table in _tables_with(con, ("core", "marts"), "person_key"):
                n = con.execute(f"DELETE FROM {table} WHERE person_key = ?", [person]).fetchall()[0][0]
                deleted += int(n)
                touched.add(table)
        dropped = drop_caches(con)  # memos may hold the person_key: rebuilt on the next refresh
        touched.update(f"cache table {i}" for i in range(dropped))
        con.execute("INSERT INTO ops.erasures VALUES (now(), ?, ?, ?, ?)", [user, source, len(records), len(touched)])
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    finally:
        con.execute("DROP TABLE IF EXISTS _erase")
    return Erasure(person, len(records), deleted, len(touched))


def publish_analyst_copy(con: duckdb.DuckDBPyConnection, target: Path,
                         schemas: tuple[str, ...] = ("core", "marts")) -> dict[str, int]:
    """Write `schemas` to a separate DuckDB file (and Parquet) atomically; returns rows per table."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(".tmp.duckdb")
    tmp.unlink(missing_ok=True)
    con.execute("ATTACH ? AS analyst", [str(tmp)])
    counts: dict[str, int] = {}
    parquet_tmp = target.parent / "parquet.tmp"
    shutil.rmtree(parquet_tmp, ignore_errors=True)
    parquet_tmp.mkdir()
    try:
        tables = con.execute(
            "SELECT schema_name, table_name, comment FROM duckdb_tables() WHERE database_name = current_database() "
            "AND schema_name IN (SELECT unnest(?::VARCHAR[])) ORDER BY ALL", [list(schemas)]).fetchall()
        for schema in schemas:
            con.execute(f"CREATE SCHEMA IF NOT EXISTS analyst.{schema}")
        for schema, table, comment in tables:
            name = f"{schema}.{table}"
            con.execute(f"CREATE TABLE analyst.{name} AS SELECT * FROM {name}")
            if comment:
                con.execute(f"COMMENT ON TABLE analyst.{name} IS ?".replace("?", "'" + comment.replace("'", "''") + "'"))
            for col, ccomment in con.execute(
                    "SELECT column_name, comment FROM duckdb_columns() WHERE database_name = current_database() "
                    "AND schema_name = ? AND table_name = ? AND comment IS NOT NULL", [schema, table]).fetchall():
                con.execute(f'COMMENT ON COLUMN analyst.{name}."{col}" IS ' + "'" + ccomment.replace("'", "''") + "'")
            counts[name] = int(con.execute(f"SELECT count(*) FROM {name}").fetchall()[0][0])
            con.execute(f"COPY {name} TO '{parquet_tmp / (name + '.parquet')}' (FORMAT parquet)")
    finally:
        con.execute("DETACH analyst")
    os.chmod(tmp, 0o640)
    os.replace(tmp, target)  # readers holding the old file keep it; new readers get the new one
    parquet = target.parent / "parquet"
    shutil.rmtree(parquet, ignore_errors=True)
    parquet_tmp.rename(parquet)
    logger.info("analyst copy: %d tables -> %s", len(counts), target)
    return counts
