"""MAP actions on the sample (core, marts.map_action, the summary), and the MAP meeting pack built
through `lantern pack` from the analyst copy: overdue actions marked, the meeting date on the
page, a child with no assessment, and no decimal weight or raw code where a chair reads."""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import re
import shutil
from pathlib import Path

import duckdb
import pytest

from transforms.governance import publish_analyst_copy


def test_actions_reach_core_and_the_marts(sample_con: duckdb.DuckDBPyConnection) -> None:
    con = sample_con
    cells, owned, statused = con.execute("""select count(*), count(action_owner), count(action_status)
        from core.assessment_cell where domain = 'planned_actions'""").fetchall()[0]
    other = con.execute("""select count(*) from core.assessment_cell where domain <> 'planned_actions'
        and (action_owner is not null or action_due is not null or action_status is not null)""").fetchall()[0][0]
    rows, overdue, as_of = con.execute(
        "select count(*), count(*) filter (where overdue), max(as_of) from marts.map_action"
    ).fetchall()[0]
    total, total_overdue = con.execute("select sum(actions), sum(overdue) from marts.map_action_summary").fetchall()[0]
    recount = con.execute("""select count(*) from marts.map_action where action_due < as_of
        and (action_status is null or action_status in ('planned', 'in_progress'))""").fetchall()[0][0]
    print(
        f"planned_actions cells {cells}: owner recorded {owned} ({owned / cells:.0%}; generator share 70%), "
        f"status {statused}; map_action rows {rows}, overdue {overdue} at {as_of}; summary {total} actions, {total_overdue} overdue"
    )
    assert other == 0 and rows == cells == total and overdue == total_overdue == recount
    assert 0 < owned < cells and overdue > 0
    assert str(as_of) == "2026-10-31"


@pytest.fixture(scope="module")
def cli_settings(sample_settings, sample_warehouse: Path, tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN001, ANN201
    tmp = tmp_path_factory.mktemp("packcli")
    wh = tmp / "wh.duckdb"
    shutil.copy(sample_warehouse, wh)
    s = dataclasses.replace(sample_settings, warehouse=wh, build=tmp / "build")
    with duckdb.connect(str(wh)) as con:
        publish_analyst_copy(con, s.analyst_copy)
    return s


def _pack(s, key: str, monkeypatch: pytest.MonkeyPatch, meeting: str | None = "2026-11-12") -> tuple[int, str]:  # noqa: ANN001
    import pipelines.pack as cli

    monkeypatch.setattr(cli, "load_settings", lambda: s)
    code = cli.main(argparse.Namespace(person_key=key, meeting=meeting))
    page = s.build / "restricted" / "packs" / f"pack-{key}.html"
    return code, page.read_text(encoding="utf-8") if page.exists() else ""


def _visible(page: str) -> str:
    body = page.split("<body>", 1)[1]
    body = re.sub(r"<script.*?</script>", "", body, flags=re.S)
    body = re.sub(r"<span class=[\"']key[\"']>.*?</span>", "", body)
    return re.sub(r"<[^>]+>", " ", body)


def test_pack_from_the_analyst_copy_marks_overdue_actions(cli_settings, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: ANN001
    with duckdb.connect(str(cli_settings.analyst_copy), read_only=True) as con:
        latest = """with l as (select person_key, max(meeting_date) as d from core.assessment group by 1)
                    select m.person_key, bool_or(m.overdue) as any_overdue from marts.map_action m
                    join l on l.person_key = m.person_key and l.d = m.meeting_date group by 1"""
        late = con.execute(f"select person_key from ({latest}) where any_overdue order by 1 limit 1").fetchall()[0][0]
        fine = con.execute(f"select person_key from ({latest}) where not any_overdue order by 1 limit 1").fetchall()[0][
            0
        ]
    code, page = _pack(cli_settings, late, monkeypatch)
    text = _visible(page)
    print(
        f"pack for a child with an overdue action: exit {code}, {len(page):,} bytes, "
        f"'OVERDUE' {text.count('OVERDUE')} times"
    )
    assert code == 0 and "OVERDUE" in text
    assert "restricted: for the MAP meeting on 12/11/2026" in page
    assert not re.search(r"\bP[0-9a-f]{15}\b", text), "a pseudonymous key in the running text"
    assert not re.search(r"\b\d\.\d{3,}\b|\bPL\d{4}\b|E05\d{6}", text), "a decimal weight or a raw place/ward code"
    code, page = _pack(cli_settings, fine, monkeypatch)
    assert code == 0 and "OVERDUE" not in _visible(page)


def test_pack_for_a_child_with_no_assessment_and_bad_meeting_date(
    cli_settings, monkeypatch: pytest.MonkeyPatch
) -> None:  # noqa: ANN001
    with duckdb.connect(str(cli_settings.analyst_copy), read_only=True) as con:
        key = con.execute("""select person_key from marts.person where person_key not in (select person_key from core.assessment)
                             and incidents_as_victim + incidents_as_suspect > 0 order by 1 limit 1""").fetchall()[0][0]
    code, page = _pack(cli_settings, key, monkeypatch, meeting=None)
    assert code == 0 and "No MAP assessment is recorded" in page
    assert f"restricted: for the MAP meeting on {dt.date.today().strftime('%d/%m/%Y')}" in page
    code, _ = _pack(cli_settings, key, monkeypatch, meeting="12/11/2026")
    assert code == 2
