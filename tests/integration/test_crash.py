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


def test_a_run_stopped_between_the_groups_and_their_profiles(
    sample_settings, sample_warehouse: Path, tmp_path: Path, monkeypatch
) -> None:
    """The group and place profiles are a transaction of their own after the groups
    (`group_profiles`, after `peer_network`). A run that fails inside it, after one profile is
    written, rolls that back; the analyst copy waits for both, so nothing is republished; the
    next run rebuilds the profiles from the committed groups as an uninterrupted run makes them."""
    import dataclasses
    import shutil

    import pytest

    from pipelines.runs import materialize
    from transforms.governance import publish_analyst_copy
    from transforms.networks import build as network_build
    from transforms.networks.build import GROUP_PROFILE_MARTS

    wh = tmp_path / "data" / "wh.duckdb"
    wh.parent.mkdir()
    shutil.copy(sample_warehouse, wh)
    s = dataclasses.replace(sample_settings, warehouse=wh, build=tmp_path / "build")

    def marts() -> dict[str, list[tuple]]:
        with duckdb.connect(str(wh), read_only=True) as con:
            return {t: con.execute(f"select * from {t} order by all").fetchall() for t in GROUP_PROFILE_MARTS}

    with duckdb.connect(str(wh)) as con:
        publish_analyst_copy(con, s.analyst_copy)
        # stale profiles, as a run that stopped before it rebuilt them would leave them
        con.execute(
            "delete from marts.group_place where as_of_month = (select max(as_of_month) from marts.group_place)"
        )
    stale = marts()
    copy_before = s.analyst_copy.read_bytes()
    copy_stamp = s.analyst_copy.stat().st_mtime_ns
    real_run = network_build._run

    def stop_after_group_place(con, name, values):  # type: ignore[no-untyped-def]
        if name == "marts/peer_group_profile":
            raise RuntimeError("the process stopped half way through the profiles")
        real_run(con, name, values)

    monkeypatch.setattr(network_build, "_run", stop_after_group_place)
    with pytest.raises(Exception) as caught:
        materialize(["peer_network", "group_profiles", "analyst_copy"], s)
    assert "half way" in str(caught.value)
    assert marts() == stale  # group_place written inside the transaction, rolled back
    assert s.analyst_copy.read_bytes() == copy_before  # nothing downstream ran

    monkeypatch.setattr(network_build, "_run", real_run)
    materialize(["peer_network", "group_profiles", "analyst_copy"], s)
    with duckdb.connect(str(sample_warehouse), read_only=True) as con:
        uninterrupted = {t: con.execute(f"select * from {t} order by all").fetchall() for t in GROUP_PROFILE_MARTS}
    rebuilt = marts()
    print(f"\ngroup_place rows: stale {len(stale['marts.group_place'])}, rebuilt {len(rebuilt['marts.group_place'])}")
    assert rebuilt == uninterrupted and rebuilt != stale
    assert s.analyst_copy.stat().st_mtime_ns != copy_stamp  # published once both were done
