"""Faults: a refresh killed part-way and rerun gives identical marts; a locked warehouse gives a
clear error."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb

from tests.conftest import ROOT

SCRIPT = """
import sys
from pipelines.settings import load_settings
from pipelines.runs import refresh
s = load_settings(inbox=sys.argv[1], warehouse=sys.argv[2], build=sys.argv[3], pseudonym_key="test-key")
refresh(s, [], None, progress=lambda m: print(m, flush=True))
"""


def _fingerprint(db: Path) -> dict[str, tuple[int, str]]:
    """Row count and an order-independent content hash of every marts table."""
    out = {}
    with duckdb.connect(str(db), read_only=True) as con:
        tables = [
            t
            for (t,) in con.execute(
                "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'marts' ORDER BY 1"
            ).fetchall()
        ]
        for t in tables:
            n, h = con.execute(
                f"SELECT count(*), coalesce(sum(hash(t::VARCHAR)), 0)::VARCHAR FROM marts.{t} AS t"
            ).fetchall()[0]
            out[t] = (int(n), h)
    return out


def test_refresh_killed_part_way_then_rerun_gives_identical_marts(
    sample_settings, sample_warehouse, tmp_path: Path
) -> None:
    wh = tmp_path / "wh.duckdb"
    shutil.copy(sample_warehouse, wh)
    expected = _fingerprint(sample_warehouse)
    args = [sys.executable, "-c", SCRIPT, str(sample_settings.inbox), str(wh), str(tmp_path / "build")]
    p = subprocess.Popen(args, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    # wait until the downstream rebuild has started, then kill the process outright
    assert p.stdout is not None
    for line in p.stdout:
        if "identity" in line:
            break
    time.sleep(1.5)
    os.kill(p.pid, signal.SIGKILL)
    p.wait()
    assert p.returncode == -signal.SIGKILL
    done = subprocess.run(args, cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    got = _fingerprint(wh)
    assert got.keys() == expected.keys()
    diff = [t for t in expected if expected[t] != got[t]]
    assert not diff, f"marts differ after kill + rerun: {diff}"
    print(f"\n{len(got)} marts tables identical after a kill mid-refresh and a rerun")


def test_locked_warehouse_gives_a_clear_error(sample_settings, sample_warehouse, tmp_path: Path) -> None:
    wh = tmp_path / "wh.duckdb"
    shutil.copy(sample_warehouse, wh)
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb,sys,time; c=duckdb.connect(sys.argv[1]); print('open', flush=True); time.sleep(60)",
            str(wh),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "open"
        env = {**os.environ, "LANTERN_WAREHOUSE": str(wh), "LANTERN_BUILD": str(tmp_path / "b")}
        p = subprocess.run(
            [
                str(Path(sys.executable).parent / "lantern"),
                "refresh",
                "--month",
                sorted(x.name for x in sample_settings.inbox.iterdir() if x.name[:2] == "20")[-1],
            ],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
    finally:
        holder.kill()
    assert p.returncode == 4, (p.returncode, p.stderr[-1500:])
    assert "lock" in p.stderr.lower() and "analyst copy" in p.stderr and "Traceback" not in p.stderr
