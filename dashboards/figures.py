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
from collections.abc import Mapping, Sequence

import plotly.graph_objects as go
import plotly.io as pio

logger = logging.getLogger(__name__)

# Every figure of the pages is drawn on plotly_white. Made the default once (plotly's own
# setting, applied unvalidated when a figure is created), not set on each figure: a template set
# through update_layout is copied and validated whole every time, which was a third of the
# time a month's profile took to build.
pio.templates.default = "plotly_white"

OKABE_ITO = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"]
SEQUENTIAL = "Cividis"
# counts: a true zero is the lightest colour, the most the darkest (ColorBrewer Blues, which
# keeps its order in greyscale and under colour-vision deficiency); `c` is grey, hatched, labelled
COUNT_SCALE = [
    [0.0, "#f7fbff"],
    [0.125, "#deebf7"],
    [0.25, "#c6dbef"],
    [0.375, "#9ecae1"],
    [0.5, "#6baed6"],
    [0.625, "#4292c6"],
    [0.75, "#2171b5"],
    [0.875, "#08519c"],
    [1.0, "#08306b"],
]
SUPPRESSED_COLOUR = "#BBBBBB"
C_NOTE = "c: confidential (a count from 1 to {small}, or a second count hidden to protect one)"


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
        title={"text": t, "font": {"size": 14}, "y": 1.0, "yref": "container", "yanchor": "top", "pad": {"t": 12}},
        height=height + top - 60,
        colorway=OKABE_ITO,
        margin={"l": 70, "r": 30, "t": top + 25, "b": 90},
        xaxis_title=esc(x_title),
        yaxis_title=esc(y_title),
        legend={"orientation": "h", "y": 1.0, "yanchor": "bottom", "x": 0},
    )
    return fig


def _c_annotations(
    fig: go.Figure, xs: Sequence[object], values: Sequence[float | None], *, horizontal: bool = False, text: str = "c"
) -> None:
    for x, v in zip(xs, values, strict=True):
        if v is None:
            pos = {"x": 0, "y": x, "xanchor": "left"} if horizontal else {"x": x, "y": 0, "yanchor": "bottom"}
            fig.add_annotation(text=text, showarrow=False, font={"color": "#444"}, **pos)


def _c_bars(
    cats: Sequence[str], values: Sequence[float | None], *, horizontal: bool, small: int, offsetgroup: str | None = None
) -> go.Bar | None:
    """A hatched, outlined placeholder bar labelled `c` where a value is suppressed: never drawn
    as a zero. Its length is a fixed fraction of the axis, not the count (meta `axis`)."""
    top = max([v for v in values if v is not None] or [10])
    xs = [c for c, v in zip(cats, values, strict=True) if v is None]
    if not xs:
        return None
    size = [top * 0.12] * len(xs)
    common = {
        "name": C_NOTE.format(small=small),
        "text": ["c"] * len(xs),
        "textposition": "outside",
        "marker": {
            "color": "#ffffff",
            "line": {"color": "#555555", "width": 1.5},
            "pattern": {"shape": "/", "fgcolor": "#555555", "size": 6},
        },
        "hovertemplate": "%{" + ("y" if horizontal else "x") + "}: c (confidential)<extra></extra>",
        "meta": {"measure": "axis"},
        "showlegend": True,
    }
    if offsetgroup is not None:
        common["offsetgroup"] = offsetgroup
    if horizontal:
        return go.Bar(x=size, y=xs, orientation="h", **common)
    return go.Bar(x=xs, y=size, **common)


def bar_counts(
    categories: Sequence[str],
    values: Sequence[float | None],
    *,
    title: str,
    x_title: str,
    y_title: str,
    horizontal: bool = False,
    colour: str = OKABE_ITO[0],
    measure: str = "count",
    small: int = 5,
) -> go.Figure:
    """Counts (or shares, `measure="share"`) by category; a suppressed count is a hatched bar
    labelled `c`, a share not shown is labelled `–`."""
    cats = [esc(c) for c in categories]
    fmt = (lambda v: f"{v:,.1f}%") if measure == "share" else (lambda v: f"{v:,}")
    text = [("c" if measure == "count" else "–") if v is None else fmt(v) for v in values]
    if horizontal:
        bar = go.Bar(
            x=list(values),
            y=cats,
            orientation="h",
            marker_color=colour,
            text=text,
            hovertemplate="%{y}: %{text}<extra></extra>",
            meta={"measure": measure},
            name=measure,
        )
    else:
        bar = go.Bar(
            x=cats,
            y=list(values),
            marker_color=colour,
            text=text,
            hovertemplate="%{x}: %{text}<extra></extra>",
            meta={"measure": measure},
            name=measure,
        )
    fig = go.Figure(bar)
    if measure == "count":
        extra = _c_bars(cats, values, horizontal=horizontal, small=small)
        if extra is not None:
            fig.add_trace(extra)
            fig.update_layout(barmode="overlay")
    else:
        _c_annotations(fig, cats, values, horizontal=horizontal, text="–")
    if measure == "share":
        fig.update_xaxes(range=[0, 100]) if horizontal else fig.update_yaxes(range=[0, 100])
    if horizontal:
        fig.update_yaxes(autorange="reversed")  # read top to bottom in the table's order
    return _layout(fig, title, x_title, y_title, height=max(320, 28 * len(cats)) if horizontal else 360)


def grouped_bars(
    categories: Sequence[str],
    series: dict[str, Sequence[int | None]],
    *,
    title: str,
    x_title: str,
    y_title: str,
    small: int = 5,
) -> go.Figure:
    """Counts by category for several series side by side (e.g. victims and suspects); a
    suppressed count is a hatched bar labelled `c` in its series' place."""
    cats = [esc(c) for c in categories]
    fig = go.Figure()
    top = max([v for vals in series.values() for v in vals if v is not None] or [10])
    for i, (name, values) in enumerate(series.items()):
        text = ["c" if v is None else f"{v:,}" for v in values]
        # a suppressed count: a hatched stub in the series' own slot, labelled c (never a zero)
        ys = [top * 0.12 if v is None else v for v in values]
        fig.add_trace(
            go.Bar(
                x=cats,
                y=[v for v in values],
                name=esc(name),
                text=text,
                offsetgroup=str(i),
                marker_color=OKABE_ITO[i % len(OKABE_ITO)],
                meta={"measure": "count"},
                hovertemplate=esc(name) + " %{x}: %{text}<extra></extra>",
            )
        )
        if any(v is None for v in values):
            fig.add_trace(
                go.Bar(
                    x=[c for c, v in zip(cats, values, strict=True) if v is None],
                    y=[y for y, v in zip(ys, values, strict=True) if v is None],
                    offsetgroup=str(i),
                    name=f"{esc(name)}: c",
                    text=["c"] * sum(v is None for v in values),
                    textposition="outside",
                    showlegend=False,
                    meta={"measure": "axis"},
                    marker={
                        "color": "#ffffff",
                        "line": {"color": OKABE_ITO[i % len(OKABE_ITO)], "width": 1.5},
                        "pattern": {"shape": "/", "fgcolor": OKABE_ITO[i % len(OKABE_ITO)], "size": 6},
                    },
                    hovertemplate=esc(name) + " %{x}: c (confidential)<extra></extra>",
                )
            )
    fig.update_layout(barmode="group")
    fig.update_xaxes(type="category")
    return _layout(fig, title + f" (c = confidential: 1 to {small}, or hidden to protect one)", x_title, y_title)


def trend(
    months: Sequence[str],
    counts: Sequence[int | str | None],
    *,
    expected: Sequence[float | None] | None,
    lower: Sequence[float | None] | None,
    upper: Sequence[float | None] | None,
    exceedance: Sequence[bool] | None,
    title: str,
    y_title: str,
) -> go.Figure:
    """Monthly counts over all months against the expected level and its limits (a count given as
    text, e.g. 'no delivery', is a gap in the line labelled with that text)."""
    fig = go.Figure()
    if upper is not None and lower is not None:
        fig.add_trace(
            go.Scatter(
                x=list(months),
                y=list(upper),
                mode="lines",
                line={"width": 0},
                name="upper limit",
                meta={"measure": "model"},
                hoverinfo="skip",
                showlegend=False,
            )
        )
        fig.add_trace(
            go.Scatter(
                x=list(months),
                y=list(lower),
                mode="lines",
                line={"width": 0},
                fill="tonexty",
                fillcolor="rgba(86,180,233,0.25)",
                name="expected range",
                meta={"measure": "model"},
                hovertemplate="%{x}: lower %{y:.1f}<extra></extra>",
            )
        )
    if expected is not None:
        fig.add_trace(
            go.Scatter(
                x=list(months),
                y=list(expected),
                mode="lines",
                line={"color": OKABE_ITO[4], "dash": "dash"},
                name="expected",
                meta={"measure": "model"},
                hovertemplate="%{x}: expected %{y:.1f}<extra></extra>",
            )
        )
    text = [v if isinstance(v, str) else "c" if v is None else f"{v:,}" for v in counts]
    y_counts = [None if isinstance(v, str) else v for v in counts]
    fig.add_trace(
        go.Scatter(
            x=list(months),
            y=y_counts,
            mode="lines+markers",
            name="recorded",
            line={"color": OKABE_ITO[0]},
            text=text,
            meta={"measure": "count"},
            hovertemplate="%{x}: %{text}<extra></extra>",
        )
    )
    if exceedance is not None:
        xs = [m for m, e, c in zip(months, exceedance, counts, strict=True) if e and isinstance(c, int)]
        ys = [c for e, c in zip(exceedance, counts, strict=True) if e and isinstance(c, int)]
        fig.add_trace(
            go.Scatter(
                x=xs,
                y=ys,
                mode="markers",
                name="exceedance",
                marker={"symbol": "diamond-open", "size": 14, "color": OKABE_ITO[5], "line": {"width": 3}},
                meta={"measure": "count"},
                hovertemplate="%{x}: above the expected range<extra></extra>",
            )
        )
        for m, e, c in zip(months, exceedance, counts, strict=True):
            if e and c is None:
                fig.add_annotation(x=m, y=0, text="▲", showarrow=False, font={"color": OKABE_ITO[5]})
    for m, c in zip(months, counts, strict=True):
        if c is None:
            fig.add_annotation(x=m, y=0, yanchor="bottom", text="c", showarrow=False, font={"color": "#444"})
        elif isinstance(c, str):
            fig.add_annotation(
                x=m, y=0, yanchor="bottom", text=c, textangle=-90, showarrow=False, font={"color": "#8a4b00"}
            )
    fig.update_xaxes(type="category")
    return _layout(fig, title, "Month the offence happened", y_title)


def share_lines(months: Sequence[str], series: Mapping[str, Sequence[float | None]], *, title: str) -> go.Figure:
    """Shares (0-100 %) by month, one line per series (recording completeness)."""
    fig = go.Figure()
    for i, (name, values) in enumerate(series.items()):
        fig.add_trace(
            go.Scatter(
                x=list(months),
                y=list(values),
                mode="lines",
                name=esc(name),
                line={"color": OKABE_ITO[i % len(OKABE_ITO)]},
                meta={"measure": "share"},
                hovertemplate=esc(name) + " %{x}: %{y:.1f}%<extra></extra>",
            )
        )
    fig.update_xaxes(type="category")
    fig.update_yaxes(range=[0, 100])
    return _layout(fig, title, "Month", "Records with the field filled (%)")


def heatmap(
    z: Sequence[Sequence[int | None]],
    x: Sequence[str],
    y: Sequence[str],
    *,
    title: str,
    x_title: str,
    y_title: str,
    colour_title: str = "count",
    label_cells: bool = True,
    small: int = 5,
) -> go.Figure:
    """A count heat map from zero (the lightest colour) up; a suppressed cell is grey with `c`
    written on it, distinct from every count."""
    text = [["c" if v is None else f"{v:,}" for v in row] for row in z]
    xs, ys = [esc(v) for v in x], [esc(v) for v in y]
    title = f"{title} (grey c = confidential: 1 to {small}, or hidden to protect one)"
    fig = go.Figure(
        go.Heatmap(
            z=[list(r) for r in z],
            x=xs,
            y=ys,
            text=text,
            colorscale=COUNT_SCALE,
            zmin=0,
            hovertemplate="%{y} × %{x}: %{text}<extra></extra>",
            colorbar={"title": {"text": esc(colour_title)}},
            hoverongaps=False,
            meta={"measure": "count"},
            xgap=1,
            ygap=1,
        )
    )
    top = max([v for row in z for v in row if v is not None] or [1])
    # labels as annotations (heat map text on gaps draws NaN positions), added in one update
    # text contrast (WCAG AA, 4.5:1): black up to three quarters of the scale and on grey, white above
    notes = [
        {
            "x": xs[c],
            "y": ys[r],
            "text": f"<b>{text[r][c]}</b>" if v is None else text[r][c],
            "showarrow": False,
            "font": {"size": 11, "color": "#000" if v is None or v < top * 0.74 else "#fff"},
        }
        for r, row in enumerate(z)
        for c, v in enumerate(row)
        if label_cells
    ]
    fig.update_layout(annotations=notes)
    fig.update_layout(plot_bgcolor=SUPPRESSED_COLOUR)
    fig.update_xaxes(type="category")
    fig.update_yaxes(type="category", autorange="reversed")
    return _layout(fig, title, x_title, y_title, height=max(360, 40 * len(y) + 160))


def intervals(
    labels: Sequence[str],
    values: Sequence[float | None],
    lower: Sequence[float | None],
    upper: Sequence[float | None],
    *,
    title: str,
    x_title: str,
    y_title: str = "Group",
    reference: float | None = None,
) -> go.Figure:
    """Point estimates with confidence intervals (rates or ratios), horizontal."""
    ys = [esc(v) for v in labels]
    plus = [None if v is None or u is None else u - v for v, u in zip(values, upper, strict=True)]
    minus = [None if v is None or lo is None else v - lo for v, lo in zip(values, lower, strict=True)]
    fig = go.Figure(
        go.Scatter(
            x=list(values),
            y=ys,
            mode="markers",
            marker={"color": OKABE_ITO[0], "size": 9},
            error_x={"type": "data", "symmetric": False, "array": plus, "arrayminus": minus, "color": OKABE_ITO[0]},
            meta={"measure": "rate"},
            name="estimate",
            hovertemplate="%{y}: %{x:.2f}<extra></extra>",
        )
    )
    if reference is not None:
        fig.add_vline(x=reference, line_dash="dot", line_color="#555")
    for y, v in zip(ys, values, strict=True):
        if v is None:
            fig.add_annotation(
                x=reference or 0, y=y, text="not shown (too few)", showarrow=False, font={"color": "#444"}
            )
    return _layout(fig, title, x_title, y_title, height=max(300, 34 * len(ys) + 140))


def ward_map(
    features: list[dict], values: dict[str, int | None], names: dict[str, str], *, title: str, colour_title: str
) -> go.Figure:
    """A ward map drawn from GeoJSON polygons as filled shapes (no map tiles: works offline)."""
    # the scale runs over the mapped wards only (an off-map 'none recorded' row never sets it)
    mapped = {str(f.get("properties", {}).get("ward_code")) for f in features}
    numbers = [v for k, v in values.items() if v is not None and k in mapped]
    top = max(numbers) if numbers else 1
    import plotly.colors as pc

    scale = COUNT_SCALE
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
        traces.append(
            go.Scatter(
                x=xs,
                y=ys,
                fill="toself",
                fillcolor=colour,
                mode="lines",
                line={"color": "#ffffff", "width": 1},
                name=label,
                hoveron="fills",
                text=label,
                hoverinfo="text",
                showlegend=False,
                meta={"measure": "axis"},
            )
        )
        if ring := (polys[0][0] if polys else None):
            cx = sum(p[0] for p in ring) / len(ring)
            cy = sum(p[1] for p in ring) / len(ring)
            short = esc(names.get(code, code))
            labels.append(
                {
                    "x": cx,
                    "y": cy,
                    "text": f"{short}<br><b>{'c' if v is None else f'{v:,}'}</b>",
                    "showarrow": False,
                    "font": {"size": 9, "color": "#000" if v is None or (v or 0) < top * 0.74 else "#fff"},
                }
            )
    fig = go.Figure(data=traces)
    fig.update_layout(annotations=labels)
    fig.add_trace(
        go.Scatter(
            x=[None],
            y=[None],
            mode="markers",
            showlegend=False,
            hoverinfo="skip",
            meta={"measure": "axis"},
            marker={
                "colorscale": COUNT_SCALE,
                "cmin": 0,
                "cmax": top,
                "color": [0],
                "showscale": True,
                "colorbar": {"title": {"text": esc(colour_title)}},
            },
        )
    )
    fig.update_yaxes(scaleanchor="x", scaleratio=1.6, showgrid=False, visible=False)
    fig.update_xaxes(showgrid=False, visible=False)
    return _layout(fig, title, "", "", height=520)


def to_json(fig: go.Figure) -> str:
    """The figure as JSON safe to embed in a <script> block (no `<`, `>` or `&` left raw)."""
    text = json.dumps(json.loads(fig.to_json()), separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
