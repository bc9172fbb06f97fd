"""Jobs: the monthly refresh (what pipelines/plan.py says a monthly run builds, partitioned by
delivery month). The schedule and the inbox sensor start this job; `lantern refresh` runs the
same plan in process (pipelines/runs.py)."""

import dagster as dg

from pipelines.plan import monthly_selection

monthly_refresh = dg.define_asset_job(
    name="monthly_refresh",
    selection=monthly_selection(),
    description="Load a month's delivery, rebuild identity, core and marts, publish the profile.",
)
