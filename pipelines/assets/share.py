"""The analyst copy: `core` and `marts` published read-only for ad-hoc SQL and BI tools."""

from pathlib import Path

import dagster as dg
from dagster_duckdb import DuckDBResource

from pipelines.resources import LanternConfig
from transforms.access_log import collect
from transforms.governance import publish_analyst_copy


def make_analyst_copy(deps: list[dg.AssetKey]) -> dg.AssetsDefinition:
    """The analyst-copy asset, after every asset that writes core or marts."""

    @dg.asset(name="analyst_copy", group_name="share", kinds={"duckdb", "parquet"}, deps=deps)
    def analyst_copy(duckdb: DuckDBResource, lantern: LanternConfig) -> dg.MaterializeResult:
        """A read-only copy of `core` and `marts` (DuckDB file + Parquet, 0640) under
        `build/analyst/`, so analysts' sessions never block the pipeline's writes; then the
        access-log spool (what analysts ran since the last refresh) into `ops.access_log`."""
        target = Path(lantern.build) / "analyst" / "lantern.duckdb"
        with duckdb.get_connection() as con:
            counts = publish_analyst_copy(con, target)
            collected = collect(con, Path(lantern.build) / "access")
        return dg.MaterializeResult(
            metadata={"tables": len(counts), "path": str(target), "access_log_entries_collected": collected}
        )

    return analyst_copy
