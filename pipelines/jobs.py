"""Jobs: the monthly refresh (every asset, partitioned by delivery month)."""

import dagster as dg

monthly_refresh = dg.define_asset_job(
    name="monthly_refresh",
    selection=dg.AssetSelection.all() - dg.AssetSelection.groups("restricted"),
    description="Load a month's delivery, rebuild identity, core and marts, publish the profile.",
)
