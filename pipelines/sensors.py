"""The inbox sensor: a delivery folder that arrives or changes starts that month's refresh.

The cursor is a JSON map of `{relative file path: mtime}`; a run is requested for every month
whose files are new or changed since the last tick, with a run key that changes with them.
"""

import json
from pathlib import Path

import dagster as dg

from pipelines.jobs import monthly_refresh
from pipelines.settings import load_settings
from transforms.extracts.delivery import MONTH_RE


def scan_inbox(inbox: Path) -> dict[str, float]:
    """`{month/file: mtime}` for every file in the inbox's month folders."""
    out: dict[str, float] = {}
    if not inbox.is_dir():
        return out
    for month_dir in inbox.iterdir():
        if month_dir.is_dir() and MONTH_RE.match(month_dir.name):
            for f in month_dir.iterdir():
                if f.is_file() and not f.name.startswith("."):
                    out[f"{month_dir.name}/{f.name}"] = f.stat().st_mtime
    return out


@dg.sensor(job=monthly_refresh, minimum_interval_seconds=60, default_status=dg.DefaultSensorStatus.RUNNING)
def inbox_sensor(context: dg.SensorEvaluationContext) -> dg.SensorResult:
    """Start the refresh of any month whose delivery folder arrived or changed."""
    inbox = load_settings().inbox
    seen = json.loads(context.cursor) if context.cursor else {}
    now = scan_inbox(inbox)
    changed = sorted({k.split("/")[0] for k, m in now.items() if seen.get(k) != m})
    requests = []
    for month in changed:
        stamp = max(m for k, m in now.items() if k.startswith(month + "/"))
        requests.append(dg.RunRequest(run_key=f"{month}_{stamp}", partition_key=month))
    return dg.SensorResult(run_requests=requests, cursor=json.dumps(now, sort_keys=True))
