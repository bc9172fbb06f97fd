"""Write deliveries (``YYYY-MM/``) and ``truth/`` in exactly the shapes of the extract contract."""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path

import numpy as np
import pandas as pd
import xlsxwriter

from synthetic.names import to_cp1252_safe

logger = logging.getLogger(__name__)

COLUMNS: dict[str, list[str]] = {
    "police_crimes": [
        "crime_ref",
        "recorded_date",
        "committed_from",
        "committed_to",
        "offence_group",
        "offence",
        "location_type",
        "location_name",
        "ward_code",
        "latitude",
        "longitude",
        "cse_flag",
        "cce_flag",
        "gang_flag",
        "knife_flag",
        "firearm_flag",
        "dv_flag",
        "online_flag",
        "mo_text",
    ],
    "police_persons": [
        "crime_ref",
        "person_seq",
        "role",
        "police_nominal_id",
        "forename",
        "surname",
        "dob",
        "gender",
        "ethnicity",
        "home_postcode",
    ],
    "social_care_referrals": [
        "referral_id",
        "child_id",
        "forename",
        "surname",
        "dob",
        "gender",
        "ethnicity",
        "postcode",
        "referral_date",
        "referral_source",
        "outcome",
        "assessment_factors",
        "looked_after",
        "placement_moves_12m",
    ],
    "missing_episodes": [
        "episode_id",
        "child_id",
        "missing_from",
        "reported_at",
        "returned_at",
        "found_ward_code",
        "found_location_name",
        "rhi_offered_date",
        "rhi_accepted",
        "missing_with",
        "concerns",
    ],
    "school_exclusions": [
        "exclusion_id",
        "upn",
        "forename",
        "surname",
        "dob",
        "gender",
        "school_urn",
        "school_name",
        "category",
        "start_date",
        "sessions",
        "reason",
    ],
}
MAP_ASSESSMENT_COLUMNS = [
    "assessment_id",
    "child_id",
    "meeting_date",
    "hsb_level",
    "lead_agency",
    "status",
]
MAP_CELL_COLUMNS = [
    "assessment_id",
    "context",
    "context_detail",
    "domain",
    "factors",
    "named_peers",
    "named_locations",
    "glm_goods",
    "action_owner",
    "action_due",
    "action_status",
    "note",
]
#: a fixed creation time keeps workbooks byte-identical for one seed
XLSX_CREATED = dt.datetime(2024, 1, 1, 9, 0, 0)


def encoding_for(stem: str, month_index: int, cp1252_every: int) -> tuple[str, str]:
    """(encoding, line terminator) of one delivered CSV.

    Every ``cp1252_every``-th month's social care file is a Windows-1252 Excel export with CRLF;
    every third month's exclusions file carries a UTF-8 byte-order mark; the rest are UTF-8.
    """
    if stem == "social_care_referrals" and cp1252_every and month_index % cp1252_every == cp1252_every - 1:
        return "cp1252", "\r\n"
    if stem == "school_exclusions" and month_index % 3 == 1:
        return "utf-8-sig", "\n"
    return "utf-8", "\n"


def write_csv(df: pd.DataFrame, path: Path, encoding: str, lineterminator: str) -> None:
    """Write ``df`` as a contract CSV (blanks for missing values)."""
    if encoding == "cp1252":
        df = df.copy()
        for c in df.columns:
            if df[c].dtype == object or pd.api.types.is_string_dtype(df[c]):
                df[c] = [to_cp1252_safe(x) if isinstance(x, str) else x for x in df[c]]
    df.to_csv(path, index=False, encoding=encoding, lineterminator=lineterminator, na_rep="")


def write_map_workbook(assessments: pd.DataFrame, cells: pd.DataFrame, path: Path) -> None:
    """Write ``map_assessments.xlsx`` (sheets ``assessments`` and ``cells``), streaming rows."""
    wb = xlsxwriter.Workbook(
        str(path),
        {
            "constant_memory": True,
            "strings_to_numbers": False,
            "strings_to_formulas": False,
            "strings_to_urls": False,
        },
    )
    wb.set_properties(
        {
            "title": "HSB MAP assessments",
            "author": "Lantern synthetic generator",
            "created": XLSX_CREATED,
        }
    )
    date_fmt = wb.add_format({"num_format": "dd/mm/yyyy"})
    bold = wb.add_format({"bold": True})
    ws = wb.add_worksheet("assessments")
    for j, c in enumerate(MAP_ASSESSMENT_COLUMNS):
        ws.write_string(0, j, c, bold)
    for i, row in enumerate(assessments[MAP_ASSESSMENT_COLUMNS].itertuples(index=False), start=1):
        for j, v in enumerate(row):
            if j == 2:
                ws.write_datetime(i, j, pd.Timestamp(v).to_pydatetime(), date_fmt)
            else:
                ws.write_string(i, j, str(v))
    ws2 = wb.add_worksheet("cells")
    for j, c in enumerate(MAP_CELL_COLUMNS):
        ws2.write_string(0, j, c, bold)
    for i, row in enumerate(cells[MAP_CELL_COLUMNS].itertuples(index=False), start=1):
        for j, v in enumerate(row):
            if isinstance(v, str) and v:
                ws2.write_string(i, j, v)
            elif isinstance(v, pd.Timestamp) and not pd.isna(v):
                ws2.write_datetime(i, j, v.to_pydatetime(), date_fmt)
    wb.close()


def write_deliveries(
    out: Path,
    labels: tuple[str, ...],
    frames: dict[str, pd.DataFrame],
    map_a: pd.DataFrame,
    map_c: pd.DataFrame,
    cp1252_every: int,
) -> None:
    """Write one folder per month holding all six files."""
    groups = {stem: df.groupby("_delivery").indices for stem, df in frames.items()}
    a_idx = map_a.groupby("_delivery").indices
    empty = np.zeros(0, dtype=int)
    for m, label in enumerate(labels):
        folder = out / label
        folder.mkdir(parents=True, exist_ok=True)
        for stem, df in frames.items():
            rows = df.iloc[groups[stem].get(m, empty)][COLUMNS[stem]]
            enc, term = encoding_for(stem, m, cp1252_every)
            write_csv(rows, folder / f"{stem}.csv", enc, term)
        a = map_a.iloc[a_idx.get(m, empty)]
        c = map_c[map_c["assessment_id"].isin(a["assessment_id"])]
        write_map_workbook(a, c, folder / "map_assessments.xlsx")
    logger.info("wrote %d deliveries to %s", len(labels), out)
