"""`python -m bench.digest WAREHOUSE [OTHER]`: a digest of every table and view of `core` and
`marts` (row count and an order-independent hash of the rows), and, given two warehouses, the
tables that differ. Used to show that a refactoring leaves the sample's marts identical, and by the
incremental benchmark (a month added = a rebuild from scratch)."""

from __future__ import annotations

import sys

import duckdb

SCHEMAS = ("core", "marts")
#: Run stamps and clocks: they differ between two builds of the same data by design.
STAMPS = frozenset(
    {
        "run_id",
        "first_run",
        "first_seen_run",
        "last_seen_run",
        "model_run_id",
        "trained_at",
        "decided_at",
        "seconds",
        "model_json",
    }
)


#: Run logs: one row per run (or per change a run made), so a warehouse built month by month holds
#: rows a rebuild from scratch does not. They are not part of the rebuild check.
RUN_LOGS = frozenset({"core.linkage_run", "core.person_key_event"})


def digest(path: str, schemas: tuple[str, ...] = SCHEMAS) -> dict[str, tuple[int, int]]:
    """`{schema.table: (rows, hash)}`; the hash sums each row's hash, so row order does not count;
    run stamps and clocks (`STAMPS`) are left out.
    Floating-point columns are rounded to 9 decimals first (a sum's last bit may vary by thread)."""
    out: dict[str, tuple[int, int]] = {}
    with duckdb.connect(path, read_only=True) as con:
        # views too (marts.peer_edge is one): their rows are what a reader sees
        tables = con.execute(
            "SELECT schema_name, table_name FROM duckdb_tables() WHERE schema_name IN "
            "(SELECT unnest(?::VARCHAR[])) UNION SELECT schema_name, view_name FROM duckdb_views() "
            "WHERE NOT internal AND schema_name IN (SELECT unnest(?::VARCHAR[])) ORDER BY 1, 2",
            [list(schemas), list(schemas)],
        ).fetchall()
        for schema, table in tables:
            cols = [
                (c, t)
                for c, t in con.execute(
                    "SELECT column_name, data_type FROM duckdb_columns() WHERE schema_name = ? "
                    "AND table_name = ? ORDER BY column_index",
                    [schema, table],
                ).fetchall()
                if c not in STAMPS
            ]
            exprs = [f'round("{c}", 9)' if t in ("DOUBLE", "FLOAT") else f'"{c}"' for c, t in cols]
            exprs = exprs or ["0"]  # a table of stamps only (core.person_key_run): its row count
            n, h = con.execute(
                f'SELECT count(*), coalesce(sum(hash({", ".join(exprs)}))::HUGEINT, 0) FROM "{schema}"."{table}"'
            ).fetchall()[0]
            out[f"{schema}.{table}"] = (int(n), int(h))
    return out


def compare(a: str, b: str) -> list[str]:
    """Tables whose digest differs between warehouses `a` and `b` (or that only one has)."""
    da, db = digest(a), digest(b)
    return sorted(k for k in da.keys() | db.keys() if da.get(k) != db.get(k))


def check(increment: str, rebuild: str) -> dict[str, object]:
    """The benchmark's check that a month added equals a rebuild from scratch: the tables (and
    views) of `core` and `marts` compared, and those whose digest differs. The run logs
    (`RUN_LOGS`) are left out: their rows are the runs themselves."""
    da, db = digest(increment), digest(rebuild)
    names = (da.keys() | db.keys()) - RUN_LOGS
    differ = sorted(k for k in names if da.get(k) != db.get(k))
    return {
        "tables_compared": len(names),
        "tables_differ": differ,
        "same_as_rebuild": not differ,
        "run_logs_not_compared": sorted(RUN_LOGS),
    }


if __name__ == "__main__":
    if len(sys.argv) == 2:
        for k, (n, h) in digest(sys.argv[1]).items():
            print(f"{k:<40} {n:>9} {h}")
    else:
        diff = compare(sys.argv[1], sys.argv[2])
        print("identical" if not diff else "differ: " + ", ".join(diff))
        raise SystemExit(1 if diff else 0)
