"""Monthly partitions (Europe/London): one partition per delivery month, keys `YYYY-MM`, from
the first month the settings give (built when the definitions are, never at import)."""

from __future__ import annotations

import dagster as dg


def monthly_partitions(first_month: str) -> dg.MonthlyPartitionsDefinition:
    """Monthly partitions from `first_month` (YYYY-MM) to the month now ending."""
    return dg.MonthlyPartitionsDefinition(
        start_date=first_month,
        fmt="%Y-%m",
        timezone="Europe/London",
        end_offset=0,
    )
