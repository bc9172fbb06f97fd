"""A load killed half way (the process dies inside the transaction) leaves the warehouse as it
was; the rerun completes and reconciles."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import duckdb

from tests.conftest import ROOT, SAMPLE
from transforms.extracts.delivery import list_months

SCRIPT = textwrap.dedent("""
    import os, sys
    from pathlib import Path
    import duckdb
    import transforms.extracts.load as load
    from transforms.extracts.ingest import ingest_months
    calls = {"n": 0}
    def crash():
        calls["n"] += 1
        if calls["n"] == int(sys.argv[3]):
            os._exit(9)   # the process dies mid-transaction, like a kill -9
    load._before_commit = crash
    con = duckdb.connect(sys.argv[1])
    ingest_months(con, Path(sys.argv[2]), sys.argv[4].split(","), None)
""")


def _state(db: Path) -> tuple:
    with duckdb.connect(str(db), read_only=True) as con:
        loads = con.execute(
            "SELECT source_file, status, rows_in, rows_loaded, rows_quarantined FROM ops.loads ORDER BY load_id"
        ).fetchall()
        raw = con.execute("SELECT count(*) FROM raw.police_persons").fetchall()[0][0]
        hist = con.execute("SELECT count(*) FROM raw.police_persons_history").fetchall()[0][0]
        stray = con.execute(
            "SELECT count(*) FROM raw.police_persons WHERE load_id NOT IN "
            "(SELECT load_id FROM ops.loads WHERE status = 'loaded')"
        ).fetchall()[0][0]
    return loads, raw, hist, stray


def test_kill_mid_load_then_rerun(tmp_path: Path) -> None:
    db = tmp_path / "wh.duckdb"
    months = list_months(SAMPLE)[:2]
    args = [sys.executable, "-c", SCRIPT, str(db), str(SAMPLE)]
    # die while committing the 3rd file of the first month (police_persons is the 2nd source)
    p = subprocess.run([*args, "3", ",".join(months)], cwd=ROOT, capture_output=True, text=True)
    assert p.returncode == 9, p.stderr
    loads, raw, _, stray = _state(db)
    assert [status for _, status, *_ in loads] == ["loaded", "loaded"], loads
    assert stray == 0 and raw > 0
    assert all(r[2] == r[3] + r[4] for r in loads)
    # the rerun completes: unchanged files are skipped, the rest load once
    p = subprocess.run([*args, "0", ",".join(months)], cwd=ROOT, capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    loads2, raw2, _, stray2 = _state(db)
    assert all(status == "loaded" for _, status, *_ in loads2)
    assert len({f for f, *_ in loads2}) == len(loads2)  # every file loaded exactly once
    assert stray2 == 0 and raw2 >= raw
    files = sum(1 for m in months for f in (SAMPLE / m).iterdir() if f.suffix == ".csv") + 2 * len(months)
    assert len(loads2) == files
