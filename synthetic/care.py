"""Missing episodes and children's social care referrals.

Children of one group go missing together (each gets an episode, and ``missing_with`` lists the
others); looked-after and high-risk children go missing alone, repeatedly. Referrals follow police
involvement, missing episodes and exclusions, or arrive for family reasons; every child with a
missing episode or MAP assessment is known to social care, so their ``child_id`` resolves.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from synthetic.config import GeneratorConfig
from synthetic.geography import Geography
from synthetic.groups import Groups
from synthetic.noise import format_dates, record_identity, ymd
from synthetic.people import VULN_NAMES, People
from synthetic.plan import Calendar
from synthetic.police import format_datetimes
from synthetic.vocab import OUT_OF_BOROUGH

MIN = np.timedelta64(1, "m")


def build_missing(
    cfg: GeneratorConfig,
    people: People,
    geo: Geography,
    groups: Groups,
    cal: Calendar,
    rng: np.random.Generator,
) -> pd.DataFrame:
    """Missing episodes (internal columns prefixed ``_``)."""
    ny = people.n_young
    mem = groups.arrays()
    prof = np.array(groups.profile)
    g_places = groups.places
    prop = rng.gamma(0.6, 1.0, ny) * np.exp(0.8 * people.risk[:ny]) * np.where(people.looked_after[:ny], 6.0, 1.0)
    rows_p: list[np.ndarray] = []
    rows_t: list[np.ndarray] = []
    rows_grp: list[np.ndarray] = []
    rows_joint: list[np.ndarray] = []
    joint_id = 0
    for m in range(cal.n):
        age = people.age_at(np.arange(ny), cal.starts[m] + 14)
        child = (age >= 10) & (age <= 17)
        days = int((cal.starts[m + 1] - cal.starts[m]).astype(int))
        # joint episodes of group members
        act = mem[(mem["start"].to_numpy() <= m) & (mem["end"].to_numpy() > m)]
        act = act[child[act["person"].to_numpy()]]
        if len(act):
            gs, counts = np.unique(act["group"].to_numpy(), return_counts=True)
            lam = cfg.missing_group_per_group * np.where(prof[gs] == 1, 2.0, 1.0) * (counts >= 2)
            ev = rng.poisson(lam)
            by_g = act.groupby("group")["person"].apply(np.array)
            for g, k in zip(gs[ev > 0], ev[ev > 0], strict=False):
                members = by_g[g]
                for _ in range(k):
                    size = min(len(members), 2 + int(rng.random() < 0.35))
                    who = rng.choice(members, size, replace=False)
                    t = cal.starts[m].astype("datetime64[m]") + int(rng.integers(0, days * 1440)) * MIN
                    rows_p.append(who)
                    rows_t.append(t + (rng.integers(0, 90, size) * MIN))
                    rows_grp.append(np.full(size, g))
                    rows_joint.append(np.full(size, joint_id))
                    joint_id += 1
        # individual episodes
        pool = np.flatnonzero(child)
        lam = cfg.missing_individual_per_1000 / 1000 * prop[pool] / prop[pool].mean()
        k = rng.poisson(lam)
        who = np.repeat(pool, k)
        t = cal.starts[m].astype("datetime64[m]") + (rng.integers(0, days * 1440, len(who)) * MIN)
        rows_p.append(who)
        rows_t.append(t)
        rows_grp.append(np.full(len(who), -1))
        rows_joint.append(np.full(len(who), -1))
    person = np.concatenate(rows_p).astype(np.int64)
    reported = np.concatenate(rows_t).astype("datetime64[m]")
    grp = np.concatenate(rows_grp)
    joint = np.concatenate(rows_joint)
    # children only: drop episodes after an 18th birthday within the month
    child_now = people.age_at(person, reported.astype("datetime64[D]")) <= 17
    person, reported, grp, joint = (
        person[child_now],
        reported[child_now],
        grp[child_now],
        joint[child_now],
    )
    n = len(person)
    dur = np.where(rng.random(n) < 0.7, rng.integers(2, 30, n) * 60, rng.integers(24, 120, n) * 60)
    dur = np.where((grp >= 0) & (np.append(prof, -1)[grp] == 1), dur + 24 * 60 * rng.integers(1, 5, n), dur)
    returned = reported + dur.astype("timedelta64[m]")
    still = returned >= cal.starts[-1].astype("datetime64[m]")
    # joint episodes share the return time (found together)
    df = pd.DataFrame({"p": person, "t": reported, "r": returned, "g": grp, "j": joint})
    jr = df[df["j"] >= 0].groupby("j")["r"].transform("min")
    df.loc[jr.index, "r"] = jr
    returned = df["r"].to_numpy()
    still = returned >= cal.starts[-1].astype("datetime64[m]")
    # where found
    u = rng.random((n, 4))
    oob = u[:, 0] < np.where((grp >= 0) & (np.append(prof, -1)[grp] == 1), 0.5, 0.08)
    found_ward = np.where(u[:, 1] < 0.55, people.ward[person], rng.integers(0, geo.n_wards, n))
    names = np.empty(n, dtype=object)
    pl_name = geo.places["name"].to_numpy()
    pl_alias = [a.split(";") for a in geo.places["aliases"]]
    pl_ward = geo.places["ward"].to_numpy()
    for i in range(n):
        if oob[i]:
            names[i] = OUT_OF_BOROUGH[int(u[i, 2] * len(OUT_OF_BOROUGH))][0]
        elif grp[i] >= 0 and len(g_places[grp[i]]) and u[i, 2] < 0.6:
            pl = int(g_places[grp[i]][int(u[i, 3] * len(g_places[grp[i]]))])
            names[i] = pl_name[pl] if u[i, 3] < 0.5 else pl_alias[pl][0]
            found_ward[i] = pl_ward[pl]
        elif u[i, 2] < 0.5:
            names[i] = "Friend's address"
        elif u[i, 2] < 0.8:
            names[i] = geo.streets[found_ward[i]][int(u[i, 3] * 3)]
        else:
            names[i] = "Returned home of own accord"
    fw = np.where(oob, "", geo.ward_codes[found_ward]).astype(object)
    fw[still] = ""
    names[still] = ""
    # return home interview
    offered = ~still & (rng.random(n) < 0.9)
    rhi_lag = np.where(rng.random(n) < 0.63, rng.integers(0, 3, n), rng.integers(3, 12, n))
    rhi_date = returned.astype("datetime64[D]") + rhi_lag.astype("timedelta64[D]")
    accepted = offered & (rng.random(n) < 0.6)
    rhi_acc = np.where(offered, np.where(accepted, "Y", "N"), "").astype(object)
    # who with: other child_ids of the same joint episode, as told at interview
    missing_with = np.full(n, "", dtype=object)
    jj = df[df["j"] >= 0]
    for _j, idx in jj.groupby("j").groups.items():
        idx = np.asarray(idx)
        for i in idx:
            if accepted[i] or rng.random() < 0.5:  # told at interview, or known to police
                others = [people.child_id[person[x]] for x in idx if x != i]
                missing_with[i] = ";".join(others)
    # concerns
    in_grp_prof = np.append(prof, -1)[grp]
    concerns = []
    cu = rng.random((n, 6))
    for i in range(n):
        c = []
        if cu[i, 0] < 0.5:
            c.append("missing")
        if in_grp_prof[i] == 1 and cu[i, 1] < 0.7:
            c.append("cce_county_lines")
        if oob[i] and cu[i, 2] < 0.5 and "cce_county_lines" not in c:
            c.append("cce_county_lines")
        if people.sex[person[i]] == "F" and cu[i, 3] < 0.2 + 0.3 * (in_grp_prof[i] == 3):
            c.append("cse")
        if cu[i, 4] < 0.2:
            c.append("substance_misuse")
        if grp[i] >= 0 and cu[i, 5] < 0.3:
            c.append("gang_affected")
        if people.vuln[person[i], VULN_NAMES.index("domestic_abuse")] and cu[i, 5] > 0.6:
            c.append("domestic_abuse")
        concerns.append(";".join(c) if accepted[i] or cu[i, 0] < 0.3 else "")
    out = pd.DataFrame(
        {
            "child_id": people.child_id[person],
            "missing_from": np.where(people.looked_after[person], "care", "home"),
            "reported_at": format_datetimes(reported),
            "returned_at": format_datetimes(returned, still),
            "found_ward_code": fw,
            "found_location_name": names,
            "rhi_offered_date": np.where(offered, format_dates(*ymd(rhi_date)), ""),
            "rhi_accepted": rhi_acc,
            "missing_with": missing_with,
            "concerns": concerns,
            "_person": person,
            "_reported": reported,
            "_group": grp,
            "_joint": joint,
        }
    )
    out = out.sort_values(["_reported", "_person"], kind="stable").reset_index(drop=True)
    out.insert(0, "episode_id", [f"ME{i + 1000001:07d}" for i in range(len(out))])
    out["_delivery"] = cal.month_of(out["_reported"].to_numpy())
    return out


REF_SOURCES_BG = ("health", "school", "la_services", "family_self", "anonymous", "other", "police")
REF_SOURCES_BG_P = (0.22, 0.3, 0.14, 0.1, 0.06, 0.06, 0.12)
OUTCOMES_P = {
    "low": (("nfa", "assessment", "child_in_need"), (0.45, 0.45, 0.10)),
    "mid": (
        ("nfa", "assessment", "s47", "child_in_need", "child_protection"),
        (0.2, 0.4, 0.15, 0.15, 0.1),
    ),
    "high": (
        ("assessment", "s47", "child_in_need", "child_protection", "looked_after"),
        (0.25, 0.25, 0.2, 0.2, 0.1),
    ),
}


def build_referrals(
    cfg: GeneratorConfig,
    people: People,
    cal: Calendar,
    triggers: pd.DataFrame,
    in_group_ever: np.ndarray,
    rng: np.random.Generator,
) -> pd.DataFrame:
    """Referrals from ``triggers`` (person, date, source, factors, severity) plus background ones."""
    ny = people.n_young
    # background: family-driven, by propensity
    prop = np.exp(0.9 * people.risk[:ny])
    bg_p, bg_t = [], []
    for m in range(cal.n):
        age = people.age_at(np.arange(ny), cal.starts[m] + 14)
        pool = np.flatnonzero((age >= 10) & (age <= 17))
        lam = cfg.referral_background_per_1000 / 1000 * prop[pool] / prop[pool].mean()
        k = rng.poisson(lam)
        who = np.repeat(pool, k)
        days = int((cal.starts[m + 1] - cal.starts[m]).astype(int))
        bg_p.append(who)
        bg_t.append(cal.starts[m] + rng.integers(0, days, len(who)).astype("timedelta64[D]"))
    bp = np.concatenate(bg_p)
    bg = pd.DataFrame(
        {
            "person": bp,
            "date": np.concatenate(bg_t).astype("datetime64[D]"),
            "source": np.array(REF_SOURCES_BG, dtype=object)[
                rng.choice(len(REF_SOURCES_BG), len(bp), p=REF_SOURCES_BG_P)
            ],
            "factors": "",
            "severity": "low",
        }
    )
    allr = pd.concat([triggers, bg], ignore_index=True)
    allr = allr[(allr["date"] >= cal.starts[0]) & (allr["date"] < cal.starts[-1])]
    allr = allr[people.age_at(allr["person"].to_numpy(), allr["date"].to_numpy()) <= 17]
    allr = allr.sort_values(["date", "person"], kind="stable").reset_index(drop=True)
    n = len(allr)
    person = allr["person"].to_numpy()
    # factors: the trigger's, the family's, the child's history (vectorised column by column)
    u = rng.random((n, len(VULN_NAMES) + 4))
    trig = allr["factors"].to_numpy().astype(str)
    cols: list[tuple[str, np.ndarray]] = []
    for j, name in enumerate(VULN_NAMES):
        cols.append((name, people.vuln[person, j] & (u[:, j] < 0.55)))
    cols.append(("looked_after", people.looked_after[person]))
    cols.append(("gang_affected", in_group_ever[person] & (u[:, -1] < 0.25)))
    strengths = ("trusted_adult", "school_engagement", "positive_activity", "supportive_family")
    pick = (u[:, -3] * 4).astype(int)
    for k, name in enumerate(strengths):
        cols.append((name, (u[:, -2] < 0.2) & (pick == k)))
    acc = pd.Series(np.where(trig != "", np.char.add(trig, ";"), ""), dtype=object)
    for name, mask in cols:
        acc = acc + np.where(mask & (trig != name), name + ";", "")
    factors = acc.str.rstrip(";").to_numpy(dtype=object)
    sev = allr["severity"].to_numpy()
    outcome = np.empty(n, dtype=object)
    for level, (opts, p) in OUTCOMES_P.items():
        mk = sev == level
        outcome[mk] = np.array(opts, dtype=object)[rng.choice(len(opts), mk.sum(), p=p)]
    lac = people.looked_after[person]
    outcome[lac & (outcome == "looked_after")] = "child_in_need"
    moves_base = rng.poisson(0.8, ny) + np.where(rng.random(ny) < 0.25, rng.integers(3, 7, ny), 0)
    moves = np.where(lac, moves_base[person], 0)
    ident = record_identity(people, person, cfg.social_care_noise, rng, "dfe")
    out = pd.DataFrame(
        {
            "child_id": people.child_id[person],
            "forename": ident["forename"].to_numpy(),
            "surname": ident["surname"].to_numpy(),
            "dob": ident["dob"].to_numpy(),
            "gender": ident["gender"].to_numpy(),
            "ethnicity": ident["ethnicity"].to_numpy(),
            "postcode": ident["postcode"].to_numpy(),
            "referral_date": format_dates(*ymd(allr["date"].to_numpy())),
            "referral_source": allr["source"].to_numpy(),
            "outcome": outcome,
            "assessment_factors": np.where(outcome == "nfa", np.where(u[:, 0] < 0.5, "", factors), factors),
            "looked_after": np.where(lac, "Y", "N"),
            "placement_moves_12m": moves,
        }
    )
    for c in ident.columns:
        if c.startswith("_"):
            out[c] = ident[c].to_numpy()
    out.insert(0, "referral_id", [f"R{i + 1000001:07d}" for i in range(n)])
    out["_person"] = person
    out["_date"] = allr["date"].to_numpy()
    out["_delivery"] = cal.month_of(allr["date"].to_numpy())
    return out
