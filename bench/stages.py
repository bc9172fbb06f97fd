"""One benchmark stage, run in a fresh process so its peak memory is its own.

`python -m bench.stages STAGE BOROUGH WAREHOUSE [MONTHS]` prints one JSON line:
`{"stage", "seconds", "rows", "peak_mb"}`. Stages run against the warehouse the earlier stages
left, in the order `bench.__main__` calls them.
"""

from __future__ import annotations

import json
import resource
import sys
import time
from pathlib import Path

import duckdb

from pipelines.resources import connect_warehouse


def _rows(con: duckdb.DuckDBPyConnection, sql: str) -> int:
    return int(con.execute(sql).fetchall()[0][0])


def _settings(borough: Path, warehouse: Path):  # type: ignore[no-untyped-def]
    from pipelines.settings import load_settings

    return load_settings(
        inbox=str(borough), warehouse=str(warehouse), build=str(warehouse.parent / "build"), pseudonym_key="bench"
    )


CSV_SOURCES = ("police_crimes", "police_persons", "social_care_referrals", "missing_episodes", "school_exclusions")


def ingest(borough: Path, warehouse: Path, months: list[str]) -> int:
    """Lantern's validated, typed load of the CSV extracts of `months` (the files the baselines
    read), through the transforms (no orchestration)."""
    from transforms.extracts.ingest import ingest_months, ingest_reference

    with connect_warehouse(str(warehouse)) as con:
        ingest_reference(con, borough)
        results = ingest_months(con, borough, months, None, only=CSV_SOURCES)
    return sum(r.rows_in for r in results)


def ingest_workbooks(borough: Path, warehouse: Path, months: list[str]) -> int:
    """The MAP workbooks (XLSX, two sheets) of `months`, which the CSV baselines cannot read."""
    from transforms.extracts.ingest import ingest_months

    with connect_warehouse(str(warehouse)) as con:
        results = ingest_months(con, borough, months, None, only=("map_assessments", "map_assessment_cells"))
    return sum(r.rows_in for r in results)


def baseline_duckdb(borough: Path, warehouse: Path, months: list[str]) -> int:
    """The engine's floor: DuckDB's own read_csv of the same CSVs into untyped tables."""
    with duckdb.connect(str(warehouse)) as con:
        n = 0
        for name in CSV_SOURCES:
            con.execute(f"DROP TABLE IF EXISTS floor_{name}")
            for m in months:
                path = borough / m / f"{name}.csv"
                if not path.exists():
                    continue
                try:  # the floor still needs each file's encoding (a UTF-8 check, as ingest does)
                    path.read_bytes().decode("utf-8")
                    enc = "utf-8"
                except UnicodeDecodeError:
                    enc = "latin-1"
                verb = (
                    "INSERT INTO"
                    if _rows(con, f"SELECT count(*) FROM duckdb_tables() WHERE table_name = 'floor_{name}'")
                    else "CREATE TABLE"
                )
                con.execute(
                    f"{verb} floor_{name} {'BY NAME ' if verb == 'INSERT INTO' else 'AS '}SELECT * FROM "
                    "read_csv(?, all_varchar = true, header = true, encoding = ?)",
                    [str(path), enc],
                )
            n += _rows(con, f"SELECT count(*) FROM floor_{name}")
    return n


def baseline_pandas(borough: Path, warehouse: Path, months: list[str]) -> int:
    """The way many analysts do it today: pandas read_csv per file plus a validate loop."""
    import pandas as pd

    from transforms.extracts.contract import SOURCE_BY_NAME
    from transforms.extracts.vocab import VOCABULARIES

    n = 0
    for m in months:
        for name in CSV_SOURCES:
            path = borough / m / f"{name}.csv"
            if not path.exists():
                continue
            try:
                df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
            except UnicodeDecodeError:
                df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="cp1252")
            bad = pd.Series(False, index=df.index)
            for col in SOURCE_BY_NAME[name].columns:
                if col.name not in df:
                    continue
                s = df[col.name]
                if col.required:
                    bad |= s.str.strip() == ""
                if col.kind == "date":
                    bad |= pd.to_datetime(s, format="%d/%m/%Y", errors="coerce").isna() & (s != "")
                if col.kind == "code" and col.vocab:
                    bad |= ~s.isin(VOCABULARIES[col.vocab]) & (s != "")
            n += len(df)
    return n


def identity(borough: Path, warehouse: Path, months: list[str]) -> int:
    """Identity resolution over every person-bearing record."""
    from pipelines.runs import materialize

    t0 = time.perf_counter()
    materialize(["person_identity"], _settings(borough, warehouse))
    seconds = time.perf_counter() - t0
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = _rows(con, "SELECT count(*) FROM core.person_link")
        # quality against the borough's planted truth and pairs compared per record (`IDENTITY`)
        truth_csv = borough / "truth" / "person_records.csv"
        if truth_csv.exists():
            import pandas as pd

            from transforms.identity.evaluate import link_quality

            links = con.execute("SELECT source, source_key, person_key FROM core.person_link").df()
            truth = pd.read_csv(truth_csv, dtype=str).merge(links, on=["source", "source_key"])
            q = link_quality(truth["person_key"], truth["true_person_id"])
            run = con.execute(
                "SELECT records, nodes, pairs_scored FROM core.linkage_run ORDER BY run_id DESC LIMIT 1"
            ).fetchall()[0]
            pending = _rows(con, "SELECT count(*) FROM core.link_review WHERE decision = 'pending'")
            sys.stderr.write(
                "IDENTITY "
                + json.dumps(
                    {
                        "link_precision": round(q["pair_precision"], 4),
                        "link_recall": round(q["pair_recall"], 4),
                        "link_f1": round(q["pair_f1"], 4),
                        "link_records": run[0],
                        "link_nodes": run[1],
                        "pairs_scored": run[2],
                        "pairs_per_record": round(run[2] / run[0], 2) if run[2] and run[0] else None,
                        "review_pending": pending,
                    }
                )
                + "\n"
            )
    return rows, seconds


#: seconds of each asset (and check) of the stage's materialisations, written to stderr as STEPS
_STEPS: dict[str, float] = {}


def _steps(result) -> None:  # type: ignore[no-untyped-def]
    """Add a materialisation's step seconds to `_STEPS` (what `full_refresh` reports per asset)."""
    for ev in result.get_step_success_events():
        ms = getattr(ev.event_specific_data, "duration_ms", None) or 0.0
        _STEPS[ev.step_key or "?"] = round(_STEPS.get(ev.step_key or "?", 0.0) + ms / 1000, 2)


def _downstream(group: str, borough: Path, warehouse: Path) -> None:
    from pipelines.runs import all_assets, downstream_keys, materialize

    # not the restricted pages, which a refresh never builds, nor what core_marts built
    refreshed = set(downstream_keys()) - set(CORE_MARTS)
    keys = [
        k.to_user_string()
        for a in all_assets()
        for k in a.keys
        if a.group_names_by_key.get(k) == group and k.to_user_string() in refreshed
    ]
    if keys:
        _steps(materialize(keys, _settings(borough, warehouse)))


#: The core_marts stage's assets (incident_themes is in the themes group too, and runs once).
CORE_MARTS = ("core_tables", "incident_themes", "person_marts")


def core_marts(borough: Path, warehouse: Path, months: list[str]) -> int:
    """Core entities, themes of each incident and the person/incident marts."""
    from pipelines.runs import materialize

    _steps(materialize(list(CORE_MARTS), _settings(borough, warehouse)))
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return _rows(con, "SELECT count(*) FROM marts.incident")


def network(borough: Path, warehouse: Path, months: list[str]) -> int:
    """Peer edges, monthly groups, tracking and profiles, and the restricted view of the young
    people who bridge groups (`marts.peer_bridge`), which every refresh rebuilds too."""
    _downstream("network", borough, warehouse)
    _downstream("restricted", borough, warehouse)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return _rows(con, "SELECT count(*) FROM marts.peer_edge")


def themes(borough: Path, warehouse: Path, months: list[str]) -> int:
    """Monthly series and exceedances, breakdowns, emerging themes, cohorts."""
    _downstream("themes", borough, warehouse)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return _rows(con, "SELECT count(*) FROM marts.theme_monthly")


def publishing(borough: Path, warehouse: Path, months: list[str]) -> int:
    """The analyst copy and the local profile for the last month."""
    from pipelines.runs import materialize

    s = _settings(borough, warehouse)
    _steps(materialize(["analyst_copy"], s))
    _steps(materialize(["local_profile"], s, months=[months[-1]]))
    return sum(1 for _ in (s.build / "profile").rglob("*.html"))


def _month_graphs(warehouse: Path):  # type: ignore[no-untyped-def]
    from transforms.networks import NetworkParams
    from transforms.networks.build import coded_evidence, evidence_months
    from transforms.networks.groups import canonical_ties, decayed_pairs_by_month

    p = NetworkParams()
    with duckdb.connect(str(warehouse), read_only=True) as con:
        evidence = coded_evidence(con, p)
        months = evidence_months(con)
    return p, evidence, [(m, a, b, canonical_ties(w)) for m, a, b, w in decayed_pairs_by_month(evidence, months, p)]


def groups(borough: Path, warehouse: Path, months: list[str]) -> tuple[int, float]:
    """Lantern's group finding, cold (no memo): every month's ties from the coded evidence, then
    its communities. Returns (ties, seconds)."""
    from transforms.networks.groups import leiden_parts

    t0 = time.perf_counter()
    p, _, graphs = _month_graphs(warehouse)
    for _, a, b, w in graphs:
        leiden_parts(a, b, w, seed=p.seed, resolution=p.resolution, min_size=p.min_group_size, objective=p.objective)
    return sum(len(a) for _, a, _, _ in graphs), time.perf_counter() - t0


def baseline_leiden(borough: Path, warehouse: Path, months: list[str]) -> tuple[int, float]:
    """igraph's own Leiden on the same monthly graphs (built from the same ties, untimed), with the
    same objective, resolution and passes: the floor of the group finding. Returns (ties, seconds)."""
    import random

    import igraph as ig
    import numpy as np

    from transforms.networks.groups import part_potts_node_weights

    p, _, graphs = _month_graphs(warehouse)
    built = []
    for _, a, b, w in graphs:
        if len(a):
            nodes = np.unique(np.concatenate([a, b]))
            edges = np.column_stack([np.searchsorted(nodes, a), np.searchsorted(nodes, b)]).tolist()
            # the part_potts objective's node weights (untimed, like the graph)
            node_w = part_potts_node_weights(len(nodes), edges, w).tolist() if p.objective == "part_potts" else None
            built.append((len(nodes), edges, w.tolist(), node_w))
    t0 = time.perf_counter()
    ig.set_random_number_generator(random.Random(p.seed))
    for n, edges, w, node_w in built:
        g = ig.Graph(n=n, edges=edges, directed=False)
        if node_w is not None:
            g.community_leiden(
                objective_function="CPM", weights=w, resolution=p.resolution, node_weights=node_w, n_iterations=10
            )
        else:
            g.community_leiden(objective_function="modularity", weights=w, resolution=p.resolution, n_iterations=10)
    ig.set_random_number_generator(random)
    return sum(len(e) for _, e, _, _ in built), time.perf_counter() - t0


def full_refresh(borough: Path, warehouse: Path, months: list[str]) -> int:
    """`lantern refresh` of `months` (an empty warehouse: everything; a warehouse that has all
    but the last month: the monthly increment), publishing the last month's pages. The seconds
    of each asset go to stderr as JSON (`steps`)."""
    from pipelines.runs import refresh

    steps: dict[str, float] = {}
    refresh(_settings(borough, warehouse), months, months[-1], progress=lambda m: None, timings=steps)
    sys.stderr.write("STEPS " + json.dumps(steps) + "\n")
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return _rows(con, "SELECT sum(rows_in) FROM ops.loads")


def graph_change(borough: Path, warehouse: Path, months: list[str]) -> int:
    """How much of each month's peer graph the increment changed (`bench.graphs`): the warehouse
    against `before-last-month.duckdb` beside it. Its shares go to stderr as JSON (`GRAPHS`)."""
    from bench.graphs import compare_warehouses

    result = compare_warehouses(warehouse.parent / "before-last-month.duckdb", warehouse)
    sys.stderr.write("GRAPHS " + json.dumps({k: v for k, v in result.items() if k != "months"}) + "\n")
    return int(result["ties"])  # type: ignore[call-overload]


def row_change(borough: Path, warehouse: Path, months: list[str]) -> int:
    """How many rows of `core` and `marts` the increment added or removed (`bench.rows`): the
    warehouse against `before-last-month.duckdb` beside it. Its totals go to stderr as JSON (`ROWS`)."""
    from bench.rows import compare_warehouses
    from pipelines.settings import memory_limit

    result = compare_warehouses(warehouse.parent / "before-last-month.duckdb", warehouse, memory_limit())
    sys.stderr.write("ROWS " + json.dumps(result) + "\n")
    return int(result["rows"])  # type: ignore[call-overload]


def rebuild_check(borough: Path, warehouse: Path, months: list[str]) -> int:
    """Whether the increment's `core` and `marts` (the warehouse) equal those of the rebuild from
    scratch (`full.duckdb` beside it), table by table (`bench.digest`, run stamps left out). The
    result goes to stderr as JSON (`DIGEST`); returns the tables compared."""
    from bench.digest import check

    result = check(str(warehouse), str(warehouse.parent / "full.duckdb"))
    sys.stderr.write("DIGEST " + json.dumps(result) + "\n")
    return int(result["tables_compared"])  # type: ignore[call-overload]


STAGES = {
    f.__name__: f
    for f in (
        ingest,
        ingest_workbooks,
        baseline_duckdb,
        baseline_pandas,
        identity,
        core_marts,
        network,
        themes,
        publishing,
        full_refresh,
        groups,
        baseline_leiden,
        graph_change,
        row_change,
        rebuild_check,
    )
}


def main(argv: list[str]) -> None:
    """Run one stage and print its JSON line."""
    stage, borough, warehouse = argv[0], Path(argv[1]), Path(argv[2])
    months = argv[3].split(",") if len(argv) > 3 and argv[3] else []
    if not months:
        from transforms.extracts.delivery import list_months

        months = list_months(borough)
    t0 = time.perf_counter()
    out = STAGES[stage](borough, warehouse, months)
    seconds = time.perf_counter() - t0
    if isinstance(out, tuple):  # the stage timed its own part
        rows, seconds = out
    else:
        rows = out
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    if _STEPS:
        sys.stderr.write("STEPS " + json.dumps(_STEPS) + "\n")
    sys.stdout.write(
        json.dumps({"stage": stage, "seconds": round(seconds, 3), "rows": rows, "peak_mb": round(peak_mb, 1)}) + "\n"
    )


if __name__ == "__main__":
    main(sys.argv[1:])
