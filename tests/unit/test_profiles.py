"""Source profiles: a borough's renamed, re-coded export loads through its own profile."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from transforms.extracts.contract import POLICE_CRIMES, POLICE_PERSONS, SOURCE_BY_NAME
from transforms.extracts.load import load_file
from transforms.extracts.profiles import (
    ProfileError,
    canonical_profiles,
    load_profiles,
    parse_profile,
)
from transforms.warehouse import bootstrap

BOROUGH_PROFILE = """\
source: police_persons
file: NOMINALS_EXPORT.csv
encoding: windows-1252
date_format: "%Y-%m-%d"
flags: {true: ["Yes"], false: ["No"]}
columns:
  crime_ref: CRIME_NO
  person_seq: SEQ
  role: INVOLVEMENT
  police_nominal_id: NOMINAL
  forename: FIRST_NAME
  surname: LAST_NAME
  dob: BIRTH_DATE
  gender: SEX
  ethnicity: ETH_CODE
  home_postcode: POSTCODE
codes:
  role: {VIC: victim, SUS: suspect, WIT: witness}
  gender: {Male: M, Female: F}
"""


def test_every_source_has_an_identity_profile() -> None:
    profiles = canonical_profiles()
    assert set(profiles) == set(SOURCE_BY_NAME)
    for name, p in profiles.items():
        assert p.columns == {} or name == "police_uk_street"


def test_renamed_recoded_export_loads_through_its_profile(tmp_path: Path) -> None:
    (tmp_path / "profiles").mkdir()
    (tmp_path / "profiles" / "police_persons.yaml").write_text(BOROUGH_PROFILE, encoding="utf-8")
    profiles = load_profiles(tmp_path / "profiles")
    con = duckdb.connect()
    bootstrap(con)
    crimes = tmp_path / "police_crimes.csv"
    crimes.write_text(
        ",".join(POLICE_CRIMES.column_names) + "\n"
        "4200001/25,03/03/2025,02/03/2025 21:15,,robbery,Robbery,street,,E05000001,,,N,N,N,N,N,N,N,\n",
        encoding="utf-8",
    )
    load_file(
        con,
        crimes,
        POLICE_CRIMES,
        profiles["police_crimes"],
        delivery_month="2025-03",
        source_file="2025-03/police_crimes.csv",
    )
    export = tmp_path / "NOMINALS_EXPORT.csv"
    export.write_bytes(
        (
            "ETH_CODE,CRIME_NO,SEQ,INVOLVEMENT,NOMINAL,FIRST_NAME,LAST_NAME,BIRTH_DATE,SEX,POSTCODE\n"
            "IC3,4200001/25,1,VIC,,Zoë,Adébáyò,2009-07-03,Female,E8 1AA\n"
            "IC1,4200001/25,2,SUS,PN1,Jack,Smith,2008-01-31,Male,\n"
            "IC1,4200001/25,3,OFFICER,,Al,Jones,2008-02-01,Male,\n"
        ).encode("cp1252")
    )
    r = load_file(
        con,
        export,
        POLICE_PERSONS,
        profiles["police_persons"],
        delivery_month="2025-03",
        source_file="2025-03/NOMINALS_EXPORT.csv",
    )
    assert (r.status, r.rows_loaded, r.rows_quarantined) == ("loaded", 2, 1)
    rows = con.execute(
        "SELECT person_seq, role, forename, dob::VARCHAR, gender, ethnicity FROM raw.police_persons ORDER BY 1"
    ).fetchall()
    assert rows == [(1, "victim", "Zoë", "2009-07-03", "F", "IC3"), (2, "suspect", "Jack", "2008-01-31", "M", "IC1")]
    assert con.execute("SELECT rules FROM ops.quarantine").fetchall() == [(["code:role"],)]


@pytest.mark.parametrize(
    "data,message",
    [
        ({"source": "police_things"}, "'source' must be one of"),
        ({"source": "police_persons", "columns": {"shoe_size": "SHOE"}}, "unknown canonical columns"),
        ({"source": "police_persons", "colums": {}}, "unknown keys"),
    ],
)
def test_bad_profile_is_refused_clearly(data: dict, message: str) -> None:
    with pytest.raises(ProfileError, match=message):
        parse_profile(data, "borough.yaml")
