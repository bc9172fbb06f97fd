"""Reading the warehouse for the pages: marts (and ops for page footers), tolerant of marts that
are not built yet, so that a section says "not yet available" instead of failing the refresh.

Reference geography (ward names and boundaries) is read from `core.ward` and
`core.ward_boundary`: reference data about places, not people, and the only `core` read here.
"""

from __future__ import annotations

import json
import logging
from datetime import date

import duckdb
import pandas as pd

logger = logging.getLogger(__name__)


def has_table(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    """True when `schema.table` exists (table or view)."""
    return bool(
        con.execute(
            "select count(*) from duckdb_columns() where schema_name = ? and table_name = ?", [schema, table]
        ).fetchall()[0][0]
    )


def columns(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> list[str]:
    """Column names of `schema.table` in order ([] when missing)."""
    return [
        r[0]
        for r in con.execute(
            "select column_name from duckdb_columns() where schema_name = ? and table_name = ? order by column_index",
            [schema, table],
        ).fetchall()
    ]


def tables_like(con: duckdb.DuckDBPyConnection, schema: str, prefix: str) -> list[str]:
    """Tables of `schema` whose name starts with `prefix`."""
    return [
        r[0]
        for r in con.execute(
            "select distinct table_name from duckdb_columns() where schema_name = ? and starts_with(table_name, ?) order by 1",
            [schema, prefix],
        ).fetchall()
    ]


def frame(con: duckdb.DuckDBPyConnection, query: str, params: list[object] | None = None) -> pd.DataFrame:
    """A query result as a data frame."""
    return con.execute(query, params or []).df()


def last_load(con: duckdb.DuckDBPyConnection) -> str:
    """When data was last loaded (ops.loads), as text for page footers."""
    if not has_table(con, "ops", "loads"):
        return "unknown"
    rows = con.execute("select max(finished_at) from ops.loads where status = 'loaded'").fetchall()
    return str(rows[0][0])[:16] if rows and rows[0][0] else "unknown"


def definitions_version(con: duckdb.DuckDBPyConnection) -> str:
    """The theme definitions version in force (marts.theme_definition), or a fallback note."""
    if has_table(con, "marts", "theme_definition"):
        rows = con.execute("select max(version) from marts.theme_definition").fetchall()
        if rows and rows[0][0]:
            return str(rows[0][0])
    if has_table(con, "marts", "theme_monthly") and "definitions_version" in columns(con, "marts", "theme_monthly"):
        rows = con.execute("select max(definitions_version) from marts.theme_monthly").fetchall()
        if rows and rows[0][0]:
            return str(rows[0][0])
    return "not recorded"


def theme_labels(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """Theme code -> label (from marts.theme_definition where available)."""
    labels = {
        "cse": "Child sexual exploitation",
        "hsb_peer": "Harmful sexual behaviour (peer-on-peer)",
        "syv": "Serious youth violence",
        "cce": "Child criminal exploitation",
        "gang": "Gang-related",
        "online": "Online harm",
    }
    if has_table(con, "marts", "theme_definition"):
        for theme, lab in con.execute(
            "select theme, any_value(label) from marts.theme_definition group by 1"
        ).fetchall():
            if lab:
                labels[str(theme)] = str(lab)
    return labels


def wards(con: duckdb.DuckDBPyConnection) -> tuple[dict[str, str], list[dict]]:
    """Ward code -> name, and the ward GeoJSON features (empty when not loaded)."""
    names: dict[str, str] = {}
    feats: list[dict] = []
    if has_table(con, "core", "ward"):
        names = {str(c): str(n) for c, n in con.execute("select ward_code, ward_name from core.ward").fetchall()}
    if has_table(con, "core", "ward_boundary"):
        cols = columns(con, "core", "ward_boundary")
        geo_col = next((c for c in cols if c != "ward_code"), None)
        if geo_col:
            for code, geo in con.execute(f'select ward_code, "{geo_col}" from core.ward_boundary').fetchall():
                try:
                    g = json.loads(geo) if isinstance(geo, str) else geo
                except (TypeError, json.JSONDecodeError):
                    continue
                if isinstance(g, dict) and g.get("type") == "Feature":
                    g.setdefault("properties", {})["ward_code"] = code
                    feats.append(g)
                elif isinstance(g, dict):
                    feats.append({"type": "Feature", "properties": {"ward_code": code}, "geometry": g})
    return names, feats


def months_back(month: str, n: int) -> list[str]:
    """The `n` months ending with `month` (YYYY-MM), oldest first."""
    y, m = int(month[:4]), int(month[5:7])
    out = []
    for _ in range(n):
        out.append(f"{y:04d}-{m:02d}")
        m -= 1
        if m == 0:
            y, m = y - 1, 12
    return out[::-1]


def month_end(month: str) -> date:
    """The last day of `month`."""
    y, m = int(month[:4]), int(month[5:7])
    return date(y + (m == 12), m % 12 + 1, 1).fromordinal(date(y + (m == 12), m % 12 + 1, 1).toordinal() - 1)
