"""The analysts' edition (restricted): peer groups and places, built only when asked.

Written to fit a screen and a browser: no page over 1 MB of HTML beside the shared plotly bundle.

* **Peer groups, one at a time.** A selector (groups by id, never by size or incident count)
  shows one group's network — members by pseudonymous key on hover, ties styled by relation and
  reliability (a `reported` tie is dotted, because "named at a meeting" is not "recorded by an
  agency"), no arrows — beside the group's profile in words (schools, wards and places by name)
  and the places where members were involved. Layout: Fruchterman-Reingold force-directed
  placement per group (networkx `spring_layout`, fixed seed so the picture is stable).
* **Tables** print lists and structured values in words (never a raw list or struct); they are
  ordered by name or id, and the analyst can sort any column by clicking its header. No view
  ranks groups by incident counts: for a small group that comes close to ranking children.
* **MAP planned actions** by owner agency and status (`marts.map_action_summary`), the
  cross-case view of the actions recorded in MAP workbooks.

Written under `build/restricted/YYYY-MM/`, never into the partners' edition, and not
disclosure-controlled: it is for analysts cleared to see `marts`.
"""

from __future__ import annotations

import html
import json
import logging
from pathlib import Path

import duckdb
import networkx as nx
import pandas as pd

from dashboards import pack_figures as pf
from dashboards import words as w
from dashboards.reading import definitions_version, frame, has_table, last_load, months_back
from dashboards.site import write_plotly_js

logger = logging.getLogger(__name__)

RELATION_COLOUR = pf.TIE_COLOUR
RELIABILITY_DASH = pf.RELIABILITY_DASH
LOCATION_TYPE = {
    "street": "street",
    "park_open_space": "park or open space",
    "school_college": "school or college",
    "public_transport": "public transport",
    "dwelling": "dwelling",
    "shop_takeaway": "shop or takeaway",
    "hostel_supported_housing": "hostel or supported housing",
    "youth_club_leisure": "youth club or leisure",
    "online": "online",
    "other": "other",
}
SHORT = {
    "incidents": "Incidents",
    "cse_incidents": "CSE",
    "hsb_peer_incidents": "HSB (peer)",
    "syv_incidents": "SYV",
    "cce_incidents": "CCE",
    "gang_incidents": "Gang",
    "online_incidents": "Online",
    "victim_and_suspect_members": "Victim and suspect (members)",
    "young_people": "Young people",
    "group_count": "Groups",
}
EVENTS = {
    "birth": "formed",
    "death": "dissolved",
    "grow": "grew",
    "shrink": "shrank",
    "split": "split",
    "merge": "merged",
    "continue": "continued",
}

_CSS = """.sortable th{cursor:pointer}.sortable th:after{content:" \\2195";color:#999;font-size:80%}
.panel{display:flex;flex-wrap:wrap;gap:1em}.panel>div{flex:1 1 420px;min-width:0}
select{font-size:100%;padding:2px}td.n,th.n{text-align:right}td.w{min-width:15em}td.nw{white-space:nowrap}
.scroll{overflow-x:auto;max-width:100%}"""

_SORT = """<script>
document.querySelectorAll('table.sortable').forEach(function (t) {
  t.querySelectorAll('th').forEach(function (th, i) {
    th.addEventListener('click', function () {
      var body = t.tBodies[0], rows = Array.from(body.rows), asc = th.getAttribute('data-dir') !== 'asc';
      rows.sort(function (a, b) {
        var x = a.cells[i].getAttribute('data-v') || a.cells[i].textContent,
            y = b.cells[i].getAttribute('data-v') || b.cells[i].textContent,
            nx = parseFloat(x), ny = parseFloat(y);
        var c = (!isNaN(nx) && !isNaN(ny)) ? nx - ny : x.localeCompare(y);
        return asc ? c : -c;
      });
      rows.forEach(function (r) { body.appendChild(r); });
      th.setAttribute('data-dir', asc ? 'asc' : 'desc');
    });
  });
});
</script>"""

_NETWORK = """<script>
(function () {
  var data = JSON.parse(document.getElementById('group-data').textContent);
  var sel = document.getElementById('group-select');
  var colour = data.colour, dash = data.dash, words = data.words;
  function draw() {
    var g = data.groups[sel.value], traces = [], byRel = {};
    g.edges.forEach(function (e) {
      var k = e[2] + '|' + e[3];
      (byRel[k] = byRel[k] || []).push(e);
    });
    Object.keys(byRel).sort().forEach(function (k) {
      var xs = [], ys = [], p = k.split('|');
      byRel[k].forEach(function (e) {
        xs.push(g.nodes[e[0]][1], g.nodes[e[1]][1], null);
        ys.push(g.nodes[e[0]][2], g.nodes[e[1]][2], null);
      });
      traces.push({type: 'scatter', mode: 'lines', x: xs, y: ys, hoverinfo: 'skip',
                   name: (words[p[0]] || p[0]) + ' (' + p[1] + ')',
                   line: {color: colour[p[0]] || '#777', width: 1.4, dash: dash[p[1]] || 'dash'}});
    });
    traces.push({type: 'scatter', mode: 'markers', showlegend: false, hoverinfo: 'text',
                 x: g.nodes.map(function (n) { return n[1]; }), y: g.nodes.map(function (n) { return n[2]; }),
                 text: g.nodes.map(function (n) { return n[0] + ': ' + n[3] + ' ties in the group'; }),
                 marker: {size: 11, color: '#56B4E9', line: {width: 0.6, color: '#222'}}});
    // three short lines: the group's id, its month and size, the reading note (a phone's width)
    var layout = {template: 'plotly_white', height: 580, margin: {l: 10, r: 10, t: 80, b: 10},
                  title: {text: 'Peer group ' + sel.value + '<br>as of ' + data.month + ': ' + g.nodes.length +
                                ' young people<br>(pseudonymous keys on hover; lines have no direction)', font: {size: 14}},
                  xaxis: {visible: false}, yaxis: {visible: false},
                  legend: {orientation: 'h', y: -0.02, yanchor: 'top', x: 0, font: {size: 10}}};
    Plotly.react('group-network', traces, layout, {displaylogo: false, displayModeBar: false, responsive: true});
    document.getElementById('group-facts').innerHTML = g.facts;
  }
  sel.addEventListener('change', draw);
  draw();
})();
</script>"""


def e(text: object) -> str:
    return html.escape("" if text is None else str(text))


def _l(values: object) -> list[object]:
    if values is None or (isinstance(values, float) and values != values):
        return []
    return list(values)  # type: ignore[call-overload]


def _latest(con: duckdb.DuckDBPyConnection, table: str, col: str, month: str) -> str | None:
    rows = con.execute(f'select max("{col}") from marts."{table}" where "{col}" <= ?', [month]).fetchall()
    return rows[0][0] if rows and rows[0][0] else None


def _table(name: str, head: list[tuple[str, str]], rows: list[list[tuple[str, object]]], caption: str = "") -> str:
    """A sortable table: `head` (title, 'n' for numbers or ''), rows of (text, sort value)."""
    th = "".join(f"<th class='{k}'>{e(t)}</th>" for t, k in head)
    body = "".join(
        "<tr>"
        + "".join(f"<td class='{k}' data-v='{e(v)}'>{e(t)}</td>" for (t, v), (_h, k) in zip(r, head, strict=True))
        + "</tr>"
        for r in rows
    )
    cap = f"<caption class='note' style='text-align:left'>{e(caption)}</caption>" if caption else ""
    return (
        f"<div class='scroll'><table class='sortable' id='{e(name)}'>{cap}<thead><tr>{th}</tr></thead>"
        f"<tbody>{body}</tbody></table></div>"
    )


def _n(v: object) -> tuple[str, object]:
    if v is None or (isinstance(v, float) and v != v):
        return ("–", "")
    return (f"{int(v):,}", int(v))  # type: ignore[call-overload]


def _t(v: object) -> tuple[str, object]:
    return ("" if v is None else str(v), "" if v is None else str(v))


class _Names:
    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.ward = (
            {str(a): str(b) for a, b in con.execute("select ward_code, ward_name from core.ward").fetchall()}
            if has_table(con, "core", "ward")
            else {}
        )
        self.place = (
            {str(a): str(b) for a, b in con.execute("select place_id, name from core.place").fetchall()}
            if has_table(con, "core", "place")
            else {}
        )
        self.place_ward = (
            {str(a): str(b) for a, b in con.execute("select place_id, ward_code from core.place").fetchall()}
            if has_table(con, "core", "place")
            else {}
        )
        self.school = (
            {str(a): str(b) for a, b in con.execute("select urn, name from core.school").fetchall()}
            if has_table(con, "core", "school")
            else {}
        )

    def wards(self, codes: object) -> str:
        return "; ".join(sorted(self.ward.get(str(c), str(c)) for c in _l(codes)))

    def places(self, ids: object) -> str:
        return "; ".join(sorted(self.place.get(str(c), str(c)) for c in _l(ids)))

    def schools(self, urns: object) -> str:
        return "; ".join(sorted(self.school.get(str(c), str(c)) for c in _l(urns)))


def _vulnerability(v: object, size: int) -> str:
    """The struct list (factor, members, share) in words: the three commonest factors."""
    items = [(str(x["factor"]), int(x["members"])) for x in _l(v) if isinstance(x, dict) and x.get("members")]
    items.sort(key=lambda t: (-t[1], t[0]))
    return "; ".join(f"{w.word(w.FACTOR, f)} ({n} of {size})" for f, n in items[:3]) or "none recorded"


def _groups(con: duckdb.DuckDBPyConnection, month: str, names: _Names) -> tuple[str, str] | None:
    """(selector + panel HTML, the embedded data) for the peer groups as of `month`."""
    latest = _latest(con, "peer_group", "as_of_month", month)
    if latest is None:
        return None
    members = frame(
        con,
        "select person_key, group_id from marts.peer_group where as_of_month = ? order by group_id, person_key",
        [latest],
    )
    edge_month = _latest(con, "peer_edge", "as_of_month", month) if "as_of_month" in _cols(con, "peer_edge") else None
    q = """select e.person_key_a, e.person_key_b, e.relation, e.reliability, e.evidence_count, ga.group_id as ga, gb.group_id as gb
           from marts.peer_edge e
           join marts.peer_group ga on ga.person_key = e.person_key_a and ga.as_of_month = ?
           join marts.peer_group gb on gb.person_key = e.person_key_b and gb.as_of_month = ?""" + (
        " where e.as_of_month = ?" if edge_month else ""
    )
    params: list[object] = [latest, latest, *([edge_month] if edge_month else [])]
    edges = frame(con, q, params)
    within = edges[edges["ga"] == edges["gb"]]
    across = edges[edges["ga"] != edges["gb"]]
    prof = (
        frame(con, "select * from marts.peer_group_profile where as_of_month = ?", [latest])
        if has_table(con, "marts", "peer_group_profile")
        else pd.DataFrame(columns=["group_id"])
    )
    prof_by = {str(r["group_id"]): r for r in prof.to_dict("records")}
    places = frame(
        con,
        """select g.group_id, i.place_id, count(distinct i.incident_key) as n
                           from marts.peer_group g join marts.involvement v using (person_key) join marts.incident i using (incident_key)
                           where g.as_of_month = ? and i.place_id is not null and i.month <= ? group by all""",
        [latest, month],
    )
    data: dict[str, object] = {}
    for gid, sub in members.groupby("group_id", sort=True):
        keys = list(sub["person_key"])
        es = within[within["ga"] == gid]
        g = nx.Graph()
        g.add_nodes_from(keys)
        g.add_edges_from(zip(es["person_key_a"], es["person_key_b"], strict=True))
        pos = nx.spring_layout(g, seed=7) if len(g) > 1 else {keys[0]: (0.0, 0.0)}
        idx = {k: i for i, k in enumerate(keys)}
        nodes = [[k, round(float(pos[k][0]), 3), round(float(pos[k][1]), 3), int(g.degree(k))] for k in keys]
        elist = [
            [idx[a], idx[b], str(r), str(rl)]
            for a, b, r, rl in zip(
                es["person_key_a"], es["person_key_b"], es["relation"], es["reliability"], strict=True
            )
        ]
        p = prof_by.get(str(gid), {})
        ext = across[(across["ga"] == gid) | (across["gb"] == gid)]
        other_groups = len(set(ext["ga"]) | set(ext["gb"]) - {gid})
        pl = places[places["group_id"] == gid].copy()
        pl["name"] = [names.place.get(str(x), str(x)) for x in pl["place_id"]]
        pl = pl.sort_values("name")
        facts = [
            f"<h3>Peer group {e(gid)}</h3><ul>",
            f"<li>{len(keys)} young people; ties within the group: {len(es)} "
            f"({e(', '.join(f'{n} {w.word(w.RELATION, r)}' for r, n in es['relation'].value_counts().sort_index().items()))})</li>",
            f"<li>ties to members of {other_groups} other group{'s' * (other_groups != 1)}</li>",
        ]
        if p:
            facts += [
                f"<li>ages {e(p.get('age_min'))}–{e(p.get('age_max'))}; girls {e(p.get('girls'))}, boys {e(p.get('boys'))}</li>",
                f"<li>schools: {e(names.schools(p.get('schools')) or 'none recorded')}</li>",
                f"<li>wards: {e(names.wards(p.get('wards')) or 'none recorded')}</li>",
                f"<li>key places: {e(names.places(p.get('key_places')) or 'none')}</li>",
                f"<li>vulnerability: {e(_vulnerability(p.get('vulnerability'), len(keys)))}</li>",
            ]
        facts.append("</ul>")
        if len(pl):
            facts.append(
                "<table><thead><tr><th>Place where members were involved</th><th>Ward</th><th class='n'>Incidents</th></tr></thead><tbody>"
                + "".join(
                    f"<tr><td>{e(r.name)}</td><td>{e(names.ward.get(names.place_ward.get(str(r.place_id), ''), ''))}</td>"
                    f"<td class='n'>{int(r.n)}</td></tr>"
                    for r in pl.itertuples()
                )
                + "</tbody></table>"
            )
        data[str(gid)] = {"nodes": nodes, "edges": elist, "facts": "".join(facts)}
    payload = json.dumps(
        {"month": latest, "groups": data, "colour": RELATION_COLOUR, "dash": RELIABILITY_DASH, "words": w.RELATION},
        separators=(",", ":"),
    )
    payload = payload.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    options = "".join(
        f"<option value='{e(g)}'>{e(g)} ({len(data[g]['nodes'])} young people)</option>"  # type: ignore[index]
        for g in sorted(data)
    )
    panel = (
        f"<p><label for='group-select'>Peer group (by id): </label><select id='group-select'>{options}</select> "
        f"<span class='note'>{len(data)} groups as of {e(latest)}</span></p>"
        "<div class='panel'><div><div id='group-network' class='lantern-chart' style='min-height:520px'></div></div>"
        "<div id='group-facts'></div></div>"
    )
    return panel, f"<script type='application/json' id='group-data'>{payload}</script>"


def _cols(con: duckdb.DuckDBPyConnection, table: str) -> list[str]:
    from dashboards.reading import columns

    return columns(con, "marts", table)


def _profiles(con: duckdb.DuckDBPyConnection, month: str, names: _Names) -> str:
    m = _latest(con, "peer_group_profile", "as_of_month", month)
    df = frame(con, "select * from marts.peer_group_profile where as_of_month = ? order by group_id", [m])
    counts = [
        c
        for c in (
            "incidents",
            "cse_incidents",
            "hsb_peer_incidents",
            "syv_incidents",
            "cce_incidents",
            "gang_incidents",
            "online_incidents",
            "victim_and_suspect_members",
        )
        if c in df.columns
    ]
    head = [
        ("Group", "nw"),
        ("Size", "n"),
        ("Ages", "nw"),
        ("Girls", "n"),
        ("Boys", "n"),
        ("Schools", "w"),
        ("Wards", "w"),
        ("Key places", "w"),
    ] + [(SHORT.get(c, c.replace("_", " ")), "n") for c in counts]
    rows = []
    for r in df.to_dict("records"):
        rows.append(
            [
                _t(r["group_id"]),
                _n(r.get("size")),
                (f"{r.get('age_min')}–{r.get('age_max')}", r.get("age_min")),
                _n(r.get("girls")),
                _n(r.get("boys")),
                _t(names.schools(r.get("schools"))),
                _t(names.wards(r.get("wards"))),
                _t(names.places(r.get("key_places"))),
            ]
            + [_n(r.get(c)) for c in counts]
        )
    return _table(
        "peer_group_profile",
        head,
        rows,
        f"Peer groups as of {m}, by id (click a column to sort). Vulnerability in words is in the group panel above.",
    )


def _places(con: duckdb.DuckDBPyConnection, month: str, names: _Names) -> str:
    m = _latest(con, "place_profile", "month", month)
    df = frame(con, "select * from marts.place_profile where month = ?", [m])
    df["name"] = [
        r if isinstance(r, str) and r else names.place.get(str(p), str(p))
        for r, p in zip(df.get("place_name", df["place_id"]), df["place_id"], strict=True)
    ]
    df = df.sort_values("name")
    counts = [
        c
        for c in (
            "incidents",
            "cse_incidents",
            "hsb_peer_incidents",
            "syv_incidents",
            "cce_incidents",
            "gang_incidents",
            "online_incidents",
            "young_people",
            "group_count",
        )
        if c in df.columns
    ]
    head = (
        [("Place", ""), ("Type", ""), ("Ward", "")]
        + [(SHORT.get(c, c.replace("_", " ")), "n") for c in counts]
        + [("Groups present", "w")]
    )
    rows = [
        [
            _t(r["name"]),
            _t(LOCATION_TYPE.get(str(r.get("location_type")), str(r.get("location_type") or ""))),
            _t(names.ward.get(str(r.get("ward_code")), str(r.get("ward_code") or ""))),
        ]
        + [_n(r.get(c)) for c in counts]
        + [_t(", ".join(sorted(str(g) for g in _l(r.get("groups_present")))))]
        for r in df.to_dict("records")
    ]
    return _table("place_profile", head, rows, f"Places, {m}, by name (click a column to sort).")


def _actions(con: duckdb.DuckDBPyConnection) -> str:
    df = frame(con, "select * from marts.map_action_summary")
    if not len(df):
        return "<p>No planned action is recorded in the MAP workbooks.</p>"
    statuses = [
        s for s in ("planned", "in_progress", "done", "not_done", "not recorded") if s in set(df["action_status"])
    ]
    owners = sorted(set(df["action_owner"]), key=lambda o: (o == "not recorded", w.word(w.OWNER, o)))
    head = [("Owner agency", "")] + [(w.word(w.STATUS, s), "n") for s in statuses] + [("All", "n"), ("Overdue", "n")]
    rows = []
    for o in owners:
        sub = df[df["action_owner"] == o]
        rows.append(
            [_t(w.word(w.OWNER, o))]
            + [_n(int(sub[sub["action_status"] == s]["actions"].sum())) for s in statuses]
            + [_n(int(sub["actions"].sum())), _n(int(sub["overdue"].sum()))]
        )
    as_of = w.day(df["as_of"].max())
    return _table(
        "map_action_summary",
        head,
        rows,
        f"MAP planned actions by owner agency and status (all assessments); overdue = due before {as_of} and "
        "neither done nor closed as not done; 'not recorded' where the workbook has no owner or status.",
    )


def _events(con: duckdb.DuckDBPyConnection, month: str) -> str:
    months = months_back(month, 12)
    df = frame(
        con,
        """select as_of_month, event, group_id, related_group_ids from marts.peer_group_event
                       where as_of_month between ? and ? and event <> 'continue'
                       order by as_of_month desc, group_id""",
        [months[0], month],
    )
    rows = [
        [
            _t(r["as_of_month"]),
            _t(EVENTS.get(str(r["event"]), str(r["event"]))),
            _t(r["group_id"]),
            _t(", ".join(str(x) for x in _l(r["related_group_ids"])) or "—"),
        ]
        for r in df.to_dict("records")
    ]
    return _table(
        "peer_group_event",
        [("Month", ""), ("Event", ""), ("Group", "nw"), ("Related groups", "")],
        rows,
        f"Group events, {months[0]} to {month} (formed, grew, split, merged, dissolved).",
    )


def build(con: duckdb.DuckDBPyConnection, month: str, root: Path) -> list[Path]:
    """Write `analysts.html` for `month` under `root/month` (root = build/restricted)."""
    write_plotly_js(root)
    out = root / month
    out.mkdir(parents=True, exist_ok=True)
    names = _Names(con)
    parts = [
        "<p class='na'>RESTRICTED: pseudonymous person keys. For analysts cleared to read marts; do not forward. "
        "Ties carry their relation and reliability: a tie is not membership of a gang, and a line has no direction.</p>",
        "<p class='note'>Sections: <a href='#groups'>peer groups</a> · <a href='#profiles'>group profiles</a> · "
        "<a href='#places'>places</a> · <a href='#actions'>MAP actions</a> · <a href='#events'>group changes</a></p>",
    ]
    tail = ""
    parts.append("<h2 id='groups'>Peer groups, one at a time</h2>")
    if has_table(con, "marts", "peer_edge") and has_table(con, "marts", "peer_group"):
        got = _groups(con, month, names)
        if got:
            parts.append(got[0])
            tail = got[1] + _NETWORK
        else:
            parts.append("<p>No peer group as of this month.</p>")
    else:
        parts.append(
            "<p class='na'>The peer network (marts.peer_edge, marts.peer_group): not yet available in this warehouse.</p>"
        )
    parts.append("<h2 id='profiles'>Group profiles</h2>")
    parts.append(
        _profiles(con, month, names)
        if has_table(con, "marts", "peer_group_profile")
        else "<p class='na'>Group profiles (marts.peer_group_profile): not yet available in this warehouse.</p>"
    )
    parts.append("<h2 id='places'>Place profiles</h2>")
    parts.append(
        _places(con, month, names)
        if has_table(con, "marts", "place_profile")
        else "<p class='na'>Place profiles (marts.place_profile): not yet available in this warehouse.</p>"
    )
    parts.append("<h2 id='actions'>MAP planned actions</h2>")
    parts.append(
        _actions(con)
        if has_table(con, "marts", "map_action_summary")
        else "<p class='na'>MAP actions (marts.map_action_summary): not yet available in this warehouse.</p>"
    )
    parts.append("<h2 id='events'>Group changes over time</h2>")
    parts.append(
        _events(con, month)
        if has_table(con, "marts", "peer_group_event")
        else "<p class='na'>Group changes (marts.peer_group_event): not yet available in this warehouse.</p>"
    )
    body = "\n".join(parts) + tail + _SORT
    sub = f"Month {month}. Theme definitions {definitions_version(con)}; data last loaded {last_load(con)}. RESTRICTED."
    target = out / "analysts.html"
    target.write_text(
        pf.restricted_page(
            f"Analysts' edition — {month} (restricted)",
            body,
            depth=1,
            subtitle=sub,
            a4=False,
            marking="OFFICIAL-SENSITIVE — restricted: analysts cleared to read marts",
            footer=f"Lantern analysts' edition {month} — do not forward",
            extra_css=_CSS,
        ),
        encoding="utf-8",
    )
    return [target]
