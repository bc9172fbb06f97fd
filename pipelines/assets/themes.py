"""Themes and trends assets: versioned theme definitions, monthly series with expected levels,
the breakdowns of the local profile, emerging themes in free text and cohorts of need."""

import dagster as dg
from dagster_duckdb import DuckDBResource

from pipelines.assets.ingest import WAREHOUSE_POOL
from pipelines.resources import LanternConfig
from transforms.themes.breakdowns import build_breakdowns
from transforms.themes.cohorts import build_cohorts
from transforms.themes.definitions import apply_definitions, load_definitions
from transforms.themes.emerging import build_emerging_themes
from transforms.themes.monthly import build_theme_monthly


@dg.asset(group_name="themes", kinds={"duckdb"}, deps=["core_tables"], pool=WAREHOUSE_POOL)
def incident_themes(duckdb: DuckDBResource) -> dg.MaterializeResult:
    """Each incident's themes (cse, hsb_peer, syv, cce, gang, online) from the latest versioned
    definitions (`transforms/themes/definitions/themes_vN.yaml`): core.incident_theme and
    marts.theme_definition. The whole history is re-themed whenever the definitions change."""
    defs = load_definitions()
    with duckdb.get_connection() as con:
        counts = apply_definitions(con, defs)
    return dg.MaterializeResult(metadata={"definitions_version": defs.version, **counts})


@dg.asset(group_name="themes", kinds={"duckdb"}, deps=["person_marts"], pool=WAREHOUSE_POOL)
def theme_monthly(duckdb: DuckDBResource) -> dg.MaterializeResult:
    """marts.theme_monthly (theme x month x ward and borough-wide) and marts.place_monthly
    (place x theme x month): counts, expected levels by the improved Farrington method, limits
    and exceedance flags."""
    with duckdb.get_connection() as con:
        version = con.execute("select max(version) from marts.theme_definition").fetchall()[0][0]
        counts = build_theme_monthly(con, str(version))
    return dg.MaterializeResult(metadata=counts)


@dg.asset(group_name="themes", kinds={"duckdb"}, deps=["person_marts"], pool=WAREHOUSE_POOL)
def theme_breakdowns(duckdb: DuckDBResource) -> dg.MaterializeResult:
    """The breakdowns analysts publish (age, sex, ethnicity, ward, location, day x hour), repeat
    victims and suspects, victim-suspect overlap, referral gaps (counts only),
    disproportionality with confidence intervals, recording completeness, the assessment matrix
    and unaddressed contexts."""
    with duckdb.get_connection() as con:
        counts = build_breakdowns(con)
    return dg.MaterializeResult(metadata=counts)


@dg.asset(group_name="themes", kinds={"duckdb", "sklearn"}, deps=["person_marts"], pool=WAREHOUSE_POOL)
def emerging_themes(duckdb: DuckDBResource, lantern: LanternConfig) -> dg.MaterializeResult:
    """Topics of the crime MO text and MAP assessment notes (TF-IDF + NMF, fitted per period) whose
    share rises: marts.emerging_theme and marts.emerging_theme_monthly. Only topic terms and counts
    leave `raw`; the text does not. The periods the memo lacks are fitted in `LANTERN_THEME_WORKERS`
    processes."""
    with duckdb.get_connection() as con:
        counts = build_emerging_themes(con, workers=lantern.theme_workers)
    return dg.MaterializeResult(metadata=counts)


@dg.asset(group_name="themes", kinds={"duckdb", "sklearn"}, deps=["person_marts"], pool=WAREHOUSE_POOL)
def need_cohorts(duckdb: DuckDBResource) -> dg.MaterializeResult:
    """Cohorts of need: groups of co-occurring vulnerabilities and risks among young people
    (marts.cohort_profile), described as groups, never as scores on individuals."""
    with duckdb.get_connection() as con:
        counts = build_cohorts(con)
    return dg.MaterializeResult(metadata=counts)
