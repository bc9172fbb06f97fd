"""Governance: read-only ad-hoc SQL with an access log, the analyst copy, erasure, retention,
and one refresh at a time."""

from __future__ import annotations

import dataclasses
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from pipelines.runs import RefreshBusy, materialize, refresh, warehouse_lock
from pipelines.sqlcli import run_sql
from transforms.governance import erase, publish_analyst_copy, purge, retention_defaults


@pytest.fixture()
def own(sample_settings, sample_warehouse, tmp_path: Path):
    """A private copy of the sample warehouse and settings pointing at it."""
    wh = tmp_path / "wh.duckdb"
    shutil.copy(sample_warehouse, wh)
    return dataclasses.replace(sample_settings, warehouse=wh, build=tmp_path / "build")


@pytest.mark.parametrize("query", [
    "INSERT INTO ops.runs VALUES ('x', 'x', 'x', now(), now(), 'x', 'x')",
    "CREATE TABLE marts.evil AS SELECT 1",
    "SELECT 1; DROP TABLE marts.person",
    "ATTACH 'other.duckdb' AS o",
    "COPY marts.person TO 'out.csv'",
])
def test_sql_refuses_writes(own, query: str, capsys) -> None:
    assert run_sql(own, query) == 2
    assert "read-only" in capsys.readouterr().err


def test_sql_logs_every_query_and_guards_exports(own, tmp_path: Path, capsys) -> None:
    assert run_sql(own, "SELECT count(*) AS n FROM marts.person") == 0
    assert " n" in capsys.readouterr().out
    out = tmp_path / "x.csv"
    q = "SELECT '=HYPERLINK(\"http://x\")' AS evil, '+1' AS plus, 'ok' AS fine"
    assert run_sql(own, q, fmt="csv", out=str(out)) == 0
    text = out.read_text()
    assert "'=HYPERLINK" in text and "'+1" in text and ",ok" in text
    xlsx = tmp_path / "x.xlsx"
    assert run_sql(own, q, fmt="xlsx", out=str(xlsx)) == 0
    assert pd.read_excel(xlsx).iloc[0]["evil"].startswith("'=")
    pq = tmp_path / "x.parquet"
    assert run_sql(own, "SELECT * FROM marts.incident LIMIT 7", fmt="parquet", out=str(pq)) == 0
    assert len(pd.read_parquet(pq)) == 7
    with duckdb.connect(str(own.warehouse), read_only=True) as con:
        log = con.execute("SELECT user_name, query, row_count, target FROM ops.access_log ORDER BY accessed_at").fetchall()
    assert len(log) == 4 and log[0][2] == 1 and log[1][3].endswith("x.csv") and log[3][2] == 7
    assert all(u for u, *_ in log)


def test_analyst_copy_readable_while_the_pipeline_writes(own, tmp_path: Path) -> None:
    target = tmp_path / "analyst" / "lantern.duckdb"
    with duckdb.connect(str(own.warehouse)) as con:
        counts = publish_analyst_copy(con, target)
        assert counts["marts.person"] > 0 and not any(k.startswith("raw.") for k in counts)
        # while this writer is open, another process reads the analyst copy read-only
        probe = ("import duckdb,sys; c=duckdb.connect(sys.argv[1], read_only=True); "
                 "print(c.execute('select count(*) from marts.person').fetchall()[0][0]); "
                 "print(c.execute(\"select comment from duckdb_tables() where table_name='person' and schema_name='marts'\").fetchall()[0][0])")
        p = subprocess.run([sys.executable, "-c", probe, str(target)], capture_output=True, text=True)
        assert p.returncode == 0, p.stderr
        assert int(p.stdout.split()[0]) == counts["marts.person"]
        assert "resolved person" in p.stdout
        con.execute("CREATE TABLE marts.busy AS SELECT 1")  # the pipeline keeps writing
    assert (target.parent / "parquet" / "marts.person.parquet").exists()
    assert oct(target.stat().st_mode & 0o777) == "0o640"


def test_erase_leaves_nothing_of_the_person(own) -> None:
    with duckdb.connect(str(own.warehouse)) as con:
        person, n = con.execute(
            "SELECT person_key, count(DISTINCT source) FROM core.person_link GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 1").fetchall()[0]
        records = con.execute("SELECT source, source_key FROM core.person_link WHERE person_key = ?", [person]).fetchall()
        src, key = records[0]
        result = erase(con, src, key, "tester")
    assert result.person_key == person and result.records == len(records) and n >= 2
    # rebuild core, marts, the analyst copy and the pages (the analysts' edition shows person keys)
    last = sorted(p.name for p in own.inbox.iterdir() if p.name[:2] == "20")[-1]
    refresh(own, [], last, progress=lambda m: None)
    materialize(["analysts_edition"], own, months=[last])
    with duckdb.connect(str(own.warehouse), read_only=True) as con:
        for s, k in records:
            assert con.execute("SELECT count(*) FROM raw.person_record WHERE source = ? AND source_key = ?", [s, k]).fetchall() == [(0,)]
            assert con.execute("SELECT count(*) FROM marts.person_link WHERE source = ? AND source_key = ?", [s, k]).fetchall() == [(0,)]
        for schema, table, column in con.execute(
                "SELECT schema_name, table_name, column_name FROM duckdb_columns() WHERE data_type = 'VARCHAR' "
                "AND schema_name IN ('core', 'marts', 'ops', 'raw')").fetchall():
            hit = con.execute(f'SELECT count(*) FROM {schema}.{table} WHERE "{column}" = ?', [person]).fetchall()[0][0]
            assert hit == 0, f"{schema}.{table}.{column} still holds the erased person"
        erasures = con.execute("SELECT * FROM ops.erasures").fetchall()
        assert len(erasures) == 1 and person not in str(erasures) and key not in str(erasures)
    copy = own.build / "analyst" / "lantern.duckdb"
    with duckdb.connect(str(copy), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM marts.person WHERE person_key = ?", [person]).fetchall() == [(0,)]
    pages = list(own.build.rglob("*.html"))
    assert any("restricted" in str(p) for p in pages) and any("profile" in str(p) for p in pages)
    published = "".join(p.read_text(errors="ignore") for p in pages)
    assert person not in published


def test_purge_removes_records_past_retention(own) -> None:
    with duckdb.connect(str(own.warehouse)) as con:
        oldest = con.execute("SELECT min(committed_from) FROM raw.police_crimes").fetchall()[0][0]
        before = con.execute("SELECT count(*) FROM raw.police_crimes").fetchall()[0][0]
        retention = retention_defaults()
        assert retention["police_crimes"] >= 12
        # count from a date that puts the first year of the sample past a 84-month retention
        as_of = (pd.Timestamp(oldest) + pd.DateOffset(months=retention["police_crimes"] + 12)).date()
        removed = purge(con, as_of, retention)
        after = con.execute("SELECT count(*) FROM raw.police_crimes").fetchall()[0][0]
        left_min = con.execute("SELECT min(committed_from) FROM raw.police_crimes").fetchall()[0][0]
        orphans = con.execute("SELECT count(*) FROM raw.police_persons WHERE crime_ref NOT IN "
                              "(SELECT crime_ref FROM raw.police_crimes UNION ALL SELECT crime_ref FROM raw.police_crimes_history)").fetchall()[0][0]
        assert removed["police_crimes"] == before - after > 0 and removed["police_persons"] > 0
        assert pd.Timestamp(left_min) >= pd.Timestamp(as_of) - pd.DateOffset(months=retention["police_crimes"])
        assert orphans == 0
        assert con.execute("SELECT count(*) FROM ops.purges").fetchall()[0][0] >= 5


def test_second_refresh_fails_clearly_while_one_runs(own) -> None:
    with warehouse_lock(own):
        with pytest.raises(RefreshBusy, match="another refresh is writing"):
            refresh(own, [], None)
