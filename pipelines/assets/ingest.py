"""Ingest assets: the reference data and each month's delivery into `raw`."""

from pathlib import Path

import dagster as dg
from dagster_duckdb import DuckDBResource

from pipelines.resources import LanternConfig
from transforms.extracts.ingest import ingest_months, ingest_reference, summarise

WAREHOUSE_POOL = "warehouse"


@dg.asset(group_name="ingest", kinds={"duckdb"}, pool=WAREHOUSE_POOL)
def reference_data(duckdb: DuckDBResource, lantern: LanternConfig) -> dg.MaterializeResult:
    """Wards, ward boundaries, child population, schools and places from the inbox's `reference/`."""
    with duckdb.get_connection() as con:
        counts = ingest_reference(con, Path(lantern.inbox))
    return dg.MaterializeResult(metadata={f"rows_{k}": v for k, v in counts.items()})


def raw_extracts(
    context: dg.AssetExecutionContext, duckdb: DuckDBResource, lantern: LanternConfig
) -> dg.MaterializeResult:
    """Each month's delivery (police, social care, missing, exclusions, MAP workbook) into `raw`,
    validated, with rejected rows in `ops.quarantine` and one `ops.loads` row per file."""
    months = list(context.partition_keys)
    with duckdb.get_connection() as con:
        results = ingest_months(
            con,
            Path(lantern.inbox),
            months,
            Path(lantern.profiles),
            run_id=context.run.run_id,
            secret=lantern.pseudonym_key,
        )
    for r in results:
        if r.status in ("failed", "waiting"):
            context.log.error(f"{r.source_file}: {r.message}")
    summary = summarise(results)
    return dg.MaterializeResult(metadata={**summary, "months": ", ".join(months)})


def partitioned_assets(monthly: dg.PartitionsDefinition) -> list[dg.AssetsDefinition]:
    """This module's monthly-partitioned assets, on the partitions of one deployment."""
    return [
        dg.asset(
            group_name="ingest",
            kinds={"duckdb"},
            partitions_def=monthly,
            pool=WAREHOUSE_POOL,
            backfill_policy=dg.BackfillPolicy.single_run(),
        )(raw_extracts)
    ]
