"""The Dagster code location: `dagster dev -m pipelines.definitions` opens it in the UI."""

import dagster as dg

from pipelines.assets import core, ingest, publish
from pipelines.checks import ASSET_CHECKS
from pipelines.jobs import monthly_refresh
from pipelines.resources import build_resources
from pipelines.schedules import monthly_schedule
from pipelines.sensors import inbox_sensor

ASSET_MODULES = [ingest, core, publish]

defs = dg.Definitions(
    assets=dg.load_assets_from_modules(ASSET_MODULES),
    asset_checks=ASSET_CHECKS,
    jobs=[monthly_refresh],
    schedules=[monthly_schedule],
    sensors=[inbox_sensor],
    resources=build_resources(),
)
