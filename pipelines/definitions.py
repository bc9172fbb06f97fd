"""The Dagster code location: `dagster dev -m pipelines.definitions` opens it in the UI."""

import dagster as dg

from pipelines.assets import core, ingest, network, publish, themes
from pipelines.assets.share import make_analyst_copy
from pipelines.checks import ASSET_CHECKS
from pipelines.jobs import monthly_refresh
from pipelines.plan import is_monthly, writes_warehouse
from pipelines.resources import build_resources
from pipelines.schedules import monthly_schedule
from pipelines.sensors import inbox_sensor
from transforms.filemodes import set_process_umask

# a code location's processes create the warehouse and its WAL: private from creation (the
# assets loosen the umask only around the analyst copy and the pages, transforms/filemodes.py)
set_process_umask()

ASSET_MODULES = [ingest, core, themes, network, publish]

_assets = dg.load_assets_from_modules(ASSET_MODULES)
# the analyst copy follows every monthly asset that writes core or marts (never the pages)
_share_deps = [k for a in _assets if isinstance(a, dg.AssetsDefinition) and writes_warehouse(a)
               for k in a.keys if is_monthly(a, k)]

defs = dg.Definitions(
    assets=[*_assets, make_analyst_copy(_share_deps)],
    asset_checks=ASSET_CHECKS,
    jobs=[monthly_refresh],
    schedules=[monthly_schedule],
    sensors=[inbox_sensor],
    resources=build_resources(),
)
