"""Identity and core assets: resolve people across agencies, build the pseudonymised `core`."""

from pathlib import Path

import dagster as dg
from dagster_duckdb import DuckDBResource

from pipelines.assets.ingest import WAREHOUSE_POOL
from pipelines.resources import LanternConfig
from transforms.core import build_core, build_staging
from transforms.identity.resolve import RETRAIN_GROWTH, resolve_identities
from transforms.marts import build_base_marts


class IdentityConfig(dg.Config):
    """When the linkage model is trained again rather than reused (launchpad or run config)."""

    retrain: bool = False
    retrain_growth: float = RETRAIN_GROWTH


@dg.asset(group_name="identity", kinds={"duckdb"}, deps=["raw_extracts"], pool=WAREHOUSE_POOL)
def person_identity(duckdb: DuckDBResource, lantern: LanternConfig, config: IdentityConfig) -> dg.MaterializeResult:
    """One person_key per child across police, social care, missing, education and MAP records
    (`core.person_link`); names, dates of birth and postcodes are used here and left behind.
    The model of the last training month is reused until the next one (records delivered grown by
    `retrain_growth`, or a year on); `retrain` trains it again (the same model)."""
    with duckdb.get_connection() as con:
        build_staging(con)
        work = Path(lantern.work) if lantern.work else None
        counts = resolve_identities(
            con,
            secret=lantern.pseudonym_key,
            retrain=config.retrain,
            retrain_growth=config.retrain_growth,
            workdir=work,
            memory_limit=lantern.link_memory_limit,
        )
    return dg.MaterializeResult(metadata=counts)


@dg.asset(group_name="core", kinds={"duckdb"}, deps=["person_identity", "reference_data"], pool=WAREHOUSE_POOL)
def core_tables(duckdb: DuckDBResource) -> dg.MaterializeResult:
    """The pseudonymised core: incidents, involvements, referrals, missing episodes, exclusions,
    assessments and their cells, persons (no names, dates of birth, postcodes or free text)."""
    with duckdb.get_connection() as con:
        counts = build_core(con)
    return dg.MaterializeResult(metadata={f"rows_{k}": v for k, v in counts.items()})


@dg.asset(group_name="marts", kinds={"duckdb"}, deps=["core_tables", "incident_themes"], pool=WAREHOUSE_POOL)
def person_marts(duckdb: DuckDBResource) -> dg.MaterializeResult:
    """marts.incident, marts.involvement, marts.person and marts.person_link."""
    with duckdb.get_connection() as con:
        counts = build_base_marts(con)
    return dg.MaterializeResult(metadata={k.replace("/", "_"): v for k, v in counts.items()})
