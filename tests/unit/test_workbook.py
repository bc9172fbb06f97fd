"""The MAP workbook: both sheets load, a broken workbook or a missing sheet is refused clearly."""

from __future__ import annotations

from pathlib import Path

import duckdb
import openpyxl

from transforms.extracts.contract import MAP_ASSESSMENT_CELLS, MAP_ASSESSMENTS
from transforms.extracts.load import load_file
from transforms.extracts.profiles import canonical_profiles
from transforms.warehouse import bootstrap


def _workbook(path: Path, sheets: dict[str, list[list[object]]]) -> None:
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for r in rows:
            ws.append(r)
    wb.save(path)


def test_workbook_sheets_load_with_dates_and_blank_rows(tmp_path: Path) -> None:
    import datetime as dt

    f = tmp_path / "map_assessments.xlsx"
    _workbook(
        f,
        {
            "assessments": [
                MAP_ASSESSMENTS.column_names,
                ["MAP00001", "SC000001", dt.datetime(2025, 3, 4), "problematic", "CSC", "open"],
                [None] * 6,
                ["MAP00002", "SC000002", "05/03/2025", "violent", "YJS", "shut"],
            ],
            # a workbook without the optional action_* columns (as before they were defined)
            "cells": [
                [c for c in MAP_ASSESSMENT_CELLS.column_names if not c.startswith("action_")],
                [
                    "MAP00001",
                    "peer_group",
                    "the estate",
                    "risk",
                    "gang_affected;missing",
                    "SC000009",
                    "Pk",
                    None,
                    "note",
                ],
            ],
        },
    )
    con = duckdb.connect()
    bootstrap(con)
    p = canonical_profiles()
    a = load_file(
        con,
        f,
        MAP_ASSESSMENTS,
        p["map_assessments"],
        delivery_month="2025-03",
        source_file="2025-03/map_assessments.xlsx#assessments",
    )
    c = load_file(
        con,
        f,
        MAP_ASSESSMENT_CELLS,
        p["map_assessment_cells"],
        delivery_month="2025-03",
        source_file="2025-03/map_assessments.xlsx#cells",
    )
    assert (a.rows_in, a.rows_loaded, a.rows_quarantined) == (2, 1, 1)
    assert con.execute("SELECT meeting_date::VARCHAR FROM raw.map_assessments").fetchall() == [("2025-03-04",)]
    # the quarantined row keeps its position in the sheet (row 3 after the header; row 2 is blank)
    assert con.execute("SELECT row_number, rules FROM ops.quarantine").fetchall() == [(3, ["code:status"])]
    assert c.rows_loaded == 1
    assert con.execute("SELECT factors FROM raw.map_assessment_cells").fetchall() == [(["gang_affected", "missing"],)]


def test_broken_workbook_and_missing_sheet_refused(tmp_path: Path) -> None:
    con = duckdb.connect()
    bootstrap(con)
    p = canonical_profiles()
    broken = tmp_path / "map_assessments.xlsx"
    broken.write_bytes(b"PK\x03\x04 not really a zip")
    r = load_file(
        con, broken, MAP_ASSESSMENTS, p["map_assessments"], delivery_month="2025-03", source_file="x#assessments"
    )
    assert r.status == "failed" and "not a readable XLSX workbook" in r.message
    one = tmp_path / "one.xlsx"
    _workbook(one, {"assessments": [MAP_ASSESSMENTS.column_names]})
    r = load_file(
        con, one, MAP_ASSESSMENT_CELLS, p["map_assessment_cells"], delivery_month="2025-03", source_file="x#cells"
    )
    assert r.status == "failed" and "no sheet 'cells'" in r.message
