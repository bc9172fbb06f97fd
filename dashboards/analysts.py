"""The analysts' edition (restricted): peer groups and places, built only when asked.

Shows the peer network (nodes coloured by group, pseudonymous keys only, edges styled by relation
and reliability — a `reported` link is dotted, because "named at a meeting" is not "recorded by an
agency"), with a group filter per month; group and place profiles; the group-place bipartite view;
and group changes over time. It is written under `build/restricted/YYYY-MM/`, never into the
partners' edition, and is not disclosure-controlled: it is for analysts cleared to see `marts`.
Layout of the network: Fruchterman-Reingold force-directed placement (networkx `spring_layout`,
fixed seed so the picture is stable between builds).
"""

from __future__ import annotations

import html
import logging
from pathlib import Path

import duckdb
import networkx as nx
import pandas as pd
import plotly.graph_objects as go

from dashboards import figures
from dashboards.reading import (
    columns,
    definitions_version,
    frame,
    has_table,
    last_load,
    months_back,
)
from dashboards.site import Page, Table, page, write_plotly_js

logger = logging.getLogger(__name__)

RELATION_COLOUR = {"co_suspect": "#D55E00", "victim_suspect": "#CC79A7", "co_victim": "#0072B2",
                   "missing_together": "#E69F00", "named_peer": "#009E73", "same_place": "#999999"}
RELIABILITY_DASH = {"recorded": "solid", "reported": "dot"}


def network_figure(edges: pd.DataFrame, groups: pd.DataFrame, month: str) -> go.Figure:
    """The peer network as of `month`: one trace per relation x reliability, one per group."""
    members = dict(zip(groups["person_key"], groups["group_id"], strict=True))
    e = edges[edges["person_key_a"].isin(members) & edges["person_key_b"].isin(members)]
    g = nx.Graph()
    g.add_nodes_from(members)
    g.add_edges_from(zip(e["person_key_a"], e["person_key_b"], strict=True))
    pos = nx.spring_layout(g, seed=7, k=0.6 / max(1, len(g)) ** 0.35) if len(g) else {}
    fig = go.Figure()
    group_ids = sorted(set(members.values()))
    n_edge_traces = 0
    for (rel, rely), sub in e.groupby(["relation", "reliability"]):
        xs: list[float | None] = []
        ys: list[float | None] = []
        for a, b in zip(sub["person_key_a"], sub["person_key_b"], strict=True):
            xs += [pos[a][0], pos[b][0], None]
            ys += [pos[a][1], pos[b][1], None]
        fig.add_trace(go.Scatter(x=xs, y=ys, mode="lines", hoverinfo="skip", name=f"{rel} ({rely})",
                                 line={"color": RELATION_COLOUR.get(str(rel), "#777"), "width": 1.2,
                                       "dash": RELIABILITY_DASH.get(str(rely), "dash")}))
        n_edge_traces += 1
    for i, gid in enumerate(group_ids):
        keys = [k for k, v in members.items() if v == gid]
        fig.add_trace(go.Scatter(x=[pos[k][0] for k in keys], y=[pos[k][1] for k in keys], mode="markers",
                                 name=f"group {figures.esc(gid)}", text=[f"{k} (group {figures.esc(gid)})" for k in keys],
                                 hoverinfo="text", marker={"size": 9, "color": figures.OKABE_ITO[i % 8],
                                                           "symbol": ["circle", "square", "diamond", "triangle-up"][(i // 8) % 4],
                                                           "line": {"width": 0.5, "color": "#222"}}))
    buttons = [{"label": "all groups", "method": "restyle", "args": [{"visible": [True] * (n_edge_traces + len(group_ids))}]}]
    for i, gid in enumerate(group_ids):
        vis = [True] * n_edge_traces + [j == i for j in range(len(group_ids))]
        buttons.append({"label": f"group {figures.esc(gid)}", "method": "restyle", "args": [{"visible": vis}]})
    fig.update_layout(updatemenus=[{"buttons": buttons, "x": 1.0, "xanchor": "right", "y": 1.15}])
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    figures._layout(fig, f"Peer network as of {month}: young people in peer groups (pseudonymous keys), "
                         "edges by relation; dotted = reported, solid = recorded", "", "", height=640)
    return fig


def _latest(con: duckdb.DuckDBPyConnection, table: str, col: str, month: str) -> str | None:
    rows = con.execute(f'select max("{col}") from marts."{table}" where "{col}" <= ?', [month]).fetchall()
    return rows[0][0] if rows and rows[0][0] else None


def _value(v: object, kind: str) -> object:
    if v is None or isinstance(v, str):
        return v
    if hasattr(v, "__len__"):  # lists, arrays, structs
        return ", ".join(str(x) for x in v)  # type: ignore[union-attr]
    if pd.isna(v):  # type: ignore[arg-type]
        return None
    return int(v) if kind == "count" else float(v) if kind == "rate" else str(v)  # type: ignore[arg-type]


def _table_from_frame(name: str, title: str, df: pd.DataFrame) -> Table:
    kinds = ["count" if pd.api.types.is_integer_dtype(df[c]) else
             ("rate" if pd.api.types.is_float_dtype(df[c]) else "label") for c in df.columns]
    t = Table(name, title, [str(c) for c in df.columns], kinds)
    for _, r in df.iterrows():
        t.rows.append([_value(v, k) for v, k in zip(r.tolist(), kinds, strict=True)])
    return t


def build(con: duckdb.DuckDBPyConnection, month: str, root: Path) -> list[Path]:
    """Write `analysts.html` for `month` under `root/month` (root = build/restricted)."""
    write_plotly_js(root)
    out = root / month
    out.mkdir(parents=True, exist_ok=True)
    p = Page("analysts")
    p.text("RESTRICTED: pseudonymous person keys. For analysts cleared to read marts; do not forward. "
           "Links carry their relation and reliability: a link is not membership of a gang.", cls="na")
    if has_table(con, "marts", "peer_edge") and has_table(con, "marts", "peer_group"):
        edges = frame(con, "select person_key_a, person_key_b, relation, reliability, first_seen from marts.peer_edge")
        latest = _latest(con, "peer_group", "as_of_month", month)
        shown = [m for m in months_back(month, 3)
                 if con.execute("select count(*) from marts.peer_group where as_of_month = ?", [m]).fetchall()[0][0]]
        for m in reversed(shown or ([latest] if latest else [])):
            groups = frame(con, "select person_key, group_id from marts.peer_group where as_of_month = ?", [m])
            e = edges[pd.to_datetime(edges["first_seen"]).dt.strftime("%Y-%m") <= m]
            p.add(f"<details {'open' if m == month or m == latest else ''}><summary>Peer network as of {html.escape(m)} "
                  f"({groups['group_id'].nunique()} groups, {len(groups)} young people)</summary>")
            p.add_figure(network_figure(e, groups, m))
            p.add("</details>")
    else:
        p.missing("The peer network (marts.peer_edge, marts.peer_group)")
    p.heading("Group profiles")
    if has_table(con, "marts", "peer_group_profile"):
        m = _latest(con, "peer_group_profile", "as_of_month", month)
        df = frame(con, "select * from marts.peer_group_profile where as_of_month = ? order by 1, 2", [m])
        p.add_table(_table_from_frame("peer_group_profile", f"Peer groups as of {m}", df))
    else:
        p.missing("Group profiles (marts.peer_group_profile)")
    p.heading("Place profiles")
    if has_table(con, "marts", "place_profile"):
        m = _latest(con, "place_profile", "month", month)
        cols = columns(con, "marts", "place_profile")
        order = "incidents desc" if "incidents" in cols else "1"
        df = frame(con, f"select * from marts.place_profile where month = ? order by {order} limit 40", [m])
        p.add_table(_table_from_frame("place_profile", f"Places, {m}", df))
    else:
        p.missing("Place profiles (marts.place_profile)")
    p.heading("Groups and places")
    if has_table(con, "marts", "peer_group"):
        latest = _latest(con, "peer_group", "as_of_month", month)
        df = frame(con, """select g.group_id, i.place_id, count(distinct i.incident_key) as n
            from marts.peer_group g join marts.involvement v using (person_key) join marts.incident i using (incident_key)
            where g.as_of_month = ? and i.place_id is not null and i.month <= ? group by all""", [latest, month])
        if len(df):
            gs = list(df.groupby("group_id")["n"].sum().sort_values(ascending=False).index[:30])
            ps = list(df.groupby("place_id")["n"].sum().sort_values(ascending=False).index[:30])
            z = [[int(df[(df.group_id == gr) & (df.place_id == pl)]["n"].sum()) or None for pl in ps] for gr in gs]
            fig = figures.heatmap(z, ps, gs, title=f"Incidents involving members of each peer group, by place, to {month} (the 30 busiest groups and places)",
                                  x_title="Place (place_id)", y_title="Peer group", colour_title="Incidents (count)")
            p.add_figure(fig)
        else:
            p.text("No group member was involved in an incident at a known place.")
    p.heading("Group changes over time")
    if has_table(con, "marts", "peer_group_event"):
        df = frame(con, "select * from marts.peer_group_event order by 1 desc limit 200")
        p.add_table(_table_from_frame("peer_group_event", "Group events (formed, grew, split, merged, dissolved)", df))
    elif has_table(con, "marts", "peer_group"):
        df = frame(con, "select as_of_month, group_id, count(*) as size from marts.peer_group where as_of_month <= ? group by all order by 1",
                   [month])
        fig = go.Figure()
        for i, (gid, sub) in enumerate(df.groupby("group_id")):
            fig.add_trace(go.Scatter(x=sub["as_of_month"], y=sub["size"], mode="lines+markers", name=figures.esc(gid),
                                     line={"color": figures.OKABE_ITO[i % 8]}))
        fig.update_xaxes(type="category")
        p.add_figure(figures._layout(fig, f"Peer group sizes by month, to {month}", "Month", "Members (young people)"))
    else:
        p.missing("Group changes (marts.peer_group_event)")
    sub = f"Month {month}. Theme definitions {definitions_version(con)}; data last loaded {last_load(con)}. RESTRICTED."
    target = out / "analysts.html"
    target.write_text(page(f"Analysts' edition — {month} (restricted)", p.html(), subtitle=sub), encoding="utf-8")
    return [target]
