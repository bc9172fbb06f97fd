"""Turn incidents into the police extracts: dates, flags, offences, locations, crime refs, persons."""

from __future__ import annotations

import numpy as np
import pandas as pd

from synthetic.config import GeneratorConfig
from synthetic.crimes import (
    KINDS,
    NEW_SUSPECT,
    NEW_VICTIM,
    NEW_WITNESS,
    ROLE_ACCUSED,
    ROLE_NAMES,
    ROLE_SUSPECT,
    ROLE_VICTIM,
    SPECIAL_EXCEED,
    SPECIAL_THEME,
    WARM_UP,
)
from synthetic.geography import Geography
from synthetic.groups import Groups
from synthetic.noise import format_dates, record_identity, ymd
from synthetic.people import People
from synthetic.plan import Calendar
from synthetic.texts import locate_and_describe
from synthetic.vocab import OFFENCES

HOUR_W = np.array([2, 1, 1, 0.5, 0.3, 0.3, 0.5, 1, 2, 2, 2, 2.5, 3, 3.5, 4, 5.5, 6, 6, 6, 5.5, 5, 4.5, 3.5, 3])
_KIND_IDX = {k: i for i, k in enumerate(KINDS)}


def _k(*names: str) -> np.ndarray:
    return np.array([_KIND_IDX[n] for n in names])


def is_kind(kind: np.ndarray, *names: str) -> np.ndarray:
    """Mask of incidents whose kind is one of ``names``."""
    return np.isin(kind, _k(*names))


def format_datetimes(dt: np.ndarray, missing: np.ndarray | None = None) -> np.ndarray:
    """``dd/mm/yyyy HH:MM`` strings from datetime64[m]."""
    y, mo, d = ymd(dt)
    mins = (dt.astype("datetime64[m]") - dt.astype("datetime64[D]").astype("datetime64[m]")).astype(int)
    two = np.array([f"{i:02d}" for i in range(60)], dtype=object)
    out = format_dates(y, mo, d) + " " + two[mins // 60] + ":" + two[mins % 60]
    out = out.astype(object)
    if missing is not None:
        out[missing] = ""
    return out


def finalise_police(
    cfg: GeneratorConfig,
    inc: pd.DataFrame,
    per: pd.DataFrame,
    people: People,
    geo: Geography,
    groups: Groups,
    cal: Calendar,
    rng: np.random.Generator,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Build ``police_crimes`` and ``police_persons`` frames (with internal ``_`` columns)."""
    n = len(inc)
    kind = inc["kind"].to_numpy()
    month = inc["month"].to_numpy()
    # dates ----------------------------------------------------------------------------------
    days_in = (cal.starts[month + 1] - cal.starts[month]).astype(int)
    day = (rng.random(n) * days_in).astype(int)
    hour = rng.choice(24, n, p=HOUR_W / HOUR_W.sum())
    minute = rng.integers(0, 12, n) * 5
    start = cal.starts[month].astype("datetime64[m]") + (day * 1440 + hour * 60 + minute).astype("timedelta64[m]")
    slow = np.isin(kind, _k("cse", "online_cse", "images", "cce_victim"))
    has_to = np.where(slow, rng.random(n) < 0.7, rng.random(n) < 0.35)
    dur = np.where(slow, rng.integers(1, 40, n) * 1440, rng.integers(1, 36, n) * 5)
    end = start + dur.astype("timedelta64[m]")
    lag = np.where(
        rng.random(n) < 0.55,
        0,
        np.where(rng.random(n) < 0.7, rng.integers(1, 4, n), rng.integers(4, 30, n)),
    )
    lag = np.where(slow, lag + rng.integers(0, 45, n), lag)
    # planted theme and surge are reported promptly, so they land in the months the truth names
    theme = np.isin(inc["special"].to_numpy(), [SPECIAL_THEME, SPECIAL_EXCEED])
    has_to &= ~theme
    lag = np.where(theme, rng.integers(0, 4, n), lag)
    last = np.where(has_to, end, start).astype("datetime64[D]")
    recorded = last + lag.astype("timedelta64[D]")
    # warm-up: a share of month-0 incidents were committed in the month before and recorded late
    carry = (month == 0) & (rng.random(n) < WARM_UP / (1 + WARM_UP)) & ~theme
    back = rng.integers(1, 32, n).astype("timedelta64[D]").astype("timedelta64[m]")
    start = np.where(carry, start - back, start)
    end = np.where(carry, end - back, end)
    recorded = np.where(
        carry,
        np.maximum(cal.starts[0], recorded) + rng.integers(0, 10, n).astype("timedelta64[D]"),
        recorded,
    )
    keep = recorded < cal.starts[-1]
    # new adults for witnesses, victims and suspects (allocated once, vectorised)
    person = per["person"].to_numpy().copy()
    for code, ages, male in (
        (NEW_WITNESS, (18, 70), 0.5),
        (NEW_SUSPECT, (18, 35), 0.9),
        (NEW_VICTIM, (18, 70), 0.55),
    ):
        mk = person == code
        person[mk] = people.add_adults(int(mk.sum()), rng, geo, cal.starts[0], ages, male)
    per = per.assign(person=person)
    # first victim / suspect per incident, for text
    role = per["role"].to_numpy()
    first_v = per[role == ROLE_VICTIM].groupby("inc")["person"].first()
    sus_rows = per[(role == ROLE_SUSPECT) | (role == ROLE_ACCUSED)]
    first_s = sus_rows.groupby("inc")["person"].first()
    n_sus = sus_rows.groupby("inc").size()
    victim = first_v.reindex(np.arange(n), fill_value=-1).to_numpy()
    suspect = first_s.reindex(np.arange(n), fill_value=-1).to_numpy()
    nsus = n_sus.reindex(np.arange(n), fill_value=0).to_numpy()
    # offences and flags ------------------------------------------------------------------------
    og = np.empty(n, dtype=object)
    off = np.empty(n, dtype=object)
    for i, kname in enumerate(KINDS):
        mk = kind == i
        if not mk.any():
            continue
        group_code, texts = OFFENCES["robbery" if kname == "bg_robbery" else kname]
        og[mk] = group_code
        off[mk] = np.array(texts, dtype=object)[rng.integers(0, len(texts), mk.sum())]
    # the planted surge is serious violence: wounding and GBH, knife-enabled robbery
    surge = inc["special"].to_numpy() == SPECIAL_EXCEED
    sv = surge & is_kind(kind, "violence")
    off[sv] = np.array(["GBH with intent", "Wounding with intent"], dtype=object)[rng.integers(0, 2, sv.sum())]
    # knives: bladed-article offences always; wounding and GBH often; the text follows the flag
    r_knife = rng.random(n)
    r_knife[surge & is_kind(kind, "robbery")] = 0.0
    serious = np.isin(off, ["GBH with intent", "Wounding with intent"])
    knife = (
        np.array(["blade" in str(x) for x in off])
        | (is_kind(kind, "violence") & serious & (r_knife < 0.6))
        | (is_kind(kind, "violence") & ~serious & (r_knife < 0.08))
        | (is_kind(kind, "robbery", "bg_robbery") & (r_knife < 0.25))
    )
    loc = locate_and_describe(
        inc,
        KINDS,
        victim,
        suspect,
        nsus,
        people.forename,
        people.surname,
        _age_lookup(people, victim, start),
        people.ward,
        groups.places,
        np.array(groups.ward),
        np.array(groups.school),
        geo,
        cfg.theme_app,
        rng,
        off,
        knife,
    )
    # flags ------------------------------------------------------------------------------------
    r = rng.random((n, 8))
    yn = np.array(["N", "Y"], dtype=object)
    grp_prof = np.append(np.array(groups.profile), -1)[
        np.where(inc["group"].to_numpy() >= 0, inc["group"].to_numpy(), -1)
    ]
    online = loc["location_type"].to_numpy() == "online"
    is_k = lambda *names: np.isin(kind, _k(*names))  # noqa: E731
    cse = (
        (is_k("cse") & (r[:, 0] < 0.72))
        | (is_k("online_cse") & (r[:, 0] < 0.8))
        | (is_k("peer_sexual", "images") & (r[:, 0] < 0.08))
    )
    cse |= (inc["special"].to_numpy() == SPECIAL_THEME) & (r[:, 0] < 0.9)
    cce = (is_k("cce_victim") & (r[:, 1] < 0.9)) | (is_k("drugs") & (r[:, 1] < np.where(grp_prof == 1, 0.75, 0.15)))
    cce |= is_k("drugs") & pd.Series(loc["ward"].to_numpy() == -1).to_numpy() & ~online
    gang = (
        is_k("violence", "robbery", "weapons", "drugs")
        & (inc["group"].to_numpy() >= 0)
        & np.isin(grp_prof, [0, 1])
        & (r[:, 2] < 0.4)
    )
    firearm = is_k("violence", "robbery", "weapons") & (r[:, 4] < 0.015)
    dv = is_k("domestic")
    online_f = (
        online | is_k("online_cse") | (is_k("images") & (r[:, 5] < 0.9)) | (is_k("peer_sexual") & (r[:, 5] < 0.1))
    )
    # dwelling text for domestic abuse is the victim's home: give it their ward
    ward_i = loc["ward"].to_numpy()
    crimes = pd.DataFrame(
        {
            "_inc": np.arange(n),
            "_kind": np.array(KINDS, dtype=object)[kind],
            "_month": month,
            "_special": inc["special"].to_numpy(),
            "_group": inc["group"].to_numpy(),
            "_committed": start,
            "_recorded": recorded,
            "_ward_i": ward_i,
            "recorded_date": format_dates(*ymd(recorded)),
            "committed_from": format_datetimes(start),
            "committed_to": format_datetimes(end, ~has_to),
            "offence_group": og,
            "offence": off,
            "location_type": loc["location_type"].to_numpy(),
            "location_name": loc["location_name"].to_numpy(),
            "ward_code": np.where(ward_i >= 0, geo.ward_codes[np.clip(ward_i, 0, None)], ""),
            "latitude": loc["latitude"].to_numpy(),
            "longitude": loc["longitude"].to_numpy(),
            "cse_flag": yn[cse.astype(int)],
            "cce_flag": yn[cce.astype(int)],
            "gang_flag": yn[gang.astype(int)],
            "knife_flag": yn[knife.astype(int)],
            "firearm_flag": yn[firearm.astype(int)],
            "dv_flag": yn[dv.astype(int)],
            "online_flag": yn[online_f.astype(int)],
            "mo_text": loc["mo_text"].to_numpy(),
        }
    )
    crimes = crimes[keep].sort_values(["_recorded", "_committed", "_inc"], kind="stable").reset_index(drop=True)
    # crime refs: a counter per recording year with gaps (other crimes take the numbers between)
    yr = crimes["_recorded"].to_numpy().astype("datetime64[Y]").astype(int) + 1970
    gaps = rng.integers(1, 9, len(crimes))
    refs = np.empty(len(crimes), dtype=object)
    for y in np.unique(yr):
        mk = yr == y
        num = 4200000 + np.cumsum(gaps[mk])
        refs[mk] = [f"{x:07d}/{y % 100:02d}" for x in num]
    crimes.insert(0, "crime_ref", refs)
    crimes["_delivery"] = cal.month_of(crimes["_recorded"].to_numpy())
    # persons -----------------------------------------------------------------------------------
    ref_of = pd.Series(crimes["crime_ref"].to_numpy(), index=crimes["_inc"].to_numpy())
    per = per[per["inc"].isin(ref_of.index)].copy()
    per["crime_ref"] = ref_of.reindex(per["inc"].to_numpy()).to_numpy()
    order_of = pd.Series(np.arange(len(crimes)), index=crimes["_inc"].to_numpy())
    per["_order"] = order_of.reindex(per["inc"].to_numpy()).to_numpy()
    per = per.sort_values(["_order", "role"], kind="stable").reset_index(drop=True)
    per["person_seq"] = per.groupby("_order").cumcount() + 1
    pidx = per["person"].to_numpy()
    ident = record_identity(people, pidx, cfg.police_noise, rng, "ic", upper_surname=0.25)
    nominal = _nominal_ids(cfg, people, pidx, rng)
    persons = pd.DataFrame(
        {
            "crime_ref": per["crime_ref"].to_numpy(),
            "person_seq": per["person_seq"].to_numpy(),
            "role": ROLE_NAMES[per["role"].to_numpy()],
            "police_nominal_id": nominal,
            "forename": ident["forename"].to_numpy(),
            "surname": ident["surname"].to_numpy(),
            "dob": ident["dob"].to_numpy(),
            "gender": ident["gender"].to_numpy(),
            "ethnicity": ident["ethnicity"].to_numpy(),
            "home_postcode": ident["postcode"].to_numpy(),
        }
    )
    for c in ident.columns:
        if c.startswith("_"):
            persons[c] = ident[c].to_numpy()
    persons["_person"] = pidx
    persons["_delivery"] = crimes["_delivery"].to_numpy()[per["_order"].to_numpy()]
    persons["_inc"] = per["inc"].to_numpy()
    return crimes, persons


def _age_lookup(people: People, victim: np.ndarray, start: np.ndarray) -> np.ndarray:
    """Sparse array indexed by person giving the victim's age at the incident (for text)."""
    out = np.zeros(people.n, dtype=int)
    ok = victim >= 0
    out[victim[ok]] = people.age_at(victim[ok], start[ok].astype("datetime64[D]"))
    return out


def _nominal_ids(cfg: GeneratorConfig, people: People, pidx: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Police nominal IDs per person row: often blank; some children hold two (vectorised)."""
    uniq, inv = np.unique(pidx, return_inverse=True)
    nums = rng.choice(np.arange(1000000, 9999999), 2 * len(uniq), replace=False)
    two = (uniq < people.n_young) & (rng.random(len(uniq)) < cfg.second_nominal_rate)
    u = rng.random((len(pidx), 2))
    use_second = two[inv] & (u[:, 1] < 0.5)
    num = np.where(use_second, nums[len(uniq) :][inv], nums[: len(uniq)][inv])
    out = np.char.add("PN", num.astype(str)).astype(object)
    out[u[:, 0] < cfg.nominal_blank_rate] = ""
    return out
