"""`python -m bench [--sizes tiny,sample,city,london] [--out build/bench]`: Lantern's benchmarks.

For each size it generates (or reuses) a synthetic borough, then times every stage in a fresh
process (wall time, rows per second, peak memory) beside baselines measured in the same run:
DuckDB's untyped read_csv and a pandas read-and-validate loop for ingest, a full rebuild for the
monthly incremental refresh, and (from `bench.network`, `bench.identity` where present) igraph's
Leiden and records-per-second linkage. Results print as a table and are written as JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path

SIZES = {  # name: (people, months)
    "tiny": (300, 6),
    "sample": (3000, 24),
    "city": (30000, 60),
    "london": (300000, 120),
}
PIPELINE = ["ingest", "ingest_workbooks", "identity", "core_marts", "network", "themes", "publishing"]


def _stage(stage: str, borough: Path, warehouse: Path, months: list[str] | None = None) -> dict:
    cmd = [sys.executable, "-m", "bench.stages", stage, str(borough), str(warehouse), ",".join(months or [])]
    # the monthly partitions start at the borough's first delivery
    first = min(p.name for p in borough.iterdir() if p.is_dir() and p.name[:2] in ("19", "20"))
    env = {**os.environ, "LANTERN_FIRST_MONTH": first}
    p = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if p.returncode != 0:
        return {"stage": stage, "error": (p.stderr.strip().splitlines() or ["failed"])[-1]}
    out = json.loads(p.stdout.strip().splitlines()[-1])
    steps = [ln[6:] for ln in p.stderr.splitlines() if ln.startswith("STEPS ")]
    if steps:
        out["steps"] = json.loads(steps[-1])
    for tag in (
        "GRAPHS ",
        "ROWS ",
        "IDENTITY ",
        "DIGEST ",
    ):  # figures a stage measured besides its time, merged into its row
        lines = [ln[len(tag) :] for ln in p.stderr.splitlines() if ln.startswith(tag)]
        if lines:
            out.update(json.loads(lines[-1]))
    return out


def _borough(root: Path, name: str) -> Path:
    from synthetic import generate_borough

    people, months = SIZES[name]
    out = root / f"borough-{name}"
    if not (out / "truth" / "events.csv").exists():
        shutil.rmtree(out, ignore_errors=True)
        t0 = time.perf_counter()
        generate_borough(out, people=people, months=months, start_month="2016-11" if months > 24 else "2024-11", seed=7)
        sys.stderr.write(f"generated {name} ({people} people, {months} months) in {time.perf_counter() - t0:.0f}s\n")
    return out


def run_size(name: str, root: Path, full_check: bool) -> list[dict]:
    """Every stage and baseline for one size.

    The pipeline stages (each in a fresh process, so each peak is its own) build the warehouse of
    every month but the last: together they are a full rebuild. The last month is then added as
    the monthly run adds it (`incremental_month`). With `full_check`, a one-process refresh of
    every month from an empty warehouse is timed too (`full_refresh`), the denominator of the
    incremental ratio; without it (London), the sum of the stages stands in.
    """
    from transforms.extracts.delivery import list_months

    borough = _borough(root, name)
    months = list_months(borough)
    before = months[:-1]
    work = root / f"wh-{name}"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    out = []
    wh = work / "pipeline.duckdb"
    for stage in PIPELINE:
        out.append(_stage(stage, borough, wh, before))
        sys.stderr.write(f"{name} {stage}: {out[-1].get('seconds', out[-1].get('error'))}\n")
    # kept so the increment can be timed again on its own (`python -m bench.stages full_refresh`)
    shutil.copy(wh, work / "before-last-month.duckdb")
    step = _stage("full_refresh", borough, wh, months)
    step["stage"] = "incremental_month"
    out.append(step)
    # how much of the months' graphs the increment changed: the most a memo per part could reuse
    out.append(_stage("graph_change", borough, wh, months))
    # how many rows of core and marts it rewrote: what a delta pipeline could skip writing
    out.append(_stage("row_change", borough, wh, months))
    out.append(_stage("groups", borough, wh, months))
    out.append(_stage("baseline_leiden", borough, wh, months))
    out.append(_stage("baseline_duckdb", borough, work / "floor.duckdb", before))
    out.append(_stage("baseline_pandas", borough, work / "pandas.duckdb", before))
    if full_check:
        out.append(_stage("full_refresh", borough, work / "full.duckdb", months))
        # the increment's core and marts must equal the rebuild's (every table and view)
        out.append(_stage("rebuild_check", borough, wh, months))
    for r in out:
        r["size"] = name
        if r.get("seconds"):
            r["rows_per_s"] = round(r["rows"] / r["seconds"], 1) if r.get("rows") else None
    return out


def _ratios(rows: list[dict]) -> dict[str, float]:
    by = {r["stage"]: r for r in rows if "seconds" in r}
    out = {}
    if "ingest" in by and "baseline_duckdb" in by:
        out["ingest_vs_duckdb_read_csv"] = by["ingest"]["seconds"] / by["baseline_duckdb"]["seconds"]
    if "ingest" in by and "baseline_pandas" in by:
        out["ingest_vs_pandas_loop"] = by["ingest"]["seconds"] / by["baseline_pandas"]["seconds"]
    if "incremental_month" in by and "full_refresh" in by:
        out["incremental_vs_full_rebuild"] = by["incremental_month"]["seconds"] / by["full_refresh"]["seconds"]
    if "groups" in by and "baseline_leiden" in by:
        out["groups_vs_igraph_leiden"] = by["groups"]["seconds"] / by["baseline_leiden"]["seconds"]
    staged = [by[s]["seconds"] for s in PIPELINE if s in by]
    if "incremental_month" in by and len(staged) == len(PIPELINE):
        out["incremental_vs_sum_of_stages"] = by["incremental_month"]["seconds"] / sum(staged)
    return {k: round(v, 3) for k, v in out.items()}


def main(argv: list[str] | None = None) -> int:
    """Run the benchmarks and print / save the figures."""
    ap = argparse.ArgumentParser(prog="python -m bench")
    ap.add_argument("--sizes", default="tiny,sample,city")
    ap.add_argument("--out", default="build/bench")
    ap.add_argument("--work", default="build/bench/work", help="where boroughs and warehouses go (reused)")
    ap.add_argument(
        "--no-full-check",
        dest="full_check",
        action="store_false",
        help="skip the one-process full refresh (London: the sum of stages stands in)",
    )
    args = ap.parse_args(argv)
    out_dir, work = Path(args.out), Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    out_dir.mkdir(parents=True, exist_ok=True)
    # written after every size, so a long run that is stopped still leaves its finished sizes
    target = out_dir / f"bench-{time.strftime('%Y%m%d-%H%M%S')}.json"
    report = {
        "machine": {"platform": platform.platform(), "python": platform.python_version(), "cpus": os.cpu_count()},
        "sizes": {},
    }
    for name in args.sizes.split(","):
        rows = run_size(name, work, args.full_check and name != "london")
        ratios = _ratios(rows)
        report["sizes"][name] = {"stages": rows, "ratios": ratios}
        print(f"\n== {name}: {SIZES[name][0]} people, {SIZES[name][1]} months")
        print(f"{'stage':<20}{'seconds':>10}{'rows':>12}{'rows/s':>12}{'peak MB':>10}")
        for r in rows:
            if "error" in r:
                print(f"{r['stage']:<20} error: {r['error']}")
            else:
                print(
                    f"{r['stage']:<20}{r['seconds']:>10.2f}{r['rows']:>12}{(r.get('rows_per_s') or 0):>12.0f}{r['peak_mb']:>10.0f}"
                )
        for r in rows:
            if r.get("steps"):
                top = sorted(r["steps"].items(), key=lambda kv: -kv[1])[:8]
                print(f"  {r['stage']} by asset: " + ", ".join(f"{k} {v:.1f}s" for k, v in top))
        peaks = [
            r["peak_mb"]
            for r in rows
            if r.get("stage") in PIPELINE + ["incremental_month", "full_refresh"] and "peak_mb" in r
        ]
        if peaks:
            report["sizes"][name]["peak_mb"] = max(peaks)
            print(f"  peak memory of any pipeline process: {max(peaks):.0f} MB")
        for k, v in ratios.items():
            print(f"  ratio {k}: {v}")
        change = next((r for r in rows if r.get("stage") == "graph_change" and "unchanged_share" in r), None)
        if change:
            print(
                f"  the increment left {change['unchanged_share']:.1%} of the months' ties in graph parts it did "
                f"not change (median largest part: {change['median_largest_part_share']:.1%} of a month's ties)"
            )
        same = next((r for r in rows if r.get("stage") == "rebuild_check" and "same_as_rebuild" in r), None)
        if same:
            print(
                f"  the increment's core and marts equal a rebuild from scratch: {same['same_as_rebuild']} "
                f"({same['tables_compared']} tables and views compared"
                + (f"; differ: {', '.join(same['tables_differ'])})" if same["tables_differ"] else ")")
            )
        rewritten = next((r for r in rows if r.get("stage") == "row_change" and "added_share" in r), None)
        if rewritten:
            busiest = sorted(rewritten["by_table"].items(), key=lambda kv: -kv[1]["added_without_stamps"])[:3]
            print(
                f"  the increment added or changed {rewritten['added_share']:.1%} of the rows of core and marts "
                f"({rewritten['added_share_without_stamps']:.1%} without run stamps, "
                f"{rewritten['added_share_outside_group_marts']:.1%} outside the group-keyed network marts); most in "
                + ", ".join(f"{name} {t['added_without_stamps'] / max(t['rows'], 1):.0%}" for name, t in busiest)
            )
        target.write_text(json.dumps(report, indent=2))
    names = list(report["sizes"])
    if len(names) > 1:
        first, last = report["sizes"][names[0]]["stages"], report["sizes"][names[-1]]["stages"]
        growth = {}
        for a in first:
            b = next((x for x in last if x["stage"] == a["stage"]), None)
            if b and a.get("seconds") and b.get("seconds") and a.get("rows") and b.get("rows"):
                growth[a["stage"]] = {
                    "time_x": round(b["seconds"] / a["seconds"], 1),
                    "rows_x": round(b["rows"] / a["rows"], 1),
                }
        report["growth"] = growth
        print(f"\ngrowth {names[0]} -> {names[-1]} (time x / rows x):")
        for k, v in growth.items():
            print(f"  {k:<20} {v['time_x']:>8} / {v['rows_x']}")
    target.write_text(json.dumps(report, indent=2))
    print(f"\nwritten {target}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
