"""Asset checks: blocking on what must never pass, warning on what an analyst should see."""

from pathlib import Path

import dagster as dg
from dagster_duckdb import DuckDBResource

from dashboards.disclosure import scan_published
from pipelines.resources import LanternConfig
from transforms import checks


def _result(outcome: checks.CheckOutcome, severity: dg.AssetCheckSeverity) -> dg.AssetCheckResult:
    return dg.AssetCheckResult(
        passed=outcome.passed, severity=severity, description=outcome.description, metadata=outcome.metadata
    )


@dg.asset_check(asset="raw_extracts", blocking=True)
def rows_reconcile(duckdb: DuckDBResource) -> dg.AssetCheckResult:
    """Rows in = rows loaded + rows quarantined, for every file; raw holds what the loads say."""
    with duckdb.get_connection() as con:
        return _result(checks.rows_reconcile(con), dg.AssetCheckSeverity.ERROR)


@dg.asset_check(asset="raw_extracts", blocking=False)
def volume_usual(context: dg.AssetCheckExecutionContext, duckdb: DuckDBResource) -> dg.AssetCheckResult:
    """A source's volume this month far from its usual (warning)."""
    with duckdb.get_connection() as con:
        month = con.execute("SELECT max(delivery_month) FROM ops.loads WHERE status = 'loaded'").fetchall()[0][0]
        return _result(checks.volume_usual(con, month or "0000-00"), dg.AssetCheckSeverity.WARN)


@dg.asset_check(asset="person_marts", blocking=True)
def no_orphan_keys(duckdb: DuckDBResource) -> dg.AssetCheckResult:
    """Every key in the marts points at a person or incident that exists."""
    with duckdb.get_connection() as con:
        return _result(checks.no_orphan_keys(con), dg.AssetCheckSeverity.ERROR)


@dg.asset_check(asset="theme_breakdowns", blocking=False)
def completeness_steady(duckdb: DuckDBResource) -> dg.AssetCheckResult:
    """A field's recording completeness dropping this month (warning: read trends with care)."""
    with duckdb.get_connection() as con:
        return _result(checks.completeness_steady(con), dg.AssetCheckSeverity.WARN)


@dg.asset_check(asset="person_identity", blocking=False)
def linkage_probabilistic(duckdb: DuckDBResource) -> dg.AssetCheckResult:
    """The linkage model scored this run (warning when it fell back to the exact rules)."""
    with duckdb.get_connection() as con:
        return _result(checks.linkage_probabilistic(con), dg.AssetCheckSeverity.WARN)


@dg.asset_check(asset="person_identity", blocking=False)
def review_backlog_steady(duckdb: DuckDBResource) -> dg.AssetCheckResult:
    """The clerical-review backlog of borderline links growing (warning)."""
    with duckdb.get_connection() as con:
        return _result(checks.review_backlog_steady(con), dg.AssetCheckSeverity.WARN)


@dg.asset_check(asset="local_profile", blocking=True)
def published_counts_suppressed(lantern: LanternConfig) -> dg.AssetCheckResult:
    """No count from 1 to `small_count`, no person key and no suppressed count that can be worked
    back anywhere in the partners' edition (every month's pages, embedded figure data, exports)."""
    site = Path(lantern.build) / "profile"
    months = sorted(p for p in site.iterdir() if p.is_dir() and not p.name.startswith(".")) if site.exists() else []
    problems = [p for m in months for p in scan_published(m, lantern.small_count)]
    return dg.AssetCheckResult(
        passed=not problems,
        severity=dg.AssetCheckSeverity.ERROR,
        description="partners' edition clean"
        if not problems
        else f"{len(problems)} disclosure problems, first: {problems[0]}",
        metadata={"problems": len(problems)},
    )


ASSET_CHECKS = [
    published_counts_suppressed,
    rows_reconcile,
    volume_usual,
    no_orphan_keys,
    completeness_steady,
    review_backlog_steady,
    linkage_probabilistic,
]
