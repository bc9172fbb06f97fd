"""Exports of the published tables: CSV and XLSX with the same suppression as the pages, and a
guard against spreadsheet formula injection (OWASP "CSV Injection": a cell starting with
`=`, `+`, `-`, `@`, tab or carriage return is prefixed with a single quote so that a spreadsheet
shows it as text instead of running it). Figures as PNG when a renderer (kaleido with a
Chromium) is available; otherwise skipped with a note.
"""

from __future__ import annotations

import csv
import logging
import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import plotly.graph_objects as go

    from dashboards.site import Table

logger = logging.getLogger(__name__)

# a cell a spreadsheet would run as a formula: =, +, -, @ (or their full-width forms), perhaps
# after any white space, control character or invisible space; or a control character
_FORMULA = re.compile(r"^([\s\x00-\x1f\u200b\ufeff]*[=+\-@\uff1d\uff0b\uff0d\uff20]|[\x00-\x1f])")
_SAFE_NAME = re.compile(r"[^A-Za-z0-9_.-]+")


def guard(value: object) -> object:
    """A cell value a spreadsheet will not run as a formula."""
    if isinstance(value, str) and _FORMULA.match(value):
        return "'" + value
    return value


def _cells(t: Table) -> list[list[object]]:
    rows: list[list[object]] = []
    for row in t.rows:
        out: list[object] = []
        for v, kind in zip(row, t.kinds, strict=True):
            if kind == "count":
                out.append("c" if v is None else v)
            elif kind == "label":
                out.append(guard("" if v is None else str(v)))
            else:
                out.append("" if v is None else v)
        rows.append(out)
    return rows


def file_stem(name: str) -> str:
    """A safe file name for a table name."""
    return _SAFE_NAME.sub("_", name).strip("_") or "table"


def write_tables(tables: Sequence[Table], folder: Path, *, small: int = 5) -> list[Path]:
    """Each table as `<name>.csv` and `<name>.xlsx` in `folder`; returns the files. `small`: the
    suppression threshold, named in each workbook's footnote."""
    from openpyxl import Workbook

    folder.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for t in tables:
        stem = file_stem(t.name)
        header = [str(guard(c)) for c in t.columns]
        rows = _cells(t)
        path = folder / f"{stem}.csv"
        with path.open("w", encoding="utf-8", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(header)
            w.writerows(rows)
        written.append(path)
        wb = Workbook()
        ws = wb.active
        ws.title = stem[:31]
        ws.append(header)
        for row in rows:
            ws.append(row)
            for cell, kind in zip(ws[ws.max_row], t.kinds, strict=True):
                if isinstance(cell.value, str):
                    cell.data_type = "s"  # text stays text, never a formula
                elif kind != "count":
                    # rates, shares and modelled levels carry decimals: the scanner reads them as such
                    cell.number_format = {"ratio": "0.00", "number": "0.000"}.get(kind, "0.0")
        ws.append([])
        ws.append([str(guard(t.title))])
        if t.note:
            ws.append([str(guard(t.note))])
        ws.append(
            [
                f"c = confidential: a count from 1 to {small}, or another count hidden so that none can be worked "
                "back; x = not recorded by the source; z = not applicable"
            ]
        )
        xlsx = folder / f"{stem}.xlsx"
        wb.save(xlsx)
        written.append(xlsx)
    return written


def png_renderer() -> str | None:
    """Why PNG export is unavailable (None when kaleido and a browser are there)."""
    try:
        import kaleido  # noqa: F401
    except ImportError:
        return "kaleido is not installed"
    return None


def figures_of_page(page: Path) -> list[tuple[str, go.Figure]]:
    """The figures a published page embeds (already suppressed), named by page and position."""
    import json
    from html.parser import HTMLParser

    import plotly.graph_objects as go

    found: list[tuple[str, go.Figure]] = []

    class _Reader(HTMLParser):
        grab: str | None = None

        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            a = dict(attrs)
            if tag == "script" and a.get("class") == "lantern-figure":
                self.grab = a.get("data-target") or f"fig-{len(found)}"

        def handle_data(self, data: str) -> None:
            if self.grab:
                found.append((self.grab, go.Figure(json.loads(data))))
                self.grab = None

    _Reader().feed(page.read_text(encoding="utf-8"))
    return found


def export_pngs(month_folder: Path) -> list[Path]:
    """PNG of every figure of a published month's pages into `<month>/png/` (for reports)."""
    if "BROWSER_PATH" not in os.environ and Path("/usr/bin/chromium").exists():
        os.environ["BROWSER_PATH"] = "/usr/bin/chromium"  # kaleido drives the installed Chromium
    figs = [fig for page in sorted(month_folder.glob("*.html")) for fig in figures_of_page(page)]
    return write_pngs(figs, month_folder / "png")


def write_pngs(figs: Sequence[tuple[str, go.Figure]], folder: Path) -> list[Path]:
    """Figures as PNG (for reports) when a renderer is available; [] and a log line otherwise."""
    why = png_renderer()
    if why:
        logger.info("PNG export skipped: %s", why)
        return []
    folder.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for name, fig in figs:
        path = folder / f"{file_stem(name)}.png"
        for attempt in (1, 2):  # a browser slow to start on a loaded machine gets a second chance
            try:
                fig.write_image(str(path), width=1100, height=int(fig.layout.height or 450))
                break
            except Exception as exc:  # noqa: BLE001 - a missing browser is a reason to skip, not to fail
                if attempt == 2:
                    logger.warning("PNG export skipped: %s", str(exc).splitlines()[0] if str(exc) else exc)
                    return written
        written.append(path)
    return written
