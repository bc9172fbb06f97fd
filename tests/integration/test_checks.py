"""Data checks pass on the sample and fail on what must never pass."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb

from transforms import checks


def test_checks_pass_on_sample(sample_con) -> None:
    for fn in (checks.rows_reconcile, checks.no_personal_data, checks.no_orphan_keys):
        outcome = fn(sample_con)
        print(f"\n{fn.__name__}: {outcome.description}")
        assert outcome.passed, outcome.description


def test_checks_catch_personal_data_and_bad_counts(sample_warehouse: Path, tmp_path: Path) -> None:
    copy = tmp_path / "broken.duckdb"
    shutil.copy(sample_warehouse, copy)
    con = duckdb.connect(str(copy))
    name = con.execute("SELECT surname FROM raw.person_record WHERE length(surname) >= 5 LIMIT 1").fetchall()[0][0]
    con.execute("CREATE TABLE marts.leak AS SELECT ? AS whoever", [name])
    con.execute("CREATE TABLE core.leak2 AS SELECT dob FROM raw.police_persons WHERE dob IS NOT NULL LIMIT 3")
    # dates of birth under innocent names: each person's own (with person_key), and a bare list
    con.execute(
        "CREATE TABLE marts.leak3 AS SELECT l.person_key, r.dob AS seen_day FROM core.person_link l "
        "JOIN raw.person_record r USING (source, source_key) WHERE r.dob IS NOT NULL LIMIT 200"
    )
    con.execute(
        "CREATE TABLE core.leak4 AS SELECT dob AS some_day FROM raw.police_persons WHERE dob IS NOT NULL LIMIT 40"
    )
    # an ordinary event date with person_key is not flagged (the London-scale bench has event
    # dates that are somebody's birthday: transforms.privacy.SAME_PERSON_SHARE)
    con.execute(
        "CREATE TABLE marts.fine AS SELECT person_key, month_day FROM (SELECT person_key, "
        "CAST(referral_date AS DATE) AS month_day FROM core.referral)"
    )
    # views are scanned too (each evaluated once): two in a row, so the scan moves from one to the next
    con.execute(
        "CREATE VIEW marts.leak5 AS SELECT l.person_key, r.forename AS label, r.dob AS seen_day FROM "
        "core.person_link l JOIN raw.person_record r USING (source, source_key) WHERE r.dob IS NOT NULL "
        "AND length(r.forename) >= 4 AND lower(r.forename) NOT IN ('white', 'black')"
    )
    con.execute(
        "CREATE VIEW marts.leak6 AS SELECT 1 AS n, postcode AS area FROM raw.person_record WHERE postcode IS NOT NULL"
    )
    out = checks.no_personal_data(con)
    print(out.description)
    for leak in ("marts.leak5.label", "marts.leak5.seen_day", "marts.leak6.area"):
        assert leak in out.description, leak
    assert not out.passed and "marts.leak.whoever" in out.description and "core.leak2" in out.description
    assert "marts.leak3.seen_day" in out.description and "core.leak4.some_day" in out.description
    assert "marts.fine" not in out.description
    con.execute(
        "UPDATE ops.loads SET rows_quarantined = rows_quarantined + 1 WHERE load_id = (SELECT min(load_id) FROM ops.loads)"
    )
    assert not checks.rows_reconcile(con).passed
    con.execute("DELETE FROM marts.person WHERE person_key = (SELECT min(person_key) FROM marts.involvement)")
    assert not checks.no_orphan_keys(con).passed


def test_volume_check_warns_on_a_collapse(sample_warehouse: Path, tmp_path: Path) -> None:
    copy = tmp_path / "vol.duckdb"
    shutil.copy(sample_warehouse, copy)
    con = duckdb.connect(str(copy))
    month = con.execute("SELECT max(delivery_month) FROM ops.loads").fetchall()[0][0]
    assert checks.volume_usual(con, month).passed
    con.execute("UPDATE ops.loads SET rows_in = 3 WHERE source = 'police_crimes' AND delivery_month = ?", [month])
    out = checks.volume_usual(con, month)
    assert not out.passed and "police_crimes" in out.description


def test_completeness_and_backlog_warnings(sample_warehouse: Path, tmp_path: Path) -> None:
    copy = tmp_path / "warn.duckdb"
    shutil.copy(sample_warehouse, copy)
    con = duckdb.connect(str(copy))
    assert checks.completeness_steady(con).passed
    assert checks.review_backlog_steady(con).passed
    last = con.execute("SELECT max(month) FROM marts.recording_completeness").fetchall()[0][0]
    con.execute(
        "UPDATE marts.recording_completeness SET share_filled = share_filled / 3 "
        "WHERE month = ? AND source = 'police_persons' AND records >= 20",
        [last],
    )
    out = checks.completeness_steady(con)
    assert not out.passed and "police_persons" in out.description
    con.execute(
        "INSERT INTO core.linkage_run (run_id, trained_at, review_pending) VALUES "
        "('r1', now() + INTERVAL 1 DAY, 10), ('r2', now() + INTERVAL 2 DAY, 40)"
    )
    out = checks.review_backlog_steady(con)
    assert not out.passed and "growing" in out.description
    assert checks.linkage_probabilistic(con).passed is False  # the fake runs above have no method
    con.execute("INSERT INTO core.linkage_run (run_id, method, records, clusters) VALUES ('s1', 'splink', 10, 5)")
    assert checks.linkage_probabilistic(con).passed
    con.execute(
        "INSERT INTO core.linkage_run (run_id, method, records, clusters) VALUES ('s2', 'deterministic', 10, 9)"
    )
    out = checks.linkage_probabilistic(con)
    assert not out.passed and "fell back" not in out.description and "exact rules" in out.description
