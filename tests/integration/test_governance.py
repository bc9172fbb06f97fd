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

from pipelines.runs import RefreshBusy, refresh, warehouse_lock
from pipelines.sqlcli import run_sql
from transforms.governance import publish_analyst_copy, purge, retention_defaults


@pytest.fixture()
def own(sample_settings, sample_warehouse, tmp_path: Path):
    """A private copy of the sample warehouse and settings pointing at it."""
    wh = tmp_path / "wh.duckdb"
    shutil.copy(sample_warehouse, wh)
    return dataclasses.replace(sample_settings, warehouse=wh, build=tmp_path / "build")


@pytest.fixture()
def shared(own):
    """`own` with its analyst copy published (what `lantern sql` opens)."""
    with duckdb.connect(str(own.warehouse)) as con:
        publish_analyst_copy(con, own.analyst_copy)
    return own


@pytest.mark.parametrize(
    "query",
    [
        "INSERT INTO ops.runs VALUES ('x', 'x', 'x', now(), now(), 'x', 'x')",
        "CREATE TABLE marts.evil AS SELECT 1",
        "SELECT 1; DROP TABLE marts.person",
        "ATTACH 'other.duckdb' AS o",
        "COPY marts.person TO 'out.csv'",
    ],
)
def test_sql_refuses_writes(shared, query: str, capsys) -> None:
    assert run_sql(shared, query) == 2
    assert "read-only" in capsys.readouterr().err


def test_sql_logs_every_query_and_guards_exports(shared, capsys) -> None:
    from transforms.access_log import collect

    assert run_sql(shared, "SELECT count(*) AS n FROM marts.person") == 0
    assert " n" in capsys.readouterr().out
    q = "SELECT '=HYPERLINK(\"http://x\")' AS evil, '+1' AS plus, 'ok' AS fine"
    assert run_sql(shared, q, fmt="csv", out="x.csv") == 0
    text = (shared.exports / "x.csv").read_text()
    assert "'=HYPERLINK" in text and "'+1" in text and ",ok" in text
    assert run_sql(shared, q, fmt="xlsx", out="x.xlsx") == 0
    assert pd.read_excel(shared.exports / "x.xlsx").iloc[0]["evil"].startswith("'=")
    assert run_sql(shared, "SELECT * FROM marts.incident LIMIT 7", fmt="parquet", out="x.parquet") == 0
    assert len(pd.read_parquet(shared.exports / "x.parquet")) == 7
    with duckdb.connect(str(shared.warehouse)) as con:
        assert collect(con, shared.access_spool) == 4
        log = con.execute(
            "SELECT user_name, query, row_count, target, outcome FROM ops.access_log ORDER BY accessed_at"
        ).fetchall()
    assert len(log) == 4 and log[0][2] == 1 and log[1][3].endswith("x.csv") and log[3][2] == 7
    assert all(u for u, *_ in log) and {r[4] for r in log} == {"ok"}


def test_analyst_copy_readable_while_the_pipeline_writes(own, tmp_path: Path) -> None:
    target = tmp_path / "analyst" / "lantern.duckdb"
    with duckdb.connect(str(own.warehouse)) as con:
        counts = publish_analyst_copy(con, target)
        assert counts["marts.person"] > 0 and not any(k.startswith("raw.") for k in counts)
        # while this writer is open, another process reads the analyst copy read-only
        probe = (
            "import duckdb,sys; c=duckdb.connect(sys.argv[1], read_only=True); "
            "print(c.execute('select count(*) from marts.person').fetchall()[0][0]); "
            "print(c.execute(\"select comment from duckdb_tables() where table_name='person' and schema_name='marts'\").fetchall()[0][0])"
        )
        p = subprocess.run([sys.executable, "-c", probe, str(target)], capture_output=True, text=True)
        assert p.returncode == 0, p.stderr
        assert int(p.stdout.split()[0]) == counts["marts.person"]
        assert "resolved person" in p.stdout
        con.execute("CREATE TABLE marts.busy AS SELECT 1")  # the pipeline keeps writing
    assert (target.parent / "parquet" / "marts.person.parquet").exists()
    assert oct(target.stat().st_mode & 0o777) == "0o640"


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
        orphans = con.execute(
            "SELECT count(*) FROM raw.police_persons WHERE crime_ref NOT IN "
            "(SELECT crime_ref FROM raw.police_crimes UNION ALL SELECT crime_ref FROM raw.police_crimes_history)"
        ).fetchall()[0][0]
        assert removed["police_crimes"] == before - after > 0 and removed["police_persons"] > 0
        assert pd.Timestamp(left_min) >= pd.Timestamp(as_of) - pd.DateOffset(months=retention["police_crimes"])
        assert orphans == 0
        assert con.execute("SELECT count(*) FROM ops.purges").fetchall()[0][0] >= 5


def test_second_refresh_fails_clearly_while_one_runs(own) -> None:
    with warehouse_lock(own):
        with pytest.raises(RefreshBusy, match="another refresh is writing"):
            refresh(own, [], None)
