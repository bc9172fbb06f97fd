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


def _tables(con: duckdb.DuckDBPyConnection, schemas: tuple[str, ...]) -> list[tuple[str, str, str, str]]:
    return [
        tuple(r)
        for r in con.execute(
            "SELECT table_schema, table_name, column_name, data_type FROM information_schema.columns "
            "WHERE table_schema IN (SELECT unnest(?::VARCHAR[])) ORDER BY ALL",
            [list(schemas)],
        ).fetchall()
    ]


# A DATE column holds dates of birth if this share of its rows are the same person's date of
# birth (an event on a child's birthday happens about 1 time in 365), or, in a table without
# person_key, this share of its distinct values are anyone's: over ten years of a large
# borough, almost every day of a year is someone's birthday, so the bare value scan of the text
# columns would flag every event date that falls in the years children were born.
SAME_PERSON_SHARE = 0.02
ANY_PERSON_SHARE = 0.5


def _dob_column(con: duckdb.DuckDBPyConnection, name: str, col: str, src: str | None = None) -> int:
    """Rows (or distinct values) of a DATE column of `name` (read from `src`, its materialised rows
    when it is a view) that look like dates of birth; 0 when it does not."""
    src = src or name
    cols = {
        c
        for (c,) in con.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_schema || '.' || table_name = ?", [name]
        ).fetchall()
    }
    if "person_key" in cols:
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


def find_personal_data(con: duckdb.DuckDBPyConnection, schemas: tuple[str, ...] = ("core", "marts")) -> list[Hit]:
    """Every column in `schemas` that holds a name, date of birth or postcode from `raw`."""
    con.execute("""
        CREATE OR REPLACE TEMP TABLE _pii_values AS
        SELECT DISTINCT lower(trim(v)) AS v, kind FROM (
          SELECT forename AS v, 'name' AS kind FROM raw.person_record
          UNION ALL SELECT surname, 'name' FROM raw.person_record
          UNION ALL SELECT strftime(dob, '%d/%m/%Y'), 'dob' FROM raw.person_record
          UNION ALL SELECT CAST(dob AS VARCHAR), 'dob' FROM raw.person_record
          UNION ALL SELECT postcode, 'postcode' FROM raw.person_record
        ) WHERE v IS NOT NULL AND length(trim(v)) >= 4""")
    # each person's dates of birth, for the DATE columns of tables keyed by person (made once)
    con.execute("""
        CREATE OR REPLACE TEMP TABLE _pii_dobs AS
        SELECT DISTINCT l.person_key, r.dob FROM core.person_link l
        JOIN raw.person_record r USING (source, source_key) WHERE r.dob IS NOT NULL""")
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
        if con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema || '.' || table_name = ?", [table]
        ).fetchall()[0][0]:
            con.execute(f"DELETE FROM _pii_values WHERE kind = 'name' AND v IN (SELECT lower({column}) FROM {table})")
    views = {
        f"{s}.{v}"
        for s, v in con.execute(
            "SELECT schema_name, view_name FROM duckdb_views() WHERE NOT internal "
            "AND schema_name IN (SELECT unnest(?::VARCHAR[]))",
            [list(schemas)],
        ).fetchall()
    }
    hits: list[Hit] = []
    materialised = ""
    for schema, table, column, dtype in _tables(con, schemas):
        name = f"{schema}.{table}"
        if column.lower() in FORBIDDEN_COLUMNS:
            hits.append(Hit(name, column, "forbidden column", 0))
            continue
        col = '"' + column.replace('"', '""') + '"'
        if dtype == "VARCHAR":
            expr = f"lower(trim({col}))"
        elif dtype.endswith("[]"):
            expr = f"lower(trim(CAST(unnest({col}) AS VARCHAR)))"
        elif dtype == "DATE":
            expr = f"CAST({col} AS VARCHAR)"
        else:
            continue
        if name in views and name != materialised:
            # a view is evaluated once, into a temporary table its columns are scanned in (not
            # once per column: marts.peer_edge decays millions of edges when read)
            con.execute(f"CREATE OR REPLACE TEMP TABLE _pii_view AS SELECT * FROM {name}")
            materialised = name
        src = "_pii_view" if name in views else name
        if dtype == "DATE":
            hit = _dob_column(con, name, col, src)
            if hit:
                hits.append(Hit(name, column, "dob", hit))
            continue
        # every row probes the (smaller) set of raw values; only the values found are made
        # distinct, so a large column of pseudonyms is never hashed into a set of its own
        rows = con.execute(
            f"SELECT p.kind, count(DISTINCT t.v) FROM (SELECT {expr} AS v FROM {src}) t "
            f"JOIN _pii_values p USING (v) GROUP BY 1"
        ).fetchall()
        hits.extend(Hit(name, column, kind, int(n)) for kind, n in rows)
    con.execute("DROP TABLE _pii_values")
    con.execute("DROP TABLE _pii_dobs")
    con.execute("DROP TABLE IF EXISTS temp._pii_view")
    return hits
