"""Build the `core` layer from `raw` and the resolved identities (SQL models in `sql/core`)."""

from __future__ import annotations

import duckdb
import pandas as pd

from transforms.extracts.vocab import ETHNIC_GROUP_OF
from transforms.warehouse import run_models

# Order matters: later models read earlier ones.
CORE_MODELS = (
    "core/ethnicity_map",
    "staging/child_key",
    "core/incident",
    "core/person_record",
    "core/involvement",
    "core/referral",
    "core/missing_episode",
    "core/exclusion",
    "core/assessment",
    "core/assessment_cell",
    "core/person",
)


def build_staging(con: duckdb.DuckDBPyConnection) -> None:
    """The pipeline-only staging views over raw (inputs of linkage)."""
    run_models(con, ("staging/person_record",))


def build_core(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """(Re)build every core table in one transaction; returns row counts."""
    ethnicity = pd.DataFrame(
        [(k, v, "officer_defined" if k.startswith("IC") else "self_defined") for k, v in ETHNIC_GROUP_OF.items()],
        columns=["code", "ethnic_group", "coding"],
    )
    run_models(con, CORE_MODELS, frames={"_ethnicity_map": ethnicity})
    return {
        n.split("/")[1]: int(con.execute(f"SELECT count(*) FROM {n.replace('/', '.')}").fetchall()[0][0])
        for n in CORE_MODELS
        if n.startswith("core/")
    }
