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
import re
import shutil
import tempfile
import uuid
from dataclasses import dataclass
from datetime import date
from importlib import resources
from pathlib import Path

import duckdb
import yaml

import sql
from transforms.extracts.contract import SOURCE_BY_NAME, SOURCES, Source
from transforms.extracts.load import NAME_WORD
from transforms.filemodes import RESTRICTED, umask
from transforms.privacy import Hit, find_personal_data
from transforms.sqlrun import has_table, ident, literal, transaction

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
CHILDREN = {
    "police_persons": ("police_crimes", "crime_ref"),
    "map_assessment_cells": ("map_assessments", "assessment_id"),
}


def retention_defaults() -> dict[str, int]:
    """Retention in months per source, from the shipped `retention.yaml`."""
    text = resources.files("transforms").joinpath("retention.yaml").read_text(encoding="utf-8")
    return {str(k): int(v) for k, v in (yaml.safe_load(text) or {})["retention_months"].items()}


def _ensure_ops(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(
        "CREATE TABLE IF NOT EXISTS ops.purges (purged_at TIMESTAMP, as_of DATE, source VARCHAR, "
        "retention_months INTEGER, rows_removed BIGINT)"
    )
    con.execute(
        "COMMENT ON TABLE ops.purges IS 'One row per source per purge: records past their retention period removed.'"
    )
    con.execute(
        "CREATE TABLE IF NOT EXISTS ops.erasures (erased_at TIMESTAMP, user_name VARCHAR, "
        "requested_source VARCHAR, records_erased BIGINT, tables_touched INTEGER)"
    )
    con.execute(
        "COMMENT ON TABLE ops.erasures IS 'One row per erasure: when, by whom, from which source it was requested and how many records went. Never what was erased.'"
    )


def drop_caches(con: duckdb.DuckDBPyConnection) -> int:
    """Drop every table of the `cache` schema (memos of per-month work, rebuilt on the next
    refresh) and the linkage memos in `raw`: after a purge or an erasure no memo may keep what
    was removed. Returns tables dropped."""
    tables = con.execute(
        "SELECT schema_name, table_name FROM duckdb_tables() WHERE database_name = current_database() "
        "AND (schema_name = 'cache' OR (schema_name = 'raw' AND table_name LIKE 'linkage_cache_%'))"
    ).fetchall()
    for schema, t in tables:
        con.execute(f'DROP TABLE {schema}."{t}"')
    return len(tables)


def purge(con: duckdb.DuckDBPyConnection, as_of: date, retention: dict[str, int]) -> dict[str, int]:
    """Delete raw records (current and history) older than their source's retention; returns rows removed."""
    _ensure_ops(con)
    removed: dict[str, int] = {}
    with transaction(con):
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
                            f"WHERE {expr} < {cutoff})",
                            [as_of, as_of],
                        ).fetchall()[0][0]
                        removed[child] = removed.get(child, 0) + int(n)
            for suffix in ("", "_history"):
                n = con.execute(f"DELETE FROM raw.{source}{suffix} WHERE {expr} < {cutoff}", [as_of]).fetchall()[0][0]
                removed[source] = removed.get(source, 0) + int(n)
        oldest = min(retention.values())
        n = con.execute(
            f"DELETE FROM ops.quarantine WHERE CAST(delivery_month || '-01' AS DATE) < "
            f"CAST(? AS DATE) - INTERVAL {oldest} MONTH",
            [as_of],
        ).fetchall()[0][0]
        removed["quarantine"] = int(n)
        drop_caches(con)
        for source, n in removed.items():
            con.execute("INSERT INTO ops.purges VALUES (now(), ?, ?, ?, ?)", [as_of, source, retention.get(source), n])
    return removed


# free text of other records that may name a person: redacted by an erasure (and at ingest
# once the person is erased), by source
FREE_TEXT = {
    s.name: tuple(
        c.name
        for c in s.columns
        if c.personal and c.kind == "text" and c.name not in ("forename", "surname", "home_postcode", "postcode")
    )
    for s in SOURCES
}
FREE_TEXT = {k: v for k, v in FREE_TEXT.items() if v}
# the column of each person-bearing source that holds the person's agency ID, and its agency
AGENCY_ID = {
    "police_persons": ("police", "police_nominal_id"),
    "social_care_referrals": ("social_care", "child_id"),
    "missing_episodes": ("social_care", "child_id"),
    "school_exclusions": ("education", "upn"),
    "map_assessments": ("social_care", "child_id"),
}
# lists of social care child_ids naming other children
CHILD_LISTS = {"missing_episodes": "missing_with", "map_assessment_cells": "named_peers"}
REDACTED = "[name redacted]"


def tomb_sql(value_sql: str) -> str:
    """SQL for the keyed hash of `value_sql` (the pseudonym key bound as `$secret`)."""
    return f"sha256($secret || chr(31) || {value_sql})"


def record_tomb_sql(source_sql: str, key_sql: str) -> str:
    """The keyed hash of a record's source and key (both SQL expressions)."""
    return tomb_sql(f"'record|' || {source_sql} || '|' || {key_sql}")


def agency_tomb_sql(agency: str, id_sql: str) -> str:
    """The keyed hash of an agency ID."""
    return tomb_sql(f"'agency|{agency}|' || {id_sql}")


def name_tomb_sql(token_sql: str) -> str:
    """The keyed hash of one name word (lower case)."""
    return tomb_sql(f"'name|' || lower({token_sql})")


def _key_sql(source: Source, alias: str = "") -> str:
    pre = f"{alias}." if alias else ""
    return " || '|' || ".join(f'CAST({pre}"{k}" AS VARCHAR)' for k in source.key)


@dataclass(frozen=True)
class Erasure:
    """What an erasure removed (counts only)."""

    person_key: str | None
    records: int
    rows_deleted: int
    tables: int


@dataclass(frozen=True)
class Identity:
    """The identifiers of a person being erased: held in memory only while the erasure runs."""

    person_key: str | None
    records: tuple[tuple[str, str], ...]
    agency_ids: tuple[tuple[str, str], ...]
    names: tuple[str, ...]

    def needles(self) -> list[str]:
        """Strings that must not survive anywhere: the person key, agency IDs, the keys of
        their own records (a police record's crime reference is shared, so not that), names."""
        out = [self.person_key or ""] + [i for _, i in self.agency_ids]
        out += [k for s, k in self.records if s != "police_persons"]
        out += list(self.names)
        return sorted({n for n in out if n and len(n) >= 2}, key=lambda n: (-len(n), n))


def _tables_with(con: duckdb.DuckDBPyConnection, schemas: tuple[str, ...], column: str) -> list[str]:
    return [
        f"{s}.{t}"
        for s, t in con.execute(
            "SELECT c.schema_name, c.table_name FROM duckdb_columns() c JOIN duckdb_tables() t "
            "ON t.database_name = c.database_name AND t.schema_name = c.schema_name AND t.table_name = c.table_name "
            "WHERE c.column_name = ? AND c.database_name = current_database() "
            "AND c.schema_name IN (SELECT unnest(?::VARCHAR[])) ORDER BY ALL",
            [column, list(schemas)],
        ).fetchall()
    ]


def identify(con: duckdb.DuckDBPyConnection, source: str, key: str) -> Identity | None:
    """The person the record (`source`, `key`) belongs to, with every record, agency ID and name
    of theirs; None when there is no such record."""
    from transforms.warehouse import bootstrap

    bootstrap(con)
    for stmt in sql.statements("staging/person_record"):
        con.execute(stmt)
    own = con.execute(
        "SELECT count(*) FROM raw.person_record WHERE source = ? AND source_key = ?", [source, key]
    ).fetchall()[0][0]
    person = None
    if has_table(con, "core", "person_link"):
        found = con.execute(
            "SELECT person_key FROM core.person_link WHERE source = ? AND source_key = ?", [source, key]
        ).fetchall()
        person = found[0][0] if found else None
    if not own and person is None:
        return None
    if person is not None:
        records = con.execute(
            "SELECT DISTINCT source, source_key FROM core.person_link WHERE person_key = ? "
            "UNION SELECT ?, ? ORDER BY ALL",
            [person, source, key],
        ).fetchall()
    else:
        records = [(source, key)]
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _erase AS SELECT * FROM (VALUES "
        + ", ".join("(?, ?)" for _ in records)
        + ") t(source, source_key)",
        [v for r in records for v in r],
    )
    mine = "(source, source_key) IN (SELECT (source, source_key) FROM _erase)"
    ids = con.execute(
        f"SELECT DISTINCT agency, agency_id FROM raw.person_record WHERE {mine} AND agency_id IS NOT NULL ORDER BY ALL"
    ).fetchall()
    words = con.execute(
        f"SELECT DISTINCT w FROM (SELECT unnest(regexp_extract_all(coalesce(forename, '') || ' ' || "
        f"coalesce(surname, ''), ?)) AS w FROM raw.person_record WHERE {mine}) WHERE length(w) >= 2 "
        "ORDER BY ALL",
        [NAME_WORD],
    ).fetchall()
    return Identity(
        person,
        tuple((str(s), str(k)) for s, k in records),
        tuple((str(a), str(i)) for a, i in ids),
        tuple(str(w) for (w,) in words),
    )


def is_tombstoned(con: duckdb.DuckDBPyConnection, secret: str, source: str, key: str) -> bool:
    """Whether the record (`source`, `key`) was erased."""
    if not has_table(con, "ops", "erasure_tombstone"):
        return False
    return bool(
        con.execute(
            f"SELECT count(*) FROM ops.erasure_tombstone WHERE record_hash = {record_tomb_sql('$source', '$key')}",
            {"secret": secret, "source": source, "key": key},
        ).fetchall()[0][0]
    )


def regex_words(words: tuple[str, ...]) -> str:
    """An RE2 pattern matching any of `words` as whole words (not inside a longer word, letters
    of any alphabet), case-insensitively; `redact_sql` replaces them."""
    alternatives = "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))
    return "(?i)(^|[^\\pL])(" + alternatives + ")([^\\pL]|$)"


def redact_sql(col_sql: str) -> str:
    """SQL replacing the words of `$rx` (from `regex_words`) in `col_sql` by `REDACTED` (twice:
    a match takes the character after it, which may begin the next name word)."""
    once = f"regexp_replace({col_sql}, $rx, $rep, 'g')"
    return f"regexp_replace({once}, $rx, $rep, 'g')"


REDACT_REP = "\\1" + "[name redacted]" + "\\3"


def erase(con: duckdb.DuckDBPyConnection, ident: Identity, *, secret: str, user: str, requested_source: str) -> Erasure:
    """Remove every record of the person `ident` everywhere in the warehouse in one transaction:
    raw, history, quarantine, identity tables, core, marts; redact their names in other records'
    free text and their child_id in others' lists; scrub their identifiers from `ops.access_log`;
    leave tombstones (keyed hashes, no identity) that ingest honours; drop the memos; and mark
    the erasure pending until its files and the warehouse file are rewritten (`complete`)."""
    _ensure_ops(con)
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _erase AS SELECT * FROM (VALUES "
        + ", ".join("(?, ?)" for _ in ident.records)
        + ") t(source, source_key)",
        [v for r in ident.records for v in r],
    )
    child_ids = [i for a, i in ident.agency_ids if a == "social_care"]
    p = {"secret": secret}
    deleted, touched = 0, set()
    by_source: dict[str, int] = {}
    try:
        with transaction(con):
            # tombstones first: the keyed hashes of every record and agency ID, and of the name words
            con.execute(
                f"INSERT OR IGNORE INTO ops.erasure_tombstone SELECT {record_tomb_sql('source', 'source_key')}, "
                "now() FROM _erase",
                p,
            )
            for agency, aid in ident.agency_ids:
                con.execute(
                    f"INSERT OR IGNORE INTO ops.erasure_tombstone SELECT {agency_tomb_sql(agency, '$id')}, now()",
                    p | {"id": aid},
                )
            for w in ident.names:
                con.execute(
                    f"INSERT OR IGNORE INTO ops.erasure_name_tombstone SELECT {name_tomb_sql('$w')}, now()",
                    p | {"w": w},
                )
            for s in SOURCES:
                if not s.person_bearing:
                    continue
                for suffix in ("", "_history"):
                    n = con.execute(
                        f"DELETE FROM raw.{s.name}{suffix} WHERE {_key_sql(s)} IN "
                        f"(SELECT source_key FROM _erase WHERE source = ?)",
                        [s.name],
                    ).fetchall()[0][0]
                    if n:
                        deleted += int(n)
                        by_source[s.name] = by_source.get(s.name, 0) + int(n)
                        touched.add(f"raw.{s.name}{suffix}")
                agency_col = AGENCY_ID.get(s.name)
                ids = [i for a, i in ident.agency_ids if agency_col and a == agency_col[0]]
                if agency_col and ids:  # records of theirs that identity did not link, by agency ID
                    for suffix in ("", "_history"):
                        n = con.execute(
                            f'DELETE FROM raw.{s.name}{suffix} WHERE "{agency_col[1]}" IN '
                            "(SELECT unnest(?::VARCHAR[]))",
                            [ids],
                        ).fetchall()[0][0]
                        deleted += int(n)
                        by_source[s.name] = by_source.get(s.name, 0) + int(n)
            # their MAP cells go with their assessments; mentions of them in others' records go too
            for suffix in ("", "_history"):
                n = con.execute(
                    f"DELETE FROM raw.map_assessment_cells{suffix} WHERE assessment_id IN "
                    "(SELECT source_key FROM _erase WHERE source = 'map_assessments') OR assessment_id NOT IN "
                    "(SELECT assessment_id FROM raw.map_assessments UNION ALL "
                    "SELECT assessment_id FROM raw.map_assessments_history)"
                ).fetchall()[0][0]
                deleted += int(n)
                by_source["map_assessment_cells"] = by_source.get("map_assessment_cells", 0) + int(n)
                if child_ids:
                    for source, col in CHILD_LISTS.items():
                        con.execute(
                            f"UPDATE raw.{source}{suffix} SET {col} = list_filter({col}, "
                            "lambda c: NOT list_contains(?::VARCHAR[], c)) WHERE "
                            f"list_has_any({col}, ?::VARCHAR[])",
                            [child_ids, child_ids],
                        )
                if ident.names:
                    rx = regex_words(ident.names)
                    for source, cols in FREE_TEXT.items():
                        for col in cols:
                            con.execute(
                                f'UPDATE raw.{source}{suffix} SET "{col}" = {redact_sql(chr(34) + col + chr(34))} '
                                f'WHERE regexp_matches("{col}", $rx)',
                                {"rx": rx, "rep": REDACT_REP},
                            )
            # quarantined copies of their rows; their names in other quarantined rows
            for s in SOURCES:
                if s.person_bearing:
                    keyexpr = " || '|' || ".join(f"json_extract_string(record, '$.{k}')" for k in s.key)
                    n = con.execute(
                        f"DELETE FROM ops.quarantine WHERE source = ? AND {keyexpr} IN "
                        "(SELECT source_key FROM _erase WHERE source = ?)",
                        [s.name, s.name],
                    ).fetchall()[0][0]
                    deleted += int(n)
            needles = ident.needles()
            if needles:
                rx = "(?i)(" + "|".join(re.escape(w) for w in needles) + ")"
                con.execute(
                    "UPDATE ops.quarantine SET record = CAST(regexp_replace(CAST(record AS VARCHAR), ?, ?, 'g') AS JSON) "
                    "WHERE regexp_matches(CAST(record AS VARCHAR), ?)",
                    [rx, "[erased]", rx],
                )
                # who looked them up stays; what identified them goes
                for col in ("query", "target", "message"):
                    con.execute(
                        f"UPDATE ops.access_log SET {col} = regexp_replace({col}, ?, '[erased]', 'g') "
                        f"WHERE regexp_matches({col}, ?)",
                        [rx, rx],
                    )
            # identity and any other table keyed by (source, source_key) or person_key
            for table in _tables_with(con, ("core", "marts", "raw"), "source_key"):
                columns = {
                    c
                    for (c,) in con.execute(
                        "SELECT column_name FROM duckdb_columns() WHERE database_name = current_database() "
                        "AND schema_name || '.' || table_name = ?",
                        [table],
                    ).fetchall()
                }
                if "source" in columns:
                    n = con.execute(
                        f"DELETE FROM {table} WHERE (source, source_key) IN (SELECT (source, source_key) FROM _erase)"
                    ).fetchall()[0][0]
                    deleted += int(n)
                    touched.add(table)
            if has_table(con, "core", "link_review"):
                n = con.execute(
                    "DELETE FROM core.link_review WHERE (source_l, source_key_l) IN (SELECT (source, source_key) "
                    "FROM _erase) OR (source_r, source_key_r) IN (SELECT (source, source_key) FROM _erase)"
                ).fetchall()[0][0]
                deleted += int(n)
            if ident.person_key is not None:
                for table in _tables_with(con, ("core", "marts"), "person_key"):
                    n = con.execute(f"DELETE FROM {table} WHERE person_key = ?", [ident.person_key]).fetchall()[0][0]
                    deleted += int(n)
                    touched.add(table)
            dropped = drop_caches(con)  # memos may hold the person_key: rebuilt on the next refresh
            touched.update(f"cache table {i}" for i in range(dropped))
            con.execute(
                "INSERT INTO ops.erasures VALUES (now(), ?, ?, ?, ?)",
                [user, requested_source, len(ident.records), len(touched)],
            )
            for name, n in sorted(by_source.items()):
                con.execute("INSERT INTO ops.rows_removed VALUES (now(), 'erasure', ?, ?)", [name, n])
            con.execute("INSERT INTO ops.erasure_pending VALUES (?, now(), 'rebuild')", [uuid.uuid4().hex])
    finally:
        con.execute("DROP TABLE IF EXISTS _erase")
    return Erasure(ident.person_key, len(ident.records), deleted, len(touched))


def pending_erasures(con: duckdb.DuckDBPyConnection) -> int:
    """Erasures whose rebuild, files or warehouse rewrite have not completed."""
    if not has_table(con, "ops", "erasure_pending"):
        return 0
    return int(con.execute("SELECT count(*) FROM ops.erasure_pending").fetchall()[0][0])


def finish_erasures(con: duckdb.DuckDBPyConnection) -> None:
    """Mark the pending erasures complete (after the rebuild, before the warehouse rewrite)."""
    con.execute("DELETE FROM ops.erasure_pending")


# what an erasure removes from the build folder: everything derived that may show a person
# (rebuilt by the refresh that follows, or on request); the partners' edition is rebuilt too
WITHDRAWN = ("analyst", "restricted", "exports", "review", "profile", "analysts", "packs")


def withdraw_files(build: Path, work: Path, spool: Path, needles: list[str]) -> list[str]:
    """Remove every file an erased person may be in outside the warehouse: the analyst copy and
    its Parquet, the restricted pages and packs, exports, reviews, the profile (rebuilt after),
    the work folder; and redact their identifiers from the access-log spool. Returns what went."""
    from transforms.access_log import redact_spool

    gone = []
    for folder in WITHDRAWN:
        path = build / folder
        if path.exists():
            shutil.rmtree(path, ignore_errors=True)
            gone.append(str(path))
    clear_work(work)
    redact_spool(spool, needles)
    return gone


def clear_work(work: Path) -> None:
    """Empty the pipeline's work folder (scoring databases, staging) and keep the folder."""
    if work.is_dir():
        for child in work.iterdir():
            if child.is_dir() and not child.is_symlink():
                shutil.rmtree(child, ignore_errors=True)
            else:
                child.unlink(missing_ok=True)


def rewrite_warehouse(path: Path, work: Path) -> None:
    """Rewrite the warehouse file so that deleted rows' pages do not survive in it: copy every
    schema, table, view, sequence and comment into a new file (under the process's umask, in the
    private work folder on the same file system) and put it in the old one's place. Nothing may
    hold the warehouse open."""
    work.mkdir(parents=True, exist_ok=True)
    fresh = work / "rewrite.duckdb"
    for p in (fresh, fresh.with_name(fresh.name + ".wal")):
        p.unlink(missing_ok=True)
    con = duckdb.connect(str(path))
    try:
        con.execute("CHECKPOINT")
        con.execute("ATTACH ? AS fresh", [str(fresh)])
        name = con.execute("SELECT current_database()").fetchall()[0][0]
        con.execute(f'COPY FROM DATABASE "{name}" TO fresh')
        con.execute("DETACH fresh")
    finally:
        con.close()
    os.replace(fresh, path)
    path.with_name(path.name + ".wal").unlink(missing_ok=True)
    spill = path.with_name(path.name + ".tmp")
    if spill.is_dir():
        shutil.rmtree(spill, ignore_errors=True)


class PersonalDataFound(RuntimeError):
    """The analyst copy about to be published holds names, dates of birth or postcodes of `raw`:
    it is not published (the last one stays)."""

    def __init__(self, hits: list[Hit]) -> None:
        self.hits = hits
        shown = "; ".join(f"{h.table}.{h.column} ({h.kind})" for h in hits[:10])
        more = f" and {len(hits) - 10} more" if len(hits) > 10 else ""
        super().__init__(f"personal data found: {shown}{more}; the analyst copy was not published")


def publish_analyst_copy(
    con: duckdb.DuckDBPyConnection, target: Path, schemas: tuple[str, ...] = ("core", "marts")
) -> dict[str, int]:
    """Write `schemas` to a separate DuckDB file (and Parquet) atomically; returns rows per table.

    The new copy is scanned for personal data (`transforms.privacy`) before it replaces the last
    one: every table and view it holds, whichever asset wrote it. On a hit nothing is published,
    the last copy stays, and `PersonalDataFound` says where."""
    with umask(RESTRICTED):  # the copy, its WAL and the Parquet: 0640, folders 0750
        return _publish_analyst_copy(con, target, schemas)


#: The private folder (0700) a copy is written and scanned in, inside the analyst folder: only
#: the pipeline's user can enter it, so no analyst reads a copy that is not yet scanned.
STAGING_PREFIX = ".staging-"


def _publish_analyst_copy(con: duckdb.DuckDBPyConnection, target: Path, schemas: tuple[str, ...]) -> dict[str, int]:
    target.parent.mkdir(parents=True, exist_ok=True)
    # what a killed publish left (never published, perhaps never scanned), and the names earlier
    # versions staged under in the analysts' own folder
    for stale in [*target.parent.glob(f"{STAGING_PREFIX}*"), target.parent / "parquet.tmp"]:
        shutil.rmtree(stale, ignore_errors=True)
    for stale in (target.with_suffix(".tmp.duckdb"), target.with_suffix(".tmp.duckdb.wal")):
        stale.unlink(missing_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=target.parent))  # 0700
    counts: dict[str, int] = {}
    try:
        tmp = staging / target.name
        parquet_tmp = staging / "parquet"
        parquet_tmp.mkdir()
        con.execute("ATTACH ? AS analyst", [str(tmp)])
        try:
            # views (core.person_key_map, marts.peer_edge decayed when read) are copied as tables of
            # their rows: the copy stands alone, and what an analyst reads there is what the view shows
            tables = con.execute(
                "SELECT schema_name, table_name, comment FROM duckdb_tables() "
                "WHERE database_name = current_database() AND schema_name IN (SELECT unnest(?::VARCHAR[])) "
                "UNION ALL SELECT schema_name, view_name, comment FROM duckdb_views() "
                "WHERE database_name = current_database() AND NOT internal "
                "AND schema_name IN (SELECT unnest(?::VARCHAR[])) ORDER BY ALL",
                [list(schemas), list(schemas)],
            ).fetchall()
            for schema in schemas:
                con.execute(f"CREATE SCHEMA IF NOT EXISTS analyst.{ident(schema)}")
            for schema, table, comment in tables:
                name, copy = f"{ident(schema)}.{ident(table)}", f"analyst.{ident(schema)}.{ident(table)}"
                con.execute(f"CREATE TABLE {copy} AS SELECT * FROM {name}")
                if comment:
                    con.execute(f"COMMENT ON TABLE {copy} IS {literal(comment)}")
                for col, ccomment in con.execute(
                    "SELECT column_name, comment FROM duckdb_columns() WHERE database_name = current_database() "
                    "AND schema_name = ? AND table_name = ? AND comment IS NOT NULL",
                    [schema, table],
                ).fetchall():
                    con.execute(f"COMMENT ON COLUMN {copy}.{ident(col)} IS {literal(ccomment)}")
                # counted from the copy's table, so a view is evaluated once
                counts[f"{schema}.{table}"] = int(con.execute(f"SELECT count(*) FROM {copy}").fetchall()[0][0])
            # what is about to be published, scanned as it will be read: views are tables here
            hits = find_personal_data(con, schemas, database="analyst")
            if hits:
                raise PersonalDataFound(hits)
            for schema, table, _ in tables:  # Parquet of a scanned copy only
                out = parquet_tmp / f"{schema}.{table}.parquet"
                con.execute(f"COPY analyst.{ident(schema)}.{ident(table)} TO {literal(str(out))} (FORMAT parquet)")
        finally:
            con.execute("DETACH analyst")
        os.replace(tmp, target)  # readers holding the old file keep it; new readers get the new one
        parquet = target.parent / "parquet"
        shutil.rmtree(parquet, ignore_errors=True)
        parquet_tmp.rename(parquet)
    finally:
        shutil.rmtree(staging, ignore_errors=True)  # on a hit, an error or success alike
    logger.info("analyst copy: %d tables -> %s", len(counts), target)
    return counts
