"""The Dagster code location: `dagster dev -m pipelines.definitions` opens it in the UI.

`build_definitions(settings)` makes the definitions of one deployment (its monthly partitions
start at `settings.first_month`); `defs` is Dagster's lazy entry point, which reads the settings
from the environment only when Dagster loads the code location.
"""

from __future__ import annotations

from functools import lru_cache

import dagster as dg

from pipelines.assets import core, ingest, network, publish, themes
from pipelines.assets.share import make_analyst_copy
from pipelines.checks import ASSET_CHECKS
from pipelines.jobs import monthly_refresh
from pipelines.partitions import monthly_partitions
from pipelines.plan import is_monthly, writes_warehouse
from pipelines.resources import build_resources
from pipelines.schedules import monthly_schedule
from pipelines.sensors import inbox_sensor
from pipelines.settings import Settings, load_settings
from transforms.filemodes import set_process_umask

ASSET_MODULES = [ingest, core, themes, network, publish]
PARTITIONED_MODULES = [ingest, publish]


@lru_cache(maxsize=8)
def _assets(first_month: str) -> tuple[dg.AssetsDefinition, ...]:
    monthly = monthly_partitions(first_month)
    found = [a for a in dg.load_assets_from_modules(ASSET_MODULES) if isinstance(a, dg.AssetsDefinition)]
    found += [a for m in PARTITIONED_MODULES for a in m.partitioned_assets(monthly)]
    # the analyst copy follows every monthly asset that writes core or marts (never the pages)
    share_deps = [k for a in found if writes_warehouse(a) for k in a.keys if is_monthly(a, k)]
    return (*found, make_analyst_copy(share_deps))


def assets_for(settings: Settings) -> list[dg.AssetsDefinition]:
    """Every asset of the deployment `settings` describe."""
    return list(_assets(settings.first_month))


def build_definitions(settings: Settings) -> dg.Definitions:
    """The code location of one deployment."""
    return dg.Definitions(
        assets=assets_for(settings),
        asset_checks=ASSET_CHECKS,
        jobs=[monthly_refresh],
        schedules=[monthly_schedule],
        sensors=[inbox_sensor],
        resources=build_resources(settings),
    )


@dg.definitions
def defs() -> dg.Definitions:
    """Dagster's entry point: the deployment the environment describes (pipelines/settings.py)."""
    # a code location's processes create the warehouse and its WAL: private from creation (the
    # assets loosen the umask only around the analyst copy and the pages, transforms/filemodes.py)
    set_process_umask()
    return build_definitions(load_settings())
