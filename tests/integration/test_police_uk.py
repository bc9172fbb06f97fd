"""Real data.police.uk street-level files (City of London, 2017-2021) load as public context."""

from __future__ import annotations

import csv

import duckdb
import pytest

from tests.conftest import SHARED_DATA
from transforms.extracts.delivery import load_public_context
from transforms.extracts.profiles import load_profiles
from transforms.warehouse import bootstrap

FOLDER = SHARED_DATA / "police-uk" / "city-of-london-street"


@pytest.mark.skipif(not FOLDER.exists(), reason="shared police.uk data not present")
def test_police_uk_street_files_load_whole_and_reconcile() -> None:
    con = duckdb.connect()
    bootstrap(con)
    results = load_public_context(con, FOLDER, load_profiles(None))
    files = sorted(FOLDER.glob("*-street.csv"))
    assert len(results) == len(files) == 60
    assert all(r.status == "loaded" for r in results), [r.message for r in results if r.status != "loaded"]
    expected = 0
    for f in files:
        with f.open(encoding="utf-8-sig", newline="") as fh:
            expected += sum(1 for _ in csv.reader(fh)) - 1
    got = con.execute("SELECT count(*) FROM raw.police_uk_street").fetchall()[0][0]
    quarantined = sum(r.rows_quarantined for r in results)
    assert got + quarantined == expected
    by_type = dict(con.execute("SELECT crime_type, count(*) FROM raw.police_uk_street GROUP BY 1").fetchall())
    assert by_type.get("Violence and sexual offences", 0) > 1000
    months = con.execute("SELECT count(DISTINCT month) FROM raw.police_uk_street").fetchall()[0][0]
    assert months == 60
    print(f"\npolice.uk City of London: {got} rows loaded, {quarantined} quarantined, {len(by_type)} crime types")
    # re-loading the same files changes nothing
    again = load_public_context(con, FOLDER, load_profiles(None))
    assert all(r.status == "unchanged" for r in again)
    assert con.execute("SELECT count(*) FROM raw.police_uk_street").fetchall()[0][0] == got
