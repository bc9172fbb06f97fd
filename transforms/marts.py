"""Build the person- and incident-level marts from `core` (SQL models in `sql/marts`)."""

from __future__ import annotations

import duckdb

import sql
from transforms.extracts.vocab import RISK_FACTORS, VULNERABILITY_FACTORS

BASE_MARTS = ("marts/person_link", "marts/incident", "marts/involvement", "marts/person")


def build_base_marts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """(Re)build incident, involvement, person and person_link; returns row counts."""
    params = {"vulnerability": list(VULNERABILITY_FACTORS), "risk": list(RISK_FACTORS)}
    con.execute("BEGIN TRANSACTION")
    try:
        for name in BASE_MARTS:
            for stmt in sql.statements(name):
                con.execute(stmt, {k: v for k, v in params.items() if f"${k}" in stmt})
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    return {n: int(con.execute(f"SELECT count(*) FROM {n.replace('/', '.')}").fetchall()[0][0])
            for n in BASE_MARTS}
