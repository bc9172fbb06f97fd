"""`bench.rows`: how many rows of each table a monthly increment added or removed."""

from __future__ import annotations

from pathlib import Path

import duckdb

from bench.rows import compare_warehouses


def _warehouse(path: Path, statements: list[str]) -> Path:
    with duckdb.connect(str(path)) as con:
        con.execute("CREATE SCHEMA core; CREATE SCHEMA marts; CREATE SCHEMA raw")
        for sql in statements:
            con.execute(sql)
    return path


BEFORE = [
    "CREATE TABLE core.person AS SELECT * FROM (VALUES ('P1', 2010), ('P2', 2011), ('P3', 2011)) t(person_key, birth_year)",
    "CREATE TABLE core.person_key_map AS SELECT * FROM (VALUES ('a', 'P1', 'r1'), ('b', 'P2', 'r1')) t(source_key, person_key, run_id)",
    "CREATE TABLE marts.peer_group AS SELECT * FROM (VALUES ('2024-01', 'P1', 'G1'), ('2024-01', 'P2', 'G1')) t(as_of_month, person_key, group_id)",
    "CREATE TABLE marts.gone AS SELECT 1 AS x",
    "CREATE TABLE raw.names AS SELECT 'Alice' AS forename",
]
AFTER = [
    # one person re-keyed (P3 -> P4: removed and added), one new
    "CREATE TABLE core.person AS SELECT * FROM (VALUES ('P1', 2010), ('P2', 2011), ('P4', 2011), ('P5', 2012)) t(person_key, birth_year)",
    # the same keys, stamped by the new run: every row differs, none without the stamp
    "CREATE TABLE core.person_key_map AS SELECT * FROM (VALUES ('a', 'P1', 'r2'), ('b', 'P2', 'r2')) t(source_key, person_key, run_id)",
    # groups found again with new ids
    "CREATE TABLE marts.peer_group AS SELECT * FROM (VALUES ('2024-01', 'P1', 'G7'), ('2024-01', 'P2', 'G7')) t(as_of_month, person_key, group_id)",
    "CREATE TABLE marts.new_mart AS SELECT * FROM range(3) t(x)",
    "CREATE TABLE raw.names AS SELECT 'Bob' AS forename",  # raw is not compared
]


def test_rows_added_and_removed_per_table_with_and_without_run_stamps(tmp_path: Path) -> None:
    result = compare_warehouses(
        _warehouse(tmp_path / "before.duckdb", BEFORE), _warehouse(tmp_path / "after.duckdb", AFTER)
    )
    tables = result["by_table"]
    assert set(tables) == {"core.person", "core.person_key_map", "marts.peer_group", "marts.gone", "marts.new_mart"}
    assert tables["core.person"] == {
        "rows": 4,
        "added": 2,
        "removed": 1,
        "added_without_stamps": 2,
        "removed_without_stamps": 1,
    }
    assert tables["core.person_key_map"] == {
        "rows": 2,
        "added": 2,
        "removed": 2,
        "added_without_stamps": 0,
        "removed_without_stamps": 0,
    }
    assert tables["marts.peer_group"]["added_without_stamps"] == 2
    assert tables["marts.gone"] == {
        "rows": 0,
        "added": 0,
        "removed": 1,
        "added_without_stamps": 0,
        "removed_without_stamps": 1,
    }
    assert tables["marts.new_mart"]["added"] == 3
    # 11 rows after; 9 added, 7 without the stamps, 5 outside the group-keyed marts
    assert (result["rows"], result["rows_added"], result["rows_removed"]) == (11, 9, 6)
    assert result["added_share"] == round(9 / 11, 4)
    assert result["added_share_without_stamps"] == round(7 / 11, 4)
    assert result["added_share_outside_group_marts"] == round(5 / 11, 4)
    assert result["tables_unchanged"] == 0
    assert (result["only_before"], result["only_after"]) == (["marts.gone"], ["marts.new_mart"])
    assert not (tmp_path / ".rows-spill").exists()


def test_a_warehouse_compared_with_itself_changed_nothing(tmp_path: Path) -> None:
    wh = _warehouse(tmp_path / "wh.duckdb", BEFORE)
    result = compare_warehouses(wh, wh)
    assert result["rows_added"] == result["rows_removed"] == 0
    assert result["tables_unchanged"] == result["tables"] == 4
