"""Load one delivered file into `raw`, atomically, with `ops.loads` and `ops.quarantine`.

The file is staged as text, typed and validated in SQL, and then, in one transaction, its good
rows go to `raw.<source>`, its bad rows verbatim to `ops.quarantine`, earlier versions of re-sent
records to `raw.<source>_history`, and one row to `ops.loads`. A file already loaded (same
checksum) is skipped. A file that cannot be read is refused whole: the transaction is rolled
back, a `failed` row with the reason is written to `ops.loads`, and the warehouse is as it was.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import duckdb

from transforms.extracts import rules
from transforms.extracts.contract import Source
from transforms.extracts.profiles import Profile
from transforms.extracts.reader import ExtractError, file_checksum, stage_file
from transforms.sqlrun import ident as _q
from transforms.sqlrun import transaction

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class LoadResult:
    """Outcome of loading one file."""

    source: str
    source_file: str
    status: str  # loaded | unchanged | failed
    rows_in: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    rows_superseded: int = 0
    load_id: int | None = None
    rows_withheld: int = 0
    message: str = ""


def _before_commit() -> None:
    """A seam for the crash tests: runs inside the transaction, just before it commits."""


def already_loaded(con: duckdb.DuckDBPyConnection, source: str, source_file: str, checksum: str) -> bool:
    """Whether this file (same place in the inbox, same bytes) has been loaded for this source."""
    rows = con.execute(
        "SELECT count(*) FROM ops.loads WHERE source = ? AND source_file = ? AND checksum = ? AND status = 'loaded'",
        [source, source_file, checksum],
    ).fetchall()
    return bool(rows[0][0])


def _supersede(con: duckdb.DuckDBPyConnection, source: Source, load_id: int) -> int:
    """Move all but the newest version of each key touched by this load to history."""
    table = f"raw.{source.name}"
    if not source.key:
        # keyless public files: a re-sent file replaces the rows an earlier load of a file of the
        # same name brought, whichever month folder it came in; rows with a record id (police.uk's
        # Crime ID) also replace earlier rows with that id from any file
        same_file = (
            "regexp_extract(source_file, '[^/#]+$') = (SELECT regexp_extract(source_file, '[^/#]+$') "
            "FROM ops.loads WHERE load_id = $load)"
        )
        by_id = (
            (
                f" OR ({_q(source.record_id)} IS NOT NULL AND {_q(source.record_id)} IN "
                f"(SELECT {_q(source.record_id)} FROM {table} WHERE load_id = $load))"
            )
            if source.record_id
            else ""
        )
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE _losers AS SELECT load_id, row_number FROM {table} "
            f"WHERE load_id <> $load AND ({same_file}{by_id})",
            {"load": load_id},
        )
    else:
        key = ", ".join(_q(k) for k in source.key)
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE _losers AS SELECT load_id, row_number FROM ("
            f" SELECT load_id, row_number, row_number() OVER (PARTITION BY {key} "
            f"   ORDER BY delivery_month DESC, load_id DESC, row_number DESC) AS rank"
            f" FROM {table} WHERE ({key}) IN (SELECT ({key}) FROM {table} WHERE load_id = ?)"
            f") WHERE rank > 1",
            [load_id],
        )
    n = int(con.execute("SELECT count(*) FROM _losers").fetchall()[0][0])
    if n:
        con.execute(
            f"INSERT INTO {table}_history BY NAME SELECT r.*, ? AS superseded_by_load, now() AS superseded_at "
            f"FROM {table} r SEMI JOIN _losers l ON r.load_id = l.load_id AND r.row_number = l.row_number",
            [load_id],
        )
        con.execute(
            f"DELETE FROM {table} r USING _losers l WHERE r.load_id = l.load_id AND r.row_number = l.row_number"
        )
    con.execute("DROP TABLE _losers")
    return n


def _replace_earlier_loads(con: duckdb.DuckDBPyConnection, source: str, source_file: str, load_id: int) -> None:
    """A file delivered again (same source, same place, other bytes) replaces its earlier loads:
    they and their quarantined rows are marked, kept, and no longer counted as the month's."""
    p = {"source": source, "file": source_file, "load": load_id}
    con.execute(
        "UPDATE ops.quarantine SET replaced_by_load = $load WHERE replaced_by_load IS NULL AND load_id IN "
        "(SELECT load_id FROM ops.loads WHERE source = $source AND source_file = $file AND status = 'loaded' "
        "AND load_id <> $load)",
        p,
    )
    con.execute(
        "UPDATE ops.loads SET replaced_by_load = $load WHERE source = $source AND source_file = $file "
        "AND status = 'loaded' AND load_id <> $load AND replaced_by_load IS NULL",
        p,
    )


def record_waiting(
    con: duckdb.DuckDBPyConnection, source: Source, rel: str, month: str | None, run_id: str | None, message: str
) -> int:
    """Record a file not loaded because a file it refers to failed (status `waiting`)."""
    load_id = int(con.execute("SELECT nextval('ops.load_seq')").fetchall()[0][0])
    con.execute(
        "INSERT INTO ops.loads (load_id, run_id, source, source_file, delivery_month, "
        "status, message, started_at, finished_at) VALUES (?, ?, ?, ?, ?, 'waiting', ?, now(), now())",
        [load_id, run_id, source.name, rel, month, message],
    )
    return load_id


def _record_failure(
    con: duckdb.DuckDBPyConnection,
    source: Source,
    rel: str,
    month: str | None,
    checksum: str | None,
    run_id: str | None,
    message: str,
) -> int:
    load_id = int(con.execute("SELECT nextval('ops.load_seq')").fetchall()[0][0])
    con.execute(
        "INSERT INTO ops.loads (load_id, run_id, source, source_file, delivery_month, checksum, "
        "status, message, started_at, finished_at) VALUES (?, ?, ?, ?, ?, ?, 'failed', ?, now(), now())",
        [load_id, run_id, source.name, rel, month, checksum, message],
    )
    return load_id


def honour_erasures(con: duckdb.DuckDBPyConnection, source: Source, typed: str, secret: str) -> int:
    """Withhold the staged rows of erased persons (their record keys or agency IDs match a
    tombstone), drop erased children from the lists of child IDs, and redact erased persons' name
    words in free text; returns rows withheld. Nothing happens when no erasure was made."""
    from transforms.governance import (
        AGENCY_ID,
        CHILD_LISTS,
        FREE_TEXT,
        REDACT_REP,
        agency_tomb_sql,
        name_tomb_sql,
        record_tomb_sql,
        redact_sql,
        regex_words,
    )

    tombs = con.execute(
        "SELECT (SELECT count(*) FROM ops.erasure_tombstone), (SELECT count(*) FROM ops.erasure_name_tombstone)"
    ).fetchall()[0]
    if not any(tombs):
        return 0
    p = {"secret": secret}
    withheld = 0
    if tombs[0]:
        hit = "IN (SELECT record_hash FROM ops.erasure_tombstone)"
        conds = []
        if source.person_bearing:
            key = " || '|' || ".join(f'CAST("{k}" AS VARCHAR)' for k in source.key)
            conds.append(f"{record_tomb_sql(repr(source.name), key)} {hit}")
        if source.name in AGENCY_ID:
            agency, col = AGENCY_ID[source.name]
            conds.append(f"({_q(col)} IS NOT NULL AND {agency_tomb_sql(agency, _q(col))} {hit})")
        if source.name == "map_assessment_cells":
            conds.append(f"{record_tomb_sql(repr('map_assessments'), 'assessment_id')} {hit}")
        if conds:
            withheld = int(con.execute(f"DELETE FROM {typed} WHERE " + " OR ".join(conds), p).fetchall()[0][0])
        if source.name in CHILD_LISTS:
            col = _q(CHILD_LISTS[source.name])
            gone = [
                c
                for (c,) in con.execute(
                    f"SELECT DISTINCT c FROM (SELECT unnest({col}) AS c FROM {typed}) "
                    f"WHERE {agency_tomb_sql('social_care', 'c')} {hit}",
                    p,
                ).fetchall()
            ]
            if gone:
                con.execute(
                    f"UPDATE {typed} SET {col} = list_filter({col}, lambda c: NOT list_contains(?::VARCHAR[], c))",
                    [gone],
                )
    if tombs[1]:
        for col in FREE_TEXT.get(source.name, ()):
            words = [
                w
                for (w,) in con.execute(
                    f"SELECT DISTINCT w FROM (SELECT unnest(regexp_extract_all({_q(col)}, $words)) AS w FROM {typed}) "
                    f"WHERE {name_tomb_sql('w')} IN (SELECT token_hash FROM ops.erasure_name_tombstone)",
                    p | {"words": NAME_WORD},
                ).fetchall()
            ]
            if words:
                con.execute(
                    f"UPDATE {typed} SET {_q(col)} = {redact_sql(_q(col))}",
                    {"rx": regex_words(tuple(words)), "rep": REDACT_REP},
                )
    return withheld


# a word of a name: letters, apostrophes and hyphens (O'Neil, Smith-Jones)
NAME_WORD = "[\\pL'\\-]+"


def load_file(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    source: Source,
    profile: Profile,
    *,
    delivery_month: str | None,
    source_file: str,
    run_id: str | None = None,
    secret: str | None = None,
) -> LoadResult:
    """Load one file (or one sheet of a workbook) into `raw`; never leaves a half-written state.
    With `secret` (the pseudonym key) the erasure tombstones are honoured: rows of erased persons
    are withheld (counted, not kept), and their names and child IDs in other rows removed."""
    try:
        checksum = file_checksum(path)
    except OSError as exc:
        msg = f"{path}: cannot be read ({exc.strerror}); check the file exists and is readable."
        lid = _record_failure(con, source, source_file, delivery_month, None, run_id, msg)
        return LoadResult(source.name, source_file, "failed", load_id=lid, message=msg)
    if already_loaded(con, source.name, source_file, checksum):
        return LoadResult(source.name, source_file, "unchanged")
    staged, typed = f"_stage_{source.name}", f"_typed_{source.name}"
    try:
        sf = stage_file(con, path, source, profile, staged)
        con.execute(rules.typing_sql(source, profile, staged, typed))
        dup = rules.duplicate_sql(source, typed)
        if dup:
            con.execute(dup)
        for stmt in rules.orphan_sql(source, typed):
            con.execute(stmt)
        withheld = honour_erasures(con, source, typed, secret) if secret else 0
        cols = ", ".join(_q(c) for c in source.column_names)
        with transaction(con):
            load_id = int(con.execute("SELECT nextval('ops.load_seq')").fetchall()[0][0])
            con.execute(
                "INSERT INTO ops.loads (load_id, run_id, source, source_file, delivery_month, checksum, "
                "encoding, rows_in, status, started_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'loading', now())",
                [load_id, run_id, source.name, source_file, delivery_month, checksum, sf.encoding, sf.rows_in],
            )
            con.execute(
                "INSERT INTO ops.quarantine (load_id, source, source_file, delivery_month, row_number, rules, record) "
                f"SELECT ?, ?, ?, ?, t.row_number, t.rules, {sf.record_sql} "
                f"FROM {typed} t JOIN {sf.raw_table} r USING (row_number) WHERE len(t.rules) > 0",
                [load_id, source.name, source_file, delivery_month],
            )
            con.execute(
                f"INSERT INTO raw.{source.name} ({cols}, delivery_month, load_id, source_file, row_number) "
                f"SELECT {cols}, ?, ?, ?, row_number FROM {typed} WHERE len(rules) = 0 ORDER BY row_number",
                [delivery_month, load_id, source_file],
            )
            counts = con.execute(
                f"SELECT count(*) FILTER (WHERE len(rules) = 0), count(*) FILTER (WHERE len(rules) > 0) FROM {typed}"
            ).fetchall()[0]
            superseded = _supersede(con, source, load_id)
            _replace_earlier_loads(con, source.name, source_file, load_id)
            con.execute(
                "UPDATE ops.loads SET rows_loaded = ?, rows_quarantined = ?, rows_superseded = ?, rows_withheld = ?, "
                "status = 'loaded', finished_at = now() WHERE load_id = ?",
                [counts[0], counts[1], superseded, withheld, load_id],
            )
            _before_commit()
        logger.info("loaded %s: %d rows, %d quarantined", source_file, counts[0], counts[1])
        return LoadResult(
            source.name,
            source_file,
            "loaded",
            sf.rows_in,
            int(counts[0]),
            int(counts[1]),
            superseded,
            load_id,
            rows_withheld=withheld,
        )
    except (ExtractError, duckdb.Error, OSError) as exc:
        msg = str(exc) if isinstance(exc, ExtractError) else f"{path}: {exc.__class__.__name__}: {exc}"
        logger.error("refused %s: %s", source_file, msg)
        lid = _record_failure(con, source, source_file, delivery_month, checksum, run_id, msg)
        return LoadResult(source.name, source_file, "failed", load_id=lid, message=msg)
    finally:
        for t in (staged, typed, f"{staged}__raw"):
            con.execute(f"DROP TABLE IF EXISTS {t}")
