"""How much of the warehouse a monthly increment rewrote, row by row.

A refresh rebuilds `core` and `marts` in full from `raw`. How much of that a delta pipeline could
skip depends on how many rows a month really changes, and where. For each table this compares the
warehouse after an increment with the one before it, as multisets of rows on the columns both
have: rows added (in after, not before) and rows removed (in before, not after); a changed row
counts once each way. It does so a second time without the run stamps (`STAMPS`), the columns
that record which run last wrote a row and so differ on every row of every run by design.
`python -m bench` reports it after the increment as its `row_change` stage; on its own:

    python -m bench.rows BEFORE.duckdb AFTER.duckdb
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import duckdb

#: The schemas compared: what a refresh rebuilds (`raw` is loaded, not rebuilt).
SCHEMAS = ("core", "marts")

#: Columns naming the run that last wrote a row: every row changes in them every run. Since
#: session 10, `core.person_key_map` is a view and its `run_id` one row of `core.person_key_run`;
#: `core.link_review.last_seen_run` is still on every pair.
STAMPS = frozenset({"run_id", "last_seen_run"})

#: The network marts keyed by the months' groups: they change wherever a month's groups were found again.
GROUP_KEYED = frozenset(
    {
        "marts.peer_group",
        "marts.peer_group_event",
        "marts.group_place",
        "marts.peer_group_profile",
        "marts.peer_on_peer",
        "marts.place_profile",
        "marts.peer_bridge",
    }
)


def _columns(con: duckdb.DuckDBPyConnection, db: str, schemas: tuple[str, ...]) -> dict[str, list[str]]:
    """table -> its columns in order, for the tables of `schemas` in attached database `db`. Views
    store no rows, so a refresh writes none of theirs: they are not compared."""
    out: dict[str, list[str]] = {}
    for schema, table, column in con.execute(
        "SELECT c.schema_name, c.table_name, c.column_name FROM duckdb_columns() c JOIN duckdb_tables() t "
        "ON t.database_name = c.database_name AND t.schema_name = c.schema_name AND t.table_name = c.table_name "
        "WHERE c.database_name = ? AND c.schema_name IN (SELECT unnest(?::VARCHAR[])) "
        "ORDER BY c.schema_name, c.table_name, c.column_index",
        [db, list(schemas)],
    ).fetchall():
        out.setdefault(f"{schema}.{table}", []).append(column)
    return out


def _count(con: duckdb.DuckDBPyConnection, sql: str) -> int:
    return int(con.execute(f"SELECT count(*) FROM ({sql})").fetchall()[0][0])


def table_changes(
    con: duckdb.DuckDBPyConnection,
    old: dict[str, list[str]],
    new: dict[str, list[str]],
    before: str = "b",
    after: str = "a",
) -> dict[str, dict[str, int]]:
    """Per table in either attached database (`old`, `new`: its tables' columns, from `_columns`):
    rows (after), added, removed, and added and removed again without the `STAMPS` columns. A
    table in one database only is all added or all removed."""
    out: dict[str, dict[str, int]] = {}
    for table in sorted(set(old) | set(new)):
        if table not in old or table not in new:
            n_new = _count(con, f"SELECT 1 FROM {after}.{table}") if table in new else 0
            n_old = _count(con, f"SELECT 1 FROM {before}.{table}") if table in old else 0
            out[table] = {
                "rows": n_new,
                "added": n_new,
                "removed": n_old,
                "added_without_stamps": n_new,
                "removed_without_stamps": n_old,
            }
            continue
        shared = [c for c in new[table] if c in old[table]]
        row = {"rows": _count(con, f"SELECT 1 FROM {after}.{table}")}
        for suffix, cols in (("", shared), ("_without_stamps", [c for c in shared if c not in STAMPS])):
            if suffix and len(cols) == len(shared):  # no stamps here: the same answer
                row["added" + suffix], row["removed" + suffix] = row["added"], row["removed"]
                continue
            sel = ", ".join('"' + c.replace('"', '""') + '"' for c in cols) or "1"
            a, b = f"SELECT {sel} FROM {after}.{table}", f"SELECT {sel} FROM {before}.{table}"
            row["added" + suffix] = _count(con, f"{a} EXCEPT ALL {b}")
            row["removed" + suffix] = _count(con, f"{b} EXCEPT ALL {a}")
        out[table] = row
    return out


def summarise(tables: dict[str, dict[str, int]]) -> dict[str, object]:
    """Totals over the tables: rows, rows added, the share of rows added (with and without the run
    stamps), and the share of the added rows (without stamps) that are in the group-keyed marts."""
    rows = sum(t["rows"] for t in tables.values())
    added = sum(t["added"] for t in tables.values())
    content = sum(t["added_without_stamps"] for t in tables.values())
    grouped = sum(t["added_without_stamps"] for name, t in tables.items() if name in GROUP_KEYED)
    return {
        "rows": rows,
        "rows_added": added,
        "rows_removed": sum(t["removed"] for t in tables.values()),
        "added_share": round(added / rows, 4) if rows else 0.0,
        "added_share_without_stamps": round(content / rows, 4) if rows else 0.0,
        "added_share_outside_group_marts": round((content - grouped) / rows, 4) if rows else 0.0,
        "tables_unchanged": sum(1 for t in tables.values() if not t["added"] and not t["removed"]),
        "tables": len(tables),
    }


def compare_warehouses(before: Path, after: Path, memory_limit: str = "4GB") -> dict[str, object]:
    """`table_changes` and `summarise` of two warehouse files, opened read-only, and the tables
    found in only one of them; the set differences spill to a folder beside `after`, removed
    afterwards."""
    spill = after.parent / ".rows-spill"
    con = duckdb.connect()
    try:
        con.execute(f"SET memory_limit = '{memory_limit}'")
        con.execute("SET temp_directory = '" + str(spill).replace("'", "''") + "'")
        con.execute("SET preserve_insertion_order = false")
        con.execute("ATTACH ? AS b (READ_ONLY)", [str(before)])
        con.execute("ATTACH ? AS a (READ_ONLY)", [str(after)])
        old, new = _columns(con, "b", SCHEMAS), _columns(con, "a", SCHEMAS)
        tables = table_changes(con, old, new)
    finally:
        con.close()
        shutil.rmtree(spill, ignore_errors=True)
    return {
        **summarise(tables),
        "by_table": tables,
        "only_before": sorted(set(old) - set(new)),
        "only_after": sorted(set(new) - set(old)),
    }


def main(argv: list[str]) -> int:
    """Print the comparison of two warehouses, table by table (most rows added first)."""
    from pipelines.settings import memory_limit

    result = compare_warehouses(Path(argv[0]), Path(argv[1]), memory_limit())
    tables: dict[str, dict[str, int]] = result["by_table"]  # type: ignore[assignment]
    print(f"{'table':<32}{'rows':>12}{'added':>12}{'removed':>12}{'added w/o stamps':>18}")
    for name, t in sorted(tables.items(), key=lambda kv: -kv[1]["added"]):
        print(f"{name:<32}{t['rows']:>12}{t['added']:>12}{t['removed']:>12}{t['added_without_stamps']:>18}")
    print(
        f"all tables: {result['rows_added']} of {result['rows']} rows added ({result['added_share']:.1%}); "
        f"without run stamps {result['added_share_without_stamps']:.1%}; outside the group-keyed network "
        f"marts {result['added_share_outside_group_marts']:.1%}; "
        f"{result['tables_unchanged']} of {result['tables']} tables unchanged"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
