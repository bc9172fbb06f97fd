"""The loader on small hand-written files: rules, quarantine, idempotence, corrections, refusals."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from transforms.extracts.contract import POLICE_CRIMES, POLICE_PERSONS
from transforms.extracts.load import load_file
from transforms.extracts.profiles import canonical_profiles
from transforms.warehouse import bootstrap

CRIME_HEADER = (
    "crime_ref,recorded_date,committed_from,committed_to,offence_group,offence,"
    "location_type,location_name,ward_code,latitude,longitude,cse_flag,cce_flag,"
    "gang_flag,knife_flag,firearm_flag,dv_flag,online_flag,mo_text\n"
)
GOOD = '4200001/25,03/03/2025,02/03/2025 21:15,,robbery,Robbery of personal property,street,High St,E05000001,51.5,-0.07,N,N,N,Y,N,N,N,"Victim, 15, threatened"\n'
PERSON_HEADER = "crime_ref,person_seq,role,police_nominal_id,forename,surname,dob,gender,ethnicity,home_postcode\n"


@pytest.fixture()
def con() -> duckdb.DuckDBPyConnection:
    c = duckdb.connect()
    bootstrap(c)
    return c


def _load(con, path, source, month="2025-03"):
    return load_file(
        con, path, source, canonical_profiles()[source.name], delivery_month=month, source_file=f"{month}/{path.name}"
    )


def test_good_and_bad_rows_reconcile(con, tmp_path: Path) -> None:
    f = tmp_path / "police_crimes.csv"
    f.write_text(
        CRIME_HEADER
        + GOOD
        + GOOD.replace("4200001", "4200002").replace("03/03/2025", "31/02/2025")
        + GOOD.replace("4200001", "4200003").replace("robbery,", "burglary,")
        + GOOD.replace("4200001", "4200004").replace(",N,N,N,Y,", ",N,N,maybe,Y,"),
        encoding="utf-8",
    )
    r = _load(con, f, POLICE_CRIMES)
    assert (r.status, r.rows_in, r.rows_loaded, r.rows_quarantined) == ("loaded", 4, 1, 3)
    rules = dict(con.execute("SELECT row_number, rules FROM ops.quarantine ORDER BY 1").fetchall())
    assert rules == {2: ["type:recorded_date"], 3: ["code:offence_group"], 4: ["type:gang_flag"]}
    typed = con.execute(
        "SELECT recorded_date, committed_from, knife_flag, latitude, mo_text FROM raw.police_crimes"
    ).fetchall()[0]
    assert str(typed[0]) == "2025-03-03" and typed[1].hour == 21 and typed[2] is True
    assert typed[4] == "Victim, 15, threatened"
    loads = con.execute("SELECT rows_in, rows_loaded + rows_quarantined FROM ops.loads").fetchall()
    assert loads == [(4, 4)]


def test_same_file_twice_changes_nothing(con, tmp_path: Path) -> None:
    f = tmp_path / "police_crimes.csv"
    f.write_text(CRIME_HEADER + GOOD, encoding="utf-8")
    assert _load(con, f, POLICE_CRIMES).status == "loaded"
    before = con.execute("SELECT count(*) FROM ops.loads").fetchall()
    assert _load(con, f, POLICE_CRIMES).status == "unchanged"
    assert con.execute("SELECT count(*) FROM ops.loads").fetchall() == before
    assert con.execute("SELECT count(*) FROM raw.police_crimes").fetchall() == [(1,)]


def test_corrected_resend_replaces_and_keeps_history(con, tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first = tmp_path / "a" / "police_crimes.csv"
    first.write_text(CRIME_HEADER + GOOD, encoding="utf-8")
    second = tmp_path / "b" / "police_crimes.csv"
    second.write_text(
        CRIME_HEADER + GOOD.replace("Robbery of personal property", "Robbery (corrected)"), encoding="utf-8"
    )
    _load(con, first, POLICE_CRIMES, "2025-03")
    r = _load(con, second, POLICE_CRIMES, "2025-04")
    assert r.rows_superseded == 1
    assert con.execute("SELECT offence, delivery_month FROM raw.police_crimes").fetchall() == [
        ("Robbery (corrected)", "2025-04")
    ]
    assert con.execute("SELECT offence FROM raw.police_crimes_history").fetchall() == [
        ("Robbery of personal property",)
    ]


def test_orphan_person_and_duplicates_quarantined(con, tmp_path: Path) -> None:
    c = tmp_path / "police_crimes.csv"
    c.write_text(CRIME_HEADER + GOOD, encoding="utf-8")
    _load(con, c, POLICE_CRIMES)
    p = tmp_path / "police_persons.csv"
    row = "4200001/25,1,victim,,Amara,Okafor,03/07/2009,F,IC3,E8 1AA\n"
    p.write_text(
        PERSON_HEADER
        + row
        + row
        + "4200001/25,2,suspect,,Bo,Li,01/01/2008,M,IC5,\n"
        + "4200001/25,2,suspect,,Bob,Li,01/01/2008,M,IC5,\n"
        + "9999999/25,1,victim,,Zed,Ng,,M,IC9,\n",
        encoding="utf-8",
    )
    r = _load(con, p, POLICE_PERSONS)
    assert (r.rows_loaded, r.rows_quarantined) == (1, 4)
    got = sorted((n, tuple(rs)) for n, rs in con.execute("SELECT row_number, rules FROM ops.quarantine").fetchall())
    assert got == [
        (2, ("duplicate_row",)),
        (3, ("duplicate_key",)),
        (4, ("duplicate_key",)),
        (5, ("orphan:crime_ref",)),
    ]


def test_windows_1252_file_loads(con, tmp_path: Path) -> None:
    c = tmp_path / "police_crimes.csv"
    c.write_text(CRIME_HEADER + GOOD, encoding="utf-8")
    _load(con, c, POLICE_CRIMES)
    p = tmp_path / "police_persons.csv"
    p.write_bytes((PERSON_HEADER + "4200001/25,1,victim,,Zoë,Müller,03/07/2009,F,IC1,N16 0AA\n").encode("cp1252"))
    r = _load(con, p, POLICE_PERSONS)
    assert r.status == "loaded"
    assert con.execute("SELECT forename, surname FROM raw.police_persons").fetchall() == [("Zoë", "Müller")]
    assert con.execute("SELECT encoding FROM ops.loads WHERE source = 'police_persons'").fetchall() == [
        ("windows-1252",)
    ]


@pytest.mark.parametrize(
    "content,expected",
    [
        (CRIME_HEADER.replace("offence_group,", "") + "x\n", "missing required column 'offence_group'"),
        (CRIME_HEADER + GOOD + GOOD[:40].replace("4200001", "4200009"), "truncated at line 3"),
        ("", "empty file"),
    ],
)
def test_unreadable_file_refused_whole_with_reason(con, tmp_path: Path, content: str, expected: str) -> None:
    f = tmp_path / "police_crimes.csv"
    f.write_text(content, encoding="utf-8")
    r = _load(con, f, POLICE_CRIMES)
    assert r.status == "failed"
    assert expected in r.message and "police_crimes.csv" in r.message
    assert con.execute("SELECT count(*) FROM raw.police_crimes").fetchall() == [(0,)]
    assert con.execute("SELECT count(*) FROM ops.quarantine").fetchall() == [(0,)]
    assert con.execute("SELECT status FROM ops.loads").fetchall() == [("failed",)]


def test_unknown_encoding_refused(con, tmp_path: Path) -> None:
    f = tmp_path / "police_crimes.csv"
    f.write_bytes(CRIME_HEADER.encode() + b"\x81\x8d\x8f bad bytes\n")
    r = _load(con, f, POLICE_CRIMES)
    assert r.status == "failed" and "unknown encoding" in r.message
