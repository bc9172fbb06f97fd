"""A smoke run of the benchmark at its smallest size, so it cannot rot (no timing thresholds)."""

from __future__ import annotations

import json
from pathlib import Path

from bench.__main__ import main


def test_bench_runs_at_the_smallest_size(tmp_path: Path, capsys) -> None:
    assert main(["--sizes", "tiny", "--out", str(tmp_path), "--work", str(tmp_path / "work")]) == 0
    report = json.loads(next(tmp_path.glob("bench-*.json")).read_text())
    stages = {r["stage"]: r for r in report["sizes"]["tiny"]["stages"]}
    assert not [r for r in stages.values() if "error" in r], [r for r in stages.values() if "error" in r]
    for name in (
        "ingest",
        "ingest_workbooks",
        "identity",
        "core_marts",
        "network",
        "themes",
        "publishing",
        "baseline_duckdb",
        "baseline_pandas",
        "incremental_month",
        "full_refresh",
        "groups",
        "baseline_leiden",
        "graph_change",
        "row_change",
    ):
        assert stages[name]["seconds"] > 0 and stages[name]["peak_mb"] > 0, name
    assert stages["ingest"]["rows"] == stages["baseline_duckdb"]["rows"] == stages["baseline_pandas"]["rows"]
    assert set(report["sizes"]["tiny"]["ratios"]) == {
        "ingest_vs_duckdb_read_csv",
        "ingest_vs_pandas_loop",
        "incremental_vs_full_rebuild",
        "incremental_vs_sum_of_stages",
        "groups_vs_igraph_leiden",
    }
    assert stages["incremental_month"]["steps"]["person_identity"] > 0  # the per-asset breakdown
    change = stages["graph_change"]  # the months' graphs before and after the increment
    assert change["rows"] == change["ties"] > 0 and 0 <= change["ties_in_unchanged_parts"] <= change["ties"]
    rewritten = stages["row_change"]  # the rows of core and marts the increment added or removed
    assert rewritten["rows"] > 0 and 0 < rewritten["rows_added"] < rewritten["rows"]
    assert "core.person" in rewritten["by_table"] and "raw.police_crimes" not in rewritten["by_table"]
    # the stages built every table the monthly refresh builds: their sum is a whole rebuild
    assert rewritten["only_after"] == rewritten["only_before"] == []
    # a month added to last month's warehouse gives the core and marts of a rebuild from scratch
    same = stages["rebuild_check"]
    print(f"rebuild check: {same['tables_compared']} tables compared, differ: {same['tables_differ']}")
    assert same["tables_compared"] > 50 and same["same_as_rebuild"], same["tables_differ"]
    assert report["sizes"]["tiny"]["peak_mb"] > 0
    print(capsys.readouterr().out)
