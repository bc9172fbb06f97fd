"""The page builder: writes the monthly local profile site under `build/profile/YYYY-MM/`.

plotly.js is written once per site (`build/profile/plotly.min.js`) and every page loads it from
disk, so pages open in a browser with no server and no internet.
"""

from __future__ import annotations

import html
import logging
from pathlib import Path

import duckdb
import plotly.graph_objects as go
from plotly.offline import get_plotlyjs

logger = logging.getLogger(__name__)

PLOTLY_JS = "plotly.min.js"


def write_plotly_js(site: Path) -> Path:
    """Write plotly.js once into the site root (kept if already there)."""
    site.mkdir(parents=True, exist_ok=True)
    target = site / PLOTLY_JS
    if not target.exists():
        target.write_text(get_plotlyjs(), encoding="utf-8")
    return target


def page(title: str, body: str, *, depth: int = 1, subtitle: str = "") -> str:
    """A whole HTML page that loads the site's plotly.js (`depth` folders below the root)."""
    js = "../" * depth + PLOTLY_JS
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'self' 'unsafe-inline' 'unsafe-eval'; style-src 'unsafe-inline'; img-src data:; font-src data:">
<title>{html.escape(title)}</title>
<script src="{js}"></script>
<style>body{{font-family:Arial,Helvetica,sans-serif;margin:2em;max-width:1200px;color:#222}}
table{{border-collapse:collapse}}td,th{{border:1px solid #bbb;padding:4px 8px;text-align:right}}
th{{background:#eee}}.note{{color:#555;font-size:90%}}</style>
</head><body>
<h1>{html.escape(title)}</h1><p class="note">{html.escape(subtitle)}</p>
{body}
</body></html>
"""


def figure_html(fig: go.Figure) -> str:
    """A figure as an HTML fragment (plotly.js not included: the page loads it)."""
    return str(fig.to_html(full_html=False, include_plotlyjs=False, config={"displaylogo": False}))


def build_profile(con: duckdb.DuckDBPyConnection, month: str, site: Path, *,
                  small_count: int = 5) -> list[Path]:
    """Build the pages for `month`; returns the files written."""
    write_plotly_js(site)
    out = site / month
    out.mkdir(parents=True, exist_ok=True)
    rows = con.execute(
        "SELECT delivery_month, source, sum(rows_loaded), sum(rows_quarantined) FROM ops.loads "
        "WHERE status = 'loaded' AND delivery_month <= ? GROUP BY ALL ORDER BY 1, 2", [month]).fetchall()
    fig = go.Figure()
    for src in sorted({r[1] for r in rows}):
        xs = [r[0] for r in rows if r[1] == src]
        ys = [int(r[2]) for r in rows if r[1] == src]
        fig.add_trace(go.Scatter(x=xs, y=ys, mode="lines+markers", name=src))
    fig.update_layout(title=f"Records loaded per delivery month, by source (to {month})",
                      xaxis_title="Delivery month", yaxis_title="Records loaded (count)")
    body = figure_html(fig)
    target = out / "data-quality.html"
    target.write_text(page(f"Data quality — {month}", body,
                           subtitle="Loads per source and month (records, not people)."), encoding="utf-8")
    return [target]
