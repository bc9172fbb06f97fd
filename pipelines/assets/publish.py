"""Publishing assets: the monthly local profile pages under `build/profile/YYYY-MM/`."""


from pathlib import Path

import dagster as dg
from dagster_duckdb import DuckDBResource

from dashboards.site import build_profile
from pipelines.partitions import monthly
from pipelines.resources import LanternConfig


@dg.asset(group_name="publish", kinds={"html", "plotly"}, partitions_def=monthly,
          deps=["raw_extracts", "person_marts"])
def local_profile(context: dg.AssetExecutionContext, duckdb: DuckDBResource,
                  lantern: LanternConfig) -> dg.MaterializeResult:
    """The monthly local profile (partners' edition) as static HTML, with small numbers suppressed."""
    pages: list[str] = []
    for month in context.partition_keys:
        with duckdb.get_connection() as con:
            pages += [str(p) for p in build_profile(con, month, Path(lantern.build) / "profile",
                                                    small_count=lantern.small_count)]
    return dg.MaterializeResult(metadata={"pages": len(pages), "first": pages[0] if pages else ""})
