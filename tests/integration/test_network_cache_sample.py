"""The memo of monthly peer groups on the sample borough: cold and warm runs give the same marts,
a month added reuses every earlier month, and a changed setting recomputes them all."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import duckdb
import pytest

from transforms.networks import NetworkParams, build_group_profiles, build_peer_bridge, build_peer_network
from transforms.networks import build as network_build
from transforms.networks.build import NETWORK_MARTS

MARTS = (*NETWORK_MARTS, "marts.peer_bridge")
ORDERED = ("marts.peer_group", "marts.peer_group_event", "marts.peer_bridge")  # written in a set order


def _copy(warehouse: Path, to: Path) -> Path:
    """A copy of the warehouse without the memo its own refresh left."""
    shutil.copy(warehouse, to)
    wal = warehouse.with_name(warehouse.name + ".wal")
    if wal.exists():
        shutil.copy(wal, to.with_name(to.name + ".wal"))
    with duckdb.connect(str(to)) as con:
        con.execute("drop table if exists cache.peer_month_groups")
    return to


def _build(path: Path, params: NetworkParams | None = None, workers: int = 1) -> tuple[dict[str, int], float]:
    with duckdb.connect(str(path)) as con:
        t = time.perf_counter()
        counts = build_peer_network(con, params, workers=workers)
        counts.update(build_group_profiles(con, params))
        build_peer_bridge(con, params)
        return counts, time.perf_counter() - t


def _marts(path: Path) -> dict[str, list[tuple]]:
    """Every network mart's rows: as written where the order is set, else sorted."""
    with duckdb.connect(str(path), read_only=True) as con:
        out = {t: con.execute(f"select * from {t} order by all").fetchall() for t in MARTS}
        out.update({f"{t} (as written)": con.execute(f"select * from {t}").fetchall() for t in ORDERED})
    return out


def _drop_last_month(path: Path) -> str:
    """Remove the records of the last month with evidence (as if it had not been delivered yet)."""
    with duckdb.connect(str(path)) as con:
        last = con.execute("select max(month) from marts.peer_evidence where young_people").fetchall()[0][0]
        cutoff = f"{last}-01"
        con.execute(
            "delete from core.involvement where incident_key in "
            "(select incident_key from core.incident where occurred_at >= $c::date)",
            {"c": cutoff},
        )
        for table, column in (
            ("core.incident", "occurred_at"),
            ("marts.incident", "occurred_at"),
            ("core.missing_episode", "greatest(reported_at, returned_at)"),
            ("core.assessment", "meeting_date"),
            ("core.referral", "referral_date"),
            ("core.exclusion", "start_date"),
        ):
            con.execute(f"delete from {table} where {column} >= $c::date", {"c": cutoff})
        con.execute(
            "delete from core.assessment_cell where assessment_id not in (select assessment_id from core.assessment)"
        )
    return str(last)


@pytest.fixture(scope="module")
def runs(sample_warehouse: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    tmp = tmp_path_factory.mktemp("network_cache")
    before = _copy(sample_warehouse, tmp / "before.duckdb")
    added = _drop_last_month(before)
    out: dict[str, object] = {"added": added}
    out["before_cold"], out["t_before_cold"] = _build(before)
    out["marts_before_cold"] = _marts(before)
    out["before_warm"], out["t_before_warm"] = _build(before)
    out["marts_before_warm"] = _marts(before)

    after = _copy(sample_warehouse, tmp / "after.duckdb")
    with duckdb.connect(str(after)) as con:  # the memo as the earlier refresh left it
        con.execute(f"attach '{before}' as before (read_only)")
        con.execute("create schema if not exists cache")
        con.execute("create table cache.peer_month_groups as select * from before.cache.peer_month_groups")
    out["after_warm"], out["t_after_warm"] = _build(after)
    out["marts_after_warm"] = _marts(after)
    with duckdb.connect(str(after)) as con:
        con.execute("drop table cache.peer_month_groups")
    out["after_cold"], out["t_after_cold"] = _build(after)
    out["marts_after_cold"] = _marts(after)
    # every month again from a cold memo, each sent to one of two worker processes
    with duckdb.connect(str(after)) as con:
        con.execute("drop table cache.peer_month_groups")
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(network_build, "PARALLEL_MIN_TIES", 0)
        out["parallel"], out["t_parallel"] = _build(after, workers=2)
    out["marts_parallel"] = _marts(after)
    out["changed"], out["t_changed"] = _build(after, NetworkParams(resolution=0.03))
    for name in ("before_cold", "before_warm", "after_warm", "after_cold", "parallel", "changed"):
        c = out[name]
        assert isinstance(c, dict)
        print(
            f"{name:12s} hits {c['cache.peer_month_hits']:3d} misses {c['cache.peer_month_misses']:3d} "
            f"in {out['t_' + name]:.2f}s"
        )
    return out


def test_cold_and_warm_memo_give_identical_marts(runs: dict[str, object]) -> None:
    cold, warm = runs["before_cold"], runs["before_warm"]
    assert isinstance(cold, dict) and isinstance(warm, dict)
    months = cold["cache.peer_month_misses"]
    assert cold["cache.peer_month_hits"] == 0 and months >= 20
    assert warm["cache.peer_month_hits"] == months and warm["cache.peer_month_misses"] == 0
    a, b = runs["marts_before_cold"], runs["marts_before_warm"]
    assert isinstance(a, dict) and isinstance(b, dict)
    assert a.keys() == b.keys() and all(len(a[t]) > 0 for t in a)
    for table in a:
        assert a[table] == b[table], table


def test_an_added_month_reuses_every_earlier_month(runs: dict[str, object]) -> None:
    before, warm, cold = runs["before_cold"], runs["after_warm"], runs["after_cold"]
    assert isinstance(before, dict) and isinstance(warm, dict) and isinstance(cold, dict)
    print(f"month added: {runs['added']}")
    assert warm["cache.peer_month_hits"] == before["cache.peer_month_misses"]
    assert warm["cache.peer_month_misses"] == 1
    assert cold["cache.peer_month_hits"] == 0
    assert cold["cache.peer_month_misses"] == before["cache.peer_month_misses"] + 1
    a, b = runs["marts_after_warm"], runs["marts_after_cold"]
    assert isinstance(a, dict) and isinstance(b, dict)
    for table in a:
        assert a[table] == b[table], table
    assert a["marts.peer_group"] != runs["marts_before_cold"]["marts.peer_group"]  # type: ignore[index]


def test_months_found_in_worker_processes_give_the_same_marts(runs: dict[str, object]) -> None:
    parallel, cold = runs["parallel"], runs["after_cold"]
    assert isinstance(parallel, dict) and isinstance(cold, dict)
    assert parallel["cache.peer_month_hits"] == 0
    assert parallel["cache.peer_month_misses"] == cold["cache.peer_month_misses"]
    a, b = runs["marts_parallel"], runs["marts_after_cold"]
    assert isinstance(a, dict) and isinstance(b, dict)
    for table in a:
        assert a[table] == b[table], table


def test_a_changed_setting_recomputes_every_month(runs: dict[str, object]) -> None:
    changed, cold = runs["changed"], runs["after_cold"]
    assert isinstance(changed, dict) and isinstance(cold, dict)
    assert changed["cache.peer_month_hits"] == 0
    assert changed["cache.peer_month_misses"] == cold["cache.peer_month_misses"]


def test_a_month_that_moves_as_of_month_rewrites_no_stored_edge(runs: dict[str, object]) -> None:
    """Adding the last month moves as_of_month: every weight analysts read in marts.peer_edge (a
    view) moves with it, but the stored edges (marts.peer_edge_undecayed) change only where the new
    month changed the evidence: every stored edge that differs is one whose evidence differs."""
    before, after = runs["marts_before_cold"], runs["marts_after_cold"]
    assert isinstance(before, dict) and isinstance(after, dict)
    added = str(runs["added"])

    def rows(table: dict[str, list[tuple]], name: str) -> set[tuple]:
        return {tuple(tuple(v) if isinstance(v, list) else v for v in row) for row in table[name]}

    stored_before, stored_after = rows(before, "marts.peer_edge_undecayed"), rows(after, "marts.peer_edge_undecayed")
    gone = stored_before - stored_after
    new = stored_after - stored_before
    read_before, read_after = rows(before, "marts.peer_edge"), rows(after, "marts.peer_edge")
    print(
        f"\nmonth added {added}: stored edges {len(stored_after)}, {len(new)} new or changed, {len(gone)} gone; "
        f"read through the view: {len(read_after - read_before)} rows new or changed of {len(read_after)}; "
        f"as_of_month {before['marts.peer_edge_decay'][0][0]} -> {after['marts.peer_edge_decay'][0][0]}"
    )
    assert before["marts.peer_edge_decay"][0][0] < after["marts.peer_edge_decay"][0][0] == added
    assert len(read_after - read_before) == len(read_after)  # every weight (and as_of_month) moved
    # the pairs x relations whose evidence differs (the new month's, and any a crowd or window moved)
    evidence_before, evidence_after = rows(before, "marts.peer_evidence"), rows(after, "marts.peer_evidence")
    moved = {row[:3] for row in evidence_before ^ evidence_after}
    assert {row[:3] for row in new | gone} <= moved
    assert 0 < len(new) < 0.2 * len(stored_after)
