"""Figures and the page frame of the restricted pages (MAP pack, analysts' edition).

* One symbol and one colour per record type, the same in every pack (a chair comparing two packs
  reads a square as a missing episode in both), from the Okabe-Ito palette.
* No modebar: these pages are read and printed, not explored; the frame draws its figures with
  `displayModeBar: false` and `staticPlot` off (hover stays).
* The MAP pack is an A4 portrait document: on screen its column is the width of the A4 content
  box, so a chart drawn on screen also fits the printed page (drawn once, not resized: plotly's
  responsive resize fires while Chromium lays out the print and drew charts wider than the page); every printed page carries the
  marking (OFFICIAL-SENSITIVE, restricted to the meeting and its date) and its page number, by
  CSS page-margin boxes.
"""

from __future__ import annotations

import html
from collections.abc import Sequence

import pandas as pd
import plotly.graph_objects as go

from dashboards import figures
from dashboards.site import CSP, PLOTLY_JS

#: record type -> (legend label, colour, marker symbol); the order is the legend's and the y axis'
RECORD_STYLE: dict[str, tuple[str, str, str]] = {
    "incident": ("Police incident", "#D55E00", "circle"),
    "missing": ("Missing episode", "#0072B2", "square"),
    "exclusion": ("School exclusion", "#E69F00", "diamond"),
    "referral": ("Referral", "#009E73", "triangle-up"),
    "assessment": ("MAP meeting", "#000000", "star"),
}
#: the same symbols as text, for tables (a printed table and its chart agree)
RECORD_GLYPH = {"incident": "●", "missing": "■", "exclusion": "◆", "referral": "▲", "assessment": "★"}
RELIABILITY_DASH = {"recorded": "solid", "reported": "dot"}
TIE_COLOUR = {
    "co_suspect": "#D55E00",
    "victim_suspect": "#CC79A7",
    "co_victim": "#0072B2",
    "missing_together": "#E69F00",
    "named_peer": "#009E73",
    "same_place": "#999999",
}

# A4 portrait: 210 mm less 14 mm margins each side = 182 mm, about 688 CSS px at 96 px/in
A4_CONTENT_PX = 688

_DRAW = """<script>
document.querySelectorAll('script.lantern-figure').forEach(function (s) {
  var f = JSON.parse(s.textContent);
  Plotly.newPlot(s.getAttribute('data-target'), f.data, f.layout,
                 {displaylogo: false, displayModeBar: false, responsive: RESPONSIVE});
});
</script>"""

_BASE_CSS = """body{font-family:Arial,Helvetica,sans-serif;color:#222;line-height:1.35}
table{border-collapse:collapse;margin:0.4em 0 1em}td,th{border:1px solid #bbb;padding:3px 6px;text-align:left;vertical-align:top}
th{background:#eee}td.n,th.n{text-align:right}.note{color:#555;font-size:90%}
.na{color:#8a4b00;background:#fff6e5;padding:0.4em;border-left:4px solid #E69F00}
.key{font-family:monospace;font-size:75%;color:#666}
.marking{font-weight:bold;color:#a00000;border:2px solid #a00000;padding:0.3em 0.6em;margin:0 0 0.8em}
h2{border-bottom:2px solid #0072B2;padding-bottom:3px;margin-top:1.6em}h3{margin-bottom:0.3em}
.overdue{color:#a00000;font-weight:bold}.glyph{font-size:110%}
.lantern-chart{max-width:100%}td.day{white-space:nowrap}
@media screen and (max-width:640px){table{display:block;overflow-x:auto;max-width:100%}body{padding:0 6px}}"""


def _css_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ") + '"'


def restricted_page(
    title: str,
    body: str,
    *,
    marking: str,
    footer: str,
    depth: int = 1,
    subtitle: str = "",
    a4: bool = True,
    extra_css: str = "",
) -> str:
    """A whole restricted page: the marking on screen at the top, and on paper at the top of
    every page with the page number below. `a4` makes the screen column the A4 content box."""
    js = "../" * depth + PLOTLY_JS
    column = (
        f"body{{max-width:{A4_CONTENT_PX}px;margin:1em auto;padding:0 12px}}"
        if a4
        else "body{max-width:1250px;margin:1em auto;padding:0 1em}"
    )
    page_css = f"""@page{{size:A4 portrait;margin:16mm 14mm 16mm 14mm;
@top-center{{content:{_css_string(marking)};font:bold 9pt Arial,Helvetica,sans-serif;color:#a00000}}
@bottom-left{{content:{_css_string(footer)};font:8pt Arial,Helvetica,sans-serif;color:#555}}
@bottom-right{{content:"page " counter(page) " of " counter(pages);font:8pt Arial,Helvetica,sans-serif}}}}
@media print{{body{{max-width:{"182mm" if a4 else "none"};margin:0;padding:0;font-size:10pt}}.marking.screen{{display:none}}
h2{{break-after:avoid}}tr,.lantern-chart,.keep{{break-inside:avoid}}details{{display:block}}
table{{max-width:100%}}td,th{{overflow-wrap:break-word}}nav,.screen-only{{display:none}}}}"""
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="{CSP}">
<meta name="referrer" content="no-referrer">
<title>{html.escape(title)}</title>
<script src="{js}"></script>
<style>{_BASE_CSS}
{column}
{page_css}
{extra_css}</style>
</head><body>
<p class="marking screen">{html.escape(marking)}</p>
<h1>{html.escape(title)}</h1><p class="note">{html.escape(subtitle)}</p>
{body}
{_DRAW.replace("RESPONSIVE", "false" if a4 else "true")}
</body></html>
"""


def _layout(fig: go.Figure, title: str, x_title: str, y_title: str, *, height: int) -> go.Figure:
    figures._layout(fig, title, x_title, y_title, height=height)
    fig.update_layout(margin={"l": 120, "r": 20}, autosize=True)
    return fig


def timeline(tl: pd.DataFrame, *, title: str) -> go.Figure:
    """Records by date, one row and one fixed symbol/colour per record type (every type always
    in the legend, in the same order, so packs read alike). `tl`: day, kind, what."""
    fig = go.Figure()
    kinds = list(RECORD_STYLE)
    for kind in kinds:
        label, colour, symbol = RECORD_STYLE[kind]
        sub = tl[tl["kind"] == kind]
        fig.add_trace(
            go.Scatter(
                x=[str(d) for d in sub["day"]],
                y=[label] * len(sub),
                mode="markers",
                name=label,
                text=[figures.esc(w) for w in sub["what"]],
                hovertemplate="%{x}: %{text}<extra></extra>",
                marker={"size": 11, "color": colour, "symbol": symbol, "line": {"width": 0.5, "color": "#222"}},
                meta={"measure": "record"},
            )
        )
    fig.update_xaxes(type="date", tickformat="%b %Y")
    fig.update_yaxes(
        categoryorder="array",
        categoryarray=[RECORD_STYLE[k][0] for k in reversed(kinds)],
        range=[-0.6, len(kinds) - 0.4],
    )
    _layout(fig, title, "Date", "", height=300)
    fig.update_layout(showlegend=False)
    return fig


def ego_network(
    child: str,
    peers: Sequence[tuple[str, str, str, int]],
    ties: Sequence[tuple[str, str, str, str, int]],
    *,
    title: str,
) -> go.Figure:
    """The child's own network: the child at the centre, named peers round a circle.
    `peers`: (label, relation, reliability, evidence count) of each tie to the child (one row per
    relation); `ties`: (label a, label b, relation, reliability, evidence count) between peers.
    Lines are undirected: no arrow, no order, colour by how the two are linked, dotted if reported."""
    import math

    names = list(dict.fromkeys(p[0] for p in peers))
    pos = {child: (0.0, 0.0)}
    for i, n in enumerate(names):
        angle = 2 * math.pi * i / max(1, len(names)) + math.pi / 2
        pos[n] = (math.cos(angle), math.sin(angle))
    fig = go.Figure()
    lines: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for label, rel, rely, _n in peers:
        lines.setdefault((rel, rely), []).append((child, label))
    for a, b, rel, rely, _n in ties:
        if a in pos and b in pos:
            lines.setdefault((rel, rely), []).append((a, b))
    from dashboards.words import RELATION

    for (rel, rely), pairs in sorted(lines.items()):
        xs: list[float | None] = []
        ys: list[float | None] = []
        for a, b in pairs:
            xs += [pos[a][0], pos[b][0], None]
            ys += [pos[a][1], pos[b][1], None]
        fig.add_trace(
            go.Scatter(
                x=xs,
                y=ys,
                mode="lines",
                hoverinfo="skip",
                name=f"{RELATION.get(rel, rel)} ({rely})",
                line={"color": TIE_COLOUR.get(rel, "#777"), "width": 1.6, "dash": RELIABILITY_DASH.get(rely, "dash")},
            )
        )
    fig.add_trace(
        go.Scatter(
            x=[pos[n][0] for n in [child, *names]],
            y=[pos[n][1] for n in [child, *names]],
            mode="markers+text",
            text=[figures.esc(n) for n in [child, *names]],
            textposition="top center",
            hoverinfo="text",
            showlegend=False,
            marker={
                "size": [16] + [11] * len(names),
                "color": ["#000000"] + ["#56B4E9"] * len(names),
                "line": {"width": 0.5, "color": "#222"},
            },
        )
    )
    fig.update_xaxes(visible=False, range=[-1.3, 1.3])
    fig.update_yaxes(visible=False, range=[-1.2, 1.25])
    _layout(fig, title, "", "", height=560)
    fig.update_layout(
        margin={"l": 10, "r": 10, "b": 10},
        legend={"orientation": "h", "y": 1.0, "yanchor": "bottom", "x": 0, "font": {"size": 10}},
    )
    return fig
