"""The monthly schedule: 06:00 (Europe/London) on the 3rd, for the month just ended."""

import dagster as dg

from pipelines.jobs import monthly_refresh

monthly_schedule = dg.build_schedule_from_partitioned_job(
    monthly_refresh,
    hour_of_day=6,
    minute_of_hour=0,
    day_of_month=3,
    default_status=dg.DefaultScheduleStatus.RUNNING,
)
