"""The analysts' door and the right to erasure, attacked as an analyst with a query (or a partner
re-sending a month) would: each test is an attack that got through before issue 19.

Classes: raw data through table functions; files and other databases; the environment (the
pseudonym key); writes; the fallback to the pipeline's warehouse; logging of refusals and
failures; readers during a refresh; file modes; formula injection in exports; erasure traces
(a byte search of every file Lantern writes); a re-sent file after an erasure; an erasure
interrupted during its rebuild.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

import dagster as dg
import duckdb
import pandas as pd
import pytest

from pipelines.resources import WarehouseBusy, connect_warehouse, read_warehouse
from pipelines.sqlcli import run_sql
from transforms.access_log import collect
from transforms.governance import publish_analyst_copy


@pytest.fixture()
def own(sample_settings, sample_warehouse, tmp_path: Path):
    """A private copy of the sample warehouse with its analyst copy published."""
    wh = tmp_path / "data" / "wh.duckdb"
    wh.parent.mkdir()
    shutil.copy(sample_warehouse, wh)
    s = dataclasses.replace(sample_settings, warehouse=wh, build=tmp_path / "build")
    with duckdb.connect(str(wh)) as con:
        publish_analyst_copy(con, s.analyst_copy)
    return s


def _a_named_record(con: duckdb.DuckDBPyConnection) -> tuple[str, str, str]:
    return con.execute(
        "SELECT forename, surname, crime_ref FROM raw.police_persons "
        "WHERE forename IS NOT NULL AND surname IS NOT NULL ORDER BY crime_ref LIMIT 1"
    ).fetchall()[0]


def _spool(s) -> list[dict]:
    out = []
    for p in sorted(s.access_spool.glob("*.jsonl")):
        entry: dict = {}
        for line in p.read_text().splitlines():
            entry.update({k: v for k, v in json.loads(line).items() if v is not None or k not in entry})
        out.append(entry)
    return out


# --- the door --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "attack",
    [
        "SELECT * FROM read_duckdb('{wh}', table_name := 'police_persons')",
        "SELECT * FROM read_csv('{inbox}/2025-01/police_persons.csv')",
        "SELECT * FROM read_text('/proc/self/environ')",
        "SELECT * FROM '{inbox}/2025-01/police_persons.csv'",
        "SELECT * FROM glob('{inbox}/*')",
        "SELECT * FROM read_blob('{wh}')",
        "SELECT * FROM query('SELECT * FROM read_text(''/proc/self/environ'')')",
    ],
)
def test_table_functions_cannot_reach_outside_the_copy(own, attack: str, capsys, monkeypatch) -> None:
    monkeypatch.setenv("LANTERN_PSEUDONYM_KEY", "the-secret-key-xyz")
    with duckdb.connect(str(own.warehouse), read_only=True) as con:
        forename, surname, _ = _a_named_record(con)
    q = attack.format(wh=own.warehouse, inbox=own.inbox)
    assert run_sql(own, q) == 2
    out = capsys.readouterr()
    assert forename not in out.out and surname not in out.out and "the-secret-key-xyz" not in out.out
    assert "disabled by configuration" in out.err or "does not exist" in out.err
    (entry,) = _spool(own)
    assert entry["outcome"] == "failed" and entry["query"] == q


@pytest.mark.parametrize(
    "attack",
    [
        "EXPLAIN ANALYZE COPY (SELECT * FROM marts.person) TO '{out}'",
        "PRAGMA import_database('{dir}')",
        "SET enable_external_access = true",
        "ATTACH '{wh}' AS w",
        "SELECT 1; COPY (SELECT 1) TO '{out}'",
        "INSTALL httpfs",
        "CALL pragma_database_list()",
    ],
)
def test_no_writes_no_pragmas_no_explain(own, attack: str, tmp_path: Path, capsys) -> None:
    out = tmp_path / "leak.csv"
    (tmp_path / "imp").mkdir()
    (tmp_path / "imp" / "schema.sql").write_text(
        f"ATTACH '{own.warehouse}' AS w; EXPORT DATABASE w TO '{tmp_path}/dump';"
    )
    (tmp_path / "imp" / "load.sql").write_text("")
    q = attack.format(out=out, dir=tmp_path / "imp", wh=own.warehouse)
    assert run_sql(own, q) == 2
    assert "refused" in capsys.readouterr().err
    assert not out.exists() and not (tmp_path / "dump").exists()
    assert _spool(own)[0]["outcome"] == "refused"


def test_no_analyst_copy_means_no_query(own, capsys) -> None:
    own.analyst_copy.unlink()
    assert run_sql(own, "SELECT count(*) FROM raw.police_persons") == 2
    err = capsys.readouterr().err
    assert "no analyst copy" in err and "refresh" in err
    assert _spool(own)[0]["outcome"] == "refused"


def test_the_copy_is_sandboxed_before_user_text(own) -> None:
    from pipelines.sqlcli import open_analyst_copy

    with open_analyst_copy(own) as con:
        settings = dict(
            con.execute(
                "SELECT name, value FROM duckdb_settings() WHERE name IN "
                "('enable_external_access', 'lock_configuration', 'autoload_known_extensions', "
                "'autoinstall_known_extensions', 'access_mode')"
            ).fetchall()
        )
        with pytest.raises(duckdb.Error):
            con.execute("CREATE TABLE marts.x AS SELECT 1")
    assert settings == {
        "enable_external_access": "false",
        "lock_configuration": "true",
        "autoload_known_extensions": "false",
        "autoinstall_known_extensions": "false",
        "access_mode": "read_only",
    }


def test_every_request_is_logged_before_it_runs_and_collected(own, capsys) -> None:
    assert run_sql(own, "SELECT count(*) AS n FROM marts.person") == 0
    assert run_sql(own, "DROP TABLE marts.person") == 2
    assert run_sql(own, "SELECT * FROM no_such_table") == 2
    spool = sorted(own.access_spool.glob("*.jsonl"))
    assert len(spool) == 3
    assert stat.S_IMODE(own.access_spool.stat().st_mode) == 0o730
    assert {stat.S_IMODE(p.stat().st_mode) for p in spool} == {0o640}
    # the warehouse was never opened for writing by the reader
    with duckdb.connect(str(own.warehouse)) as con:
        assert con.execute("SELECT count(*) FROM ops.access_log").fetchall() == [(0,)]
        assert collect(con, own.access_spool) == 3
        assert collect(con, own.access_spool) == 0  # collected once
        rows = con.execute(
            "SELECT outcome, row_count, message IS NOT NULL FROM ops.access_log ORDER BY accessed_at"
        ).fetchall()
    assert rows == [("ok", 1, False), ("refused", None, True), ("failed", None, True)]
    assert list(own.access_spool.glob("*.jsonl")) == []


def test_a_request_killed_before_it_reports_is_logged(own) -> None:
    from transforms.access_log import AccessEntry

    AccessEntry(own.access_spool, user="u", kind="sql", query="SELECT 1")  # never closed
    with duckdb.connect(str(own.warehouse)) as con:
        assert collect(con, own.access_spool) == 0  # perhaps still running
        later = pd.Timestamp.now() + pd.Timedelta(days=2)
        assert collect(con, own.access_spool, now=later.to_pydatetime()) == 1
        assert con.execute("SELECT outcome FROM ops.access_log").fetchall() == [("interrupted",)]


def test_exports_guard_headers_and_cells_and_stay_in_the_exports_folder(own, tmp_path: Path, capsys) -> None:
    q = "SELECT '  =1+1' AS \"=cmd\", '\t@x' AS \" +h\", '-2' AS ok"
    for fmt in ("csv", "json", "xlsx"):
        assert run_sql(own, q, fmt=fmt, out=f"x.{fmt}") == 0
        f = own.exports / f"x.{fmt}"
        assert stat.S_IMODE(f.stat().st_mode) == 0o640
    frame = pd.read_csv(own.exports / "x.csv", keep_default_na=False)
    assert list(frame.columns) == ["'=cmd", "' +h", "ok"]
    assert frame.iloc[0].tolist() == ["'  =1+1", "'\t@x", "'-2"]
    j = json.loads((own.exports / "x.json").read_text())[0]
    assert j == {"'=cmd": "'  =1+1", "' +h": "'\t@x", "ok": "'-2"}
    x = pd.read_excel(own.exports / "x.xlsx")
    assert list(x.columns)[0] == "'=cmd" and x.iloc[0, 0] == "'  =1+1"
    assert run_sql(own, "SELECT 1", fmt="csv", out=str(tmp_path / "elsewhere.csv")) == 2
    assert not (tmp_path / "elsewhere.csv").exists()


# --- what the copy publishes -------------------------------------------------------------------


def test_a_mart_written_after_the_person_marts_cannot_carry_a_name_into_the_copy(own) -> None:
    """The privacy scan was a check on `person_marts`: the network and theme marts are written
    after it, so a name one of them carried was published in the analyst copy unscanned (and in
    a first refresh, never scanned at all). The copy is scanned now, before it replaces the old."""
    from transforms.governance import PersonalDataFound

    before = own.analyst_copy.read_bytes()
    parquet_before = sorted(p.name for p in (own.analyst_copy.parent / "parquet").iterdir())
    with duckdb.connect(str(own.warehouse)) as con:
        (surname,) = con.execute(
            "SELECT surname FROM raw.person_record WHERE length(surname) >= 6 AND lower(surname) NOT IN "
            "(SELECT lower(name) FROM core.place UNION ALL SELECT lower(ward_name) FROM core.ward) "
            "ORDER BY surname LIMIT 1"
        ).fetchall()[0]
        assert surname.encode() not in before
        # as a late mart would: a table, and a view (the copy holds views as tables of their rows)
        con.execute(
            "CREATE TABLE marts.group_nickname AS SELECT group_id, ? AS nickname FROM marts.peer_group LIMIT 3",
            [surname],
        )
        with pytest.raises(PersonalDataFound) as caught:
            publish_analyst_copy(con, own.analyst_copy)
        assert "marts.group_nickname.nickname" in str(caught.value)
        con.execute("DROP TABLE marts.group_nickname")
        quoted = surname.replace("'", "''")
        con.execute(f"CREATE VIEW marts.place_nickname AS SELECT place_id, '{quoted}' AS nick FROM core.place")
        with pytest.raises(PersonalDataFound) as caught:
            publish_analyst_copy(con, own.analyst_copy)
        assert "marts.place_nickname.nick" in str(caught.value)
    # the old copy stays published, untouched; nothing of the refused one is left beside it
    assert own.analyst_copy.read_bytes() == before
    assert sorted(p.name for p in (own.analyst_copy.parent / "parquet").iterdir()) == parquet_before
    assert _hits(_files(own.analyst_copy.parent), [surname]) == []


def test_an_unscanned_copy_is_never_where_analysts_can_read_it(own, monkeypatch) -> None:
    """While the new copy is scanned, and after a scan or a copy that fails half way, nothing of it
    is in the analysts' folder: it is written in a folder only the pipeline's user can enter, and
    removed on any failure. (It was written beside the published copy, 0640, Parquet first.)"""
    import transforms.governance as governance

    folder = own.analyst_copy.parent
    published = sorted(p.relative_to(folder) for p in folder.rglob("*"))
    seen: list[tuple[str, int]] = []
    real_scan = governance.find_personal_data

    def scan_and_look(con, schemas, database=None):  # type: ignore[no-untyped-def]
        for p in folder.iterdir():
            seen.append((p.name, stat.S_IMODE(p.stat().st_mode)))
        return real_scan(con, schemas, database=database)

    monkeypatch.setattr(governance, "find_personal_data", scan_and_look)
    with duckdb.connect(str(own.warehouse)) as con:
        publish_analyst_copy(con, own.analyst_copy)
    staged = [(n, m) for n, m in seen if n.startswith(governance.STAGING_PREFIX)]
    assert len(staged) == 1 and staged[0][1] == 0o700, seen  # only its owner can enter it
    assert {n for n, _ in seen} - {staged[0][0]} <= {"lantern.duckdb", "parquet"}, seen

    def broken_scan(con, schemas, database=None):  # type: ignore[no-untyped-def]
        raise RuntimeError("the scan failed half way")

    monkeypatch.setattr(governance, "find_personal_data", broken_scan)
    before = own.analyst_copy.read_bytes()
    with duckdb.connect(str(own.warehouse)) as con, pytest.raises(RuntimeError, match="half way"):
        publish_analyst_copy(con, own.analyst_copy)
    assert sorted(p.relative_to(folder) for p in folder.rglob("*")) == published
    assert own.analyst_copy.read_bytes() == before


def test_the_scan_never_passes_for_want_of_values(own) -> None:
    """Without `raw.person_record` the scan has nothing to look for; it fails rather than pass."""
    from transforms.privacy import find_personal_data

    with duckdb.connect(str(own.warehouse)) as con:
        con.execute("ALTER VIEW raw.person_record RENAME TO person_record_elsewhere")
        with pytest.raises(RuntimeError, match="nothing to look for"):
            find_personal_data(con)


def test_a_failed_scan_stops_the_run_before_the_profile(own) -> None:
    """In a run, a name in a late mart fails the copy's blocking check: the run fails, the last
    copy stays and the month's profile is not built."""
    from pipelines.runs import materialize

    with duckdb.connect(str(own.warehouse)) as con:
        month = con.execute("SELECT max(delivery_month) FROM ops.loads WHERE status = 'loaded'").fetchall()[0][0]
        (surname,) = con.execute(
            "SELECT surname FROM raw.person_record WHERE length(surname) >= 6 AND lower(surname) NOT IN "
            "(SELECT lower(name) FROM core.place UNION ALL SELECT lower(ward_name) FROM core.ward) "
            "ORDER BY surname LIMIT 1"
        ).fetchall()[0]
        con.execute("CREATE TABLE marts.group_nickname AS SELECT 'PG0000-0' AS group_id, ? AS nickname", [surname])
    before = own.analyst_copy.read_bytes()
    with pytest.raises(Exception) as caught:
        materialize(["analyst_copy", "local_profile"], own, months=[month])
    print(f"the run failed: {str(caught.value).splitlines()[0]}")
    assert "no_personal_data" in str(caught.value)
    assert own.analyst_copy.read_bytes() == before
    assert not (own.build / "profile" / month).exists()


def test_the_privacy_scan_guards_the_copy_and_the_pages_wait_for_it() -> None:
    """In the pipeline the scan is the analyst copy's own blocking check, after every asset that
    writes core or marts; the partners' edition follows it, so a failed scan stops the pages too."""
    from pipelines.definitions import build_definitions
    from pipelines.settings import load_settings

    graph = build_definitions(load_settings()).get_repository_def().asset_graph
    copy = dg.AssetKey("analyst_copy")
    (check,) = [k for k in graph.asset_check_keys if k.name == "no_personal_data"]
    assert check.asset_key == copy
    assert graph.get_check_spec(check).blocking
    writers = {"person_marts", "peer_network", "group_profiles", "bridging_view", "theme_monthly", "emerging_themes"}
    assert writers <= {k.to_user_string() for k in graph.get(copy).parent_keys}
    assert copy in graph.get(dg.AssetKey("local_profile")).parent_keys


# --- readers never break a refresh ---------------------------------------------------------------


def test_a_reader_never_makes_a_writer_fail(own) -> None:
    hold = (
        "import sys, time; sys.path.insert(0, sys.argv[2]); from pipelines.resources import read_warehouse\n"
        "with read_warehouse(sys.argv[1]) as c:\n    print('holding', flush=True); time.sleep(3)"
    )
    p = subprocess.Popen(
        [sys.executable, "-c", hold, str(own.warehouse), str(Path.cwd())], stdout=subprocess.PIPE, text=True
    )
    assert p.stdout is not None and p.stdout.readline().strip() == "holding"
    with connect_warehouse(str(own.warehouse)) as con:  # waits for the reader instead of failing
        con.execute("CREATE TABLE ops.probe AS SELECT 1")
        # and while the writer holds it, readers stay out
        with pytest.raises(WarehouseBusy):
            probe = subprocess.run(
                [
                    sys.executable,
                    "-c",
                    "import sys; sys.path.insert(0, sys.argv[2]); from pipelines.resources import read_warehouse\n"
                    "with read_warehouse(sys.argv[1]): pass",
                    str(own.warehouse),
                    str(Path.cwd()),
                ],
                capture_output=True,
                text=True,
            )
            if "WarehouseBusy" in probe.stderr:
                raise WarehouseBusy(probe.stderr)
    p.wait(timeout=30)
    with read_warehouse(str(own.warehouse)) as con:
        assert con.execute("SELECT count(*) FROM ops.probe").fetchall() == [(1,)]


# --- erasure -----------------------------------------------------------------------------------


def _files(*roots: Path) -> list[Path]:
    out: list[Path] = []
    for r in roots:
        if r.is_file():
            out.append(r)
        elif r.is_dir():
            out.extend(p for p in r.rglob("*") if p.is_file())
    return out


def _hits(files: list[Path], needles: list[str]) -> list[tuple[str, str]]:
    found = []
    for f in files:
        data = f.read_bytes()
        for n in needles:
            if n.encode("utf-8") in data:
                found.append((str(f), n))
    return found


def _pick_person(con: duckdb.DuckDBPyConnection) -> tuple[str, list[tuple[str, str]], list[str], list[str]]:
    """A person with records in several sources whose surname is nobody else's (a byte search
    for a surname a sibling shares would find the sibling); their forenames may be shared."""
    rows = con.execute("""
        with mine as (select l.person_key, r.* from core.person_link l
                      join raw.person_record r using (source, source_key)),
        shared as (select surname from mine where surname is not null group by surname
                   having count(distinct person_key) > 1)
        select person_key from mine group by person_key
        having count(distinct source) >= 2 and count(surname) > 0
           and not bool_or(surname in (select surname from shared))
        order by count(distinct source) desc, person_key limit 1""").fetchall()
    person = rows[0][0]
    records = con.execute("SELECT source, source_key FROM core.person_link WHERE person_key = ?", [person]).fetchall()
    ids = [
        r[0]
        for r in con.execute(
            "SELECT DISTINCT agency_id FROM raw.person_record r JOIN core.person_link l "
            "USING (source, source_key) WHERE person_key = ? AND agency_id IS NOT NULL",
            [person],
        ).fetchall()
    ]
    names = [
        r[0]
        for r in con.execute(
            "SELECT DISTINCT surname FROM raw.person_record r JOIN "
            "core.person_link l USING (source, source_key) WHERE person_key = ? "
            "AND surname IS NOT NULL",
            [person],
        ).fetchall()
    ]
    return person, records, ids, names


def test_erasure_is_final(own, monkeypatch, capsys) -> None:
    from pipelines import cli
    from transforms.extracts.contract import SOURCE_BY_NAME
    from transforms.extracts.load import load_file
    from transforms.extracts.profiles import load_profiles

    inbox = own.inbox
    for k, v in {
        "LANTERN_WAREHOUSE": own.warehouse,
        "LANTERN_BUILD": own.build,
        "LANTERN_INBOX": inbox,
        "LANTERN_PSEUDONYM_KEY": own.pseudonym_key,
    }.items():
        monkeypatch.setenv(k, str(v))
    with duckdb.connect(str(own.warehouse)) as con:
        person, records, ids, names = _pick_person(con)
        # another record's free text names them (as a police summary would)
        crime = con.execute("SELECT crime_ref FROM raw.police_crimes ORDER BY crime_ref LIMIT 1").fetchall()[0][0]
        con.execute(
            "UPDATE raw.police_crimes SET mo_text = ? WHERE crime_ref = ?",
            [f"seen with {names[0]} {names[-1]} near the station", crime],
        )
    # what analysts made of them: a pack, an export, a logged query
    assert cli.main(["pack", person]) == 0
    assert run_sql(own, f"SELECT * FROM marts.person WHERE person_key = '{person}'", fmt="csv", out="p.csv") == 0
    own_keys = [k for s, k in records if s != "police_persons"]
    needles = [person, *ids, *own_keys, *names]
    everything = lambda: _files(own.warehouse.parent, own.build)  # noqa: E731
    before = _hits(everything(), needles)
    assert {n for _, n in before} >= {person, names[0]}, "positive control: the byte search finds them before"
    # the system's temporary folder, private to this test (other processes may use /tmp)
    systmp = own.warehouse.parent / "systmp"
    systmp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(systmp))

    src, key = records[0]
    # the erasure is killed during its rebuild…
    import pipelines.runs as runs

    real = runs.refresh
    monkeypatch.setattr(runs, "refresh", lambda *a, **k: (_ for _ in ()).throw(KeyboardInterrupt()))
    assert cli.main(["erase", "--source", src, "--key", key]) == 130
    assert not own.analyst_copy.exists(), "an interrupted erasure leaves no analyst copy with the person"
    assert cli.main(["status"]) == 0
    assert "not complete" in capsys.readouterr().out
    # …and completes when run again
    monkeypatch.setattr(runs, "refresh", real)
    assert cli.main(["erase", "--source", src, "--key", key]) == 0
    assert "completing 1 erasure" in capsys.readouterr().out
    assert own.analyst_copy.exists() and (own.build / "profile").is_dir()

    left = _hits(everything(), needles)
    assert left == [], f"erased person still found: {left[:5]}"
    with duckdb.connect(str(own.warehouse), read_only=True) as con:
        mo = con.execute("SELECT mo_text FROM raw.police_crimes WHERE crime_ref = ?", [crime]).fetchall()[0][0]
        assert "[name redacted]" in mo and "near the station" in mo
        assert con.execute("SELECT count(*) FROM ops.erasures").fetchall() == [(1,)]
        assert con.execute("SELECT count(*) FROM ops.erasure_pending").fetchall() == [(0,)]
        checks = con.execute("SELECT count(*) FROM ops.erasure_tombstone").fetchall()[0][0]
    assert checks >= len(records)
    assert not list(systmp.glob("lantern-link-*")), "no scoring database in the system's temporary folder"
    # file modes, from creation
    assert stat.S_IMODE(own.warehouse.stat().st_mode) == 0o600
    assert stat.S_IMODE(own.analyst_copy.stat().st_mode) == 0o640
    assert {stat.S_IMODE(p.stat().st_mode) for p in (own.analyst_copy.parent / "parquet").iterdir()} == {0o640}
    assert stat.S_IMODE((own.build / "analyst").stat().st_mode) == 0o750
    assert {stat.S_IMODE(p.stat().st_mode) for p in _files(own.build / "profile")} == {0o644}
    assert stat.S_IMODE(own.work.stat().st_mode) == 0o700

    # a partner re-sends a month holding them: they do not come back
    profiles = load_profiles(None)
    with connect_warehouse(str(own.warehouse)) as con:
        withheld = 0
        for month in sorted(p.name for p in inbox.iterdir() if p.name[:2] == "20"):
            for name in ("social_care_referrals", "police_persons", "missing_episodes", "school_exclusions"):
                path = inbox / month / f"{name}.csv"
                if path.exists():
                    r = load_file(
                        con,
                        path,
                        SOURCE_BY_NAME[name],
                        profiles[name],
                        delivery_month=month,
                        source_file=f"resent/{month}/{name}.csv",
                        secret=own.pseudonym_key,
                    )
                    assert r.status == "loaded", r.message
                    assert r.rows_in == r.rows_loaded + r.rows_quarantined + r.rows_withheld
                    withheld += r.rows_withheld
        for s, k in records:
            assert con.execute(
                "SELECT count(*) FROM raw.person_record WHERE source = ? AND source_key = ?", [s, k]
            ).fetchall() == [(0,)]
        assert con.execute(
            "SELECT count(*) FROM raw.person_record WHERE agency_id IN (SELECT unnest(?::VARCHAR[]))", [ids]
        ).fetchall() == [(0,)]
        assert con.execute(
            "SELECT count(*) FROM ops.quarantine WHERE CAST(record AS VARCHAR) LIKE '%' || ? || '%'", [names[-1]]
        ).fetchall() == [(0,)]
    assert withheld >= 1
    assert cli.main(["status"]) == 0
    assert "withheld by an erasure" in capsys.readouterr().out
    assert os.path.exists(own.warehouse)


def test_a_build_folder_pointing_at_the_warehouse_is_not_a_copy(own, tmp_path: Path, capsys) -> None:
    """LANTERN_BUILD repointed at a folder whose 'analyst copy' is the warehouse (a link to it,
    or a copy of it holding raw): refused, not opened."""
    evil = dataclasses.replace(own, build=tmp_path / "evil")
    evil.analyst_copy.parent.mkdir(parents=True)
    evil.analyst_copy.symlink_to(own.warehouse)
    assert run_sql(evil, "SELECT forename FROM raw.police_persons LIMIT 1") == 2
    evil.analyst_copy.unlink()
    shutil.copy(own.warehouse, evil.analyst_copy)
    assert run_sql(evil, "SELECT forename FROM raw.police_persons LIMIT 1") == 2
    out = capsys.readouterr()
    assert "not an analyst copy" in out.err and out.out == ""


def test_exports_never_write_through_a_planted_link_and_failures_are_logged(own, tmp_path: Path) -> None:
    outside = tmp_path / "outside.txt"
    outside.write_text("precious")
    own.exports.mkdir(parents=True, exist_ok=True)
    os.link(outside, own.exports / "hard.csv")
    assert run_sql(own, "SELECT 1 AS a", fmt="csv", out="hard.csv") == 0
    assert outside.read_text() == "precious" and (own.exports / "hard.csv").read_text() == "a\n1\n"
    assert run_sql(own, "SELECT chr(11) || 'x' AS a, chr(10) || '=1+1' AS b", fmt="xlsx", out="c.xlsx") in (0, 2)
    assert run_sql(own, "SELECT 1 AS a", fmt="csv", out="x\udcff.csv") in (0, 2)
    outcomes = [e["outcome"] for e in _spool(own)]
    assert "started" not in outcomes and len(outcomes) == 3
    assert not list(own.exports.glob(".*.tmp"))
