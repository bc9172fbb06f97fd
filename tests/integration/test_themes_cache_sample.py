"""The themes memos on the synthetic borough: a month added to the sample warehouse reuses the
memos of the earlier months, and gives the same marts as a cold run on the same data."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import duckdb
import pytest

from transforms.themes.emerging import build_emerging_themes
from transforms.themes.monthly import build_theme_monthly

MARTS = ("theme_monthly", "place_monthly", "emerging_theme", "emerging_theme_monthly")
CACHES = ("farrington", "emerging_period", "emerging_topic")


def _copy(src: Path, dst: Path) -> Path:
    shutil.copy(src, dst)
    if Path(f"{src}.wal").exists():
        shutil.copy(f"{src}.wal", f"{dst}.wal")
    return dst


def _drop_caches(con: duckdb.DuckDBPyConnection) -> None:
    for t in CACHES:
        con.execute(f"drop table if exists cache.{t}")


def _run(con: duckdb.DuckDBPyConnection) -> tuple[dict[str, int], dict[str, int], float]:
    version = con.execute("select max(version) from marts.theme_definition").fetchall()[0][0]
    t = time.perf_counter()
    monthly = build_theme_monthly(con, str(version))
    emerging = build_emerging_themes(con)
    return monthly, emerging, time.perf_counter() - t


def _marts(con: duckdb.DuckDBPyConnection) -> dict[str, list[tuple]]:
    return {t: con.execute(f"select * from marts.{t}").fetchall() for t in MARTS}


def _remove_last_month(con: duckdb.DuckDBPyConnection, last: str) -> None:
    """The warehouse as it was before `last` was delivered: its incidents and texts removed."""
    con.execute(
        "delete from core.incident_theme where incident_key in "
        "(select incident_key from core.incident where strftime(recorded_date, '%Y-%m') = ?)",
        [last],
    )
    con.execute("delete from core.incident where strftime(recorded_date, '%Y-%m') = ?", [last])
    con.execute("delete from raw.police_crimes where delivery_month = ?", [last])
    con.execute("delete from raw.map_assessment_cells where delivery_month = ?", [last])
    con.execute("delete from raw.map_assessments where delivery_month = ?", [last])


@pytest.fixture(scope="module")
def runs(sample_warehouse: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    tmp = tmp_path_factory.mktemp("themes_cache")
    before, added = (_copy(sample_warehouse, tmp / f"{n}.duckdb") for n in ("before", "added"))
    with duckdb.connect(str(before)) as con:
        last = con.execute("select max(strftime(recorded_date, '%Y-%m')) from core.incident").fetchall()[0][0]
        _remove_last_month(con, last)
        _drop_caches(con)
        before_counts = _run(con)
    with duckdb.connect(str(added)) as con:
        _drop_caches(con)
        con.execute(f"attach '{before}' as b (read_only)")
        for t in CACHES:
            con.execute(f"create table cache.{t} as select * from b.cache.{t}")
        con.execute("detach b")
        added_counts = _run(con)
        added_marts = _marts(con)
        cache_rows = {t: con.execute(f"select count(distinct key) from cache.{t}").fetchall()[0][0] for t in CACHES}
        warm_counts = _run(con)
        warm_marts = _marts(con)
    # the session's sample warehouse was built from empty: its marts are a cold run on the same data
    with duckdb.connect(str(sample_warehouse), read_only=True) as con:
        cold_marts = _marts(con)
    return {
        "before": before_counts,
        "added": added_counts,
        "warm": warm_counts,
        "added_marts": added_marts,
        "warm_marts": warm_marts,
        "cold_marts": cold_marts,
        "cache_rows": cache_rows,
    }


def test_a_month_added_reuses_the_earlier_months_and_matches_a_cold_run(runs) -> None:
    (bm, be, bt), (am, ae, at) = runs["before"], runs["added"]
    rows = runs["cache_rows"]
    print(
        f"\nbefore (cold, one month less): {bm['cache_misses']} windows, {be['cache_misses']} periods "
        f"computed in {bt:.1f}s; month added: farrington {am['cache_hits']} hits / {am['cache_misses']} "
        f"misses, emerging {ae['cache_hits']} hits / {ae['cache_misses']} misses, {at:.1f}s"
    )
    assert bm["cache_hits"] == 0 and be["cache_hits"] == 0
    # the memos hold exactly the units of the last run: every one a hit or a miss
    assert am["cache_hits"] + am["cache_misses"] == rows["farrington"]
    assert ae["cache_hits"] + ae["cache_misses"] == rows["emerging_period"]
    # the month added: most windows and all but the recent periods are read back
    assert am["cache_hits"] > 0 and 0 < am["cache_misses"] < rows["farrington"] / 4
    assert ae["cache_hits"] > 0 and 1 <= ae["cache_misses"] < rows["emerging_period"] / 2
    for t in MARTS:
        assert runs["added_marts"][t] == runs["cold_marts"][t], t


def test_a_warm_rerun_computes_nothing_and_changes_nothing(runs) -> None:
    wm, we, wt = runs["warm"]
    print(f"\nwarm rerun: farrington {wm['cache_hits']} hits, emerging {we['cache_hits']} hits, {wt:.1f}s")
    assert wm["cache_misses"] == 0 and we["cache_misses"] == 0
    assert wm["cache_hits"] > 0 and we["cache_hits"] > 0
    for t in MARTS:
        assert runs["warm_marts"][t] == runs["cold_marts"][t], t
