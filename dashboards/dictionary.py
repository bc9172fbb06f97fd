"""The data dictionary page: every table and column of `marts` with its comment, read from the
database itself (`duckdb_tables()` and `duckdb_columns()`), so the page cannot drift from the
warehouse.
"""

from __future__ import annotations

import logging
from pathlib import Path

import duckdb

from dashboards.reading import definitions_version, last_load
from dashboards.site import Page, Table, page

logger = logging.getLogger(__name__)


def dictionary_rows(con: duckdb.DuckDBPyConnection, schema: str = "marts") -> list[tuple[str, str, str, str]]:
    """(table, column, type, comment) for every column of `schema`; table comments use column ''."""
    tables = con.execute(
        """select table_name, '' as column_name, 'table' as data_type, coalesce(comment, '')
                            from duckdb_tables() where schema_name = ?
                            union all
                            select view_name, '', 'view', coalesce(comment, '') from duckdb_views() where schema_name = ?""",
        [schema, schema],
    ).fetchall()
    cols = con.execute(
        """select table_name, column_name, data_type, coalesce(comment, '') from duckdb_columns()
                          where schema_name = ? order by table_name, column_index""",
        [schema],
    ).fetchall()
    return [tuple(map(str, r)) for r in tables + cols]  # type: ignore[misc]


def build(con: duckdb.DuckDBPyConnection, month: str, out: Path) -> list[Path]:
    """Write `dictionary.html` into `out`; returns the files written."""
    rows = dictionary_rows(con)
    p = Page("dictionary")
    names = sorted({r[0] for r in rows})
    p.add("<p>" + " ".join(f'<a href="#t-{n}">{n}</a>' for n in names) + "</p>")
    for name in names:
        p.heading(f"marts.{name}", anchor=f"t-{name}")
        comment = next((r[3] for r in rows if r[0] == name and r[1] == ""), "")
        p.text(comment or "(no comment)", cls="")
        t = Table(
            f"dictionary_{name}", f"Columns of marts.{name}", ["column", "type", "meaning"], ["label", "label", "label"]
        )
        t.rows = [[r[1], r[2], r[3] or "(no comment)"] for r in rows if r[0] == name and r[1]]
        p.add_table(t)
    sub = f"Theme definitions {definitions_version(con)}; data last loaded {last_load(con)}. Read from the warehouse's own comments."
    target = out / "dictionary.html"
    target.write_text(
        page(
            f"Data dictionary — marts ({month})",
            p.html(),
            subtitle=sub,
            nav='<a href="index.html">Profile</a> <a href="data-quality.html">Data quality</a>',
        ),
        encoding="utf-8",
    )
    return [target]
