"""The optional action_owner, action_due and action_status of planned_actions cells: loaded when
present, unknown codes quarantined with their row, a warehouse built before them gains them, and
the generator draws them from a stream of its own (every other value of a borough unchanged)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import openpyxl
import pandas as pd

from transforms.extracts.contract import MAP_ASSESSMENT_CELLS
from transforms.extracts.load import load_file
from transforms.extracts.profiles import canonical_profiles
from transforms.warehouse import bootstrap


def _cells(path: Path, header: list[str], rows: list[dict[str, object]]) -> None:
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    ws = wb.create_sheet("cells")
    ws.append(header)
    for r in rows:
        ws.append([r.get(c) for c in header])
    wb.save(path)


def _load(con: duckdb.DuckDBPyConnection, f: Path, month: str = "2025-03"):  # noqa: ANN202
    con.execute(
        "INSERT INTO raw.map_assessments (assessment_id, child_id, meeting_date) "
        "SELECT 'MAP00001', 'SC000001', DATE '2025-03-01' WHERE NOT EXISTS (SELECT 1 FROM raw.map_assessments)"
    )
    return load_file(
        con,
        f,
        MAP_ASSESSMENT_CELLS,
        canonical_profiles()["map_assessment_cells"],
        delivery_month=month,
        source_file=f"{month}/map_assessments.xlsx#cells",
    )


def test_action_fields_load_and_unknown_codes_are_quarantined(tmp_path: Path) -> None:
    f = tmp_path / "map_assessments.xlsx"
    base = {"assessment_id": "MAP00001", "domain": "planned_actions", "glm_goods": "agency"}
    _cells(
        f,
        MAP_ASSESSMENT_CELLS.column_names,
        [
            base
            | {
                "context": "school",
                "action_owner": "education",
                "action_due": dt.datetime(2025, 4, 30),
                "action_status": "in_progress",
            },
            base | {"context": "peer_group", "action_owner": "the council", "action_status": "done"},
            base | {"context": "individual", "action_owner": "health", "action_status": "finished"},
            base | {"context": "neighbourhood"},
        ],
    )
    con = duckdb.connect()
    bootstrap(con)
    r = _load(con, f)
    print(f"rows in {r.rows_in}, loaded {r.rows_loaded}, quarantined {r.rows_quarantined}")
    assert (r.rows_in, r.rows_loaded, r.rows_quarantined) == (4, 2, 2)
    assert sorted(con.execute("SELECT rules FROM ops.quarantine").fetchall()) == [
        (["code:action_owner"],),
        (["code:action_status"],),
    ]
    got = con.execute(
        "SELECT context, action_owner, action_due::VARCHAR, action_status FROM raw.map_assessment_cells "
        "ORDER BY context"
    ).fetchall()
    assert got == [("neighbourhood", None, None, None), ("school", "education", "2025-04-30", "in_progress")]


def test_a_warehouse_built_before_the_action_fields_gains_them(tmp_path: Path) -> None:
    """A raw table made without the action_* columns is widened by bootstrap, and a correction
    re-sent later moves the old version into history by column name."""
    con = duckdb.connect()
    old = [c for c in MAP_ASSESSMENT_CELLS.columns if not c.name.startswith("action_")]
    meta = "delivery_month VARCHAR, load_id BIGINT, source_file VARCHAR, row_number BIGINT"
    con.execute("CREATE SCHEMA raw")
    cols = ", ".join(f'"{c.name}" {c.sql_type}' for c in old)
    con.execute(f"CREATE TABLE raw.map_assessment_cells ({cols}, {meta})")
    con.execute(
        f"CREATE TABLE raw.map_assessment_cells_history ({cols}, {meta}, superseded_by_load BIGINT, "
        "superseded_at TIMESTAMP)"
    )
    bootstrap(con)
    have = {
        r[0]
        for r in con.execute(
            "SELECT column_name FROM duckdb_columns() WHERE table_name = 'map_assessment_cells'"
        ).fetchall()
    }
    assert {"action_owner", "action_due", "action_status"} <= have
    f = tmp_path / "a.xlsx"
    header = [c for c in MAP_ASSESSMENT_CELLS.column_names if not c.startswith("action_")]
    _cells(f, header, [{"assessment_id": "MAP00001", "context": "school", "domain": "planned_actions"}])
    assert _load(con, f).rows_loaded == 1
    g = tmp_path / "b.xlsx"
    _cells(
        g,
        MAP_ASSESSMENT_CELLS.column_names,
        [
            {
                "assessment_id": "MAP00001",
                "context": "school",
                "domain": "planned_actions",
                "action_owner": "education",
                "action_status": "done",
            }
        ],
    )
    r = _load(con, g, "2025-04")
    assert r.rows_loaded == 1
    assert con.execute("SELECT action_owner, action_status FROM raw.map_assessment_cells").fetchall() == [
        ("education", "done")
    ]
    hist = con.execute(
        "SELECT context, domain, action_owner, delivery_month FROM raw.map_assessment_cells_history"
    ).fetchall()
    assert hist == [("school", "planned_actions", None, "2025-03")]


def test_generator_action_fields_come_from_their_own_stream(tmp_path: Path) -> None:
    """With and without action fields (share 0), every other file and value is the same."""
    from synthetic.config import GeneratorConfig
    from synthetic.generator import generate_borough

    a, b = tmp_path / "a", tmp_path / "b"
    generate_borough(a, people=400, months=4, seed=3)
    generate_borough(b, people=400, months=4, seed=3, config=GeneratorConfig(map_action_share=0.0))
    files = sorted(p.relative_to(a) for p in a.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(b) for p in b.rglob("*") if p.is_file())
    differing = [f for f in files if (a / f).read_bytes() != (b / f).read_bytes()]
    assert all(f.name == "map_assessments.xlsx" for f in differing)
    planned = recorded = 0
    for f in (x for x in files if x.name == "map_assessments.xlsx"):
        for sheet in ("assessments", "cells"):
            x = pd.read_excel(a / f, sheet_name=sheet, dtype=str, engine="openpyxl")
            y = pd.read_excel(b / f, sheet_name=sheet, dtype=str, engine="openpyxl")
            keep = [c for c in x.columns if not c.startswith("action_")]
            pd.testing.assert_frame_equal(x[keep], y[keep])
            assert sheet == "assessments" or y[["action_owner", "action_due", "action_status"]].isna().all().all()
            if sheet == "cells":
                pa = x[x["domain"] == "planned_actions"]
                planned, recorded = planned + len(pa), recorded + int(pa["action_owner"].notna().sum())
    print(
        f"planned_actions cells {planned}, with an owner {recorded} (share {recorded / max(1, planned):.2f}; configured 0.70)"
    )
    assert planned and 0.4 <= recorded / planned <= 0.95
