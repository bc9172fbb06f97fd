"""The analyst copy: `core` and `marts` published read-only for ad-hoc SQL and BI tools."""

from pathlib import Path

import dagster as dg
from dagster_duckdb import DuckDBResource

from pipelines.resources import LanternConfig
from transforms.access_log import collect
from transforms.governance import PersonalDataFound, publish_analyst_copy


def make_analyst_copy(deps: list[dg.AssetKey]) -> dg.AssetsDefinition:
    """The analyst-copy asset, after every asset that writes core or marts."""

    @dg.asset(
        name="analyst_copy",
        group_name="share",
        kinds={"duckdb", "parquet"},
        deps=deps,
        check_specs=[
            dg.AssetCheckSpec(
                "no_personal_data",
                asset="analyst_copy",
                blocking=True,
                description="No names, dates of birth, postcodes or free text in the copy of core and "
                "marts about to be published (every table and view, whichever asset wrote it)",
            )
        ],
    )
    def analyst_copy(duckdb: DuckDBResource, lantern: LanternConfig) -> dg.MaterializeResult:
        """A read-only copy of `core` and `marts` (DuckDB file + Parquet, 0640) under
        `build/analyst/`, so analysts' sessions never block the pipeline's writes; then the
        access-log spool (what analysts ran since the last refresh) into `ops.access_log`.

        The copy is scanned for personal data before it replaces the last one (its blocking
        check, `no_personal_data`): on a hit nothing is published, the last copy stays, and
        what follows it in the run (the profile) does not run."""
        target = Path(lantern.build) / "analyst" / "lantern.duckdb"
        with duckdb.get_connection() as con:
            try:
                counts = publish_analyst_copy(con, target)
            except PersonalDataFound as exc:
                return dg.MaterializeResult(
                    metadata={"published": False, "path": str(target)},
                    check_results=[
                        dg.AssetCheckResult(
                            check_name="no_personal_data",
                            passed=False,
                            severity=dg.AssetCheckSeverity.ERROR,
                            description=str(exc),
                            metadata={"hits": len(exc.hits)},
                        )
                    ],
                )
            collected = collect(con, Path(lantern.build) / "access")
        return dg.MaterializeResult(
            metadata={
                "published": True,
                "tables": len(counts),
                "path": str(target),
                "access_log_entries_collected": collected,
            },
            check_results=[
                dg.AssetCheckResult(
                    check_name="no_personal_data",
                    passed=True,
                    description="no personal data in the copy of core and marts",
                    metadata={"hits": 0},
                )
            ],
        )

    return analyst_copy
