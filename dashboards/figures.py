"""Figures for the pages: plotly figures built from numbers that are already suppressed.

Every figure has a title saying what it counts and over which period, axis titles with units, and
colours from the Okabe-Ito palette (Okabe M, Ito K. Color Universal Design, 2008), which stays
distinguishable under the common forms of colour blindness; sequential scales use cividis
(Nuñez, Anderton & Renslow 2018, PLOS ONE 13(7)), designed for colour-vision deficiency.
A suppressed value is `None` in the data and is drawn as a gap with a `c` annotation. Each trace
carries `meta.measure` (`count`, `rate`, `model`, `share`) so the disclosure scanner knows which
numbers are counts. Text from the data is HTML-escaped before it reaches a label.
"""

from __future__ import annotations

import html
import json
import logging
from collections.abc import Sequence

import plotly.graph_objects as go

logger = logging.getLogger(__name__)

OKABE_ITO = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"]
SEQUENTIAL = "Cividis"
SUPPRESSED_COLOUR = "#BBBBBB"


def esc(text: object) -> str:
    """Text from the data, safe for a plotly label and for HTML."""
    return html.escape("" if text is None else str(text), quote=False)


def _wrap(text: str, width: int = 62) -> str:
    lines: list[str] = []
    for word in text.split(" "):
        if lines and len(lines[-1]) + len(word) < width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return "<br>".join(lines)


def _layout(fig: go.Figure, title: str, x_title: str, y_title: str, *, height: int = 380) -> go.Figure:
    t = _wrap(esc(title))
    top = 40 + 20 * (t.count("<br>") + 1)
    fig.update_layout(
        title={"text": t, "font": {"size": 14}, "y": 0.98, "yanchor": "top"}, height=height + top - 60,
        template="plotly_white", colorway=OKABE_ITO, margin={"l": 70, "r": 30, "t": top + 25, "b": 90},
        xaxis_title=esc(x_title), yaxis_title=esc(y_title),
        legend={"orientation": "h", "y": 1.0, "yanchor": "bottom", "x": 0},
    )
    return fig


def _c_annotations(fig: go.Figure, xs: Sequence[object], values: Sequence[float | None], *,
                   horizontal: bool = False) -> None:
    for x, v in zip(xs, values, strict=True):
        if v is None:
            pos = {"x": 0, "y": x, "xanchor": "left"} if horizontal else {"x": x, "y": 0, "yanchor": "bottom"}
            fig.add_annotation(text="c", showarrow=False, font={"color": "#444"}, **pos)


def bar_counts(categories: Sequence[str], values: Sequence[int | None], *, title: str, x_title: str,
               y_title: str, horizontal: bool = False, colour: str = OKABE_ITO[0]) -> go.Figure:
    """Counts by category (suppressed values drawn as `c`)."""
    cats = [esc(c) for c in categories]
    text = ["c" if v is None else f"{v:,}" for v in values]
    if horizontal:
        bar = go.Bar(x=list(values), y=cats, orientation="h", marker_color=colour, text=text,
                     hovertemplate="%{y}: %{text}<extra></extra>", meta={"measure": "count"}, name="count")
    else:
        bar = go.Bar(x=cats, y=list(values), marker_color=colour, text=text,
                     hovertemplate="%{x}: %{text}<extra></extra>", meta={"measure": "count"}, name="count")
    fig = go.Figure(bar)
    _c_annotations(fig, cats, values, horizontal=horizontal)
    return _layout(fig, title, x_title, y_title, height=max(320, 28 * len(cats)) if horizontal else 360)


def grouped_bars(categories: Sequence[str], series: dict[str, Sequence[int | None]], *, title: str,
                 x_title: str, y_title: str) -> go.Figure:
    """Counts by category for several series side by side (e.g. victims and suspects)."""
    cats = [esc(c) for c in categories]
    fig = go.Figure()
    for i, (name, values) in enumerate(series.items()):
        text = ["c" if v is None else f"{v:,}" for v in values]
        fig.add_trace(go.Bar(x=cats, y=list(values), name=esc(name), text=text,
                             marker_color=OKABE_ITO[i % len(OKABE_ITO)], meta={"measure": "count"},
                             hovertemplate=esc(name) + " %{x}: %{text}<extra></extra>"))
    fig.update_layout(barmode="group")
    return _layout(fig, title + " (c = 1 to 5, suppressed)", x_title, y_title)


def trend(months: Sequence[str], counts: Sequence[int | str | None], *, expected: Sequence[float | None] | None,
          lower: Sequence[float | None] | None, upper: Sequence[float | None] | None,
          exceedance: Sequence[bool] | None, title: str, y_title: str) -> go.Figure:
    """Monthly counts over all months against the expected level and its limits (a count given as
    text, e.g. 'no delivery', is a gap in the line labelled with that text)."""
    fig = go.Figure()
    if upper is not None and lower is not None:
        fig.add_trace(go.Scatter(x=list(months), y=list(upper), mode="lines", line={"width": 0},
                                 name="upper limit", meta={"measure": "model"}, hoverinfo="skip",
                                 showlegend=False))
        fig.add_trace(go.Scatter(x=list(months), y=list(lower), mode="lines", line={"width": 0},
                                 fill="tonexty", fillcolor="rgba(86,180,233,0.25)",
                                 name="expected range", meta={"measure": "model"},
                                 hovertemplate="%{x}: lower %{y:.1f}<extra></extra>"))
    if expected is not None:
        fig.add_trace(go.Scatter(x=list(months), y=list(expected), mode="lines",
                                 line={"color": OKABE_ITO[4], "dash": "dash"}, name="expected",
                                 meta={"measure": "model"}, hovertemplate="%{x}: expected %{y:.1f}<extra></extra>"))
    text = [v if isinstance(v, str) else "c" if v is None else f"{v:,}" for v in counts]
    y_counts = [None if isinstance(v, str) else v for v in counts]
    fig.add_trace(go.Scatter(x=list(months), y=y_counts, mode="lines+markers", name="recorded",
                             line={"color": OKABE_ITO[0]}, text=text, meta={"measure": "count"},
                             hovertemplate="%{x}: %{text}<extra></extra>"))
    if exceedance is not None:
        xs = [m for m, e, c in zip(months, exceedance, counts, strict=True) if e and isinstance(c, int)]
        ys = [c for e, c in zip(exceedance, counts, strict=True) if e and isinstance(c, int)]
        fig.add_trace(go.Scatter(x=xs, y=ys, mode="markers", name="exceedance",
                                 marker={"symbol": "diamond-open", "size": 14, "color": OKABE_ITO[5],
                                         "line": {"width": 3}}, meta={"measure": "count"},
                                 hovertemplate="%{x}: above the expected range<extra></extra>"))
        for m, e, c in zip(months, exceedance, counts, strict=True):
            if e and c is None:
                fig.add_annotation(x=m, y=0, text="▲", showarrow=False, font={"color": OKABE_ITO[5]})
    for m, c in zip(months, counts, strict=True):
        if c is None:
            fig.add_annotation(x=m, y=0, yanchor="bottom", text="c", showarrow=False, font={"color": "#444"})
        elif isinstance(c, str):
            fig.add_annotation(x=m, y=0, yanchor="bottom", text=c, textangle=-90, showarrow=False,
                               font={"color": "#8a4b00"})
    fig.update_xaxes(type="category")
    return _layout(fig, title, "Month the offence happened", y_title)


def share_lines(months: Sequence[str], series: dict[str, Sequence[float | None]], *, title: str) -> go.Figure:
    """Shares (0-100 %) by month, one line per series (recording completeness)."""
    fig = go.Figure()
    for i, (name, values) in enumerate(series.items()):
        fig.add_trace(go.Scatter(x=list(months), y=list(values), mode="lines", name=esc(name),
                                 line={"color": OKABE_ITO[i % len(OKABE_ITO)]}, meta={"measure": "share"},
                                 hovertemplate=esc(name) + " %{x}: %{y:.1f}%<extra></extra>"))
    fig.update_xaxes(type="category")
    fig.update_yaxes(range=[0, 100])
    return _layout(fig, title, "Month", "Records with the field filled (%)")


def heatmap(z: Sequence[Sequence[int | None]], x: Sequence[str], y: Sequence[str], *, title: str,
            x_title: str, y_title: str, colour_title: str = "count", label_cells: bool = True) -> go.Figure:
    """A count heat map; suppressed cells are blank with `c` written on them."""
    text = [["c" if v is None else f"{v:,}" for v in row] for row in z]
    xs, ys = [esc(v) for v in x], [esc(v) for v in y]
    fig = go.Figure(go.Heatmap(z=[list(r) for r in z], x=xs, y=ys, text=text, colorscale=SEQUENTIAL,
                               hovertemplate="%{y} × %{x}: %{text}<extra></extra>",
                               colorbar={"title": {"text": esc(colour_title)}}, hoverongaps=False,
                               meta={"measure": "count"}, xgap=1, ygap=1))
    top = max([v for row in z for v in row if v is not None] or [1])
    # labels as annotations (heat map text on gaps draws NaN positions), added in one update
    notes = [{"x": xs[c], "y": ys[r], "text": text[r][c], "showarrow": False,
              "font": {"size": 11, "color": "#000" if v is None or v > top * 0.55 else "#fff"}}
             for r, row in enumerate(z) for c, v in enumerate(row) if label_cells]
    fig.update_layout(annotations=notes)
    fig.update_layout(plot_bgcolor=SUPPRESSED_COLOUR)
    fig.update_xaxes(type="category")
    fig.update_yaxes(type="category", autorange="reversed")
    return _layout(fig, title, x_title, y_title, height=max(360, 40 * len(y) + 160))


def intervals(labels: Sequence[str], values: Sequence[float | None], lower: Sequence[float | None],
              upper: Sequence[float | None], *, title: str, x_title: str, y_title: str = "Group",
              reference: float | None = None) -> go.Figure:
    """Point estimates with confidence intervals (rates or ratios), horizontal."""
    ys = [esc(v) for v in labels]
    plus = [None if v is None or u is None else u - v for v, u in zip(values, upper, strict=True)]
    minus = [None if v is None or lo is None else v - lo for v, lo in zip(values, lower, strict=True)]
    fig = go.Figure(go.Scatter(x=list(values), y=ys, mode="markers", marker={"color": OKABE_ITO[0], "size": 9},
                               error_x={"type": "data", "symmetric": False, "array": plus, "arrayminus": minus,
                                        "color": OKABE_ITO[0]},
                               meta={"measure": "rate"}, name="estimate",
                               hovertemplate="%{y}: %{x:.2f}<extra></extra>"))
    if reference is not None:
        fig.add_vline(x=reference, line_dash="dot", line_color="#555")
    for y, v in zip(ys, values, strict=True):
        if v is None:
            fig.add_annotation(x=reference or 0, y=y, text="not shown (too few)", showarrow=False,
                               font={"color": "#444"})
    return _layout(fig, title, x_title, y_title, height=max(300, 34 * len(ys) + 140))


def ward_map(features: list[dict], values: dict[str, int | None], names: dict[str, str], *,
             title: str, colour_title: str) -> go.Figure:
    """A ward map drawn from GeoJSON polygons as filled shapes (no map tiles: works offline)."""
    numbers = [v for v in values.values() if v is not None]
    top = max(numbers) if numbers else 1
    import plotly.colors as pc

    scale = pc.get_colorscale(SEQUENTIAL)
    # traces and labels are collected, then added at once: plotly re-validates every annotation
    # already on a figure each time one is added (quadratic: London's 680 wards took minutes)
    traces: list[go.Scatter] = []
    labels: list[dict] = []
    for feat in features:
        code = str(feat.get("properties", {}).get("ward_code"))
        v = values.get(code, 0)
        colour = SUPPRESSED_COLOUR if v is None else pc.sample_colorscale(scale, [(v or 0) / top if top else 0])[0]
        geom = feat.get("geometry") or {}
        polys = geom.get("coordinates", [])
        if geom.get("type") == "Polygon":
            polys = [polys]
        xs: list[float | None] = []
        ys: list[float | None] = []
        for poly in polys:
            ring = poly[0]
            xs += [p[0] for p in ring] + [None]
            ys += [p[1] for p in ring] + [None]
        label = f"{esc(names.get(code, code))}: {'c' if v is None else f'{v:,}'}"
        traces.append(go.Scatter(x=xs, y=ys, fill="toself", fillcolor=colour, mode="lines",
                                 line={"color": "#ffffff", "width": 1}, name=label, hoveron="fills",
                                 text=label, hoverinfo="text", showlegend=False, meta={"measure": "axis"}))
        if ring := (polys[0][0] if polys else None):
            cx = sum(p[0] for p in ring) / len(ring)
            cy = sum(p[1] for p in ring) / len(ring)
            labels.append({"x": cx, "y": cy, "text": "c" if v is None else f"{v:,}", "showarrow": False,
                           "font": {"size": 10, "color": "#000" if v is None or v < top * 0.6 else "#fff"}})
    fig = go.Figure(data=traces)
    fig.update_layout(annotations=labels)
    fig.add_trace(go.Scatter(x=[None], y=[None], mode="markers", showlegend=False, hoverinfo="skip",
                             meta={"measure": "axis"},
                             marker={"colorscale": SEQUENTIAL, "cmin": 0, "cmax": top, "color": [0],
                                     "showscale": True, "colorbar": {"title": {"text": esc(colour_title)}}}))
    fig.update_yaxes(scaleanchor="x", scaleratio=1.6, showgrid=False, visible=False)
    fig.update_xaxes(showgrid=False, visible=False)
    return _layout(fig, title, "", "", height=520)


def to_json(fig: go.Figure) -> str:
    """The figure as JSON safe to embed in a <script> block (no `<`, `>` or `&` left raw)."""
    text = json.dumps(json.loads(fig.to_json()), separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
