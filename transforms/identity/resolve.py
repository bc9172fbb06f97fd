"""Resolve every person-bearing record into one `person_key` and write `core.person_link`."""

from __future__ import annotations

import logging

import duckdb
import pandas as pd

from transforms.identity.deterministic import deterministic_clusters
from transforms.identity.pseudonym import person_key

logger = logging.getLogger(__name__)


def resolve_identities(con: duckdb.DuckDBPyConnection, *, secret: str) -> dict[str, int]:
    """Cluster `raw.person_record` and (re)write `core.person_link`; returns counts."""
    records = con.execute(
        "SELECT source, source_key, agency, agency_id, forename, surname, dob FROM raw.person_record"
    ).df()
    if records.empty:
        links = pd.DataFrame(columns=["source", "source_key", "person_key", "match_probability"])
    else:
        cluster = deterministic_clusters(records)
        rep = (records["source"] + "|" + records["source_key"]).groupby(cluster).transform("min")
        links = pd.DataFrame({
            "source": records["source"], "source_key": records["source_key"],
            "person_key": rep.map(lambda r: person_key(secret, r)),
            "match_probability": 1.0,
        })
    con.register("_links", links)
    con.execute("CREATE OR REPLACE TABLE core.person_link AS SELECT source::VARCHAR AS source, "
                "source_key::VARCHAR AS source_key, person_key::VARCHAR AS person_key, "
                "match_probability::DOUBLE AS match_probability FROM _links")
    con.unregister("_links")
    con.execute("COMMENT ON TABLE core.person_link IS 'Source record -> resolved person_key, with the match probability of its link.'")
    return {"records": len(links), "persons": int(links["person_key"].nunique()) if len(links) else 0}
