"""The Dagster code location: assets, checks, job, schedule and sensor as designed."""

from __future__ import annotations

import json
import os
from pathlib import Path

import dagster as dg

from pipelines.definitions import build_definitions
from pipelines.sensors import inbox_sensor
from pipelines.settings import load_settings


def test_code_location_loads_with_expected_parts() -> None:
    repo = build_definitions(load_settings()).get_repository_def()
    keys = {k.to_user_string() for k in repo.asset_graph.get_all_asset_keys()}
    assert {"reference_data", "raw_extracts", "person_identity", "core_tables", "person_marts", "local_profile"} <= keys
    assert "monthly_refresh" in {j.name for j in repo.get_all_jobs()}
    sched = repo.get_schedule_def("monthly_refresh_schedule")
    assert sched.cron_schedule == "0 6 3 * *"
    assert sched.execution_timezone == "Europe/London"
    assert sched.default_status == dg.DefaultScheduleStatus.RUNNING
    assert repo.get_sensor_def("inbox_sensor").default_status == dg.DefaultSensorStatus.RUNNING
    raw = repo.assets_defs_by_key[dg.AssetKey("raw_extracts")]
    assert raw.partitions_def is not None and raw.backfill_policy == dg.BackfillPolicy.single_run()
    checks = {c.name for c in repo.asset_graph.asset_check_keys}
    assert {
        "rows_reconcile",
        "no_personal_data",
        "no_orphan_keys",
        "published_counts_suppressed",
        "volume_usual",
        "completeness_steady",
        "review_backlog_steady",
        "linkage_probabilistic",
    } <= checks


def test_inbox_sensor_requests_new_and_changed_months(tmp_path: Path, monkeypatch) -> None:
    (tmp_path / "2025-01").mkdir()
    (tmp_path / "2025-01" / "police_crimes.csv").write_text("x\n")
    (tmp_path / "reference").mkdir()
    monkeypatch.setenv("LANTERN_INBOX", str(tmp_path))
    ctx = dg.build_sensor_context()
    first = inbox_sensor(ctx)
    assert [r.partition_key for r in first.run_requests] == ["2025-01"]
    # nothing changed: nothing requested
    second = inbox_sensor(dg.build_sensor_context(cursor=first.cursor))
    assert second.run_requests == []
    # a new month arrives, and the old one is re-sent with a new mtime
    (tmp_path / "2025-02").mkdir()
    (tmp_path / "2025-02" / "police_crimes.csv").write_text("y\n")
    f = tmp_path / "2025-01" / "police_crimes.csv"
    os.utime(f, (f.stat().st_atime, f.stat().st_mtime + 60))
    third = inbox_sensor(dg.build_sensor_context(cursor=second.cursor))
    assert sorted(r.partition_key for r in third.run_requests) == ["2025-01", "2025-02"]
    assert len({r.run_key for r in third.run_requests} | {r.run_key for r in first.run_requests}) == 3
    assert set(json.loads(third.cursor)) == {"2025-01/police_crimes.csv", "2025-02/police_crimes.csv"}


def test_two_month_partitioned_run(tmp_path: Path) -> None:
    """The monthly job's assets for a two-partition range in one run (single-run backfill)."""
    import duckdb

    from pipelines.runs import all_assets, materialize, monthly_keys
    from pipelines.settings import load_settings
    from tests.conftest import SAMPLE
    from transforms.extracts.delivery import list_months

    s = load_settings(
        inbox=str(SAMPLE), warehouse=str(tmp_path / "wh.duckdb"), build=str(tmp_path / "build"), pseudonym_key="k"
    )
    months = list_months(SAMPLE)[:2]
    keys = [k.to_user_string() for a in all_assets() for k in a.keys if k.to_user_string() in set(monthly_keys())]
    result = materialize(keys, s, months=months)
    assert result.success
    with duckdb.connect(str(s.warehouse), read_only=True) as con:
        loaded = {m for (m,) in con.execute("SELECT DISTINCT delivery_month FROM ops.loads").fetchall()}
        inc_months = {m for (m,) in con.execute("SELECT DISTINCT month FROM marts.incident").fetchall()}
    assert loaded == set(months)
    assert inc_months and max(inc_months) <= months[-1]
    for m in months:
        assert list((s.build / "profile" / m).glob("*.html")), f"no pages for {m}"


def test_one_plan_for_schedule_sensor_and_refresh() -> None:
    """The schedule's job (which the inbox sensor also starts) and `lantern refresh` build the same
    assets; visibility is a tag of its own; the analyst copy follows marts, never pages."""
    from pipelines import plan
    from pipelines.runs import _LOADS, all_assets, downstream_keys, page_keys

    repo = build_definitions(load_settings()).get_repository_def()
    job = repo.get_job("monthly_refresh")
    scheduled = {k.to_user_string() for k in job.asset_layer.selected_asset_keys}
    refreshed = set(_LOADS) | set(downstream_keys()) | set(page_keys())
    print(f"schedule builds {len(scheduled)} assets, refresh {len(refreshed)}")
    assert scheduled == refreshed
    assert inbox_sensor.job_name == "monthly_refresh"
    assert repo.get_schedule_def("monthly_refresh_schedule").job_name == "monthly_refresh"
    # the restricted network view is rebuilt monthly (it is copied to analysts); the restricted
    # HTML edition only on request
    assert "bridging_view" in scheduled and "analysts_edition" not in scheduled
    by_key = {k.to_user_string(): a for a in all_assets() for k in a.keys}
    assert by_key["bridging_view"].tags_by_key[dg.AssetKey("bridging_view")][plan.VISIBILITY_TAG] == "restricted"
    assert all(g != "restricted" for a in all_assets() for g in a.group_names_by_key.values())
    copy_deps = {k.to_user_string() for k in repo.asset_graph.get(dg.AssetKey("analyst_copy")).parent_keys}
    assert "bridging_view" in copy_deps and "theme_monthly" in copy_deps
    assert not copy_deps & {"local_profile", "analysts_edition"}


def test_partitions_are_built_from_the_settings_not_at_import() -> None:
    """Two deployments with different first months, in one process, without touching the
    environment; Dagster's entry point is lazy."""
    import pipelines.definitions as d

    a = build_definitions(load_settings(first_month="2019-04")).get_repository_def()
    b = build_definitions(load_settings(first_month="2024-11")).get_repository_def()
    first = [r.assets_defs_by_key[dg.AssetKey("raw_extracts")].partitions_def.get_first_partition_key() for r in (a, b)]
    print(first)
    assert first == ["2019-04", "2024-11"]
    assert not isinstance(d.defs, dg.Definitions)  # loaded only when Dagster asks
