"""Writing query results: table, CSV, JSON, XLSX, Parquet, with spreadsheet-formula guards."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pandas as pd

from dashboards.exports import guard
from transforms.filemodes import RESTRICTED, make_dir, umask

guard_text = guard  # the profile's exports and analysts' exports share one formula guard


def guard_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """Prefix text cells and column names that a spreadsheet would run as a formula with `'`."""
    out = frame.copy()
    out.columns = [guard_text(str(c)) for c in out.columns]
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].map(guard_text)
    return out


def write_frame(frame: pd.DataFrame, fmt: str, out: str | None, exports: Path | None = None) -> str:
    """Write `frame` in `fmt` to `out` (stdout for table/csv/json); returns where it went. Files
    are created 0640 (restricted), in `exports` when given."""
    if fmt in ("xlsx", "parquet") and not out:
        raise SystemExit(f"--out FILE is needed for {fmt}")
    if fmt == "table":
        with pd.option_context("display.max_rows", 200, "display.max_columns", 50, "display.width", 200):
            sys.stdout.write(frame.to_string(index=False) + "\n")
        return "stdout"
    if not out:
        if fmt == "csv":
            guard_formulas(frame).to_csv(sys.stdout, index=False)
        else:
            sys.stdout.write(guard_formulas(frame).to_json(orient="records", date_format="iso") + "\n")
        return "stdout"
    if exports is not None:
        make_dir(Path(out).parent, RESTRICTED)
    # written beside the target and renamed over it: a link planted at the target's name is
    # replaced, never written through
    tmp = Path(out).with_name(f".{Path(out).name}.{os.getpid()}.tmp")
    try:
        with umask(RESTRICTED):
            if fmt == "csv":
                guard_formulas(frame).to_csv(tmp, index=False)
            elif fmt == "json":
                tmp.write_text(guard_formulas(frame).to_json(orient="records", date_format="iso"), encoding="utf-8")
            elif fmt == "xlsx":
                guard_formulas(frame).to_excel(tmp, index=False, engine="openpyxl")
            elif fmt == "parquet":
                frame.to_parquet(tmp, index=False)
        os.replace(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)
    return out
