"""Monthly partitions (Europe/London): one partition per delivery month, keys `YYYY-MM`."""

from __future__ import annotations

import dagster as dg

from pipelines.settings import load_settings

monthly = dg.MonthlyPartitionsDefinition(
    start_date=load_settings().first_month, fmt="%Y-%m", timezone="Europe/London", end_offset=0,
)
