"""Writing query results: table, CSV, JSON, XLSX, Parquet, with spreadsheet-formula guards."""

from __future__ import annotations

import sys

import pandas as pd

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def guard_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """Prefix text cells that a spreadsheet would run as a formula with a single quote."""
    out = frame.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].map(
                lambda v: "'" + v if isinstance(v, str) and v.startswith(FORMULA_START) else v)
    return out


def write_frame(frame: pd.DataFrame, fmt: str, out: str | None) -> str:
    """Write `frame` in `fmt` to `out` (stdout for table/csv/json); returns where it went."""
    if fmt in ("xlsx", "parquet") and not out:
        raise SystemExit(f"--out FILE is needed for {fmt}")
    if fmt == "table":
        with pd.option_context("display.max_rows", 200, "display.max_columns", 50, "display.width", 200):
            sys.stdout.write(frame.to_string(index=False) + "\n")
        return "stdout"
    if fmt == "csv":
        guard_formulas(frame).to_csv(out or sys.stdout, index=False)
    elif fmt == "json":
        text = frame.to_json(orient="records", date_format="iso")
        if out:
            open(out, "w", encoding="utf-8").write(text)
        else:
            sys.stdout.write(text + "\n")
    elif fmt == "xlsx":
        guard_formulas(frame).to_excel(out, index=False, engine="openpyxl")
    elif fmt == "parquet":
        frame.to_parquet(out, index=False)
    return out or "stdout"
