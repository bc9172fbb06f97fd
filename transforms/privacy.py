"""Scans that prove personal data stays in `raw`: no names, dates of birth, postcodes or free
text in `core` or `marts`.

The scan takes every distinct forename and surname (4+ letters), date of birth and postcode of
the person-bearing sources and looks for them, as whole values, in every text and list column of
every table in the given schemas. DATE columns are checked for dates of birth by share (see
`SAME_PERSON_SHARE`): a column of the person's own date of birth is caught, an event date that
happens to be some child's birthday is not.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import duckdb

from transforms.extracts.contract import SOURCE_BY_NAME
from transforms.extracts.vocab import VOCABULARIES
from transforms.sqlrun import has_table, ident

logger = logging.getLogger(__name__)

#: Columns that must never appear outside `raw`: the extract contract's personal columns (its one
#: list: `Column.personal`), under any source's name for them.
FORBIDDEN_COLUMNS = frozenset(
    {c.name for s in SOURCE_BY_NAME.values() for c in s.columns if c.personal} | {"date_of_birth"}
)


@dataclass(frozen=True)
class Hit:
    """Personal data found where it must not be."""

    table: str
    column: str
    kind: str
    example_count: int


def _tables(
    con: duckdb.DuckDBPyConnection, schemas: tuple[str, ...], database: str | None = None
) -> list[tuple[str, str, str, str]]:
    return [
        tuple(r)
        for r in con.execute(
            "SELECT table_schema, table_name, column_name, data_type FROM information_schema.columns "
            "WHERE table_catalog = coalesce(?, current_database()) "
            "AND table_schema IN (SELECT unnest(?::VARCHAR[])) ORDER BY table_schema, table_name, ordinal_position",
            [database, list(schemas)],
        ).fetchall()
    ]


# A DATE column holds dates of birth if this share of its rows are the same person's date of
# birth (an event on a child's birthday happens about 1 time in 365), or, in a table without
# person_key, this share of its distinct values are anyone's: over ten years of a large
# borough, almost every day of a year is someone's birthday, so the bare value scan of the text
# columns would flag every event date that falls in the years children were born.
SAME_PERSON_SHARE = 0.02
ANY_PERSON_SHARE = 0.5


def _dob_column(con: duckdb.DuckDBPyConnection, src: str, col: str, keyed: bool) -> int:
    """Rows (or distinct values) of a DATE column `col` of `src` (a table, or a view's materialised
    rows) that look like dates of birth; 0 when it does not. `keyed`: the table has person_key."""
    if keyed:
        n, same = con.execute(f"""
            SELECT count(*), count(d.person_key) FROM {src} t
            LEFT JOIN _pii_dobs d ON d.person_key = t.person_key AND d.dob = t.{col}
            WHERE t.{col} IS NOT NULL""").fetchall()[0]
        return int(same) if n and same >= 5 and same / n >= SAME_PERSON_SHARE else 0
    n, dobs = con.execute(f"""
        SELECT count(*), count(p.v) FROM (SELECT DISTINCT CAST({col} AS VARCHAR) AS v FROM {src}
                                          WHERE {col} IS NOT NULL) t
        LEFT JOIN _pii_values p ON p.v = t.v AND p.kind = 'dob'""").fetchall()[0]
    return int(dobs) if n and dobs / n >= ANY_PERSON_SHARE else 0


_NO_RECORDS = (
    "(SELECT NULL::VARCHAR AS source, NULL::VARCHAR AS source_key, NULL::VARCHAR AS forename, "
    "NULL::VARCHAR AS surname, NULL::DATE AS dob, NULL::VARCHAR AS postcode WHERE false)"
)
_NO_LINKS = "(SELECT NULL::VARCHAR AS source, NULL::VARCHAR AS source_key, NULL::VARCHAR AS person_key WHERE false)"


def _what_to_look_for(con: duckdb.DuckDBPyConnection) -> tuple[str, str]:
    """The person records and their links the scan takes its values from. Only a warehouse that
    holds no person-bearing record yet may have neither (it has nothing to look for but the
    columns); otherwise a missing one is an error: the scan never passes for want of values."""
    if has_table(con, "raw", "person_record", views=True):
        if not has_table(con, "core", "person_link", views=True):
            raise RuntimeError("privacy scan: core.person_link is missing, so dates of birth cannot be checked")
        return "raw.person_record", "core.person_link"
    for source in SOURCE_BY_NAME.values():
        if any(c.personal for c in source.columns) and has_table(con, "raw", source.name):
            if con.execute(f"SELECT count(*) FROM raw.{ident(source.name)}").fetchall()[0][0]:
                raise RuntimeError(
                    f"privacy scan: raw.{source.name} holds records but raw.person_record is missing, "
                    "so there is nothing to look for"
                )
    return _NO_RECORDS, _NO_LINKS


def find_personal_data(
    con: duckdb.DuckDBPyConnection, schemas: tuple[str, ...] = ("core", "marts"), database: str | None = None
) -> list[Hit]:
    """Every column in `schemas` that holds a name, date of birth or postcode from `raw`.

    `database`: the attached database whose `schemas` are scanned (the analyst copy before it is
    published); by default the connection's own. The names, dates of birth and postcodes looked
    for are always those of the connection's `raw`."""
    records, links = _what_to_look_for(con)
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE _pii_values AS
        SELECT DISTINCT lower(trim(v)) AS v, kind FROM (
          SELECT forename AS v, 'name' AS kind FROM {records}
          UNION ALL SELECT surname, 'name' FROM {records}
          UNION ALL SELECT strftime(dob, '%d/%m/%Y'), 'dob' FROM {records}
          UNION ALL SELECT CAST(dob AS VARCHAR), 'dob' FROM {records}
          UNION ALL SELECT postcode, 'postcode' FROM {records}
        ) WHERE v IS NOT NULL AND length(trim(v)) >= 4""")
    # each person's dates of birth, for the DATE columns of tables keyed by person (made once)
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE _pii_dobs AS
        SELECT DISTINCT l.person_key, r.dob FROM {links} l
        JOIN {records} r USING (source, source_key) WHERE r.dob IS NOT NULL""")
    # Words that are also surnames but here are vocabulary ('white', 'black'), structure (a
    # dimension called 'ward', a column 'hall') or public reference names (a ward, school or place)
    # are not personal data where they appear as such.
    codes = sorted({v.lower() for vocab in VOCABULARIES.values() for v in vocab})
    con.execute("DELETE FROM _pii_values WHERE kind = 'name' AND v IN (SELECT unnest(?::VARCHAR[]))", [codes])
    con.execute(
        "DELETE FROM _pii_values WHERE kind = 'name' AND v IN (SELECT lower(column_name) FROM "
        "information_schema.columns UNION SELECT lower(table_name) FROM information_schema.tables)"
    )
    for table, column in (
        ("core.ward", "ward_name"),
        ("core.school", "name"),
        ("core.place", "name"),
        ("core.place_alias", "alias"),
    ):
        if has_table(con, *table.split("."), views=True):
            con.execute(f"DELETE FROM _pii_values WHERE kind = 'name' AND v IN (SELECT lower({column}) FROM {table})")
    db = database or con.execute("SELECT current_database()").fetchall()[0][0]
    views = {
        (s, v)
        for s, v in con.execute(
            "SELECT schema_name, view_name FROM duckdb_views() WHERE NOT internal AND database_name = ? "
            "AND schema_name IN (SELECT unnest(?::VARCHAR[]))",
            [db, list(schemas)],
        ).fetchall()
    }
    by_table: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for schema, table, column, dtype in _tables(con, schemas, db):
        by_table.setdefault((schema, table), []).append((column, dtype))
    hits: list[Hit] = []
    for (schema, table), columns in by_table.items():
        name = f"{schema}.{table}"
        src = f"{ident(db)}.{ident(schema)}.{ident(table)}"
        scanned: list[tuple[str, str]] = []  # (column, expression of its values as text)
        dates: list[str] = []
        for column, dtype in columns:
            if column.lower() in FORBIDDEN_COLUMNS:
                hits.append(Hit(name, column, "forbidden column", 0))
                continue
            col = ident(column)
            if dtype == "VARCHAR":
                scanned.append((column, f"lower(trim({col}))"))
            elif dtype.endswith("[]"):
                scanned.append((column, f"lower(trim(CAST(unnest({col}) AS VARCHAR)))"))
            elif dtype == "DATE":
                dates.append(column)
        if not scanned and not dates:
            continue
        if (schema, table) in views:
            # a view is evaluated once, into a temporary table its columns are scanned in (not
            # once per column: marts.peer_edge decays millions of edges when read)
            con.execute(f"CREATE OR REPLACE TEMP TABLE _pii_view AS SELECT * FROM {src}")
            src = "_pii_view"
        keyed = any(c == "person_key" for c, _ in columns)
        for column in dates:
            hit = _dob_column(con, src, ident(column), keyed)
            if hit:
                hits.append(Hit(name, column, "dob", hit))
        if scanned:
            # every text column of the table in one query (one scan of the table, not one per
            # column); each row probes the (smaller) set of raw values, and only the values
            # found are made distinct, so a column of pseudonyms is never hashed into a set
            union = " UNION ALL ".join(
                f"SELECT {i} AS c, {expr} AS v FROM {src}" for i, (_, expr) in enumerate(scanned)
            )
            found = con.execute(
                f"SELECT t.c, p.kind, count(DISTINCT t.v) FROM ({union}) t JOIN _pii_values p USING (v) "
                "GROUP BY ALL ORDER BY ALL"
            ).fetchall()
            hits.extend(Hit(name, scanned[c][0], kind, int(n)) for c, kind, n in found)
    con.execute("DROP TABLE _pii_values")
    con.execute("DROP TABLE _pii_dobs")
    con.execute("DROP TABLE IF EXISTS temp._pii_view")
    return hits
