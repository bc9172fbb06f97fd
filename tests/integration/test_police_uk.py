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


@pytest.mark.skipif(not FOLDER.exists(), reason="shared police.uk data not present")
def test_a_street_file_re_sent_in_a_later_month_replaces_and_reaches_the_analyst_copy(tmp_path) -> None:
    """The 2021-12 file delivered again in the 2022-01 folder: each police.uk record once (keyed by
    its Crime ID; rows without one by the file's name), counted in the public-context mart, which
    the analyst copy carries."""
    import shutil

    from transforms.extracts.delivery import load_delivery
    from transforms.governance import publish_analyst_copy
    from transforms.warehouse import run_models

    inbox = tmp_path / "inbox"
    dec = FOLDER / "2021-12-city-of-london-street.csv"
    (inbox / "2021-12").mkdir(parents=True)
    (inbox / "2022-01").mkdir()
    shutil.copy(dec, inbox / "2021-12" / dec.name)
    shutil.copy(dec, inbox / "2022-01" / dec.name)  # re-sent, unchanged, in a later folder
    with dec.open(encoding="utf-8-sig", newline="") as fh:
        rows = sum(1 for _ in csv.reader(fh)) - 1
    con = duckdb.connect(str(tmp_path / "wh.duckdb"))
    bootstrap(con)
    profiles = load_profiles(None)
    first = load_delivery(con, inbox, "2021-12", profiles)
    second = load_delivery(con, inbox, "2022-01", profiles)
    assert [r.status for r in first + second] == ["loaded", "loaded"]
    got = con.execute("SELECT count(*) FROM raw.police_uk_street").fetchall()[0][0]
    moved = con.execute("SELECT count(*) FROM raw.police_uk_street_history").fetchall()[0][0]
    print(f"\n2021-12 file: {rows} rows; loaded twice -> {got} current, {moved} in history")
    assert got + second[0].rows_quarantined == rows and got == first[0].rows_loaded
    assert moved == first[0].rows_loaded  # nothing lost: the first copy's rows are history
    run_models(con, ("marts/public_crime_monthly",))
    assert con.execute("SELECT sum(crimes) FROM marts.public_crime_monthly").fetchall()[0][0] == got
    target = tmp_path / "build" / "analyst" / "lantern.duckdb"
    target.parent.mkdir(parents=True)
    publish_analyst_copy(con, target)
    con.close()
    with duckdb.connect(str(target), read_only=True) as copy:
        assert copy.execute("SELECT sum(crimes) FROM marts.public_crime_monthly").fetchall()[0][0] == got


def test_public_context_reaches_the_profile_where_loaded(sample_warehouse, tmp_path) -> None:
    """Where data.police.uk files were loaded, the partners' edition shows all-ages recorded crime
    for the area beside the places of concern; where none were, it says so."""
    import shutil

    from dashboards.profile import build_profile

    copy = tmp_path / "wh.duckdb"
    shutil.copy(sample_warehouse, copy)
    with duckdb.connect(str(copy)) as con:
        month = con.execute("select max(month) from marts.theme_monthly").fetchall()[0][0]
        before = "\n".join(p.read_text() for p in build_profile(con, month, tmp_path / "a") if p.suffix == ".html")
        con.execute(
            "insert into marts.public_crime_monthly values (?, 'E01000001', 'x', 'Anti-social behaviour', 40), "
            "(?, 'E01000002', 'y', 'Anti-social behaviour', 12), (?, 'E01000001', 'x', 'Robbery', 3)",
            [month, month, month],
        )
        after = "\n".join(p.read_text() for p in build_profile(con, month, tmp_path / "b") if p.suffix == ".html")
    assert "no data.police.uk street-level files were loaded" in before
    assert "Public context: recorded crime of all ages" in after and "Anti-social behaviour" in after
    assert ">52<" in after  # 40 + 12 over the window
