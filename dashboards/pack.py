"""The MAP meeting pack for one young person (restricted; built on request, never by the schedule).

Written for the chair of an HSB MAP meeting, in the order a meeting runs:

1. **Since the last MAP**: what each agency recorded about the young person since their last
   contextual assessment (police incidents by this child's role, missing episodes, referrals,
   school exclusions, peers and places not seen before).
2. **The current matrix** (MsUnderstood: Firmin C, contexts — the young person, family and home,
   peer group, school, neighbourhood — by domains), each cell in words: factors in plain
   language, the Good Lives Model goods a strength or action serves (Ward T, Brown M, 2004), named
   peers under pack labels, named places by name; then the planned actions with owner agency,
   due date and status, overdue ones marked.
3. **How the matrix changed** across the young person's assessments (risk that appeared or
   eased, by context; what became of the earlier meeting's actions).
4. **Timeline** of every record, one fixed symbol and colour per record type in every pack.
5. **The young person's own network**: peers linked by a recorded or reported tie (co-suspects,
   same incident in different roles, missing together, named together at a meeting), with
   evidence counts and dates, never a decimal weight and never a direction: where a role matters
   it is this child's role in each incident. Shared-place coincidences are summarised as counts
   per place.
6. **Places**, by name and ward.

Peers appear as "Peer A", "Peer B" (stable within the pack: by first evidence, then key), with
their pseudonymous key in small print for the analyst; the child's own key is in small print
only. Person-level cells, missing episodes, exclusions and referrals have no marts table, so the
pack reads them from `core` (pseudonymised, no names or free text): the one page that does,
because it is the one page about one child. No 'perpetrator' label, no score.
"""

from __future__ import annotations

import datetime as dt
import html
import logging
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from dashboards import pack_figures as pf
from dashboards import words as w
from dashboards.reading import definitions_version, frame, has_table, last_load
from dashboards.site import Page, write_plotly_js
from transforms.extracts import vocab

logger = logging.getLogger(__name__)

# the matrix's rows and columns, in the extract contract's order (transforms/extracts/vocab.py)
CONTEXTS = list(vocab.CONTEXTS)
DOMAINS = list(vocab.DOMAINS)
TIE_RELATIONS = ("co_suspect", "co_victim", "victim_suspect", "missing_together", "named_peer")
_CELL_COLOUR = {
    "vulnerability": "#fde0c5",
    "risk": "#f7c6c6",
    "resilience": "#d4ecd9",
    "strengths": "#d4ecd9",
    "planned_actions": "#d6e6f5",
}
MAX_ROLES_SHOWN = 6


def e(text: object) -> str:
    return html.escape("" if text is None else str(text))


def _dates(col: pd.Series) -> list[dt.date | None]:
    """A column of dates as datetime.date (None where blank), whatever pandas made of them."""
    return [None if pd.isna(v) else pd.Timestamp(v).date() for v in col]


def _l(values: object) -> list[str]:
    if values is None or (isinstance(values, float) and values != values):
        return []
    return [str(v) for v in values]  # type: ignore[attr-defined]


@dataclass
class Names:
    """What the pack calls people and places: peers by pack label, places and wards by name."""

    child: str
    place: dict[str, tuple[str, str | None]] = field(default_factory=dict)  # place_id -> (name, ward_code)
    ward: dict[str, str] = field(default_factory=dict)
    school: dict[str, str] = field(default_factory=dict)
    peer: dict[str, str] = field(default_factory=dict)  # person_key -> "Peer A"
    adult: set[str] = field(default_factory=set)

    def peer_html(self, key: str, *, with_key: bool = True) -> str:
        label = self.peer.get(key, "another young person")
        adult = " (adult at the time)" if key in self.adult else ""
        small = f' <span class="key">{e(key)}</span>' if with_key else ""
        return f"{e(label)}{e(adult)}{small}"

    def peers_text(self, keys: list[str]) -> str:
        return ", ".join(self.peer.get(k, "another young person") for k in keys)

    def ward_name(self, code: object) -> str:
        return self.ward.get(str(code), str(code)) if code is not None and str(code) not in ("", "nan", "None") else ""

    def place_name(self, pid: object) -> str:
        if pid is None or str(pid) in ("", "nan", "None"):
            return ""
        name, ward = self.place.get(str(pid), (str(pid), None))
        return f"{name} ({self.ward_name(ward)})" if ward else name


def _names(con: duckdb.DuckDBPyConnection, child: str) -> Names:
    n = Names(child)
    if has_table(con, "core", "ward"):
        n.ward = {str(a): str(b) for a, b in con.execute("select ward_code, ward_name from core.ward").fetchall()}
    if has_table(con, "core", "place"):
        n.place = {
            str(a): (str(b), c)
            for a, b, c in con.execute("select place_id, name, ward_code from core.place").fetchall()
        }
    if has_table(con, "core", "school"):
        n.school = {str(a): str(b) for a, b in con.execute("select urn, name from core.school").fetchall()}
    return n


def _as_of(con: duckdb.DuckDBPyConnection) -> dt.date:
    """The date the pack's records run to: the end of the latest delivery month loaded (the
    pipeline's warehouse), or the date marts.map_action judged overdue at (the analyst copy
    holds only core and marts), or the end of the latest month with an incident."""
    month = None
    if has_table(con, "ops", "loads"):
        month = con.execute("""select max(delivery_month) from ops.loads
                               where status = 'loaded' and delivery_month is not null""").fetchall()[0][0]
    if month is None and has_table(con, "marts", "map_action"):
        got = con.execute("select max(as_of) from marts.map_action").fetchall()[0][0]
        if got is not None:
            return got if isinstance(got, dt.date) else dt.date.fromisoformat(str(got)[:10])
    if month is None and has_table(con, "marts", "incident"):
        month = con.execute("select max(month) from marts.incident").fetchall()[0][0]
    if not month:
        return dt.date.today()
    y, m = (int(x) for x in str(month).split("-"))
    return dt.date(y + (m == 12), m % 12 + 1, 1) - dt.timedelta(days=1)


# ---- the records -----------------------------------------------------------------------------


def _records(con: duckdb.DuckDBPyConnection, key: str, names: Names) -> pd.DataFrame:
    """Every record about the child: day, kind, what (words), role, place_id, ref."""
    parts = []
    inc = frame(
        con,
        """select cast(i.occurred_at as date) as day, i.offence, v.role, i.place_id, i.ward_code, i.incident_key
                        from marts.involvement v join marts.incident i using (incident_key) where v.person_key = ?""",
        [key],
    )
    parts.append(
        pd.DataFrame(
            {
                "day": inc["day"],
                "kind": "incident",
                "what": [f"{o} (incident {k})" for o, k in zip(inc["offence"], inc["incident_key"], strict=True)],
                "role": [f"this child: recorded as {w.word(w.ROLE, r)}" for r in inc["role"]],
                "place_id": inc["place_id"],
                "ward_code": inc["ward_code"],
                "ref": inc["incident_key"],
            }
        )
    )
    if has_table(con, "core", "missing_episode"):
        m = frame(
            con,
            """select cast(reported_at as date) as day, missing_from, hours_missing, found_place_id,
                                 found_ward_code, missing_with_keys, rhi_offered_date, rhi_accepted, episode_id
                          from core.missing_episode where person_key = ?""",
            [key],
        )
        what = []
        for r in m.itertuples():
            bits = [f"missing from {r.missing_from}"]
            if not pd.isna(r.hours_missing):
                bits.append(f"{int(r.hours_missing)} hours")
            with_ = [k for k in _l(r.missing_with_keys) if k != key]
            if with_:
                bits.append("with " + names.peers_text(with_))
            bits.append(
                "return interview "
                + (
                    "offered "
                    + w.day(r.rhi_offered_date)
                    + (", accepted" if r.rhi_accepted else ", not accepted" if r.rhi_accepted is False else "")
                    if not pd.isna(r.rhi_offered_date)
                    else "not recorded"
                )
            )
            what.append("; ".join(bits))
        parts.append(
            pd.DataFrame(
                {
                    "day": m["day"],
                    "kind": "missing",
                    "what": what,
                    "role": "",
                    "place_id": m["found_place_id"],
                    "ward_code": m["found_ward_code"],
                    "ref": m["episode_id"],
                }
            )
        )
    if has_table(con, "core", "exclusion"):
        x = frame(
            con,
            "select start_date as day, category, reason, sessions, school_urn, exclusion_id from core.exclusion where person_key = ?",
            [key],
        )
        parts.append(
            pd.DataFrame(
                {
                    "day": x["day"],
                    "kind": "exclusion",
                    "what": [
                        f"{c} from {names.school.get(str(u), 'school')}: {w.word(w.EXCLUSION_REASON, rs)}"
                        + (f" ({int(s)} sessions)" if not pd.isna(s) else "")
                        for c, rs, s, u in zip(x["category"], x["reason"], x["sessions"], x["school_urn"], strict=True)
                    ],
                    "role": "",
                    "place_id": None,
                    "ward_code": None,
                    "ref": x["exclusion_id"],
                }
            )
        )
    if has_table(con, "core", "referral"):
        r = frame(
            con,
            "select referral_date as day, referral_source, outcome, referral_id from core.referral where person_key = ?",
            [key],
        )
        parts.append(
            pd.DataFrame(
                {
                    "day": r["day"],
                    "kind": "referral",
                    "what": [
                        f"referral from {w.word(w.REFERRAL_SOURCE, s)}: {w.word(w.REFERRAL_OUTCOME, o)}"
                        for s, o in zip(r["referral_source"], r["outcome"], strict=True)
                    ],
                    "role": "",
                    "place_id": None,
                    "ward_code": None,
                    "ref": r["referral_id"],
                }
            )
        )
    if has_table(con, "core", "assessment"):
        a = frame(
            con,
            "select meeting_date as day, hsb_level, status, assessment_id from core.assessment where person_key = ?",
            [key],
        )
        parts.append(
            pd.DataFrame(
                {
                    "day": a["day"],
                    "kind": "assessment",
                    "what": [
                        f"MAP meeting: HSB level {lv}; assessment {s}"
                        for lv, s in zip(a["hsb_level"], a["status"], strict=True)
                    ],
                    "role": "",
                    "place_id": None,
                    "ward_code": None,
                    "ref": a["assessment_id"],
                }
            )
        )
    parts = [p for p in parts if len(p)]
    if not parts:
        return pd.DataFrame(columns=["day", "kind", "what", "role", "place_id", "ward_code", "ref"])
    out = pd.concat(parts, ignore_index=True)
    out["day"] = pd.to_datetime(out["day"]).dt.date
    order = {k: i for i, k in enumerate(pf.RECORD_STYLE)}
    out["_o"] = out["kind"].map(order)
    return out.sort_values(["day", "_o", "ref"]).drop(columns="_o").reset_index(drop=True)


def _ties(con: duckdb.DuckDBPyConnection, key: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(evidence of the child's ties other than same place, same-place evidence)."""
    if not has_table(con, "marts", "peer_evidence"):
        empty = pd.DataFrame(
            columns=["other", "relation", "seen_on", "refs", "place_id", "reliability", "young_people"]
        )
        return empty, empty
    ev = frame(
        con,
        """select case when person_key_a = ? then person_key_b else person_key_a end as other,
                              relation, seen_on, refs, place_id, reliability, young_people
                       from marts.peer_evidence where ? in (person_key_a, person_key_b)
                       order by seen_on, other""",
        [key, key],
    )
    ev["seen_on"] = _dates(ev["seen_on"])
    return ev[ev["relation"] != "same_place"].reset_index(drop=True), ev[ev["relation"] == "same_place"].reset_index(
        drop=True
    )


def _label_peers(
    names: Names, ties: pd.DataFrame, cells: pd.DataFrame, records_with: list[tuple[object, list[str]]]
) -> None:
    """Peer A, B, ... by first evidence (a tie, a meeting naming them, a missing episode), then key."""
    first: dict[str, str] = {}

    def seen(k: object, d: object) -> None:
        day = str(pd.Timestamp(d).date()) if _is_day(d) else "9999-12-31"
        first[str(k)] = min(first.get(str(k), day), day)

    for k, d, yp in zip(ties["other"], ties["seen_on"], ties["young_people"], strict=True):
        seen(k, d)
        if not yp:
            names.adult.add(str(k))
    for d, keys in records_with:
        for k in keys:
            seen(k, d)
    for d, keys in zip(cells.get("meeting_date", []), cells.get("named_peer_keys", []), strict=True):
        for k in _l(keys):
            seen(k, d)
    first.pop(names.child, None)
    # adults (a tie whose other side is not a young person) are labelled Adult A, B, ...: only
    # young people are peers
    order = sorted(first, key=lambda k: (first[k], k))
    young = [k for k in order if k not in names.adult]
    grown = [k for k in order if k in names.adult]
    for i, k in enumerate(young):
        names.peer[k] = w.peer_label(i)
    for i, k in enumerate(grown):
        names.peer[k] = w.peer_label(i, "Adult")
    names.adult -= {k for k in names.adult if k not in names.peer}


# ---- sections --------------------------------------------------------------------------------


def _since(
    p: Page,
    recs: pd.DataFrame,
    ties: pd.DataFrame,
    cells: pd.DataFrame,
    names: Names,
    last: dt.date | None,
    as_of: dt.date,
) -> None:
    p.heading("Since the last MAP", anchor="since")
    if last is None:
        p.text(
            "No MAP assessment is recorded for this young person: everything each agency recorded is shown.", cls="na"
        )
        since = recs
        start = "in the records held"
    else:
        since = recs[recs["day"] > last]
        start = f"since the last MAP meeting on {w.day(last)}"
    p.text(
        f"What each agency recorded about this young person {start}, to {w.day(as_of)} (the latest delivery).", cls=""
    )
    inc = since[since["kind"] == "incident"]
    roles = Counter(r.replace("this child: recorded as ", "") for r in inc["role"])
    bullets = []
    role_text = ", ".join(f"{n} as {r}" for r, n in sorted(roles.items(), key=lambda x: (-x[1], x[0])))
    bullets.append(
        f"<b>Police</b>: {len(inc)} incident{'s' * (len(inc) != 1)}"
        + (f" — this child recorded {e(role_text)}" if len(inc) else "")
    )
    mis = since[since["kind"] == "missing"]
    bullets.append(f"<b>Missing episodes</b> (police and social care): {len(mis)}")
    ref = since[since["kind"] == "referral"]
    bullets.append(f"<b>Children's social care</b>: {len(ref)} referral{'s' * (len(ref) != 1)}")
    exc = since[since["kind"] == "exclusion"]
    bullets.append(
        f"<b>Education</b>: {len(exc)} exclusion{'s' * (len(exc) != 1)} or suspension{'s' * (len(exc) != 1)}"
    )
    named_before = {k for ks in cells.get("named_peer_keys", []) for k in _l(ks)}
    # a young person harmed by, or harming, this child in one incident is not a peer: they are
    # counted apart, and their roles are stated per incident in the timeline
    peer_ties = ties[ties["relation"] != "victim_suspect"]
    if last is not None:
        before = set(ties[ties["seen_on"] <= last]["other"]) | named_before
        new_peers = [k for k in dict.fromkeys(peer_ties[peer_ties["seen_on"] > last]["other"]) if k not in before]
        in_incident = [
            k
            for k in dict.fromkeys(ties[(ties["seen_on"] > last) & (ties["relation"] == "victim_suspect")]["other"])
            if k not in before and k not in new_peers
        ]
        places_before = set(recs[recs["day"] <= last]["place_id"].dropna()) | {
            x for xs in cells.get("named_place_ids", []) for x in _l(xs)
        }
        new_places = [x for x in dict.fromkeys(since["place_id"].dropna()) if x not in places_before]
    else:
        new_peers = list(dict.fromkeys(peer_ties["other"]))
        in_incident = [
            k for k in dict.fromkeys(ties[ties["relation"] == "victim_suspect"]["other"]) if k not in new_peers
        ]
        new_places = list(dict.fromkeys(since["place_id"].dropna()))
    bullets.append(
        f"<b>People linked for the first time</b> (together in an incident, missing together, or named): "
        f"{len(new_peers)}"
        + (
            " (" + ", ".join(names.peer_html(k, with_key=False) for k in new_peers) + "; see the network)"
            if new_peers
            else ""
        )
    )
    if in_incident:
        bullets.append(
            f"<b>Others recorded in an incident with this child for the first time</b> (one as victim, the "
            f"other as suspect; roles per incident in the timeline): {len(in_incident)}"
        )
    bullets.append(
        "<b>Places recorded for the first time</b>: "
        + (e("; ".join(names.place_name(x) for x in new_places)) if new_places else "none")
    )
    p.add("<ul>" + "".join(f"<li>{b}</li>" for b in bullets) + "</ul>")
    if len(since):
        p.add(_records_table(since, names, "Records since the last MAP" if last else "All records"))
    else:
        p.text("No agency recorded anything about this young person since then.")


def _records_table(recs: pd.DataFrame, names: Names, caption: str) -> str:
    rows = "".join(
        f"<tr><td class='day'>{e(w.day(r.day))}</td><td><span class='glyph' style='color:{pf.RECORD_STYLE[r.kind][1]}'>"
        f"{pf.RECORD_GLYPH[r.kind]}</span> {e(pf.RECORD_STYLE[r.kind][0])}</td>"
        f"<td>{e(r.what)}{('<br><b>' + e(r.role) + '</b>') if r.role else ''}</td>"
        f"<td>{e(names.place_name(r.place_id) or names.ward_name(r.ward_code))}</td></tr>"
        for r in recs.itertuples()
    )
    return (
        f"<h3>{e(caption)}</h3><table class='records'><thead><tr><th>Date</th><th>Record</th><th>What</th>"
        f"<th>Place (ward)</th></tr></thead><tbody>{rows}</tbody></table>"
    )


def _cell_html(r: Any, names: Names, as_of: dt.date) -> str:  # noqa: ANN401  (a row of itertuples)
    bits: list[str] = []
    factors = w.words(w.FACTOR, _l(r.factors))
    if factors:
        bits.append(e("; ".join(factors)))
    goods = w.words(w.GOOD, _l(r.glm_goods))
    if goods:
        bits.append("<i>serves: " + e(", ".join(goods)) + "</i>")
    peers = _l(r.named_peer_keys)
    if peers:
        bits.append("peers named: " + ", ".join(names.peer_html(k, with_key=False) for k in peers))
    places = _l(r.named_place_ids)
    if places:
        bits.append("places named: " + e("; ".join(names.place_name(x) for x in places)))
    unresolved = int(getattr(r, "unresolved_locations", 0) or 0)
    if unresolved:
        bits.append(e(f"{unresolved} place name{'s' * (unresolved > 1)} not on the places list"))
    if r.domain == "planned_actions":
        bits.append(_action_html(r, as_of))
    return "<br>".join(b for b in bits if b) or "<span class='note'>recorded (details in the case record)</span>"


def _action_html(r: object, as_of: dt.date) -> str:
    owner, due, status = (
        getattr(r, "action_owner", None),
        getattr(r, "action_due", None),
        getattr(r, "action_status", None),
    )
    if all(v is None or (isinstance(v, float) and v != v) or v is pd.NaT for v in (owner, due, status)):
        return "<span class='note'>owner, due date and status not recorded</span>"
    parts = [f"owner: {e(w.word(w.OWNER, owner))}" if isinstance(owner, str) else "owner not recorded"]
    parts.append(f"due {e(w.day(due))}" if _is_day(due) else "no due date")
    parts.append(f"status: {e(w.word(w.STATUS, status))}" if isinstance(status, str) else "status not recorded")
    text = "; ".join(parts)
    if _overdue(due, status, as_of):
        text += " <span class='overdue'>⚠ OVERDUE</span>"
    return text


def _is_day(v: object) -> bool:
    return (
        v is not None
        and not (isinstance(v, float) and v != v)
        and v is not pd.NaT
        and str(v) not in ("NaT", "nan", "None")
    )


def _overdue(due: object, status: object, as_of: dt.date) -> bool:
    if not _is_day(due):
        return False
    d = due if isinstance(due, dt.date) else dt.date.fromisoformat(str(due)[:10])
    return d < as_of and status not in ("done", "not_done")


def _matrix(p: Page, cells: pd.DataFrame, assessments: pd.DataFrame, names: Names, as_of: dt.date) -> None:
    p.heading("Contextual assessment matrix: the current assessment", anchor="matrix")
    if not len(assessments):
        p.text("No MAP assessment is recorded for this young person.", cls="na")
        return
    a = assessments.iloc[-1]
    p.text(
        f"Assessment {a.assessment_id}, MAP meeting of {w.day(a.meeting_date)}: HSB level {a.hsb_level}; "
        f"lead agency {a.lead_agency}; assessment {a.status}.",
        cls="",
    )
    cur = cells[cells["assessment_id"] == a.assessment_id]
    by = {(r.context, r.domain): r for r in cur.itertuples()}
    head = "".join(f"<th title='{e(w.DOMAIN[d])}'>{e(w.DOMAIN_SHORT[d])}</th>" for d in DOMAINS)
    grid = "".join(
        f"<tr><th>{e(w.CONTEXT[c])}</th>"
        + "".join(
            f"<td style='background:{_CELL_COLOUR.get(d, '#ffffff')};text-align:center'>●</td>"
            if (c, d) in by
            else "<td></td>"
            for d in DOMAINS
        )
        + "</tr>"
        for c in CONTEXTS
    )
    p.add(
        f"<table class='grid keep'><caption class='note'>Filled cells at a glance (● = recorded)</caption>"
        f"<thead><tr><th></th>{head}</tr></thead><tbody>{grid}</tbody></table>"
    )
    for c in CONTEXTS:
        rows = [(d, by[(c, d)]) for d in DOMAINS if (c, d) in by]
        if not rows:
            continue
        body = "".join(
            f"<tr><th style='width:28%;background:{_CELL_COLOUR.get(d, '#eee')}'>{e(w.DOMAIN[d])}</th>"
            f"<td>{_cell_html(r, names, as_of)}</td></tr>"
            for d, r in rows
        )
        p.add(
            f"<div class='keep'><h3>{e(w.CONTEXT[c])}</h3><table class='cells' style='width:100%'><tbody>{body}</tbody></table></div>"
        )
    unaddressed = [
        c
        for c in CONTEXTS
        if any(len(_l(getattr(by.get((c, d)), "factors", None))) for d in ("vulnerability", "risk"))
        and (c, "planned_actions") not in by
    ]
    if unaddressed:
        p.text(
            "Contexts with vulnerability or risk recorded but no planned action: "
            + ", ".join(w.CONTEXT[c] for c in unaddressed)
            + ".",
            cls="na",
        )
    acts = cur[cur["domain"] == "planned_actions"]
    p.heading("Planned actions", level=3)
    if not len(acts):
        p.text("No planned action recorded at this meeting.", cls="na")
        return
    act_rows = "".join(
        f"<tr><td>{e(w.CONTEXT.get(r.context, r.context))}</td><td>{e(', '.join(w.words(w.GOOD, _l(r.glm_goods))) or '—')}</td>"
        f"<td>{e(w.word(w.OWNER, r.action_owner)) if isinstance(r.action_owner, str) else 'not recorded'}</td>"
        f"<td class='day'>{e(w.day(r.action_due)) if _is_day(r.action_due) else '—'}</td>"
        f"<td>{e(w.word(w.STATUS, r.action_status)) if isinstance(r.action_status, str) else 'not recorded'}"
        f"{' <span class=overdue>⚠ OVERDUE</span>' if _overdue(r.action_due, r.action_status, as_of) else ''}</td></tr>"
        for r in acts.itertuples()
    )
    n_over = sum(_overdue(r.action_due, r.action_status, as_of) for r in acts.itertuples())
    p.add(
        f"<table class='actions' style='width:100%'><thead><tr><th>Context</th><th>Serves (Good Lives goods)</th><th>Owner</th>"
        f"<th>Due</th><th>Status</th></tr></thead><tbody>{act_rows}</tbody></table>"
    )
    p.text(
        f"{n_over} of {len(acts)} planned actions overdue at {w.day(as_of)} (due before then, neither done nor closed as not done)."
    )


def _changes(p: Page, cells: pd.DataFrame, assessments: pd.DataFrame, as_of: dt.date) -> None:
    p.heading("How the matrix changed across assessments", anchor="changes")
    if len(assessments) < 2:
        p.text("One MAP assessment is recorded" if len(assessments) else "No MAP assessment is recorded", cls="")
        if len(assessments):
            p.text(
                "There is no earlier assessment to compare with; the next meeting's matrix will be compared with this one."
            )
        return
    for prev, nxt in zip(assessments.iloc[:-1].itertuples(), assessments.iloc[1:].itertuples(), strict=True):
        a = cells[cells["assessment_id"] == prev.assessment_id]
        b = cells[cells["assessment_id"] == nxt.assessment_id]
        rows = []
        for c in CONTEXTS:

            def fs(df: pd.DataFrame, dom: tuple[str, ...], c: str = c) -> set[str]:
                return {f for x in df[(df["context"] == c) & df["domain"].isin(dom)]["factors"] for f in _l(x)}

            risk_a, risk_b = fs(a, ("risk", "vulnerability")), fs(b, ("risk", "vulnerability"))
            str_a, str_b = fs(a, ("strengths", "resilience")), fs(b, ("strengths", "resilience"))
            appeared, eased = sorted(risk_b - risk_a), sorted(risk_a - risk_b)
            gained, lost = sorted(str_b - str_a), sorted(str_a - str_b)
            acts = a[(a["context"] == c) & (a["domain"] == "planned_actions")]
            act = "; ".join(
                (w.word(w.STATUS, r.action_status) if isinstance(r.action_status, str) else "status not recorded")
                + (f" (due {w.day(r.action_due)})" if _is_day(r.action_due) else "")
                for r in acts.itertuples()
            )
            if not (appeared or eased or gained or lost or act):
                continue
            strengths = (
                ". ".join(
                    ([f"gained: {'; '.join(w.words(w.FACTOR, gained))}"] if gained else [])
                    + ([f"no longer: {'; '.join(w.words(w.FACTOR, lost))}"] if lost else [])
                )
                or "—"
            )
            rows.append(
                f"<tr><td>{e(w.CONTEXT[c])}</td><td>{e('; '.join(w.words(w.FACTOR, appeared)) or '—')}</td>"
                f"<td>{e('; '.join(w.words(w.FACTOR, eased)) or '—')}</td><td>{e(strengths)}</td>"
                f"<td>{e(act) or 'no action planned'}</td></tr>"
            )
        p.add(f"<h3>{e(w.day(prev.meeting_date))} → {e(w.day(nxt.meeting_date))}</h3>")
        if rows:
            p.add(
                "<table class='changes' style='width:100%'><thead><tr><th style='width:15%'>Context</th>"
                "<th style='width:20%'>Concern appeared</th><th style='width:20%'>Concern eased</th>"
                f"<th>Strengths</th><th style='width:17%'>Earlier meeting's actions</th></tr></thead><tbody>{''.join(rows)}</tbody></table>"
            )
        else:
            p.text("No change recorded between these assessments.")


def _timeline(p: Page, recs: pd.DataFrame, names: Names, last: dt.date | None) -> None:
    if not len(recs):
        p.heading("Timeline", anchor="timeline")
        p.text("No records.")
        return
    counts = Counter(recs["kind"])
    key = " · ".join(
        f"<span class='glyph' style='color:{c}'>{pf.RECORD_GLYPH[k]}</span> {e(lbl)} ({counts.get(k, 0)})"
        for k, (lbl, c, _s) in pf.RECORD_STYLE.items()
    )
    # heading, key and chart stay together on paper
    p.add(f"<div class='keep'><h2 id='timeline'>Timeline</h2><p class='note'>{key}</p>")
    p.add_figure(pf.timeline(recs, title="Records about this young person by date, all agencies"))
    p.add("</div>")
    if last is not None:
        earlier = recs[recs["day"] <= last]
        p.add(
            _records_table(
                earlier,
                names,
                f"Records up to the last MAP ({w.day(last)}), oldest first "
                "(later records are listed under 'Since the last MAP')",
            )
            if len(earlier)
            else "<p>No record before the last MAP.</p>"
        )


def _network(
    p: Page,
    con: duckdb.DuckDBPyConnection,
    key: str,
    ties: pd.DataFrame,
    same: pd.DataFrame,
    recs: pd.DataFrame,
    names: Names,
) -> None:
    p.heading("The young person's own network", anchor="network")
    p.text(
        "Peers linked to this young person by a recorded tie (an incident, a missing episode) or a reported one "
        "(named together at a MAP meeting, told at a return interview). A tie says two young people appear in the "
        "same records; it says nothing of who did what to whom. Where a role matters, it is this child's role, "
        "incident by incident.",
        cls="",
    )
    if not len(ties):
        p.text("No recorded or reported tie to another young person.")
    else:
        role_of = {
            str(r.ref): (r.role.replace("this child: recorded as ", ""), r.day)
            for r in recs[recs["kind"] == "incident"].itertuples()
        }
        rows = []
        summary = []
        for other, sub in ties.groupby("other", sort=False):
            rels = []
            for (rel, rely), s2 in sub.groupby(["relation", "reliability"], sort=True):
                rels.append(f"{e(w.word(w.RELATION, rel))} <span class='note'>({e(rely)})</span>")
                summary.append((names.peer.get(str(other), "?"), str(rel), str(rely), len(s2)))
            incidents = sorted(
                {
                    str(ref).split(":", 1)[1]
                    for refs in sub["refs"]
                    for ref in _l(refs)
                    if str(ref).startswith("police_crimes:")
                }
            )
            shown = [f"{role_of[i][0]} in incident {i} ({w.day(role_of[i][1])})" for i in incidents if i in role_of]
            more = f"; and {len(shown) - MAX_ROLES_SHOWN} more" if len(shown) > MAX_ROLES_SHOWN else ""
            role_txt = ("this child: recorded as " + "; ".join(shown[:MAX_ROLES_SHOWN]) + more) if shown else "—"
            n = len(sub)
            rows.append(
                (
                    names.peer.get(str(other), "~"),
                    f"<tr><td>{names.peer_html(str(other))}</td><td>{'<br>'.join(rels)}</td>"
                    f"<td>{_evidence(n, sub['seen_on'].min(), sub['seen_on'].max())}</td>"
                    f"<td>{e(role_txt)}</td></tr>",
                )
            )
        rows.sort(key=lambda x: (len(x[0]), x[0]))
        p.add(
            "<table class='ties' style='width:100%'><thead><tr><th style='width:16%'>Peer</th>"
            "<th style='width:24%'>How they are linked</th><th style='width:18%'>Evidence</th>"
            f"<th>This child's role</th></tr></thead><tbody>{''.join(r for _, r in rows)}</tbody></table>"
        )
        between: list[tuple[str, str, str, str, int]] = []
        if has_table(con, "marts", "peer_edge"):
            ks = [k for k in names.peer if k in set(ties["other"])]
            if len(ks) > 1:
                pe = frame(
                    con,
                    f"""select person_key_a, person_key_b, relation, reliability, evidence_count from marts.peer_edge
                                   where as_of_month = (select max(as_of_month) from marts.peer_edge)
                                     and relation in {TIE_RELATIONS}
                                     and person_key_a in (select unnest(?::varchar[])) and person_key_b in (select unnest(?::varchar[]))""",
                    [ks, ks],
                )
                between = [
                    (names.peer[a], names.peer[b], r, rl, int(n)) for a, b, r, rl, n in pe.itertuples(index=False)
                ]
        p.add_figure(
            pf.ego_network(
                "This young person",
                summary,
                between,
                title="This young person's ties (lines have no direction; dotted = reported, solid = recorded)",
            )
        )
    p.heading("Seen at the same places as other young people", level=3)
    if not len(same):
        p.text("No shared-place coincidence recorded.")
    else:
        g = (
            same.groupby("place_id")
            .agg(people=("other", "nunique"), occasions=("seen_on", "nunique"), last=("seen_on", "max"))
            .reset_index()
        )
        g["name"] = [names.place_name(x) for x in g["place_id"]]
        g = g.sort_values("name")
        same_rows = "".join(
            f"<tr><td>{e(r.name)}</td><td class='n'>{int(r.people)}</td><td class='n'>{int(r.occasions)}</td>"
            f"<td>{e(w.day(r.last))}</td></tr>"
            for r in g.itertuples()
        )
        p.text(
            "Records at the same place within a few days of another young person's: a coincidence of place, "
            "not a tie; counted per place, not listed by person."
        )
        p.add(
            "<table class='same'><thead><tr><th>Place (ward)</th><th class='n'>Other young people</th>"
            f"<th class='n'>Days</th><th>Last</th></tr></thead><tbody>{same_rows}</tbody></table>"
        )
    if has_table(con, "marts", "peer_group"):
        g2 = con.execute(
            """select as_of_month, group_id from marts.peer_group where person_key = ?
                            order by as_of_month desc limit 1""",
            [key],
        ).fetchall()
        if g2:
            size = con.execute(
                "select count(*) from marts.peer_group where as_of_month = ? and group_id = ?", g2[0]
            ).fetchall()[0][0]
            inside = [
                k
                for (k,) in con.execute(
                    "select person_key from marts.peer_group where as_of_month = ? and group_id = ?", g2[0]
                ).fetchall()
                if k in names.peer
            ]
            p.text(
                f"Peer group {g2[0][1]} (as of {g2[0][0]}): {size} young people"
                + (
                    f", of whom {names.peers_text(sorted(inside, key=lambda k: (len(names.peer[k]), names.peer[k])))} appear above."
                    if inside
                    else "."
                ),
                cls="",
            )
        else:
            p.text("Not in a peer group in the latest month.")


def _evidence(n: int, first: object, last: object) -> str:
    if n == 1 or first == last:
        return e(f"{n} record{'s' * (n != 1)}, {w.day(first)}")
    return e(f"{n} records, {w.day(first)} to {w.day(last)}")


def _places(p: Page, recs: pd.DataFrame, cells: pd.DataFrame, names: Names) -> None:
    p.heading("Places", anchor="places")
    named = Counter(x for xs in cells.get("named_place_ids", []) for x in _l(xs))
    rec = recs.dropna(subset=["place_id"])
    ids = sorted(set(rec["place_id"]) | set(named), key=lambda x: names.place_name(x))
    if not ids:
        p.text("No known places.")
        return
    rows = "".join(
        f"<tr><td>{e(names.place.get(str(x), (str(x), None))[0])}</td><td>{e(names.ward_name(names.place.get(str(x), ('', None))[1]))}</td>"
        f"<td class='n'>{int(((rec['place_id'] == x) & (rec['kind'] == 'incident')).sum())}</td>"
        f"<td class='n'>{int(((rec['place_id'] == x) & (rec['kind'] == 'missing')).sum())}</td>"
        f"<td class='n'>{named.get(x, 0)}</td></tr>"
        for x in ids
    )
    p.add(
        "<table class='places'><thead><tr><th>Place</th><th>Ward</th><th class='n'>Incidents</th>"
        f"<th class='n'>Found when missing</th><th class='n'>Named at MAP (cells)</th></tr></thead><tbody>{rows}</tbody></table>"
    )


def build_pack(
    con: duckdb.DuckDBPyConnection, person_key: str, root: Path, *, meeting_date: dt.date | None = None
) -> Path:
    """Write the MAP meeting pack for `person_key` under `root/packs/`; returns the page.
    `meeting_date` is the meeting the pack is restricted to (default: today)."""
    if not con.execute("select count(*) from marts.person where person_key = ?", [person_key]).fetchall()[0][0]:
        raise KeyError(f"no person {person_key} in marts.person")
    meeting = meeting_date or dt.date.today()
    write_plotly_js(root)
    out = root / "packs"
    out.mkdir(parents=True, exist_ok=True)
    as_of = _as_of(con)
    names = _names(con, person_key)
    assessments = (
        frame(
            con,
            """select assessment_id, meeting_date, hsb_level, lead_agency, status from core.assessment
                                where person_key = ? order by meeting_date, assessment_id""",
            [person_key],
        )
        if has_table(con, "core", "assessment")
        else pd.DataFrame(columns=["assessment_id", "meeting_date"])
    )
    cells = (
        frame(
            con,
            """select c.*, a.meeting_date from core.assessment_cell c join core.assessment a using (assessment_id)
                          where c.person_key = ? order by a.meeting_date""",
            [person_key],
        )
        if has_table(con, "core", "assessment_cell")
        else pd.DataFrame(columns=["assessment_id", "named_peer_keys"])
    )
    for col in ("action_owner", "action_due", "action_status"):
        if col not in cells.columns:
            cells[col] = None
    for df, col in ((cells, "meeting_date"), (cells, "action_due"), (assessments, "meeting_date")):
        if col in df.columns:
            df[col] = pd.Series(_dates(df[col]), index=df.index, dtype=object)
    ties, same = _ties(con, person_key)
    missing_with: list[tuple[object, list[str]]] = []
    if has_table(con, "core", "missing_episode"):
        missing_with = [
            (d, [k for k in _l(ks) if k != person_key])
            for d, ks in con.execute(
                "select cast(reported_at as date), missing_with_keys from core.missing_episode where person_key = ?",
                [person_key],
            ).fetchall()
        ]
    _label_peers(names, ties, cells, missing_with)
    recs = _records(con, person_key, names)
    last = assessments["meeting_date"].iloc[-1] if len(assessments) else None
    last = last if last is None or isinstance(last, dt.date) else pd.Timestamp(last).date()
    person = frame(con, "select * from marts.person where person_key = ?", [person_key]).iloc[0]

    p = Page("pack")
    age = as_of.year - int(person.birth_year) if not pd.isna(person.birth_year) else None
    p.add(
        f"<p>Young person: born {e(person.birth_year)}{f' (about {age})' if age else ''}, sex {e(person.sex)}, "
        f"ethnic group {e(person.ethnic_group)}, home ward {e(names.ward_name(person.home_ward_code) or 'not known')}; "
        f"records held by {e(person.source_count)} agencies, {e(w.day(person.first_seen))} to {e(w.day(person.last_seen))}. "
        f"The case record holds the name. <span class='key'>case key {e(person_key)}</span></p>"
    )
    p.add(
        "<p class='note screen-only'>Sections: <a href='#since'>since the last MAP</a> · <a href='#matrix'>current matrix</a> · "
        "<a href='#changes'>changes</a> · <a href='#timeline'>timeline</a> · <a href='#network'>network</a> · "
        "<a href='#places'>places</a></p>"
    )
    _since(p, recs, ties, cells, names, last, as_of)
    _matrix(p, cells, assessments, names, as_of)
    _changes(p, cells, assessments, as_of)
    _timeline(p, recs, names, last)
    _network(p, con, person_key, ties, same, recs, names)
    _places(p, recs, cells, names)
    p.text(
        "Peer labels (Peer A, Peer B, ...) hold within this pack only; the small print beside each is the "
        "pseudonymous key an analyst can look up. Roles are as recorded by the agency for each incident."
    )
    marking = f"OFFICIAL-SENSITIVE — restricted: for the MAP meeting on {w.day(meeting)}"
    sub = (
        f"Records to {w.day(as_of)}. Theme definitions {definitions_version(con)}; data last loaded {last_load(con)}. "
        f"Built {w.day(dt.date.today())}. RESTRICTED."
    )
    target = out / f"pack-{person_key}.html"
    target.write_text(
        pf.restricted_page(
            "MAP meeting pack",
            p.html(),
            marking=marking,
            depth=1,
            subtitle=sub,
            footer=f"MAP meeting pack, {w.day(meeting)} — do not copy or forward",
        ),
        encoding="utf-8",
    )
    return target
