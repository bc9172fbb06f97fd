"""A month folder with no extract files is reported as 'no delivery' (issue 19): one
`no_delivery` result and one `ops.loads` row for the month, nothing loaded, and the month is
listed by `no_delivery_months` until a delivery of it is loaded."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from tests.conftest import SAMPLE
from transforms.extracts.delivery import NO_DELIVERY, load_delivery, no_delivery_months
from transforms.extracts.ingest import ingest_months, summarise
from transforms.extracts.profiles import canonical_profiles
from transforms.warehouse import bootstrap

RAW = (
    "police_crimes",
    "police_persons",
    "social_care_referrals",
    "missing_episodes",
    "school_exclusions",
    "map_assessments",
    "map_assessment_cells",
    "police_uk_street",
)


@pytest.fixture()
def con() -> duckdb.DuckDBPyConnection:
    c = duckdb.connect()
    bootstrap(c)
    return c


def _raw_rows(con: duckdb.DuckDBPyConnection) -> int:
    return sum(con.execute(f"SELECT count(*) FROM raw.{t}").fetchall()[0][0] for t in RAW)


def _assert_no_delivery(result, month: str) -> None:
    assert (result.source, result.source_file, result.status) == ("delivery", f"{month}/", NO_DELIVERY)
    assert (result.rows_in, result.rows_loaded, result.rows_quarantined) == (0, 0, 0)
    assert f"no delivery for {month}" in result.message
    assert "holds no extract files" in result.message
    assert "nothing was loaded" in result.message
    assert f"no profile is published for {month}" in result.message


def test_empty_month_folder_is_no_delivery(con, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    (tmp_path / "2025-06").mkdir()
    (tmp_path / "2025-06" / ".DS_Store").write_bytes(b"\0")  # hidden files do not count
    with caplog.at_level("WARNING"):
        results = load_delivery(con, tmp_path, "2025-06", canonical_profiles())
    assert len(results) == 1
    _assert_no_delivery(results[0], "2025-06")
    assert "no delivery for 2025-06" in caplog.text
    rows = con.execute("SELECT load_id, source, source_file, delivery_month, status, message FROM ops.loads").fetchall()
    assert len(rows) == 1 and rows[0][0] == results[0].load_id
    assert rows[0][1:5] == ("delivery", "2025-06/", "2025-06", NO_DELIVERY)
    assert rows[0][5] == results[0].message
    assert _raw_rows(con) == 0
    assert con.execute("SELECT count(*) FROM ops.quarantine").fetchall() == [(0,)]
    assert no_delivery_months(con) == ["2025-06"]


def test_folder_with_only_unknown_files_is_no_delivery(con, tmp_path: Path) -> None:
    month = tmp_path / "2025-06"
    month.mkdir()
    (month / "Police Crimes June.csv").write_text("crime_ref\n1\n", encoding="utf-8")
    (month / "notes.txt").write_text("sent late\n", encoding="utf-8")
    results = load_delivery(con, tmp_path, "2025-06", canonical_profiles())
    _assert_no_delivery(results[0], "2025-06")
    assert "2 files not of the extract contract ignored" in results[0].message
    assert sorted((r.source_file, r.status) for r in results[1:]) == [
        ("2025-06/Police Crimes June.csv", "ignored"),
        ("2025-06/notes.txt", "ignored"),
    ]
    assert _raw_rows(con) == 0
    assert con.execute("SELECT status FROM ops.loads").fetchall() == [(NO_DELIVERY,)]
    # a run that loads only some sources reports the month the same way
    (only,) = load_delivery(con, tmp_path, "2025-06", canonical_profiles(), only=["police_crimes"])
    _assert_no_delivery(only, "2025-06")


def test_no_delivery_among_delivered_months(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    first, second = sorted(p.name for p in SAMPLE.iterdir() if p.name[:2] == "20")[:2]
    shutil.copytree(SAMPLE / first, inbox / first)
    (inbox / second).mkdir()
    con = duckdb.connect(str(tmp_path / "wh.duckdb"))
    results = ingest_months(con, inbox, [first, second], None)
    nd = [r for r in results if r.status == NO_DELIVERY]
    assert len(nd) == 1
    _assert_no_delivery(nd[0], second)
    summary = summarise(results)
    assert summary["months_no_delivery"] == 1 and summary["files_loaded"] >= 5 and summary["files_failed"] == 0
    assert con.execute("SELECT count(*) FROM raw.police_crimes WHERE delivery_month = ?", [second]).fetchall() == [(0,)]
    assert no_delivery_months(con) == [second]
    # a second refresh reports it again but does not record it twice
    again = ingest_months(con, inbox, [first, second], None)
    assert summarise(again)["months_no_delivery"] == 1
    assert con.execute("SELECT count(*) FROM ops.loads WHERE status = 'no_delivery'").fetchall() == [(1,)]
    # the month's files arrive: they load, and the month is an ordinary month again
    shutil.rmtree(inbox / second)
    shutil.copytree(SAMPLE / second, inbox / second)
    late = ingest_months(con, inbox, [first, second], None)
    assert summarise(late)["months_no_delivery"] == 0
    assert {r.status for r in late if r.source_file.startswith(second)} == {"loaded"}
    assert no_delivery_months(con) == []
    con.close()


def test_no_profile_is_published_for_a_month_with_no_delivery(
    sample_settings, sample_warehouse, tmp_path: Path, monkeypatch, capsys
) -> None:
    """The month after the sample's last delivery arrives as an empty folder: publishing it is
    refused on the command line and skipped by the asset; no page of zeros appears."""
    import dataclasses

    from pipelines import cli
    from pipelines.runs import materialize

    wh = tmp_path / "wh.duckdb"
    shutil.copy(sample_warehouse, wh)
    s = dataclasses.replace(sample_settings, warehouse=wh, build=tmp_path / "build")
    with duckdb.connect(str(wh)) as c:
        last = c.execute("SELECT max(delivery_month) FROM ops.loads WHERE status = 'loaded'").fetchall()[0][0]
        y, m = map(int, last.split("-"))
        month = f"{y + m // 12}-{m % 12 + 1:02d}"
        c.execute(
            "INSERT INTO ops.loads (load_id, source, source_file, delivery_month, status, message) "
            "VALUES (nextval('ops.load_seq'), 'delivery', ?, ?, 'no_delivery', 'no delivery')",
            [f"{month}/", month],
        )
    materialize(["local_profile"], s, months=[month])
    assert not (s.build / "profile" / month).exists()
    for k, v in {"LANTERN_WAREHOUSE": wh, "LANTERN_BUILD": s.build, "LANTERN_INBOX": s.inbox}.items():
        monkeypatch.setenv(k, str(v))
    assert cli.main(["publish", "--month", month]) == 2
    assert f"no delivery for {month}" in capsys.readouterr().err
    assert not (s.build / "profile" / month).exists()


def test_a_month_with_no_delivery_is_a_gap_in_the_series_not_a_zero(
    sample_settings, sample_warehouse, tmp_path: Path
) -> None:
    """A month in the middle of the history whose delivery never came: its monthly counts are
    NULL (unknown) in marts.theme_monthly, not 0, and the months after it are still modelled."""
    import dataclasses

    from pipelines.runs import materialize

    wh = tmp_path / "wh.duckdb"
    shutil.copy(sample_warehouse, wh)
    s = dataclasses.replace(sample_settings, warehouse=wh, build=tmp_path / "build")
    with duckdb.connect(str(wh)) as c:
        months = [
            m
            for (m,) in c.execute(
                "SELECT DISTINCT month FROM marts.theme_monthly WHERE ward_code IS NULL ORDER BY 1"
            ).fetchall()
        ]
        gap = months[len(months) // 2]
        before = c.execute(
            "SELECT sum(count) FROM marts.theme_monthly WHERE ward_code IS NULL AND month = ?", [gap]
        ).fetchall()[0][0]
        c.execute("UPDATE ops.loads SET status = 'failed' WHERE delivery_month = ?", [gap])
        c.execute(
            "INSERT INTO ops.loads (load_id, source, source_file, delivery_month, status, message) "
            "VALUES (nextval('ops.load_seq'), 'delivery', ?, ?, 'no_delivery', 'no delivery')",
            [f"{gap}/", gap],
        )
    materialize(["theme_monthly"], s)
    with duckdb.connect(str(wh), read_only=True) as c:
        counts = c.execute(
            "SELECT count(*), count(count) FROM marts.theme_monthly WHERE ward_code IS NULL AND month = ?", [gap]
        ).fetchall()[0]
        after = c.execute(
            "SELECT count(expected) FROM marts.theme_monthly WHERE ward_code IS NULL AND month = ?", [months[-1]]
        ).fetchall()[0][0]
    print(f"month {gap}: borough-wide count before {before}, rows {counts[0]}, non-null counts {counts[1]}")
    assert before > 0 and counts[0] > 0 and counts[1] == 0
    assert after > 0
