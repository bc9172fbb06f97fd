"""Run the Lantern assets in process (what the command line and tests call).

The command line does not duplicate the assets: it materialises the same Dagster assets that
`dagster dev` shows, through `dg.materialize`, in this process (a process per step costs seconds).
"""

from __future__ import annotations

import fcntl
import logging
import os
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import dagster as dg

from pipelines import definitions, plan
from pipelines.resources import build_resources, connect_warehouse
from pipelines.settings import Settings, load_settings
from transforms.filemodes import prepare_layout, set_process_umask
from transforms.governance import clear_work
from transforms.warehouse import bootstrap

logger = logging.getLogger(__name__)

# A run over a range of partitions (a single-run backfill) is asked for with Dagster's documented
# run tags; the names are spelled here rather than imported from Dagster's private modules.
ASSET_PARTITION_RANGE_START_TAG = "dagster/asset_partition_range_start"
ASSET_PARTITION_RANGE_END_TAG = "dagster/asset_partition_range_end"

_QUIET = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}


def _instance() -> dg.DagsterInstance:
    if os.environ.get("DAGSTER_HOME"):
        return dg.DagsterInstance.get()
    return dg.DagsterInstance.ephemeral()


def all_assets(settings: Settings | None = None) -> list[dg.AssetsDefinition]:
    """Every asset of the deployment (`settings`, else the environment's)."""
    return definitions.assets_for(settings or load_settings())


def _select(keys: Sequence[str], settings: Settings) -> list[Any]:
    """The assets called `keys`, with the asset checks that guard them."""
    want = set(keys)
    assets: list[Any] = [a for a in all_assets(settings) if {k.to_user_string() for k in a.keys} & want]
    for c in definitions.ASSET_CHECKS:
        if {k.asset_key.to_user_string() for k in c.check_keys} & want:
            assets.append(c)
    return assets


def monthly_keys() -> list[str]:
    """What a monthly run builds (pipelines/plan.py), in definition order: the same selection as
    the schedule's job."""
    return plan.monthly_keys(all_assets())


_LOADS = ("reference_data", "raw_extracts")


def _partitioned() -> set[str]:
    return {k.to_user_string() for a in all_assets() if a.partitions_def is not None for k in a.keys}


def downstream_keys() -> list[str]:
    """The monthly plan's unpartitioned assets that rebuild from `raw` (identity, core, marts,
    the analyst copy), in definition order."""
    return [k for k in monthly_keys() if k not in _partitioned() and k not in _LOADS]


def page_keys() -> list[str]:
    """The monthly plan's pages: its partitioned assets besides the deliveries (the profile)."""
    return [k for k in monthly_keys() if k in _partitioned() and k not in _LOADS]


def materialize(
    keys: Sequence[str], settings: Settings, *, months: Sequence[str] | None = None, quiet: bool = True
) -> dg.ExecuteInProcessResult:
    """Materialise assets by key; `months` picks the monthly partitions (one run, a range)."""
    set_process_umask()
    tags = {}
    if months:
        tags = {ASSET_PARTITION_RANGE_START_TAG: min(months), ASSET_PARTITION_RANGE_END_TAG: max(months)}
    assets = _select(keys, settings)
    return dg.materialize(
        assets,
        resources=build_resources(settings),
        instance=_instance(),
        tags=tags,
        run_config=_QUIET if quiet else None,
        raise_on_error=True,
    )


class RefreshBusy(RuntimeError):
    """Another refresh holds the warehouse."""


@contextmanager
def warehouse_lock(settings: Settings, wait: bool = False) -> Iterator[None]:
    """One refresh at a time per warehouse: a second one waits (`wait`) or fails clearly."""
    settings.warehouse.parent.mkdir(parents=True, exist_ok=True)
    path = settings.warehouse.with_name(settings.warehouse.name + ".lock")
    with open(path, "a+", encoding="utf-8") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            fh.seek(0)
            holder = fh.read().strip() or "unknown"
            raise RefreshBusy(
                f"another refresh is writing {settings.warehouse} ({holder}); wait for it "
                "to finish, or run again with --wait"
            ) from None
        fh.seek(0)
        fh.truncate()
        fh.write(f"pid {os.getpid()} since {time.strftime('%Y-%m-%d %H:%M:%S')}")
        fh.flush()
        try:
            yield
        finally:
            fh.seek(0)
            fh.truncate()
            fcntl.flock(fh, fcntl.LOCK_UN)


def refresh(
    settings: Settings,
    months: Sequence[str],
    publish_month: str | None,
    progress: Callable[[str], None] = logger.info,
    wait: bool = False,
    timings: dict[str, float] | None = None,
) -> str:
    """Load `months`, rebuild everything downstream and publish `publish_month`; returns run id.
    `timings`, when given, receives the seconds of each asset and check step."""
    with warehouse_lock(settings, wait):
        return _refresh(settings, months, publish_month, progress, timings)


def _undelivered(settings: Settings) -> list[str]:
    """Months reported as 'no delivery' (no file loaded since): no profile is published for them."""
    from transforms.extracts.delivery import no_delivery_months

    with connect_warehouse(str(settings.warehouse), limit=settings.memory_limit) as con:
        return no_delivery_months(con)


def mark_interrupted(con: Any) -> int:
    """Runs still 'running' when a refresh starts were ended by a kill or a crash (the caller holds
    the refresh lock, so none is alive): mark them failed. Returns how many."""
    n = con.execute("SELECT count(*) FROM ops.runs WHERE status = 'running'").fetchall()[0][0]
    con.execute(
        "UPDATE ops.runs SET status = 'failed', finished_at = coalesce(finished_at, now()), "
        "message = 'interrupted: the process ended before the run finished (marked at the next start)' "
        "WHERE status = 'running'"
    )
    return int(n)


def _refresh(
    settings: Settings,
    months: Sequence[str],
    publish_month: str | None,
    progress: Callable[[str], None],
    timings: dict[str, float] | None = None,
) -> str:
    run_id = uuid.uuid4().hex[:12]
    set_process_umask()  # the warehouse, its WAL and the work folder: 0600 / 0700 from creation
    prepare_layout(settings.warehouse, settings.build)
    clear_work(settings.work)  # what a killed run left (scoring databases hold names)
    with connect_warehouse(str(settings.warehouse), limit=settings.memory_limit) as con:
        bootstrap(con)
        mark_interrupted(con)
        con.execute(
            "INSERT INTO ops.runs VALUES (?, 'refresh', ?, now(), NULL, 'running', NULL)", [run_id, ",".join(months)]
        )
    status, message = "failed", ""
    try:
        steps: list[tuple[str, list[str], Sequence[str] | None]] = [
            ("reference data", ["reference_data"], None),
            (
                f"deliveries {min(months)}..{max(months)} ({len(months)} months)" if months else "deliveries",
                ["raw_extracts"],
                months,
            ),
        ]
        down = downstream_keys()
        if down:
            steps.append(("identity, core and marts", down, None))
        if publish_month:
            steps.append((f"publishing the profile for {publish_month}", page_keys(), [publish_month]))
        for label, keys, part in steps:
            if keys == ["raw_extracts"] and not months:
                continue
            if keys == page_keys() and publish_month in _undelivered(settings):
                progress(f"! no delivery for {publish_month}: no profile published for it")
                continue
            t0 = time.perf_counter()
            progress(f"… {label}")
            result = materialize(keys, settings, months=part)
            progress(f"✓ {label} ({time.perf_counter() - t0:.1f}s)")
            if timings is not None:
                for ev in result.get_step_success_events():
                    ms = getattr(ev.event_specific_data, "duration_ms", None) or 0.0
                    timings[ev.step_key or "?"] = round(ms / 1000, 2)
        status = "succeeded"
    except Exception as exc:
        message = str(exc).splitlines()[0][:500]
        raise
    finally:
        with connect_warehouse(str(settings.warehouse), limit=settings.memory_limit) as con:
            con.execute(
                "UPDATE ops.runs SET finished_at = now(), status = ?, message = ? WHERE run_id = ?",
                [status, message, run_id],
            )
    return run_id
