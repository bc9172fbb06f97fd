"""School suspensions and permanent exclusions (education's own identifiers: UPN and URN)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from synthetic.config import GeneratorConfig
from synthetic.geography import Geography
from synthetic.noise import format_dates, record_identity, ymd
from synthetic.people import People
from synthetic.plan import Calendar

GROUP_REASONS = (
    ("PP", "VP", "MT", "DA", "PA", "VA", "PD", "SM", "BU", "DM", "TH", "RA", "OT"),
    (0.24, 0.15, 0.11, 0.12, 0.05, 0.08, 0.12, 0.03, 0.03, 0.02, 0.02, 0.01, 0.02),
)
OTHER_REASONS = (
    ("PD", "VA", "PP", "VP", "PA", "BU", "DM", "DA", "TH", "RA", "SM", "MT", "OT"),
    (0.33, 0.15, 0.12, 0.09, 0.05, 0.05, 0.04, 0.04, 0.03, 0.02, 0.02, 0.02, 0.04),
)
#: share of a normal month's exclusions, by calendar month (August is the summer holiday)
TERM = {
    1: 1.0,
    2: 0.9,
    3: 1.1,
    4: 0.7,
    5: 1.0,
    6: 1.0,
    7: 0.7,
    8: 0.0,
    9: 0.9,
    10: 1.1,
    11: 1.1,
    12: 0.8,
}


def build_exclusions(
    cfg: GeneratorConfig,
    people: People,
    geo: Geography,
    cal: Calendar,
    group_month: np.ndarray,
    hsb: np.ndarray,
    rng: np.random.Generator,
) -> pd.DataFrame:
    """Exclusions; ``group_month[p, m]`` says whether child p is in a group in month m."""
    ny = people.n_young
    prop = rng.gamma(0.7, 1.0, ny) * np.exp(0.6 * people.risk[:ny])
    rows_p, rows_d, rows_g = [], [], []
    for m in range(cal.n):
        mon = int(cal.labels[m][5:7])
        if TERM[mon] == 0:
            continue
        sept = np.datetime64(f"{int(cal.labels[m][:4]) - (mon < 9)}-08-31")
        age = people.age_at(np.arange(ny), sept)
        pool = np.flatnonzero((age >= 10) & (age <= 17))
        mult = np.where(group_month[pool, m], cfg.exclusion_group_multiplier, 1.0) * np.where(
            age[pool] == 10, 0.15, 1.0
        )
        w = prop[pool] * mult
        lam = cfg.exclusion_per_1000 / 1000 * TERM[mon] * w / (prop[pool].mean())
        k = rng.poisson(lam)
        who = np.repeat(pool, k)
        days = int((cal.starts[m + 1] - cal.starts[m]).astype(int))
        d = cal.starts[m] + rng.integers(0, days, len(who)).astype("timedelta64[D]")
        wd = (d.astype("datetime64[D]").view("int64") - 4) % 7  # 0 = Monday
        d = d + np.where(wd >= 5, 7 - wd, 0).astype("timedelta64[D]")
        ok = d < cal.starts[m + 1]
        rows_p.append(who[ok])
        rows_d.append(d[ok])
        rows_g.append(group_month[who[ok], m])
    person = np.concatenate(rows_p).astype(np.int64)
    date = np.concatenate(rows_d).astype("datetime64[D]")
    ing = np.concatenate(rows_g)
    n = len(person)
    reason = np.empty(n, dtype=object)
    for mask, (codes, p) in ((ing, GROUP_REASONS), (~ing, OTHER_REASONS)):
        reason[mask] = np.array(codes, dtype=object)[rng.choice(len(codes), mask.sum(), p=np.array(p) / sum(p))]
    sm = hsb[person] & (rng.random(n) < 0.35)
    reason[sm] = "SM"
    perm = rng.random(n) < np.where(np.isin(reason, ["MT", "DA", "PA", "SM"]), 0.08, 0.012)
    sessions = np.where(rng.random(n) < 0.8, 2 * rng.integers(1, 6, n), rng.integers(1, 11, n)).astype(object)
    sessions[perm] = ""
    sept_end = np.array(
        [np.datetime64(f"{y - (mo < 9)}-08-31") for y, mo, _ in zip(*ymd(date), strict=False)],
        dtype="datetime64[D]",
    )
    age = people.age_at(person, sept_end)
    school = np.where(age >= 11, people.sec_school[person], people.pri_school[person])
    ident = record_identity(people, person, cfg.education_noise, rng, "dfe")
    out = pd.DataFrame(
        {
            "upn": people.upn[person],
            "forename": ident["forename"].to_numpy(),
            "surname": ident["surname"].to_numpy(),
            "dob": ident["dob"].to_numpy(),
            "gender": ident["gender"].to_numpy(),
            "school_urn": geo.schools["urn"].to_numpy()[school],
            "school_name": geo.schools["name"].to_numpy()[school],
            "category": np.where(perm, "permanent", "suspension"),
            "start_date": format_dates(*ymd(date)),
            "sessions": sessions,
            "reason": reason,
        }
    )
    for c in ident.columns:
        if c.startswith("_"):
            out[c] = ident[c].to_numpy()
    out["_person"] = person
    out["_date"] = date
    out = out.sort_values(["_date", "_person"], kind="stable").reset_index(drop=True)
    out.insert(0, "exclusion_id", [f"EX{i + 1000001:07d}" for i in range(len(out))])
    out["_delivery"] = cal.month_of(out["_date"].to_numpy())
    return out
