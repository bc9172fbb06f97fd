"""The MAP meeting pack for one young person (restricted; built on request, never by the schedule).

Lays out the young person's latest contextual assessment as the MsUnderstood assessment matrix
does (Firmin C, MsUnderstood Partnership: contexts — individual, family and home, peer group,
school, neighbourhood — by domains — current situation, HSB, vulnerability, risk, resilience,
strengths, professional involvement, planned actions), with planned actions shown beside the
Good Lives Model primary goods they serve (Ward T, Brown M. The Good Lives Model of offender
rehabilitation, 2004); then a timeline of incidents, missing episodes, exclusions and referrals,
their peer group and the places involved.

Person-level assessment cells, missing episodes, exclusions and referrals have no marts table, so
the pack reads them from `core` (pseudonymised, no names or free text): the one page that does,
because it is the one page about one child. Roles are shown per incident, never as a label.
"""

from __future__ import annotations

import html
import logging
from pathlib import Path

import duckdb
import pandas as pd
import plotly.graph_objects as go

from dashboards import figures
from dashboards.partners import CONTEXTS, DOMAINS
from dashboards.reading import definitions_version, frame, has_table, last_load
from dashboards.site import Page, page, write_plotly_js

logger = logging.getLogger(__name__)

_EVENT_Y = {"incident": "Incidents", "missing": "Missing episodes", "exclusion": "School exclusions",
            "referral": "Referrals", "assessment": "MAP meetings"}


def _l(values: object) -> list[str]:
    return [] if values is None else [str(v) for v in values]  # type: ignore[attr-defined]


def _matrix(con: duckdb.DuckDBPyConnection, person_key: str, p: Page) -> str | None:
    a = con.execute("""select assessment_id, meeting_date, hsb_level, lead_agency, status from core.assessment
                       where person_key = ? order by meeting_date desc limit 1""", [person_key]).fetchall()
    if not a:
        p.text("No MAP assessment is recorded for this young person.", cls="na")
        return None
    aid, date, level, lead, status = a[0]
    p.text(f"Assessment {aid} at the MAP meeting of {date}: HSB level {level}; lead agency {lead}; status {status}.", cls="")
    cells = frame(con, "select context, domain, factors, named_peer_keys, named_place_ids, glm_goods from core.assessment_cell where assessment_id = ?",
                  [aid])
    by = {(r.context, r.domain): r for r in cells.itertuples()}
    head = "".join(f"<th>{html.escape(d.replace('_', ' '))}</th>" for d in DOMAINS)
    rows = []
    for c in CONTEXTS:
        tds = []
        for d in DOMAINS:
            r = by.get((c, d))
            if r is None:
                tds.append('<td class="t" style="background:#f4f4f4"></td>')
                continue
            bits = [html.escape(f.replace("_", " ")) for f in _l(r.factors)]
            if d == "planned_actions" and len(_l(r.glm_goods)):
                bits.append("<em>serves: " + html.escape(", ".join(g.replace("_", " ") for g in _l(r.glm_goods))) + "</em>")
            elif d == "strengths" and len(_l(r.glm_goods)):
                bits.append("<em>goods: " + html.escape(", ".join(_l(r.glm_goods))) + "</em>")
            if len(_l(r.named_peer_keys)):
                bits.append("peers: " + html.escape(", ".join(_l(r.named_peer_keys))))
            if len(_l(r.named_place_ids)):
                bits.append("places: " + html.escape(", ".join(_l(r.named_place_ids))))
            colour = {"vulnerability": "#fde0c5", "risk": "#f7c6c6", "resilience": "#d4ecd9", "strengths": "#d4ecd9",
                      "planned_actions": "#d6e6f5"}.get(d, "#ffffff")
            tds.append(f'<td class="t" style="background:{colour};vertical-align:top">{"<br>".join(bits) or "recorded"}</td>')
        rows.append(f"<tr><th class='t'>{html.escape(c.replace('_', ' '))}</th>{''.join(tds)}</tr>")
    p.add(f"<table class='matrix'><thead><tr><th></th>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>")
    unaddressed = [c for c in CONTEXTS
                   if any(len(_l(getattr(by.get((c, d)), "factors", None))) for d in ("vulnerability", "risk"))
                   and (c, "planned_actions") not in by]
    if unaddressed:
        p.text("Contexts with vulnerability or risk recorded but no planned action: " + ", ".join(unaddressed) + ".", cls="na")
    goods = frame(con, """select g.good, count(*) as actions from core.assessment_cell, unnest(glm_goods) as g(good)
                          where assessment_id = ? and domain = 'planned_actions' group by 1 order by 1""", [aid])
    if len(goods):
        p.add_figure(figures.bar_counts(list(goods["good"]), [int(v) for v in goods["actions"]],
                                        title=f"Good Lives goods served by the planned actions of assessment {aid}",
                                        x_title="Good Lives Model primary good", y_title="Planned actions (count)"))
    return str(aid)


def _timeline(con: duckdb.DuckDBPyConnection, person_key: str) -> pd.DataFrame:
    parts = [frame(con, """select cast(i.occurred_at as date) as day, 'incident' as kind,
                              i.offence || ' (' || v.role || ')' as what, i.place_id
                           from marts.involvement v join marts.incident i using (incident_key) where v.person_key = ?""",
                   [person_key])]
    for table, q in (("missing_episode", "select cast(reported_at as date), 'missing', 'missing from ' || missing_from || coalesce(', ' || round(hours_missing)::int || ' hours', ''), found_place_id from core.missing_episode where person_key = ?"),
                     ("exclusion", "select start_date, 'exclusion', category || ' (' || reason || ', ' || sessions || ' sessions)', null from core.exclusion where person_key = ?"),
                     ("referral", "select referral_date, 'referral', 'referral from ' || referral_source || ': ' || outcome, null from core.referral where person_key = ?"),
                     ("assessment", "select meeting_date, 'assessment', 'MAP meeting: HSB level ' || hsb_level, null from core.assessment where person_key = ?")):
        if has_table(con, "core", table):
            df = con.execute(q, [person_key]).df()
            df.columns = ["day", "kind", "what", "place_id"]
            parts.append(df)
    out = pd.concat([d for d in parts if len(d)], ignore_index=True) if any(len(d) for d in parts) else parts[0]
    return out.sort_values("day") if len(out) else out


def build_pack(con: duckdb.DuckDBPyConnection, person_key: str, root: Path) -> Path:
    """Write the MAP meeting pack for `person_key` under `root/packs/`; returns the page."""
    if not con.execute("select count(*) from marts.person where person_key = ?", [person_key]).fetchall()[0][0]:
        raise KeyError(f"no person {person_key} in marts.person")
    write_plotly_js(root)
    out = root / "packs"
    out.mkdir(parents=True, exist_ok=True)
    p = Page("pack")
    person = frame(con, "select * from marts.person where person_key = ?", [person_key]).iloc[0]
    p.text("RESTRICTED: for the MAP meeting about this young person only. Pseudonymous key; the case record holds the name.", cls="na")
    p.text(f"Young person {person_key}: born {person.birth_year}, sex {person.sex}, ethnic group {person.ethnic_group}; "
           f"first seen {person.first_seen}, last seen {person.last_seen}; records held by {person.source_count} agencies.", cls="")
    p.heading("Contextual assessment matrix")
    _matrix(con, person_key, p)
    p.heading("Timeline")
    tl = _timeline(con, person_key)
    if len(tl):
        fig = go.Figure()
        for i, (kind, sub) in enumerate(tl.groupby("kind")):
            fig.add_trace(go.Scatter(x=[str(d) for d in sub["day"]], y=[_EVENT_Y.get(str(kind), str(kind))] * len(sub),
                                     mode="markers", name=_EVENT_Y.get(str(kind), str(kind)),
                                     text=[figures.esc(w) for w in sub["what"]], hovertemplate="%{x}: %{text}<extra></extra>",
                                     marker={"size": 12, "color": figures.OKABE_ITO[i % 8],
                                             "symbol": ["circle", "square", "diamond", "triangle-up", "x"][i % 5]}))
        fig.update_xaxes(type="date")
        p.add_figure(figures._layout(fig, f"Timeline of {person_key}: incidents, missing episodes, exclusions, referrals and MAP meetings",
                                     "Date", "Record type", height=380))
        rows = "".join(f"<tr><td class='t'>{html.escape(str(r.day))}</td><td class='t'>{html.escape(str(r.kind))}</td>"
                       f"<td class='t'>{html.escape(str(r.what))}</td><td class='t'>{html.escape('' if pd.isna(r.place_id) else str(r.place_id))}</td></tr>"
                       for r in tl.itertuples())
        p.add(f"<table><thead><tr><th>date</th><th>record</th><th>what</th><th>place</th></tr></thead><tbody>{rows}</tbody></table>")
    else:
        p.text("No records.")
    p.heading("Peer group")
    if has_table(con, "marts", "peer_group"):
        g = con.execute("""select as_of_month, group_id from marts.peer_group where person_key = ?
                           order by as_of_month desc limit 1""", [person_key]).fetchall()
        if g:
            peers = [r[0] for r in con.execute("select person_key from marts.peer_group where as_of_month = ? and group_id = ? order by 1",
                                               g[0]).fetchall()]
            p.text(f"Group {g[0][1]} as of {g[0][0]}: {len(peers)} young people: {', '.join(peers)}.", cls="")
            if has_table(con, "marts", "peer_edge"):
                e = frame(con, """select person_key_a, person_key_b, relation, reliability, weight, first_seen, last_seen
                                  from marts.peer_edge where ? in (person_key_a, person_key_b) order by last_seen desc""", [person_key])
                rows = "".join("<tr>" + "".join(f"<td class='t'>{html.escape(str(v))}</td>" for v in r) + "</tr>"
                               for r in e.itertuples(index=False))
                p.add("<h3>Links (with source reliability)</h3><table><thead><tr>" + "".join(
                    f"<th>{c}</th>" for c in e.columns) + f"</tr></thead><tbody>{rows}</tbody></table>")
        else:
            p.text("Not in a peer group.")
    else:
        p.missing("Peer groups (marts.peer_group)")
    p.heading("Places involved")
    places = sorted({str(x) for x in tl["place_id"].dropna()} if len(tl) else set())
    if has_table(con, "core", "assessment_cell"):
        places = sorted(set(places) | {r[0] for r in con.execute(
            "select distinct unnest(named_place_ids) from core.assessment_cell where person_key = ?", [person_key]).fetchall()})
    names = dict(con.execute("select place_id, name from core.place").fetchall()) if has_table(con, "core", "place") else {}
    p.add("<ul>" + "".join(f"<li>{html.escape(pl)}: {html.escape(str(names.get(pl, '')))}</li>" for pl in places) + "</ul>"
          if places else "<p>No known places.</p>")
    target = out / f"pack-{person_key}.html"
    sub = f"Theme definitions {definitions_version(con)}; data last loaded {last_load(con)}. RESTRICTED."
    target.write_text(page(f"MAP meeting pack — {person_key}", p.html(), subtitle=sub), encoding="utf-8")
    return target
