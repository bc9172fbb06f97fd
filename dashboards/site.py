"""The page builder: writes the monthly local profile site under `build/profile/YYYY-MM/`.

plotly.js is written once per site (`build/profile/plotly.min.js`) and every page loads it from
disk, so pages open in a browser with no server and no internet. Figures are embedded as JSON
blocks (`<script type="application/json" class="lantern-figure">`) drawn by a few lines of script,
and every table is embedded the same way (`class="lantern-table"`), so that tests and the
disclosure scanner read exactly the numbers a reader sees.
"""

from __future__ import annotations

import html
import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import plotly.graph_objects as go
from plotly.offline import get_plotlyjs

from dashboards import figures
from dashboards.disclosure import label

logger = logging.getLogger(__name__)

PLOTLY_JS = "plotly.min.js"
CSP = (
    "default-src 'none'; script-src 'self' 'unsafe-inline' 'unsafe-eval'; style-src 'unsafe-inline'; "
    "img-src data:; font-src data:"
)
# the modebar keeps two buttons (download as PNG, reset axes): no cloud or share button anywhere,
# and plotly is given no server to post to
PLOTLY_CONFIG = {
    "displaylogo": False,
    "responsive": True,
    "plotlyServerURL": "",
    "showSendToCloud": False,
    "showEditInChartStudio": False,
    "showLink": False,
    "modeBarButtonsToRemove": ["sendDataToCloud", "sendChartToCloud", "editInChartStudio"],
    "modeBarButtons": [["toImage", "resetScale2d"]],
}
_DRAW = (
    """<script>
(function () {
  var config = """
    + json.dumps(PLOTLY_CONFIG)
    + """;
  document.querySelectorAll('script.lantern-figure').forEach(function (s) {
    var f = JSON.parse(s.textContent);
    Plotly.newPlot(s.getAttribute('data-target'), f.data, f.layout, config);
  });
  // printing opens every folded table (a closed <details> prints nothing) and closes them after
  var opened = [];
  window.addEventListener('beforeprint', function () {
    document.querySelectorAll('details:not([open])').forEach(function (d) { d.open = true; opened.push(d); });
  });
  window.addEventListener('afterprint', function () {
    opened.forEach(function (d) { d.open = false; }); opened = [];
  });
})();
</script>"""
)
MARKING = "OFFICIAL-SENSITIVE"
_CSS = """body{font-family:Arial,Helvetica,sans-serif;margin:0 auto;padding:1em 2em;max-width:1250px;color:#222;
line-height:1.4;overflow-wrap:break-word}
.skip{position:absolute;left:-999px;top:0;background:#fff;padding:0.5em;border:2px solid #0072B2}
.skip:focus{left:0.5em;z-index:10}
.marking{font-weight:bold;letter-spacing:0.05em;color:#000;border:1px solid #000;display:inline-block;padding:1px 6px;margin:0.3em 0}
.tablewrap{max-width:100%;overflow-x:auto}
table{border-collapse:collapse;margin:0.5em 0 1em}td,th{border:1px solid #bbb;padding:4px 8px;text-align:right}
caption{text-align:left;font-weight:bold;padding:0.3em 0;caption-side:top}
th{background:#eee}td,th{overflow-wrap:normal}td.t,th.t{text-align:left}.note{color:#555;font-size:90%}
.pair{display:flex;flex-wrap:wrap;gap:1em}.pair>div{flex:1 1 480px;min-width:0;max-width:100%}
.lantern-chart{width:100%;max-width:100%}
.na{color:#8a4b00;background:#fff6e5;padding:0.5em;border-left:4px solid #E69F00}
nav{display:flex;flex-wrap:wrap;gap:0.3em 1em}h2{border-bottom:2px solid #0072B2;padding-bottom:3px;margin-top:2em}
ul.findings li{margin:0.35em 0}.commentary{background:#f4f8fb;border-left:4px solid #0072B2;padding:0.2em 1em}
dt{font-weight:bold;margin-top:0.5em}
@media (max-width:600px){body{padding:0.5em 0.8em}td,th{padding:3px 4px}.pair>div{flex-basis:100%}}
@page{size:A4;margin:18mm 12mm 16mm 12mm;
 @top-center{content:"OFFICIAL-SENSITIVE";font:bold 10pt Arial,sans-serif}
 @bottom-center{content:"OFFICIAL-SENSITIVE";font:bold 10pt Arial,sans-serif}
 @bottom-right{content:"Page " counter(page) " of " counter(pages);font:9pt Arial,sans-serif}}
@media print{body{max-width:none;padding:0;font-size:10pt}nav,.skip,.modebar,.modebar-container{display:none!important}
 .pair{display:block}
 details>summary{display:none}h2{page-break-after:avoid}table{page-break-inside:auto}tr{page-break-inside:avoid}
 .lantern-chart{page-break-inside:avoid}a{color:#000;text-decoration:none}}"""


def write_plotly_js(site: Path) -> Path:
    """Write plotly.js once into the site root (kept if already there)."""
    site.mkdir(parents=True, exist_ok=True)
    target = site / PLOTLY_JS
    if not target.exists():
        target.write_text(get_plotlyjs(), encoding="utf-8")
    return target


def page(title: str, body: str, *, depth: int = 1, subtitle: str = "", nav: str = "", marking: str = MARKING) -> str:
    """A whole HTML page that loads the site's plotly.js (`depth` folders below the root): a
    viewport for phones, a skip link and <main>, the protective marking on screen and on every
    printed page (with page numbers), print styles for A4 and a trimmed modebar."""
    js = "../" * depth + PLOTLY_JS
    css = _CSS if marking == MARKING else _CSS.replace('"OFFICIAL-SENSITIVE"', json.dumps(marking))
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="{CSP}">
<meta name="referrer" content="no-referrer">
<title>{html.escape(title)}</title>
<script src="{js}"></script>
<style>{css}</style>
</head><body>
<a class="skip" href="#main">Skip to the content</a>
<p class="marking">{html.escape(marking)}</p>
<nav aria-label="Pages of this edition">{nav}</nav>
<main id="main">
<h1>{html.escape(title)}</h1><p class="note">{html.escape(subtitle)}</p>
{body}
</main>
{_DRAW}
</body></html>
"""


@dataclass
class Table:
    """A published table: column names, what each column holds, rows of (suppressed) values."""

    name: str
    title: str
    columns: list[str]
    kinds: list[str]  # label | count | rate | share | model | ratio | number
    rows: list[list[Any]] = field(default_factory=list)
    note: str = ""
    # (row, column) -> the name of the count that cell shows (the same name wherever the same
    # count is published, in any table, page or edition), and total = sum(parts) relations
    # between names: the disclosure scanner reads both to test that no `c` can be worked back
    quantities: dict[tuple[int, int], str] = field(default_factory=dict)
    relations: list[tuple[str, list[str]]] = field(default_factory=list)

    def cell(self, value: object, kind: str) -> str:
        if kind == "label":
            return "" if value is None else str(value)
        if kind == "count":
            return label(value)  # type: ignore[arg-type]
        if value is None:
            return "–"
        if kind == "number":
            text = f"{value:.3g}"  # type: ignore[str-format]
            return text if any(ch in text for ch in ".en") else text + ".0"  # a decimal, never read as a count
        return f"{value:,.{2 if kind == 'ratio' else 1}f}"


class Page:
    """Collects the sections, figures and tables of one page."""

    def __init__(self, slug: str) -> None:
        self.slug = slug
        self.parts: list[str] = []
        self.tables: list[Table] = []
        self.figures: list[go.Figure] = []

    def add(self, fragment: str) -> None:
        self.parts.append(fragment)

    def heading(self, text: str, level: int = 2, anchor: str = "") -> None:
        ident = f' id="{html.escape(anchor)}"' if anchor else ""
        self.parts.append(f"<h{level}{ident}>{html.escape(text)}</h{level}>")

    def text(self, text: str, cls: str = "note") -> None:
        self.parts.append(f'<p class="{cls}">{html.escape(text)}</p>')

    def missing(self, what: str) -> None:
        self.parts.append(f'<p class="na">{html.escape(what)}: not yet available in this warehouse.</p>')

    def figure(self, fig: go.Figure) -> str:
        """Register a figure; returns its HTML fragment (a div and its JSON)."""
        n = len(self.figures)
        self.figures.append(fig)
        ident = f"{self.slug}-fig-{n}"
        title = str(fig.layout.title.text or "").replace("<br>", " ")
        alt = (
            f"Chart: {html.unescape(title)}. The numbers it shows are in the table beside or below it, and "
            "in the exports."
        )
        return (
            f'<div id="{ident}" class="lantern-chart" role="img" aria-label="{html.escape(alt)}" '
            f'style="min-height:300px"></div>'
            f'<script type="application/json" class="lantern-figure" data-target="{ident}">'
            f"{figures.to_json(fig)}</script>"
        )

    def add_figure(self, fig: go.Figure) -> None:
        self.parts.append(self.figure(fig))

    def pair(self, left: str, right: str) -> None:
        self.parts.append(f'<div class="pair"><div>{left}</div><div>{right}</div></div>')

    def table(self, t: Table) -> str:
        """Register a table; returns its HTML (with its data embedded as JSON)."""
        self.tables.append(t)
        head = "".join(
            f'<th scope="col" class="{"t" if k == "label" else ""}">{html.escape(c)}</th>'
            for c, k in zip(t.columns, t.kinds, strict=True)
        )
        body = "".join(
            "<tr>"
            + "".join(
                f'<td class="{"t" if k == "label" else ""}">{html.escape(t.cell(v, k))}</td>'
                for v, k in zip(row, t.kinds, strict=True)
            )
            + "</tr>"
            for row in t.rows
        )
        data = json.dumps(
            {
                "name": t.name,
                "title": t.title,
                "columns": t.columns,
                "kinds": t.kinds,
                "rows": t.rows,
                "quantities": [[r, c, n] for (r, c), n in t.quantities.items()],
                "relations": t.relations,
            },
            default=str,
            separators=(",", ":"),
        )
        data = data.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
        note = f'<p class="note">{html.escape(t.note)}</p>' if t.note else ""
        return (
            f'<div class="tablewrap"><table><caption>{html.escape(t.title)}</caption>'
            f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>"
            f'{note}<script type="application/json" class="lantern-table">{data}</script>'
        )

    def add_table(self, t: Table) -> None:
        self.parts.append(self.table(t))

    def html(self) -> str:
        return "\n".join(self.parts)
