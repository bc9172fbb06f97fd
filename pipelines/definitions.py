"""The Dagster code location: `dagster dev -m pipelines.definitions` opens it in the UI."""

from __future__ import annotations

import dagster as dg

from pipelines.assets import ingest, publish
from pipelines.resources import build_resources

ASSET_MODULES = [ingest, publish]

defs = dg.Definitions(
    assets=dg.load_assets_from_modules(ASSET_MODULES),
    resources=build_resources(),
)
