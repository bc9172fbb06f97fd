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

from transforms.warehouse import run_models

logger = logging.getLogger(__name__)

BREAKDOWN_MARTS: tuple[str, ...] = (
    "marts/breakdown_person",
    "marts/breakdown_place",
    "marts/breakdown_time",
    "marts/repeat_involvement",
    "marts/victim_suspect_overlap",
    "marts/referral_gap",
    "marts/disproportionality",
    "marts/recording_completeness",
    "marts/assessment_matrix",
    "marts/assessment_glm_goods",
    "marts/unaddressed_context",
    "marts/map_action",
    "marts/map_action_summary",
)

# the profile's MAP matrix of recorded cells and planning, and its school context (issue 23)
BREAKDOWN_MARTS += ("marts/assessment_cells", "marts/school_context")


def build_breakdowns(con: duckdb.DuckDBPyConnection, *, z: float = 1.96) -> dict[str, int]:
    """(Re)build every breakdown mart in one transaction; returns row counts by table."""
    run_models(con, BREAKDOWN_MARTS, params={"z": z})
    counts = {
        n.split("/")[1]: int(con.execute(f"select count(*) from {n.replace('/', '.')}").fetchall()[0][0])
        for n in BREAKDOWN_MARTS
    }
    logger.info("breakdowns: %s", counts)
    return counts
