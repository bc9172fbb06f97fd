"""Publishing assets: the monthly local profile (partners' edition) under `build/profile/YYYY-MM/`,
and the restricted analysts' edition under `build/restricted/YYYY-MM/` (tagged `on_request`
in pipelines/plan.py: the monthly plan leaves it out; it is built only when asked,
`lantern publish --analysts`)."""

from pathlib import Path

import dagster as dg
from dagster_duckdb import DuckDBResource

from dashboards import analysts
from dashboards.profile import DisclosureError, publish_profile, withdraw
from pipelines import plan
from pipelines.resources import LanternConfig
from transforms.extracts.delivery import no_delivery_months
from transforms.filemodes import PUBLIC, RESTRICTED, umask

# the marts the pages read: base marts, themes and trends, networks (for the analysts' edition)
MART_ASSETS = ["person_marts", "incident_themes", "theme_monthly", "theme_breakdowns", "emerging_themes"]
NETWORK_ASSETS = ["peer_network", "group_profiles"]


def local_profile(
    context: dg.AssetExecutionContext, duckdb: DuckDBResource, lantern: LanternConfig
) -> dg.MaterializeResult:
    """The monthly local profile (partners' edition) as static HTML with CSV/XLSX exports, small
    numbers suppressed; each month is built into a staging folder, scanned (counts from 1 to
    `small_count`, person keys, counts that can be worked back, alone or beside last month's
    edition) and only then swapped in, so a failed scan leaves the previous edition live."""
    pages: list[str] = []
    problems: list[str] = []
    site = Path(lantern.build) / "profile"
    with duckdb.get_connection() as con:
        undelivered = set(no_delivery_months(con))
    skipped = [m for m in context.partition_keys if m in undelivered]
    for month in context.partition_keys:
        if month in undelivered:
            # its counts are unknown, not zero: no profile, and none left from an earlier run
            context.log.warning(
                f"no delivery for {month}: the month folder held no extract files; no profile is published for it"
            )
            withdraw(site, month)
            continue
        try:
            with duckdb.get_connection() as con, umask(PUBLIC):
                pages += [
                    str(p)
                    for p in publish_profile(
                        con,
                        month,
                        site,
                        small_count=lantern.small_count,
                        commentary=Path(lantern.inbox) / "commentary" / f"{month}.md",
                    )
                ]
        except DisclosureError as exc:
            context.log.error(f"{month}: {exc}; the previous edition stays published")
            problems += exc.problems
    if problems:
        raise dg.Failure(description=f"disclosure scan failed: {len(problems)} problems, first: {problems[0]}")
    return dg.MaterializeResult(
        metadata={
            "files": len(pages),
            "html_pages": sum(p.endswith(".html") for p in pages),
            "first": pages[0] if pages else "",
            "disclosure_problems": 0,
            "months_no_delivery": ", ".join(skipped),
        }
    )


def analysts_edition(
    context: dg.AssetExecutionContext, duckdb: DuckDBResource, lantern: LanternConfig
) -> dg.MaterializeResult:
    """The analysts' edition (restricted): peer network, group and place profiles, group-place
    view, group changes. Pseudonymous keys: built only on request, never by the schedule."""
    pages: list[str] = []
    for month in context.partition_keys:
        with duckdb.get_connection() as con, umask(RESTRICTED):
            pages += [str(p) for p in analysts.build(con, month, Path(lantern.build) / "restricted")]
    return dg.MaterializeResult(metadata={"pages": len(pages), "first": pages[0] if pages else ""})


def partitioned_assets(monthly: dg.PartitionsDefinition) -> list[dg.AssetsDefinition]:
    """This module's monthly-partitioned assets (the profile, the analysts' edition), on the
    partitions of one deployment."""
    return [
        dg.asset(
            group_name="publish",
            kinds={"html", "plotly"},
            partitions_def=monthly,
            # after the analyst copy, whose privacy scan blocks what follows it in a run
            deps=["raw_extracts", *MART_ASSETS, "analyst_copy"],
            backfill_policy=dg.BackfillPolicy.single_run(),
            tags=plan.tags("monthly", "partners"),
        )(local_profile),
        dg.asset(
            group_name="publish",
            kinds={"html", "plotly"},
            partitions_def=monthly,
            deps=[*MART_ASSETS, *NETWORK_ASSETS, "analyst_copy"],
            tags=plan.tags("on_request", "restricted"),
        )(analysts_edition),
    ]
