"""The whole sample borough through the Dagster assets: every file reconciles, nothing leaks."""

from __future__ import annotations

import csv
from pathlib import Path

from tests.conftest import SAMPLE
from transforms.extracts.delivery import list_months


def _csv_rows(path: Path) -> int:
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp1252")
    rows = list(csv.reader(text.splitlines(keepends=True)))
    return max(len(rows) - 1, 0)


def test_every_file_loaded_and_reconciled(sample_con) -> None:
    months = list_months(SAMPLE)
    loads = sample_con.execute(
        "SELECT source_file, status, rows_in, rows_loaded, rows_quarantined FROM ops.loads"
    ).fetchall()
    assert loads, "no loads recorded"
    assert all(status == "loaded" for _, status, *_ in loads), [r for r in loads if r[1] != "loaded"]
    for f, _, rows_in, loaded, quarantined in loads:
        assert rows_in == loaded + quarantined, f
    csv_files = sorted(p for m in months for p in (SAMPLE / m).glob("*.csv"))
    by_file = {f: rows_in for f, _, rows_in, _, _ in loads}
    for p in csv_files:
        rel = f"{p.parent.name}/{p.name}"
        assert by_file[rel] == _csv_rows(p), rel
    print(f"\n{len(loads)} files loaded, {sum(r[2] for r in loads)} rows in, {sum(r[4] for r in loads)} quarantined")


def test_raw_counts_match_loads(sample_con) -> None:
    for source in (
        "police_crimes",
        "police_persons",
        "social_care_referrals",
        "missing_episodes",
        "school_exclusions",
        "map_assessments",
        "map_assessment_cells",
    ):
        cur = sample_con.execute(f"SELECT count(*) FROM raw.{source}").fetchall()[0][0]
        hist = sample_con.execute(f"SELECT count(*) FROM raw.{source}_history").fetchall()[0][0]
        loaded = sample_con.execute(
            "SELECT coalesce(sum(rows_loaded), 0) FROM ops.loads WHERE source = ? AND status = 'loaded'", [source]
        ).fetchall()[0][0]
        assert cur + hist == loaded, source
        assert cur > 0, source


def test_core_and_marts_built(sample_con) -> None:
    n_inc = sample_con.execute("SELECT count(*) FROM marts.incident").fetchall()[0][0]
    n_raw = sample_con.execute("SELECT count(*) FROM raw.police_crimes").fetchall()[0][0]
    assert n_inc == n_raw
    linked = sample_con.execute("SELECT count(*) FROM marts.person_link").fetchall()[0][0]
    records = sample_con.execute("SELECT count(*) FROM raw.person_record").fetchall()[0][0]
    assert linked == records


def test_first_page_published(sample_settings, sample_warehouse) -> None:
    pages = list((sample_settings.build / "profile").rglob("*.html"))
    assert pages, "no page published"
    assert (sample_settings.build / "profile" / "plotly.min.js").exists()
