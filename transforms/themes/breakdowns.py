"""The breakdowns the local profile is written from, as SQL models over `core` (`sql/marts/`).

Person, place and time breakdowns of themed incidents, repeat victims and suspects, the
victim-suspect overlap, referral gaps (counts only), disproportionality with Byar confidence
intervals (Breslow NE, Day NE. Statistical methods in cancer research, vol. II, IARC 1987:
the approximation to the exact Poisson interval), recording completeness, and the MAP assessment
matrix with its unaddressed contexts and Good Lives goods. All true counts: disclosure control
belongs to publishing.
"""

from __future__ import annotations

import logging

import duckdb

import sql

logger = logging.getLogger(__name__)

BREAKDOWN_MARTS: tuple[str, ...] = (
    "marts/breakdown_person", "marts/breakdown_place", "marts/breakdown_time",
    "marts/repeat_involvement", "marts/victim_suspect_overlap", "marts/referral_gap",
    "marts/disproportionality", "marts/recording_completeness",
    "marts/assessment_matrix", "marts/assessment_glm_goods", "marts/unaddressed_context",
)

# the profile's MAP matrix of recorded cells and planning, and its school context (issue 23)
BREAKDOWN_MARTS += ("marts/assessment_cells", "marts/school_context")


def build_breakdowns(con: duckdb.DuckDBPyConnection, *, z: float = 1.96) -> dict[str, int]:
    """(Re)build every breakdown mart in one transaction; returns row counts by table."""
    con.execute("BEGIN TRANSACTION")
    try:
        for name in BREAKDOWN_MARTS:
            for stmt in sql.statements(name):
                con.execute(stmt, {"z": z} if "$z" in stmt else None)
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    counts = {n.split("/")[1]: int(con.execute(f"select count(*) from {n.replace('/', '.')}").fetchall()[0][0])
              for n in BREAKDOWN_MARTS}
    logger.info("breakdowns: %s", counts)
    return counts
