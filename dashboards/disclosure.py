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
and reports any count from 1 to the threshold, any pseudonymous person key, and any suppressed
count that the published tables' declared relations let a reader work back (alone, or beside
the previous edition).
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


def suppress_groups(values: Sequence[int | None], groups: Iterable[Sequence[int]], threshold: int) -> list[int | None]:
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


def suppress_series(values: Sequence[int | None], threshold: int, *, with_total: bool = True) -> list[int | None]:
    """A 1-D breakdown whose total is published (or not, `with_total=False`)."""
    return suppress_groups(values, [range(len(values))] if with_total else [], threshold)


def suppress_table(
    rows: Sequence[Sequence[int | None]], threshold: int, *, row_totals: bool = True, column_totals: bool = True
) -> list[list[int | None]]:
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
    return [out[r * n_cols : (r + 1) * n_cols] for r in range(n_rows)]


def suppress_count(value: int | None, threshold: int) -> int | None:
    """One count on its own (a headline number): None when from 1 to `threshold`."""
    return None if is_small(value, threshold) else value


def rate(
    numerator: int | None, denominator: float | None, threshold: int, *, per: float = 100.0, digits: int = 1
) -> float | None:
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


_HIGH = [5]  # the threshold of the scan in progress (scan_published sets it)

_MEASURE_KEYS = ("y", "z", "text", "hovertext", "customdata", "values")


def _small_numbers(obj: object, *, low: int = 1, high: int = 5) -> list[object]:
    high = _HIGH[0] if high == 5 else high
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
    problems = [
        f"{path.name}: table cell {c!r} is a count from 1 to {_HIGH[0]}"
        for c in parser.cells
        if _INT.match(c) and 1 <= int(c) <= _HIGH[0]
    ]
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
        return [
            f"{path.name}: row {r} cell {v!r} is a count from 1 to {_HIGH[0]}"
            for r, row in enumerate(csv.reader(fh))
            for v in row
            if _INT.match(v) and 1 <= int(v) <= _HIGH[0]
        ]


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
                high = _HIGH[0]
                if (isinstance(v, int) and 1 <= v <= high) or (
                    isinstance(v, str) and _INT.match(v) and 1 <= int(v) <= high
                ):
                    problems.append(f"{path.name}:{ws.title} row {r} cell {v!r} is a count from 1 to {high}")
                if isinstance(v, str) and PERSON_KEY.search(v):
                    problems.append(f"{path.name}:{ws.title} row {r} holds a person key")
    wb.close()
    return problems


def scan_published(
    folder: Path, threshold: int = 5, *, previous: Path | None = None, revised: Iterable[str] = ()
) -> list[str]:
    """Every disclosure problem in the files under `folder`: counts from 1 to `threshold` (the
    threshold suppression used: `LANTERN_SMALL_COUNT`), person keys, and suppressed counts that
    can be worked back from the edition's tables (and from the `previous` edition beside it)."""
    _HIGH[0] = threshold
    try:
        return _scan(Path(folder), threshold, previous, frozenset(revised))
    finally:
        _HIGH[0] = 5


def _scan(folder: Path, threshold: int, previous: Path | None, revised: frozenset[str] = frozenset()) -> list[str]:
    problems: list[str] = []
    for path in sorted(Path(folder).rglob("*")):
        if not path.is_file() or path.name == "plotly.min.js":
            continue
        suffix = path.suffix.lower()
        if suffix in (".html", ".htm", ".json", ".csv", ".txt", ".js", ".svg", ".md"):
            text = path.read_text(encoding="utf-8", errors="replace")
            key = PERSON_KEY.search(text)
            if key:
                problems.append(f"{path.name}: holds a pseudonymous person key ({key.group(0)[:4]}…)")
        if suffix in (".html", ".htm"):
            problems += _scan_html(path)
        elif suffix == ".json":
            problems += _scan_data(json.loads(path.read_text(encoding="utf-8")), path.name)
        elif suffix == ".csv":
            problems += _scan_csv(path)
        elif suffix == ".xlsx":
            problems += _scan_xlsx(path)
    problems += recoverable([folder], threshold)
    if previous is not None and previous.is_dir():
        problems += [f"with {previous.name}: {p}" for p in recoverable([previous, folder], threshold, revised)]
    for p in problems:
        logger.warning("disclosure: %s", p)
    return problems


# ---------------------------------------------------------------------------------------------
# Linked suppression: every published count is a named quantity; a relation says one quantity is
# the sum of others (a total and its parts, in any table, on any page, in any edition). The same
# interval attack is used to choose suppression (`Ledger.solve`) and to audit what was published
# (`recoverable`): a reader who knows every visible number and every relation bounds each `c`.

INF = float("inf")


def bounds(
    known: dict[str, int | str | None], relations: Sequence[tuple[str, Sequence[str]]], *, passes: int = 200
) -> dict[str, tuple[float, float]]:
    """What a reader can work out about each quantity: `known` maps a name to its published value
    (an int), `"c"` (suppressed, so at least 1: a true zero is published as 0) or None (not
    published at all: at least 0). Interval propagation over every relation total = sum(parts),
    repeated until nothing narrows."""
    iv: dict[str, list[float]] = {}
    for name, v in known.items():
        iv[name] = [float(v), float(v)] if isinstance(v, int) else [1.0 if v == SUPPRESSED else 0.0, INF]
    for total, parts in relations:
        for n in (total, *parts):
            iv.setdefault(n, [0.0, INF])
    for _ in range(passes):
        changed = False
        for total, parts in relations:
            t = iv[total]
            ps = [iv[p] for p in parts]
            lo_sum = sum(p[0] for p in ps)
            hi_sum = sum(p[1] for p in ps)
            new_t = [max(t[0], lo_sum), min(t[1], hi_sum)]
            if new_t != t:
                iv[total] = new_t
                changed = True
            t = iv[total]
            for p in ps:
                others_hi = hi_sum - p[1] if p[1] < INF else sum(q[1] for q in ps if q is not p)
                others_lo = lo_sum - p[0]
                lo = max(p[0], t[0] - others_hi) if others_hi < INF else p[0]
                hi = min(p[1], t[1] - others_lo)
                if [lo, hi] != p:
                    p[0], p[1] = lo, hi
                    changed = True
        if not changed:
            break
    return {n: (v[0], v[1]) for n, v in iv.items()}


def too_narrow(lo: float, hi: float, threshold: int) -> bool:
    """A suppressed count a reader can pin to fewer values than the range 1..threshold holds."""
    return hi - lo + 1 < threshold


class Ledger:
    """The counts of one publication, their relations, and the suppression that protects them.

    `add` a count (`published=False` for a quantity no table shows, such as victims counted
    across a breakdown; `locked=True` for a count that must only ever be suppressed for its own
    size, such as a month's count, so that every edition shows it the same way); `relate` a total
    to its parts; `solve` suppresses counts from 1 to `threshold` and then, while the interval
    attack pins any of them to fewer than `threshold` values, one more count: the smallest
    non-zero visible count, unlocked, in a relation reaching the exposed one (nearest first).
    """

    def __init__(self, threshold: int, hide: Iterable[str] = ()) -> None:
        self.threshold = threshold
        self.hide = frozenset(hide)  # counts shown as c whatever their size (small revisions)
        self.values: dict[str, int] = {}
        self.unpublished: set[str] = set()
        self.protected: set[str] = set()
        self.locked: set[str] = set()
        self.relations: list[tuple[str, list[str]]] = []
        self.hidden: set[str] = set()
        self.solved = False

    def add(self, name: str, value: int, *, published: bool = True, locked: bool = False, protect: bool = False) -> str:
        """Register a count; `protect` an unpublished one that must not be worked back either
        (the rest of a whole beside its part: victims not referred beside victims)."""
        if name in self.values and self.values[name] != int(value):
            raise ValueError(f"{name} given two values ({self.values[name]} and {value})")
        self.values[name] = int(value)
        if not published:
            self.unpublished.add(name)
            if protect:
                self.protected.add(name)
        if locked:
            self.locked.add(name)
        self.solved = False
        return name

    def relate(self, total: str, parts: Sequence[str]) -> None:
        self.relations.append((total, list(parts)))
        self.solved = False

    def known(self) -> dict[str, int | str | None]:
        return {
            n: None if n in self.unpublished else SUPPRESSED if n in self.hidden else v for n, v in self.values.items()
        }

    def exposed(self) -> list[str]:
        """Counts from 1 to the threshold (or hidden for a small revision) that are suppressed but
        can be narrowed."""
        iv = bounds(self.known(), self.relations)
        return [
            n
            for n in sorted(self.hidden | self.protected)
            if (is_small(self.values[n], self.threshold) or n in self.hide) and too_narrow(*iv[n], self.threshold)
        ]

    def _partner(self, name: str) -> str | None:
        seen_cells = {name}
        seen_rel: set[int] = set()
        frontier = [name]
        allow_locked = False
        while True:
            while frontier:
                rels = [
                    i
                    for i, (t, ps) in enumerate(self.relations)
                    if i not in seen_rel and (t in frontier or any(p in frontier for p in ps))
                ]
                cands: list[str] = []
                nxt: list[str] = []
                for i in rels:
                    seen_rel.add(i)
                    t, ps = self.relations[i]
                    for n in (t, *ps):
                        if n in seen_cells:
                            continue
                        if n in self.hidden or n in self.unpublished:
                            nxt.append(n)
                            seen_cells.add(n)
                        elif self.values[n] > 0 and (allow_locked or n not in self.locked):
                            cands.append(n)
                if cands:
                    return min(cands, key=lambda n: (self.values[n], n))
                frontier = nxt
            if allow_locked:
                return None
            allow_locked = True
            seen_cells, seen_rel, frontier = {name}, set(), [name]

    def solve(self, *, allow_locked: bool = True) -> dict[str, int | None]:
        """Suppress; with `allow_locked=False` a count that only a locked count could protect is
        left in `unprotectable` (the caller withdraws what holds it) instead of hiding the lock."""
        self.hidden = {
            n
            for n, v in self.values.items()
            if n not in self.unpublished and (is_small(v, self.threshold) or n in self.hide)
        }
        self.unprotectable: list[str] = []
        for _ in range(len(self.values) + 1):
            bad = [n for n in self.exposed() if n not in self.unprotectable]
            if not bad:
                break
            pick = self._partner(bad[0])
            if pick is not None and not allow_locked and pick in self.locked:
                pick = None
            if pick is None:
                if allow_locked:
                    raise ValueError(f"cannot protect {bad[0]}: no count left to suppress beside it")
                self.unprotectable.append(bad[0])
                continue
            self.hidden.add(pick)
        self.solved = True
        return {n: None if n in self.hidden else v for n, v in self.values.items() if n not in self.unpublished}

    def get(self, name: str) -> int | None:
        """A published count after suppression (None = c)."""
        if not self.solved:
            self.solve()
        if name in self.unpublished:
            raise KeyError(f"{name} is not published")
        return None if name in self.hidden else self.values[name]


def published_tables(folder: Path) -> list[dict]:
    """The tables a published folder embeds (`lantern-table` JSON blocks of its HTML pages)."""
    found: list[dict] = []
    for path in sorted(Path(folder).glob("*.htm*")):
        parser = _Cells()
        parser.feed(path.read_text(encoding="utf-8"))
        for block in parser.json_blocks:
            try:
                obj = json.loads(block)
            except json.JSONDecodeError:
                continue
            if isinstance(obj, dict) and "rows" in obj and "columns" in obj:
                obj["page"] = path.name
                found.append(obj)
    return found


def edition_counts(folder: Path) -> tuple[dict[str, list[tuple[int | str, str]]], list[tuple[str, list[str]]]]:
    """Every named count one edition shows (value or `c`, and the page showing it), and its
    tables' declared relations."""
    counts: dict[str, list[tuple[int | str, str]]] = {}
    relations: list[tuple[str, list[str]]] = []
    for t in published_tables(folder):
        names = {(int(r), int(c)): str(n) for r, c, n in t.get("quantities") or []}
        for r, row in enumerate(t["rows"]):
            for c, v in enumerate(row):
                if (t.get("kinds") or [])[c : c + 1] != ["count"]:
                    continue
                name = names.get((r, c), f"{folder.name}/{t['page']}/{t['name']}/{r}/{c}")
                value: int | str | None = (
                    SUPPRESSED
                    if v is None or v == SUPPRESSED
                    else (int(v) if isinstance(v, int | float) and float(v).is_integer() else None)
                )
                if value is None:
                    continue  # 'no delivery' and the like: not a count
                counts.setdefault(name, []).append((value, t["page"]))
        relations += [(str(a), [str(p) for p in b]) for a, b in t.get("relations") or []]
    return counts, relations


def last_shown(folders: Sequence[Path]) -> dict[str, int]:
    """The last number each named count was shown as, over editions given oldest first (a `c` in a
    later edition leaves the earlier number: a reader keeps it)."""
    out: dict[str, int] = {}
    for folder in folders:
        for name, seen in edition_counts(Path(folder))[0].items():
            numbers = [v for v, _ in seen if isinstance(v, int)]
            if numbers:
                out[name] = numbers[0]
    return out


def small_revisions(folder: Path, shown: dict[str, int], threshold: int) -> set[str]:
    """Counts `folder` shows as a number that differs from the last number an earlier edition
    showed (`last_shown`) by 1 to `threshold`: the difference is a small count (records added
    late, or removed) that two editions side by side would let a reader see."""
    out = set()
    for name, seen in edition_counts(Path(folder))[0].items():
        for v, _ in seen:
            if isinstance(v, int) and name in shown and 0 < abs(v - shown[name]) <= threshold:
                out.add(name)
    return out


def recoverable(folders: Sequence[Path], threshold: int, revised: Iterable[str] = ()) -> list[str]:
    """Every suppressed count a reader can narrow to fewer than `threshold` values from what the
    folders publish together (one edition, or two consecutive editions side by side), using every
    table's declared quantities and relations; every quantity one edition publishes two ways; and
    every count revised between the editions by 1 to `threshold` (late records: the revision is
    itself a small count), or shown as `c` in one and a number in the other. A count revised
    between editions by more is two quantities, one per edition, so that each edition's
    relations hold among its own numbers. `revised`: counts the publisher knows changed and hid
    for it (a `c` beside an earlier number is then not that number)."""
    editions = [edition_counts(Path(f)) for f in folders]
    problems: list[str] = []
    first_value: dict[str, tuple[int | str, str]] = {}
    declared = set(revised)
    revised = set()
    for folder, (counts, _) in zip(folders, editions, strict=True):
        for name, seen in counts.items():
            value, page = seen[0]
            for other, other_page in seen[1:]:
                if other != value:
                    problems.append(f"{other_page}: {name} is {other} here but {value} in {Path(folder).name}/{page}")
            if name in first_value and first_value[name][0] != value:
                old, old_at = first_value[name]
                if isinstance(old, int) and isinstance(value, int):
                    revised.add(name)  # two numbers: a revision (late records), two quantities
                    if abs(value - old) <= threshold:
                        problems.append(
                            f"{page}: {name} is {value} here but {old} in {old_at}: "
                            f"a revision of {abs(value - old)}, a small count"
                        )
                elif name in declared:
                    revised.add(name)
                else:  # a c in one edition and a number in the other: the number unmasks the c
                    problems.append(f"{page}: {name} is {value} here but {old} in {old_at}")
            first_value.setdefault(name, (value, f"{Path(folder).name}/{page}"))
    known: dict[str, int | str | None] = {}
    where: dict[str, str] = {}
    relations: list[tuple[str, list[str]]] = []
    for k, (folder, (counts, rels)) in enumerate(zip(folders, editions, strict=True)):

        def own(name: str, k: int = k) -> str:
            return f"{name}@{k}" if k and name in revised else name

        for name, seen in counts.items():
            value, page = seen[0]
            n = own(name)
            if n not in known or known[n] == SUPPRESSED:
                known[n] = value  # the reader keeps whichever edition shows the number
                where[n] = f"{Path(folder).name}/{page}"
        relations += [(own(a), [own(p) for p in b]) for a, b in rels]
    iv = bounds(known, relations)
    for name, v in known.items():
        if v == SUPPRESSED and too_narrow(*iv[name], threshold):
            lo, hi = iv[name]
            problems.append(f"{where[name]}: suppressed {name} can be worked back to {lo:g} to {hi:g}")
    return problems
