"""Build the person- and incident-level marts from `core` (SQL models in `sql/marts`)."""

from __future__ import annotations

import duckdb

from transforms.extracts.vocab import RISK_FACTORS, VULNERABILITY_FACTORS
from transforms.warehouse import run_models

BASE_MARTS = ("marts/person_link", "marts/incident", "marts/involvement", "marts/person", "marts/public_crime_monthly")


def build_base_marts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """(Re)build incident, involvement, person and person_link; returns row counts."""
    run_models(con, BASE_MARTS, params={"vulnerability": list(VULNERABILITY_FACTORS), "risk": list(RISK_FACTORS)})
    return {n: int(con.execute(f"SELECT count(*) FROM {n.replace('/', '.')}").fetchall()[0][0]) for n in BASE_MARTS}
