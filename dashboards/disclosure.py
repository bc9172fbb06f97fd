"""Statistical disclosure control for everything the partners' edition publishes.

Rationale: the practice follows the DfE's children-in-need statistics (and the ONS "Disclosure
control guidance for tables produced from administrative sources"): a count from 1 to the
threshold (5) is shown as `c` (primary suppression); wherever a published total would let a single
suppressed cell be worked back, a second cell is suppressed too (secondary suppression, the
smallest remaining non-zero cell of that line); a rate or percentage is not shown when its
numerator is suppressed or its denominator rests on fewer than `threshold` cases.

Suppression happens in code, on the numbers, before anything is drawn: figures, tables, hover
labels, embedded JSON and exports all receive the already-suppressed values (`None` in numbers,
`"c"` in labels). `scan_published` is the safety net: it reads every file of a published folder
and reports any count from 1 to 5 and any pseudonymous person key it finds.
"""

from __future__ import annotations

import csv
import json
import logging
import re
from collections.abc import Iterable, Sequence
from html.parser import HTMLParser
from pathlib import Path

logger = logging.getLogger(__name__)

SUPPRESSED = "c"
PERSON_KEY = re.compile(r"(?<![0-9A-Za-z])P[0-9a-f]{15}(?![0-9A-Za-z])")
_INT = re.compile(r"^\s*\d+\s*$")


def is_small(value: float | int | None, threshold: int) -> bool:
    """True for a count from 1 to `threshold` (the counts that are never published)."""
    return value is not None and 0 < value <= threshold


def suppress_groups(values: Sequence[int | None], groups: Iterable[Sequence[int]],
                    threshold: int) -> list[int | None]:
    """Primary and secondary suppression of `values` (None = suppressed).

    `groups` lists index sets whose total is published (a row, a column, a series window): in
    each, a lone suppressed cell gets a partner, the smallest non-zero remaining cell (a zero if
    none), until no group has exactly one suppressed cell.
    """
    out: list[int | None] = [None if is_small(v, threshold) else v for v in values]
    hidden = [v is None and values[i] is not None for i, v in enumerate(out)]
    groups = [list(g) for g in groups]
    changed = True
    while changed:
        changed = False
        for g in groups:
            if sum(hidden[i] for i in g) != 1:
                continue
            candidates = [i for i in g if not hidden[i] and values[i] is not None]
            if not candidates:
                continue
            nonzero = [i for i in candidates if values[i]]
            pick = min(nonzero or candidates, key=lambda i: (values[i], i))
            hidden[pick] = True
            out[pick] = None
            changed = True
    return out


def suppress_series(values: Sequence[int | None], threshold: int, *,
                    with_total: bool = True) -> list[int | None]:
    """A 1-D breakdown whose total is published (or not, `with_total=False`)."""
    return suppress_groups(values, [range(len(values))] if with_total else [], threshold)


def suppress_table(rows: Sequence[Sequence[int | None]], threshold: int, *,
                   row_totals: bool = True, column_totals: bool = True) -> list[list[int | None]]:
    """A 2-D table with published row and/or column totals, suppressed cell by cell."""
    n_rows = len(rows)
    n_cols = len(rows[0]) if rows else 0
    flat = [rows[r][c] for r in range(n_rows) for c in range(n_cols)]
    groups: list[list[int]] = []
    if row_totals:
        groups += [[r * n_cols + c for c in range(n_cols)] for r in range(n_rows)]
    if column_totals:
        groups += [[r * n_cols + c for r in range(n_rows)] for c in range(n_cols)]
    out = suppress_groups(flat, groups, threshold)
    return [out[r * n_cols:(r + 1) * n_cols] for r in range(n_rows)]


def suppress_count(value: int | None, threshold: int) -> int | None:
    """One count on its own (a headline number): None when from 1 to `threshold`."""
    return None if is_small(value, threshold) else value


def rate(numerator: int | None, denominator: float | None, threshold: int, *,
         per: float = 100.0, digits: int = 1) -> float | None:
    """`numerator / denominator * per`, or None when it would rest on suppressed or too few cases."""
    if numerator is None or denominator is None or denominator < threshold or denominator <= 0:
        return None
    if is_small(numerator, threshold):
        return None
    return round(numerator / denominator * per, digits)


def label(value: int | float | None, *, digits: int | None = None) -> str:
    """How a (suppressed) number is printed: `c` for suppressed, thousands separators otherwise;
    a text (e.g. 'no delivery' for a month whose count is unknown) as it is."""
    if value is None:
        return SUPPRESSED
    if isinstance(value, str):
        return value
    if digits is not None:
        return f"{value:,.{digits}f}"
    return f"{int(value):,}"


# ---------------------------------------------------------------------------------------------
# The scanner: a published folder must hold no count 1..5 and no person key.

class _Cells(HTMLParser):
    """Collects table cells, JSON script blocks and all text of an HTML page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.cells: list[str] = []
        self.json_blocks: list[str] = []
        self._cell: list[str] | None = None
        self._json: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "td":
            self._cell = []
        if tag == "script" and dict(attrs).get("type") == "application/json":
            self._json = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "td" and self._cell is not None:
            self.cells.append("".join(self._cell))
            self._cell = None
        if tag == "script" and self._json is not None:
            self.json_blocks.append("".join(self._json))
            self._json = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)
        if self._json is not None:
            self._json.append(data)


_MEASURE_KEYS = ("y", "z", "text", "hovertext", "customdata", "values")


def _small_numbers(obj: object, *, low: int = 1, high: int = 5) -> list[object]:
    """Integer-valued numbers (or integer strings) from `low` to `high` anywhere inside `obj`."""
    found: list[object] = []
    if isinstance(obj, bool) or obj is None:
        return found
    if isinstance(obj, int | float):
        if float(obj).is_integer() and low <= obj <= high:
            found.append(obj)
    elif isinstance(obj, str):
        if _INT.match(obj) and low <= int(obj) <= high:
            found.append(obj)
    elif isinstance(obj, dict):
        for v in obj.values():
            found += _small_numbers(v, low=low, high=high)
    elif isinstance(obj, list | tuple):
        for v in obj:
            found += _small_numbers(v, low=low, high=high)
    return found


def _scan_figure(fig: dict, where: str) -> list[str]:
    problems: list[str] = []
    for i, trace in enumerate(fig.get("data", [])):
        meta = trace.get("meta") or {}
        if isinstance(meta, dict) and meta.get("measure") in ("rate", "model", "share", "axis"):
            continue  # rates and modelled levels are not counts (rates are gated in `rate`)
        keys = list(_MEASURE_KEYS)
        if trace.get("orientation") == "h":
            keys = [k for k in keys if k != "y"] + ["x"]
        for key in keys:
            small = _small_numbers(trace.get(key))
            if small:
                problems.append(f"{where}: trace {i} ({trace.get('name', '')}) {key} holds counts {small[:5]}")
    return problems


def _scan_data(obj: object, where: str) -> list[str]:
    """Embedded data tables: {"tables": {name: {"columns": [...], "kinds": [...], "rows": [...]}}}."""
    problems: list[str] = []
    if isinstance(obj, dict) and "data" in obj and "layout" in obj:
        return _scan_figure(obj, where)
    if isinstance(obj, dict) and "rows" in obj and "columns" in obj:
        kinds = obj.get("kinds") or ["count"] * len(obj["columns"])
        for r, row in enumerate(obj["rows"]):
            for c, v in enumerate(row):
                if kinds[c] == "count" and _small_numbers(v):
                    problems.append(f"{where}: row {r} column {obj['columns'][c]} = {v}")
        return problems
    if isinstance(obj, dict):
        for k, v in obj.items():
            problems += _scan_data(v, f"{where}.{k}")
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            problems += _scan_data(v, f"{where}[{i}]")
    return problems


def _scan_html(path: Path) -> list[str]:
    text = path.read_text(encoding="utf-8")
    parser = _Cells()
    parser.feed(text)
    problems = [f"{path.name}: table cell {c!r} is a count from 1 to 5"
                for c in parser.cells if _INT.match(c) and 1 <= int(c) <= 5]
    for n, block in enumerate(parser.json_blocks):
        try:
            obj = json.loads(block)
        except json.JSONDecodeError:
            problems.append(f"{path.name}: embedded JSON block {n} does not parse")
            continue
        problems += _scan_data(obj, f"{path.name}#json{n}")
    if "Plotly.newPlot(" in text and "lantern-figure" not in text:
        problems.append(f"{path.name}: figures embedded outside the scanned JSON blocks")
    return problems


def _scan_csv(path: Path) -> list[str]:
    with path.open(encoding="utf-8", newline="") as fh:
        return [f"{path.name}: row {r} cell {v!r} is a count from 1 to 5"
                for r, row in enumerate(csv.reader(fh)) for v in row
                if _INT.match(v) and 1 <= int(v) <= 5]


def _scan_xlsx(path: Path) -> list[str]:
    from openpyxl import load_workbook

    problems: list[str] = []
    wb = load_workbook(path, read_only=True)
    for ws in wb.worksheets:
        for r, row in enumerate(ws.iter_rows()):
            for cell in row:
                v = cell.value
                if isinstance(v, bool) or ".0" in str(getattr(cell, "number_format", "") or ""):
                    continue  # decimals (rates, shares, modelled levels) are not counts
                if (isinstance(v, int) and 1 <= v <= 5) or (isinstance(v, str) and _INT.match(v) and 1 <= int(v) <= 5):
                    problems.append(f"{path.name}:{ws.title} row {r} cell {v!r} is a count from 1 to 5")
                if isinstance(v, str) and PERSON_KEY.search(v):
                    problems.append(f"{path.name}:{ws.title} row {r} holds a person key")
    wb.close()
    return problems


def scan_published(folder: Path) -> list[str]:
    """Every disclosure problem in the files under `folder`: counts 1-5 and person keys."""
    problems: list[str] = []
    for path in sorted(Path(folder).rglob("*")):
        if not path.is_file() or path.name == "plotly.min.js":
            continue
        suffix = path.suffix.lower()
        if suffix in (".html", ".htm", ".json", ".csv", ".txt", ".js", ".svg", ".md"):
            text = path.read_text(encoding="utf-8", errors="replace")
            if PERSON_KEY.search(text):
                problems.append(f"{path.name}: holds a pseudonymous person key ({PERSON_KEY.search(text).group(0)[:4]}…)")
        if suffix in (".html", ".htm"):
            problems += _scan_html(path)
        elif suffix == ".json":
            problems += _scan_data(json.loads(path.read_text(encoding="utf-8")), path.name)
        elif suffix == ".csv":
            problems += _scan_csv(path)
        elif suffix == ".xlsx":
            problems += _scan_xlsx(path)
    for p in problems:
        logger.warning("disclosure: %s", p)
    return problems
