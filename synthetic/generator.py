"""Orchestrates one synthetic borough: people, groups, incidents, agencies, files and truth."""

from __future__ import annotations

import logging
import shutil
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

from synthetic.care import build_missing, build_referrals
from synthetic.config import BoroughSummary, GeneratorConfig
from synthetic.crimes import build_crimes
from synthetic.education import build_exclusions
from synthetic.geography import Geography, build_geography, write_reference
from synthetic.groups import Groups, build_groups, group_id
from synthetic.mapassess import add_actions, build_map, plan_meetings
from synthetic.people import People, build_people
from synthetic.plan import Calendar, Plan, events_frame, make_plan
from synthetic.police import finalise_police
from synthetic.vocab import ETHNIC_GROUPS
from synthetic.writer import write_deliveries

logger = logging.getLogger(__name__)

POLICE_FACTORS = {
    "violence": "youth_violence",
    "robbery": "youth_violence",
    "weapons": "weapon_carrying",
    "drugs": "cce_county_lines",
    "cce_victim": "cce_county_lines",
    "peer_sexual": "hsb",
    "images": "online_harm",
    "theft": "offending",
    "damage": "offending",
    "public_order": "offending",
    "cse": "cse",
    "online_cse": "online_harm",
    "assault_adult": "victim_of_crime",
    "domestic": "domestic_abuse",
    "bg_robbery": "victim_of_crime",
}
SEVERITY = {
    "violence": "mid",
    "robbery": "mid",
    "weapons": "mid",
    "drugs": "high",
    "cce_victim": "high",
    "peer_sexual": "high",
    "images": "mid",
    "theft": "low",
    "damage": "low",
    "public_order": "low",
    "cse": "high",
    "online_cse": "high",
    "assault_adult": "mid",
    "domestic": "high",
    "bg_robbery": "low",
}


def generate_borough(
    out_dir: Path,
    *,
    people: int = 3000,
    months: int = 24,
    start_month: str = "2024-11",
    seed: int = 7,
    defects: bool = False,
    config: GeneratorConfig | None = None,
) -> BoroughSummary:
    """Generate a synthetic borough into ``out_dir`` (month folders, ``reference/``, ``truth/``).

    Deterministic by ``seed``: the same arguments write byte-identical files. ``config`` overrides
    the rates; its ``people``/``months``/``start_month``/``seed``/``defects`` are replaced by the
    keyword arguments.
    """
    t0 = time.perf_counter()
    cfg = replace(
        config or GeneratorConfig(),
        people=people,
        months=months,
        start_month=start_month,
        seed=seed,
        defects=defects,
    )
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    for child in out.iterdir():  # a fresh borough each time: stale months would mislead ingest
        if child.is_dir() and (child.name in ("reference", "truth") or _is_month(child.name)):
            shutil.rmtree(child)
    rng = np.random.default_rng(seed)
    cal = Calendar.build(start_month, months)
    geo = build_geography(people, rng)
    pop = build_people(
        people,
        months,
        cal.starts[0],
        geo,
        rng,
        cfg.twin_rate,
        cfg.hyphenated_surname_rate,
        cfg.looked_after_base,
    )
    logger.info("people: %d young, built in %.1fs", pop.n_young, time.perf_counter() - t0)
    groups = build_groups(cfg, pop, geo, cal.starts, rng)
    plan = make_plan(geo, groups, cal, rng)
    inc, per = build_crimes(cfg, pop, geo, groups, cal, plan, rng)
    crimes, persons = finalise_police(cfg, inc, per, pop, geo, groups, cal, rng)
    logger.info("police: %d crimes, %d persons (%.1fs)", len(crimes), len(persons), time.perf_counter() - t0)
    ny = pop.n_young
    group_month = _group_month(groups, ny, cal.n)
    hsb_events = _hsb_events(crimes, persons, pop)
    hsb = np.zeros(ny, dtype=bool)
    hsb[hsb_events["person"].to_numpy()] = True
    exclusions = build_exclusions(cfg, pop, geo, cal, group_month, hsb, rng)
    sm = exclusions[exclusions["reason"] == "SM"]
    hsb_events = pd.concat(
        [
            hsb_events,
            pd.DataFrame(
                {
                    "person": sm["_person"].to_numpy(),
                    "date": sm["_date"].to_numpy(),
                    "level": np.where(rng.random(len(sm)) < 0.5, "inappropriate", "problematic"),
                }
            ),
        ],
        ignore_index=True,
    )
    missing = build_missing(cfg, pop, geo, groups, cal, rng)
    meetings = plan_meetings(cfg, pop, cal, hsb_events, rng)
    meetings = meetings[pop.age_at(meetings["person"].to_numpy(), meetings["date"].to_numpy()) <= 17]
    triggers = _referral_triggers(cfg, pop, crimes, persons, missing, exclusions, meetings, cal, rng)
    referrals = build_referrals(cfg, pop, cal, triggers, np.asarray(group_month.any(axis=1)), rng)
    known = np.zeros(pop.n, dtype=bool)
    known[referrals["_person"].to_numpy()] = True
    map_a, map_c = build_map(cfg, pop, geo, groups, cal, plan, meetings, known, rng)
    # a stream of its own: adding the optional action_* columns leaves every other value as it was
    map_c = add_actions(cfg, map_a, map_c, cal, np.random.default_rng([seed, 24]))
    logger.info("agencies built (%.1fs)", time.perf_counter() - t0)
    # ---- write ---------------------------------------------------------------------------------
    frames = {
        "police_crimes": crimes,
        "police_persons": persons,
        "social_care_referrals": referrals,
        "missing_episodes": missing,
        "school_exclusions": exclusions,
    }
    write_deliveries(out, cal.labels, frames, map_a, map_c, cfg.cp1252_every)
    write_reference(geo, _population_table(pop, geo, cal), out / "reference")
    _write_truth(out / "truth", pop, geo, groups, cal, plan, cfg, frames, map_a)
    n_defects = 0
    if defects:
        from synthetic.defects import inject_defects

        n_defects = len(inject_defects(out, seed))
    summary = BoroughSummary(
        out_dir=str(out),
        months=list(cal.labels),
        people=ny,
        adults=pop.n - ny,
        peer_groups=groups.n,
        crimes=len(crimes),
        police_persons=len(persons),
        referrals=len(referrals),
        missing_episodes=len(missing),
        exclusions=len(exclusions),
        map_assessments=len(map_a),
        map_cells=len(map_c),
        defects=n_defects,
        seconds=round(time.perf_counter() - t0, 1),
    )
    logger.info("borough written in %.1fs", summary.seconds)
    return summary


def _is_month(name: str) -> bool:
    return len(name) == 7 and name[4] == "-" and name[:4].isdigit() and name[5:].isdigit()


def _group_month(groups: Groups, ny: int, n_months: int) -> np.ndarray:
    """Whether each young person is in any group (main or second) in each month."""
    mem = groups.arrays()
    out = np.zeros((ny, n_months), dtype=bool)
    for p, s, e in zip(
        mem["person"].to_numpy(),
        mem["start"].to_numpy(),
        np.minimum(mem["end"].to_numpy(), n_months),
        strict=False,
    ):
        if e > s:
            out[p, s:e] = True
    return out


def _hsb_events(crimes: pd.DataFrame, persons: pd.DataFrame, pop: People) -> pd.DataFrame:
    c = crimes[crimes["_kind"].isin(["peer_sexual", "images", "online_cse"])]
    p = persons[
        persons["_inc"].isin(c["_inc"])
        & persons["role"].isin(["suspect", "accused"])
        & (persons["_person"] < pop.n_young)
    ]
    info = c.set_index("_inc")
    off = info.loc[p["_inc"].to_numpy(), "offence"].to_numpy()
    level = np.where(
        pd.Series(off).str.contains("Rape").to_numpy(),
        "violent",
        np.where(
            pd.Series(off).str.contains("assault|activity").to_numpy(),
            "abusive",
            np.where(pd.Series(off).str.contains("images").to_numpy(), "problematic", "inappropriate"),
        ),
    )
    return pd.DataFrame(
        {
            "person": p["_person"].to_numpy(),
            "date": info.loc[p["_inc"].to_numpy(), "_committed"].to_numpy().astype("datetime64[D]"),
            "level": level,
        }
    )


def _referral_triggers(
    cfg: GeneratorConfig,
    pop: People,
    crimes: pd.DataFrame,
    persons: pd.DataFrame,
    missing: pd.DataFrame,
    exclusions: pd.DataFrame,
    meetings: pd.DataFrame,
    cal: Calendar,
    rng: np.random.Generator,
) -> pd.DataFrame:
    info = crimes.set_index("_inc")
    young = persons[(persons["_person"] < pop.n_young) & persons["role"].isin(["victim", "suspect", "accused"])]
    date = info.loc[young["_inc"].to_numpy(), "_committed"].to_numpy().astype("datetime64[D]")
    kind = info.loc[young["_inc"].to_numpy(), "_kind"].to_numpy()
    age = pop.age_at(young["_person"].to_numpy(), date)
    ok = age <= 17
    young, date, kind = young[ok], date[ok], kind[ok]
    factors = np.array([POLICE_FACTORS[k] for k in kind], dtype=object)
    sus = young["role"].isin(["suspect", "accused"]).to_numpy()
    factors = np.where(sus & (factors == "victim_of_crime"), "offending", factors)
    factors = np.where(~sus & np.isin(factors, ["offending", "hsb"]), "victim_of_crime", factors)
    factors = np.where(~sus & (kind == "peer_sexual"), "sexual_abuse_history", factors)
    pol = pd.DataFrame(
        {
            "person": young["_person"].to_numpy(),
            "date": date,
            "source": "police",
            "factors": factors,
            "severity": [SEVERITY[k] for k in kind],
        }
    )
    lag = rng.integers(0, 15, len(pol)).astype("timedelta64[D]")
    pol["date"] = pol["date"].to_numpy() + lag
    take = rng.random(len(pol)) < cfg.police_referral_prob
    chosen = pol[take]
    # most children known to police are known to social care
    first = pol.drop_duplicates("person")
    lacking = first[~first["person"].isin(chosen["person"])]
    need = int(round(cfg.child_in_police_known_to_sc * len(first))) - (len(first) - len(lacking))
    extra = (
        lacking.iloc[rng.permutation(len(lacking))[: max(0, need + len(lacking) // 10)]]
        if need > 0
        else lacking.iloc[:0]
    )
    mis = missing[rng.random(len(missing)) < 0.25]
    mis_t = pd.DataFrame(
        {
            "person": mis["_person"].to_numpy(),
            "date": mis["_reported"].to_numpy().astype("datetime64[D]") + 1,
            "source": "police",
            "factors": "missing",
            "severity": "mid",
        }
    )
    exc = exclusions[rng.random(len(exclusions)) < 0.15]
    exc_t = pd.DataFrame(
        {
            "person": exc["_person"].to_numpy(),
            "date": exc["_date"].to_numpy() + 2,
            "source": "school",
            "factors": "school_exclusion",
            "severity": "low",
        }
    )

    # every child in a missing episode or MAP meeting is known to social care (child_id resolves)
    def valid(t: pd.DataFrame) -> set[int]:
        d = t["date"].to_numpy().astype("datetime64[D]")
        ok = (d >= cal.starts[0]) & (d < cal.starts[-1]) & (pop.age_at(t["person"].to_numpy(), d) <= 17)
        return set(t["person"].to_numpy()[ok].tolist())

    have = valid(chosen) | valid(mis_t) | valid(exc_t) | valid(extra)
    m_first = missing.drop_duplicates("_person")
    m_first = m_first[~m_first["_person"].isin(have)]
    ens_m = pd.DataFrame(
        {
            "person": m_first["_person"].to_numpy(),
            "date": m_first["_reported"].to_numpy().astype("datetime64[D]"),
            "source": "police",
            "factors": "missing",
            "severity": "mid",
        }
    )
    mt = meetings.drop_duplicates("person")
    ens_a = pd.DataFrame(
        {
            "person": mt["person"].to_numpy(),
            "date": np.maximum(mt["date"].to_numpy() - 10, cal.starts[0]),
            "source": "police",
            "factors": "hsb",
            "severity": "high",
        }
    )
    ens_a = ens_a[~ens_a["person"].isin(have)]
    return pd.concat([chosen, extra, mis_t, exc_t, ens_m, ens_a], ignore_index=True)


def _population_table(pop: People, geo: Geography, cal: Calendar) -> pd.DataFrame:
    """Denominators: young people aged 10-19 at mid-run, by ward, sex, ethnic group and age."""
    mid = cal.starts[cal.n // 2]
    idx = np.arange(pop.n_young)
    age = pop.age_at(idx, mid)
    ok = (age >= 10) & (age <= 19)
    df = pd.DataFrame(
        {
            "ward": pop.ward[idx][ok],
            "sex": pop.sex[idx][ok],
            "eth": pop.eth[idx][ok],
            "age": age[ok],
        }
    )
    counts = df.groupby(["ward", "sex", "eth", "age"]).size()
    full = pd.MultiIndex.from_product(
        [range(geo.n_wards), ["F", "M"], range(len(ETHNIC_GROUPS)), range(10, 20)],
        names=["ward", "sex", "eth", "age"],
    )
    counts = counts.reindex(full, fill_value=0).reset_index(name="population")
    return pd.DataFrame(
        {
            "ward_code": geo.ward_codes[counts["ward"].to_numpy()],
            "sex": counts["sex"].to_numpy(),
            "ethnic_group": np.array(ETHNIC_GROUPS)[counts["eth"].to_numpy()],
            "age": counts["age"].to_numpy(),
            "population": counts["population"].to_numpy(),
        }
    )


def _write_truth(
    out: Path,
    pop: People,
    geo: Geography,
    groups: Groups,
    cal: Calendar,
    plan: Plan,
    cfg: GeneratorConfig,
    frames: dict[str, pd.DataFrame],
    map_a: pd.DataFrame,
) -> None:
    """Write ``truth/``: the three contract files plus group history and true identities."""
    out.mkdir(parents=True, exist_ok=True)
    parts = []
    pp = frames["police_persons"]
    parts.append(
        pd.DataFrame(
            {
                "source": "police_persons",
                "source_key": pp["crime_ref"].astype(str) + "|" + pp["person_seq"].astype(str),
                "true_person_id": pop.true_id[pp["_person"].to_numpy()],
            }
        )
    )
    for stem, key in (
        ("social_care_referrals", "referral_id"),
        ("missing_episodes", "episode_id"),
        ("school_exclusions", "exclusion_id"),
    ):
        df = frames[stem]
        parts.append(
            pd.DataFrame(
                {
                    "source": stem,
                    "source_key": df[key].to_numpy(),
                    "true_person_id": pop.true_id[df["_person"].to_numpy()],
                }
            )
        )
    parts.append(
        pd.DataFrame(
            {
                "source": "map_assessments",
                "source_key": map_a["assessment_id"].to_numpy(),
                "true_person_id": pop.true_id[map_a["_person"].to_numpy().astype(int)],
            }
        )
    )
    pd.concat(parts, ignore_index=True).to_csv(out / "person_records.csv", index=False, lineterminator="\n")
    mem = groups.arrays()
    mem = mem[mem["main"].to_numpy()]
    s = mem["start"].to_numpy()
    e = np.minimum(mem["end"].to_numpy(), cal.n)
    k = np.clip(e - s, 0, None)
    rep = np.repeat(np.arange(len(mem)), k)
    month = s[rep] + (np.arange(k.sum()) - np.repeat(np.cumsum(k) - k, k))
    pg = pd.DataFrame(
        {
            "month": np.array(cal.labels, dtype=object)[month],
            "true_person_id": pop.true_id[mem["person"].to_numpy()[rep]],
            "true_group_id": group_id(mem["group"].to_numpy()[rep]),
            "_m": month,
        }
    )
    pg = pg.sort_values(["_m", "true_group_id", "true_person_id"], kind="stable").drop(columns="_m")
    pg.to_csv(out / "peer_groups.csv", index=False, lineterminator="\n")
    events_frame(plan, geo, cal, cfg.theme_app, cfg.exceedance_multiplier).to_csv(
        out / "events.csv", index=False, lineterminator="\n"
    )
    # extras beyond the contract, for debugging and scoring: group history and true identities
    ch = pd.DataFrame(groups.changes, columns=["m", "change", "group", "other"])
    ch = ch[ch["m"] < cal.n]
    pd.DataFrame(
        {
            "month": np.array(cal.labels, dtype=object)[ch["m"].to_numpy()],
            "change": ch["change"].to_numpy(),
            "true_group_id": group_id(ch["group"].to_numpy()),
            "other_group_id": np.where(
                ch["other"].to_numpy() >= 0, group_id(np.clip(ch["other"].to_numpy(), 0, None)), ""
            ),
        }
    ).to_csv(out / "group_changes.csv", index=False, lineterminator="\n")
    y = pd.DataFrame(
        {
            "true_person_id": pop.true_id,
            "forename": pop.forename,
            "surname": pop.surname,
            "dob": pd.Series(pop.dob).dt.strftime("%d/%m/%Y").to_numpy()
            if False
            else np.datetime_as_string(pop.dob, unit="D"),
            "sex": pop.sex,
            "ethnicity_dfe": pop.dfe,
            "postcode": pop.postcode,
            "ward_code": geo.ward_codes[pop.ward],
            "young_person": np.arange(pop.n) < pop.n_young,
        }
    )
    y.to_csv(out / "people.csv", index=False, lineterminator="\n")
