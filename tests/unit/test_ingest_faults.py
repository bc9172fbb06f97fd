"""Files cut short in transfer are refused whole (issue 19): a file whose last record has no line
end (cut inside its last field: the record still parses, with a cut value) and a file with a
quoted field that is never closed. Nothing of such a file reaches raw or the quarantine, and a
file that refers to it waits instead of having its rows quarantined as orphans."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from transforms.extracts.contract import POLICE_CRIMES, POLICE_PERSONS
from transforms.extracts.delivery import load_delivery
from transforms.extracts.load import load_file
from transforms.extracts.profiles import canonical_profiles
from transforms.warehouse import bootstrap

CRIME_HEADER = (
    "crime_ref,recorded_date,committed_from,committed_to,offence_group,offence,"
    "location_type,location_name,ward_code,latitude,longitude,cse_flag,cce_flag,"
    "gang_flag,knife_flag,firearm_flag,dv_flag,online_flag,mo_text\n"
)
CRIME = (
    "{ref},03/03/2025,02/03/2025 21:15,,robbery,Robbery of personal property,street,High St,"
    "E05000001,51.5,-0.07,N,N,N,Y,N,N,N,{mo}\n"
)
GOOD = CRIME.format(ref="4200001/25", mo='"Victim, 15, threatened"')
SECOND = CRIME.format(ref="4200002/25", mo='"Two suspects, both 16, fled on foot"')
PERSON_HEADER = "crime_ref,person_seq,role,police_nominal_id,forename,surname,dob,gender,ethnicity,home_postcode\n"
PERSON = "4200001/25,1,victim,,Amara,Okafor,03/07/2009,F,IC3,E8 1AA\n"


@pytest.fixture()
def con() -> duckdb.DuckDBPyConnection:
    c = duckdb.connect()
    bootstrap(c)
    return c


def _load(con, path: Path, source=POLICE_CRIMES, month: str = "2025-03"):
    return load_file(
        con, path, source, canonical_profiles()[source.name], delivery_month=month, source_file=f"{month}/{path.name}"
    )


def _write(tmp_path: Path, name: str, text: str, newline: str = "\n") -> Path:
    f = tmp_path / name
    f.write_bytes(text.replace("\n", newline).encode("utf-8"))
    return f


def _assert_refused_whole(con, r, name: str, table: str, line: int | None = None) -> None:
    assert r.status == "failed", r
    assert name in r.message
    assert "truncated" in r.message or "not closed" in r.message
    assert "re-send the whole file" in r.message
    if line is not None:
        assert f"line {line}" in r.message, r.message
    assert con.execute(f"SELECT count(*) FROM raw.{table}").fetchall() == [(0,)]
    assert con.execute("SELECT count(*) FROM ops.quarantine").fetchall() == [(0,)]
    assert con.execute("SELECT status FROM ops.loads").fetchall() == [("failed",)]


# (a) cut inside the last field, which is not quoted: the last record has every field
def test_file_cut_inside_its_last_field_is_refused_whole(con, tmp_path: Path) -> None:
    f = _write(tmp_path, "police_persons.csv", PERSON_HEADER + PERSON + PERSON.replace(",1,", ",2,")[:-3])
    assert f.read_text().endswith(",E8 1")  # the postcode was E8 1AA
    r = _load(con, f, POLICE_PERSONS)
    _assert_refused_whole(con, r, "police_persons.csv", "police_persons", line=3)


# (a) cut inside a quoted last field, no final newline
def test_file_cut_inside_a_quoted_last_field_is_refused_whole(con, tmp_path: Path) -> None:
    f = _write(tmp_path, "police_crimes.csv", CRIME_HEADER + GOOD + SECOND[:-15])
    r = _load(con, f, POLICE_CRIMES)
    _assert_refused_whole(con, r, "police_crimes.csv", "police_crimes", line=3)


# (d) the last line is complete and only its line end is missing: the parser cannot tell a value
# cut at a field boundary from a whole one, so this is refused too
@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_file_lacking_only_its_final_line_end_is_refused(con, tmp_path: Path, newline: str) -> None:
    f = _write(tmp_path, "police_crimes.csv", CRIME_HEADER + GOOD + SECOND, newline)
    f.write_bytes(f.read_bytes()[: -len(newline)])
    r = _load(con, f, POLICE_CRIMES)
    _assert_refused_whole(con, r, "police_crimes.csv", "police_crimes", line=3)


def test_crlf_file_cut_between_cr_and_lf_is_refused(con, tmp_path: Path) -> None:
    f = _write(tmp_path, "police_crimes.csv", CRIME_HEADER + GOOD + SECOND, "\r\n")
    f.write_bytes(f.read_bytes()[:-1])
    _assert_refused_whole(con, _load(con, f, POLICE_CRIMES), "police_crimes.csv", "police_crimes", line=3)


# (b) a quoted field opened on the last line runs to the end of the file, which ends with a newline
def test_unterminated_quote_on_the_last_line_is_refused(con, tmp_path: Path) -> None:
    f = _write(tmp_path, "police_crimes.csv", CRIME_HEADER + GOOD + SECOND[:-15] + "\n")
    r = _load(con, f, POLICE_CRIMES)
    _assert_refused_whole(con, r, "police_crimes.csv", "police_crimes", line=3)
    assert "never closed" in r.message


# (b) a quote opened earlier runs to the end of the file over the lines after it
def test_unterminated_quote_earlier_in_the_file_is_refused(con, tmp_path: Path) -> None:
    plain = CRIME.format(ref="4200003/25", mo="no quotes here")
    f = _write(tmp_path, "police_crimes.csv", CRIME_HEADER + GOOD + SECOND[:-15] + "\n" + plain + plain)
    r = _load(con, f, POLICE_CRIMES)
    _assert_refused_whole(con, r, "police_crimes.csv", "police_crimes", line=3)


# (b) an unclosed quote whose field a later quote closes mid-value: DuckDB's strict mode refuses
# it, with the same advice
def test_unclosed_quote_closed_by_a_later_field_is_refused(con, tmp_path: Path) -> None:
    f = _write(
        tmp_path, "police_crimes.csv", CRIME_HEADER + SECOND[:-15] + "\n" + GOOD + GOOD.replace("4200001", "4200004")
    )
    r = _load(con, f, POLICE_CRIMES)
    _assert_refused_whole(con, r, "police_crimes.csv", "police_crimes")


# (c) whole files still load: LF and CRLF, a quoted field spanning lines, a doubled quote, a lone
# quote inside an unquoted value (read as a character), and a header-only file with no line end
@pytest.mark.parametrize(
    "text,newline,rows",
    [
        (CRIME_HEADER + GOOD + SECOND, "\n", 2),
        (CRIME_HEADER + GOOD + SECOND, "\r\n", 2),
        (CRIME_HEADER + GOOD + CRIME.format(ref="4200002/25", mo='"first line\nsecond, ""quoted"" line"'), "\n", 2),
        (CRIME_HEADER + GOOD + CRIME.format(ref="4200002/25", mo='suspect 5ft11" tall'), "\n", 2),
        (CRIME_HEADER.rstrip("\n"), "\n", 0),
    ],
)
def test_whole_files_still_load(con, tmp_path: Path, text: str, newline: str, rows: int) -> None:
    f = _write(tmp_path, "police_crimes.csv", text, newline)
    r = _load(con, f, POLICE_CRIMES)
    assert (r.status, r.rows_in, r.rows_loaded, r.rows_quarantined) == ("loaded", rows, rows, 0), r
    assert con.execute("SELECT count(*) FROM raw.police_crimes").fetchall() == [(rows,)]


def test_multiline_and_quoted_values_load_intact(con, tmp_path: Path) -> None:
    mo = '"first line\nsecond, ""quoted"" line"'
    f = _write(tmp_path, "police_crimes.csv", CRIME_HEADER + CRIME.format(ref="4200002/25", mo=mo) + GOOD)
    assert _load(con, f, POLICE_CRIMES).status == "loaded"
    got = dict(con.execute("SELECT crime_ref, mo_text FROM raw.police_crimes").fetchall())
    assert got == {"4200002/25": 'first line\nsecond, "quoted" line', "4200001/25": "Victim, 15, threatened"}


# a cut crimes file is refused, and its persons wait for it: not loaded, not quarantined as orphans
def test_persons_of_a_cut_crimes_file_wait_instead_of_being_quarantined(con, tmp_path: Path) -> None:
    month = tmp_path / "2025-03"
    month.mkdir()
    (month / "police_crimes.csv").write_text(CRIME_HEADER + GOOD + SECOND.rstrip("\n"), encoding="utf-8")
    (month / "police_persons.csv").write_text(
        PERSON_HEADER + PERSON + PERSON.replace("4200001", "4200002"), encoding="utf-8"
    )
    results = {r.source: r for r in load_delivery(con, tmp_path, "2025-03", canonical_profiles())}
    assert results["police_crimes"].status == "failed"
    assert "truncated at line 3" in results["police_crimes"].message
    assert results["police_persons"].status == "waiting"
    assert con.execute("SELECT count(*) FROM ops.quarantine").fetchall() == [(0,)]
    assert con.execute("SELECT count(*) FROM raw.police_persons").fetchall() == [(0,)]
