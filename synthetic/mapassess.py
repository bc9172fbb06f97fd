"""Contextual (MsUnderstood-style) assessments recorded at HSB MAP meetings.

One assessment per meeting for a child with harmful sexual behaviour; its matrix (contexts by
domains) is filled where practitioners had something to say. Peer-group cells name real
group-mates by social-care ``child_id``; neighbourhood cells name the group's places (by name or
alias). Some contexts carry risk but deliberately get no ``planned_actions`` cell: the
unaddressed contexts a contextual-safeguarding review looks for.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from synthetic.config import GeneratorConfig
from synthetic.geography import Geography
from synthetic.groups import Groups
from synthetic.people import VULN_NAMES, People
from synthetic.plan import Calendar, Plan
from synthetic.vocab import CONTEXTS, DOMAINS, GLM_GOODS
from synthetic.writer import MAP_CELL_COLUMNS

LEADS = (
    "Children's Social Care",
    "Youth Justice Service",
    "Education",
    "CAMHS",
    "Police",
    "Early Help",
)
RISK_BY_CONTEXT = {
    "individual": ("hsb", "online_harm", "substance_misuse", "missing", "offending"),
    "family_home": ("fragmented_care", "missing"),
    "peer_group": (
        "hsb",
        "gang_affected",
        "youth_violence",
        "cse",
        "offending",
        "substance_misuse",
    ),
    "school": ("school_exclusion", "hsb", "youth_violence"),
    "neighbourhood": (
        "youth_violence",
        "weapon_carrying",
        "cce_county_lines",
        "cse",
        "gang_affected",
    ),
}
STRENGTHS = (
    "trusted_adult",
    "school_engagement",
    "positive_activity",
    "supportive_family",
    "stable_placement",
)


def plan_meetings(
    cfg: GeneratorConfig,
    people: People,
    cal: Calendar,
    hsb_events: pd.DataFrame,
    rng: np.random.Generator,
) -> pd.DataFrame:
    """Choose the children and dates of MAP meetings from HSB events (person, date, level)."""
    first = hsb_events.sort_values("date").drop_duplicates("person")
    target = cfg.map_per_1000 * cfg.scale * cal.n
    p = min(1.0, target / max(1, len(first)) * 0.8)
    chosen = first[rng.random(len(first)) < p]
    meet = chosen["date"].to_numpy() + rng.integers(14, 70, len(chosen)).astype("timedelta64[D]")
    rows = pd.DataFrame(
        {
            "person": chosen["person"].to_numpy(),
            "date": meet,
            "level": chosen["level"].to_numpy(),
            "review": False,
        }
    )
    rev = rows[rng.random(len(rows)) < 0.3].copy()
    rev["date"] = rev["date"].to_numpy() + rng.integers(90, 180, len(rev)).astype("timedelta64[D]")
    rev["review"] = True
    rows = pd.concat([rows, rev], ignore_index=True)
    rows = rows[(rows["date"] >= cal.starts[0]) & (rows["date"] < cal.starts[-1])]
    return rows.sort_values(["date", "person"], kind="stable").reset_index(drop=True)


def build_map(
    cfg: GeneratorConfig,
    people: People,
    geo: Geography,
    groups: Groups,
    cal: Calendar,
    plan: Plan,
    meetings: pd.DataFrame,
    known: np.ndarray,
    rng: np.random.Generator,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Sheets ``assessments`` and ``cells`` (with internal ``_`` columns on assessments)."""
    mem = groups.arrays()
    a_rows, c_rows = [], []
    by_person = mem.groupby("person").indices
    by_group = mem.groupby("group").indices
    m_start, m_end, m_group, m_person, m_main = (mem[c].to_numpy() for c in ("start", "end", "group", "person", "main"))
    for i, row in enumerate(meetings.itertuples(index=False)):
        aid = f"MAP{i + 101:05d}"
        p = int(row.person)
        date = np.datetime64(row.date, "D")
        m = int(cal.month_of(np.array([date]))[0])
        rows_p = by_person.get(p, np.zeros(0, dtype=int))
        rows_p = rows_p[(m_start[rows_p] <= m) & (m_end[rows_p] > max(m - 3, 0))]
        rows_p = rows_p[np.argsort(~m_main[rows_p], kind="stable")]
        gs = [int(g) for g in m_group[rows_p]]
        peers: list[int] = []
        for g in gs:
            rg = by_group[g]
            rg = rg[(m_start[rg] <= m) & (m_end[rg] > max(m - 3, 0))]
            peers += [int(x) for x in m_person[rg] if x != p]
        peers = list(dict.fromkeys(peers))
        known_peers = [x for x in peers if known[x]]
        use_peers = known_peers if known_peers else peers
        g_places = groups.places[gs[0]] if gs else np.zeros(0, dtype=int)
        near_theme = people.ward[p] == plan.theme_ward or people.ward[p] in set(
            geo.neighbours(plan.theme_ward).tolist()
        )
        theme = m >= plan.theme_start and near_theme and rng.random() < 0.8
        status = "closed" if int((cal.starts[-1] - date).astype(int)) > 150 and rng.random() < 0.8 else "open"
        a_rows.append(
            {
                "assessment_id": aid,
                "child_id": people.child_id[p],
                "meeting_date": date,
                "hsb_level": row.level,
                "lead_agency": LEADS[int(rng.integers(0, len(LEADS)))],
                "status": status,
                "_person": p,
                "_delivery": m,
            }
        )
        cells = _cells(cfg, people, geo, p, use_peers, g_places, gs, theme, rng)
        for c in cells:
            c["assessment_id"] = aid
        c_rows += cells
    a = pd.DataFrame(
        a_rows,
        columns=[
            "assessment_id",
            "child_id",
            "meeting_date",
            "hsb_level",
            "lead_agency",
            "status",
            "_person",
            "_delivery",
        ],
    )
    c = pd.DataFrame(c_rows, columns=MAP_CELL_COLUMNS)
    return a, c


def _cells(
    cfg: GeneratorConfig,
    people: People,
    geo: Geography,
    p: int,
    peers: list[int],
    g_places: np.ndarray,
    gs: list[int],
    theme: bool,
    rng: np.random.Generator,
) -> list[dict[str, str]]:
    sch = geo.schools
    school_name = sch["name"].iat[int(people.sec_school[p])]
    pl_names = [
        geo.places["name"].iat[int(x)] if rng.random() < 0.6 else geo.places["aliases"].iat[int(x)].split(";")[0]
        for x in g_places
    ]
    fn = people.forename[p]
    vuln = [VULN_NAMES[j] for j in np.flatnonzero(people.vuln[p])]
    detail = {
        "individual": "",
        "family_home": "Foster placement" if people.looked_after[p] else "Family home",
        "peer_group": f"Friendship group from {school_name}" if not pl_names else f"Peers who meet at {pl_names[0]}",
        "school": school_name,
        "neighbourhood": "; ".join(pl_names) if pl_names else geo.streets[people.ward[p]][0],
    }
    target = int(rng.integers(15, 31))
    must = [
        ("individual", "current_situation"),
        ("individual", "hsb"),
        ("individual", "risk"),
        ("peer_group", "current_situation"),
        ("peer_group", "risk"),
    ]
    if pl_names:
        must.append(("neighbourhood", "risk"))
    others = [(c, d) for c in CONTEXTS for d in DOMAINS if (c, d) not in must and d != "planned_actions"]
    order = rng.permutation(len(others))
    chosen = must + [others[j] for j in order[: max(0, target - len(must) - 4)]]
    # planned actions: for contexts with risk, except deliberately unaddressed ones
    risk_contexts = [c for c, d in chosen if d == "risk"]
    for c in risk_contexts:
        if rng.random() >= cfg.unaddressed_context_rate:
            chosen.append((c, "planned_actions"))
    cells = []
    peer_names = [f"{people.forename[x]}" for x in peers[:3]]
    for c, d in chosen:
        factors: list[str] = []
        named_peers = ""
        named_loc = ""
        glm = ""
        if d == "vulnerability":
            factors = vuln[:3] if c in ("individual", "family_home") else []
        elif d == "risk":
            pool = RISK_BY_CONTEXT[c]
            factors = list(rng.choice(pool, min(len(pool), int(rng.integers(1, 3))), replace=False))
            if theme and c == "individual":
                factors.append("online_harm")
        elif d == "hsb":
            factors = ["hsb"]
        elif d in ("resilience", "strengths"):
            factors = list(rng.choice(STRENGTHS, int(rng.integers(1, 3)), replace=False))
        if d in ("strengths", "planned_actions"):
            glm = ";".join(rng.choice(GLM_GOODS, int(rng.integers(1, 4)), replace=False))
        if c == "peer_group" and d in ("current_situation", "risk", "hsb") and peers:
            k = min(len(peers), int(rng.integers(2, 6)))
            named_peers = ";".join(people.child_id[np.array(peers[:k])])
        if c == "neighbourhood" and pl_names and d in ("current_situation", "risk", "planned_actions"):
            named_loc = ";".join(pl_names)
        note = _note(c, d, fn, peer_names, pl_names, school_name, theme, rng)
        cells.append(
            {
                "context": c,
                "context_detail": detail[c],
                "domain": d,
                "factors": ";".join(dict.fromkeys(factors)),
                "named_peers": named_peers,
                "named_locations": named_loc,
                "glm_goods": glm,
                "note": note,
            }
        )
    return cells


def _note(
    c: str,
    d: str,
    fn: str,
    peers: list[str],
    places: list[str],
    school: str,
    theme: bool,
    rng: np.random.Generator,
) -> str:
    place = places[0] if places else "the local area"
    pn = " and ".join(peers[:2]) if peers else "older peers"
    if theme and c in ("individual", "peer_group") and d in ("current_situation", "risk"):
        return f"{fn} has been added on Blinkr by older males and was asked to send pictures; peers also use the app."
    notes = {
        "current_situation": f"{fn} spends most evenings at {place} with {pn}.",
        "hsb": f"Sexualised comments and touching reported by school; {fn} minimises the behaviour.",
        "vulnerability": f"History of trauma in the home; {fn} is withdrawn at times.",
        "risk": f"Concerns about harmful behaviour within the group around {place}; older young people present.",
        "resilience": f"{fn} responds well to one-to-one work.",
        "strengths": f"{fn} enjoys football and music; good relationship with a youth worker.",
        "professional_involvement": "Social worker allocated; YJS and school safeguarding lead involved.",
        "planned_actions": {
            "individual": f"Weekly HSB-focused sessions with {fn} (AIM3).",
            "family_home": "Parenting support and safety planning with carers.",
            "peer_group": f"Peer-group assessment of the friendship group; work with {pn}.",
            "school": f"Safety plan at {school}; separate timetables; staff briefing.",
            "neighbourhood": f"Detached youth work and guardianship at {place}.",
        }[c],
    }
    if rng.random() < 0.15:
        return ""
    return notes[d]


#: the agencies that usually own an action in each context (first is the most common)
ACTION_OWNERS = {
    "individual": ("youth_justice", "health", "social_care"),
    "family_home": ("social_care", "health", "voluntary"),
    "peer_group": ("social_care", "youth_justice", "police", "voluntary"),
    "school": ("education", "education", "social_care"),
    "neighbourhood": ("police", "voluntary", "other"),
}


def add_actions(
    cfg: GeneratorConfig,
    assessments: pd.DataFrame,
    cells: pd.DataFrame,
    cal: Calendar,
    rng: np.random.Generator,
) -> pd.DataFrame:
    """Owner agency, due date and status on a share (``cfg.map_action_share``) of the
    ``planned_actions`` cells. Status is as last updated in the borough's tracker at the end of
    the period: an action due before then is mostly done, some not done, some still planned
    (overdue); one due later is planned or in progress. Uses only ``rng`` (its own stream)."""
    out = cells.copy()
    for col in ("action_owner", "action_status"):
        out[col] = ""
    out["action_due"] = pd.NaT
    meeting = dict(zip(assessments["assessment_id"], pd.to_datetime(assessments["meeting_date"]), strict=True))
    end = pd.Timestamp(cal.starts[-1])
    for i in np.flatnonzero((out["domain"] == "planned_actions").to_numpy()):
        if rng.random() >= cfg.map_action_share:
            continue
        ctx = str(out["context"].iat[i])
        owners = ACTION_OWNERS[ctx]
        owner = owners[0] if rng.random() < 0.6 else owners[int(rng.integers(0, len(owners)))]
        due = meeting[out["assessment_id"].iat[i]] + pd.Timedelta(days=int(rng.integers(3, 13)) * 7)
        if due < end:
            status = str(rng.choice(["done", "not_done", "in_progress", "planned"], p=[0.6, 0.12, 0.13, 0.15]))
        else:
            status = str(rng.choice(["planned", "in_progress"], p=[0.55, 0.45]))
        out.iat[i, out.columns.get_loc("action_owner")] = owner
        out.iat[i, out.columns.get_loc("action_due")] = due
        # a few trackers leave the status blank
        out.iat[i, out.columns.get_loc("action_status")] = "" if rng.random() < 0.05 else status
    return out
