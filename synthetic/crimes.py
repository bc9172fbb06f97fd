"""Police crimes and the persons linked to them, produced by group activity and background harm.

Every crime involves at least one young person. Group crimes take 1-4 co-suspects from one
group's active members (consecutive members of a per-month shuffle, so the pairs vary); victims
come from rival groups, the same group, other children or adults. Background crimes add child
victims of adults and of strangers, domestic abuse, CSE by older suspects, the planted theme,
hotspot and exceedance.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from synthetic.config import GeneratorConfig
from synthetic.geography import Geography
from synthetic.groups import Groups
from synthetic.people import People
from synthetic.plan import Calendar, Plan

logger = logging.getLogger(__name__)

KINDS = (
    "violence",
    "robbery",
    "weapons",
    "drugs",
    "cce_victim",
    "peer_sexual",
    "images",
    "theft",
    "damage",
    "public_order",
    "cse",
    "online_cse",
    "assault_adult",
    "domestic",
    "bg_robbery",
)
K = {k: i for i, k in enumerate(KINDS)}
GROUP_KINDS = KINDS[:10]
#: incident mix per group profile (street, county_lines, low_level, mixed_sex) over GROUP_KINDS
GROUP_MIX = np.array(
    [
        [0.30, 0.20, 0.12, 0.08, 0.02, 0.02, 0.01, 0.12, 0.06, 0.07],
        [0.22, 0.08, 0.11, 0.38, 0.04, 0.01, 0.01, 0.06, 0.03, 0.06],
        [0.15, 0.08, 0.03, 0.04, 0.00, 0.03, 0.02, 0.35, 0.15, 0.15],
        [0.15, 0.05, 0.03, 0.04, 0.02, 0.27, 0.16, 0.13, 0.06, 0.09],
    ]
)
SEASONAL_KINDS = np.array(
    [
        K[k]
        for k in (
            "violence",
            "robbery",
            "weapons",
            "public_order",
            "assault_adult",
            "bg_robbery",
            "domestic",
        )
    ]
)
#: (min, max) co-suspects per group kind; victims: see _victims
SUSPECTS = {
    "violence": (2, 4),
    "robbery": (2, 3),
    "weapons": (1, 2),
    "drugs": (1, 2),
    "cce_victim": (0, 1),
    "peer_sexual": (1, 2),
    "images": (1, 3),
    "theft": (1, 2),
    "damage": (1, 2),
    "public_order": (2, 3),
}
ROLE_VICTIM, ROLE_SUSPECT, ROLE_ACCUSED, ROLE_WITNESS, ROLE_INFORMANT = range(5)
ROLE_NAMES = np.array(["victim", "suspect", "accused", "witness", "informant"], dtype=object)
NEW_WITNESS, NEW_SUSPECT, NEW_VICTIM = -2, -3, -4
SPECIAL_NONE, SPECIAL_THEME, SPECIAL_HOTSPOT, SPECIAL_EXCEED = range(4)
#: extra share of month-0 incidents, committed before the run but recorded in its first month
WARM_UP = 0.2


def season(month_label: str, uplift: float) -> float:
    """Seasonal multiplier of violence: ``uplift`` in June-August, 1 otherwise."""
    return uplift if int(month_label[5:7]) in (6, 7, 8) else 1.0


class _Acc:
    """Accumulates incidents and person rows month by month."""

    def __init__(self) -> None:
        self.inc: dict[str, list[np.ndarray]] = {k: [] for k in ("kind", "month", "group", "special", "ward", "place")}
        self.per: dict[str, list[np.ndarray]] = {k: [] for k in ("inc", "role", "person")}
        self.n_inc = 0

    def incidents(
        self,
        kind: np.ndarray,
        month: int,
        group: np.ndarray,
        special: int | np.ndarray = 0,
        ward: np.ndarray | None = None,
        place: int = -1,
    ) -> np.ndarray:
        n = len(kind)
        self.inc["kind"].append(np.asarray(kind, dtype=np.int16))
        self.inc["month"].append(np.full(n, month, dtype=np.int32))
        self.inc["group"].append(np.asarray(group, dtype=np.int64))
        self.inc["special"].append(np.broadcast_to(np.asarray(special, dtype=np.int8), (n,)).copy())
        self.inc["ward"].append(np.full(n, -1, dtype=np.int64) if ward is None else np.asarray(ward, dtype=np.int64))
        self.inc["place"].append(np.full(n, place, dtype=np.int64))
        ids = np.arange(self.n_inc, self.n_inc + n)
        self.n_inc += n
        return ids

    def persons(self, inc: np.ndarray, role: int | np.ndarray, person: np.ndarray) -> None:
        inc = np.asarray(inc, dtype=np.int64)
        self.per["inc"].append(inc)
        self.per["role"].append(np.broadcast_to(np.asarray(role, dtype=np.int8), inc.shape).copy())
        self.per["person"].append(np.asarray(person, dtype=np.int64))

    def frames(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        inc = pd.DataFrame({k: np.concatenate(v) for k, v in self.inc.items()})
        per = pd.DataFrame({k: np.concatenate(v) for k, v in self.per.items()})
        # one row per person per crime: a person drawn twice (e.g. via a second group) keeps the first
        real = per["person"].to_numpy() >= 0
        dup = real & per.duplicated(["inc", "person"]).to_numpy()
        per = per[~dup]
        per = per.sort_values(["inc", "role"], kind="stable").reset_index(drop=True)
        return inc, per


def _consecutive(
    start: np.ndarray,
    k: np.ndarray,
    offset: np.ndarray,
    size: np.ndarray,
    order: np.ndarray,
    skip: np.ndarray | int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """k[i] consecutive members (from ``start[i] + skip``) of each incident's group list."""
    k = np.minimum(k, size)
    rep = np.repeat(np.arange(len(k)), k)
    pos = np.arange(k.sum()) - np.repeat(np.cumsum(k) - k, k)
    skip = np.broadcast_to(np.asarray(skip), start.shape)
    idx = offset[rep] + (start[rep] + skip[rep] + pos) % size[rep]
    return rep, order[idx]


def build_crimes(
    cfg: GeneratorConfig,
    people: People,
    geo: Geography,
    groups: Groups,
    cal: Calendar,
    plan: Plan,
    rng: np.random.Generator,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Incidents and their person rows, before recording noise; see module docstring."""
    acc = _Acc()
    mem = groups.arrays()
    ny = people.n_young
    sex_y = people.sex[:ny]
    g_profile = np.array(groups.profile, dtype=np.int64)
    g_ward = np.array(groups.ward, dtype=np.int64)
    g_school = np.array(groups.school, dtype=np.int64)
    exploiters = people.exploiters
    ever_group = np.zeros(ny, dtype=bool)
    ever_group[mem["person"].to_numpy()] = True
    for m in range(cal.n):
        label = cal.labels[m]
        s_fac = season(label, cfg.summer_uplift)
        # the first delivery also holds crimes committed before the run and recorded late:
        # generate extra in month 0 (police.py moves them back before the start)
        warm = 1.0 + WARM_UP if m == 0 else 1.0
        age = people.age_at(np.arange(ny), cal.starts[m] + 14)
        alive = (age >= 10) & (age <= 19)
        kids = np.flatnonzero((age >= 11) & (age <= 19))
        act = mem[(mem["start"].to_numpy() <= m) & (mem["end"].to_numpy() > m)]
        act = act[act["main"].to_numpy() | (rng.random(len(act)) < 0.3)]
        in_group = np.zeros(ny, dtype=bool)
        in_group[act["person"].to_numpy()] = True
        # --- group incidents -------------------------------------------------------------
        if len(act):
            # shuffle members within each group, boys first: violent co-offending sets start in
            # the boys' block, so suspects of violence are mostly male, as recorded in reality
            female = sex_y[act["person"].to_numpy()] == "F"
            key = rng.random(len(act)) + female
            o = np.lexsort((key, act["group"].to_numpy()))
            order = act["person"].to_numpy()[o]
            grp_sorted = act["group"].to_numpy()[o]
            gids, offset, size = np.unique(grp_sorted, return_index=True, return_counts=True)
            males = np.add.reduceat(~female[o], offset) if len(offset) else offset
            ok = size >= 2
            gids, offset, size, males = gids[ok], offset[ok], size[ok], males[ok]
            self_males = np.maximum(males, 1)
            lam = warm * cfg.group_incident_rate * GROUP_MIX[g_profile[gids]] * np.sqrt(size / 7.5)[:, None]
            lam[:, [K[k] for k in ("violence", "robbery", "weapons", "public_order")]] *= s_fac
            if m in plan.exceed_months:
                hit = g_ward[gids] == plan.exceed_ward
                lam[np.ix_(hit, [K["violence"], K["robbery"], K["weapons"]])] *= cfg.exceedance_multiplier
            counts = rng.poisson(lam)
            gi_rep, kind_rep = np.nonzero(counts)
            reps = counts[gi_rep, kind_rep]
            gi = np.repeat(gi_rep, reps)
            kind = np.repeat(kind_rep, reps)
            special = np.where(
                (m in plan.exceed_months)
                & (g_ward[gids[gi]] == plan.exceed_ward)
                & np.isin(kind, [K["violence"], K["robbery"], K["weapons"]]),
                SPECIAL_EXCEED,
                SPECIAL_NONE,
            )
            ps = (kind == K["peer_sexual"]) | (kind == K["images"])
            _group_incidents(
                acc,
                cfg,
                people,
                m,
                kind[~ps],
                gi[~ps],
                gids,
                offset,
                size,
                order,
                special[~ps],
                kids,
                in_group | ever_group,
                exploiters,
                rng,
                males=self_males,
            )
            _peer_sexual(
                acc,
                people,
                m,
                gi[ps],
                kind[ps],
                gids,
                offset,
                size,
                order,
                g_school,
                age,
                ever_group,
                rng,
            )
            # hotspot: extra incidents at one place, by groups near it
            if m >= plan.hotspot_start:
                n_hot = int(rng.poisson(cfg.hotspot_monthly_incidents_per_1000 * cfg.scale))
                pw = int(geo.places["ward"].iloc[plan.hotspot_place])
                near = np.flatnonzero(np.isin(g_ward[gids], np.append(geo.neighbours(pw), pw)))
                if len(near) == 0:
                    near = np.arange(len(gids))
                hk = rng.choice(
                    [K["violence"], K["robbery"], K["drugs"], K["weapons"]],
                    n_hot,
                    p=[0.4, 0.3, 0.2, 0.1],
                )
                hg = rng.choice(near, n_hot)
                _group_incidents(
                    acc,
                    cfg,
                    people,
                    m,
                    hk,
                    hg,
                    gids,
                    offset,
                    size,
                    order,
                    np.full(n_hot, SPECIAL_HOTSPOT),
                    kids,
                    in_group | ever_group,
                    exploiters,
                    rng,
                    place=plan.hotspot_place,
                    males=self_males,
                )
            # exceedance: extra serious youth violence in one ward, by groups based in or near it
            if m in plan.exceed_months:
                n_ex = int(rng.poisson(cfg.exceedance_extra_per_1000 * cfg.scale))
                w_ex = plan.exceed_ward
                local = np.flatnonzero(g_ward[gids] == w_ex)
                if len(local) == 0:
                    local = np.flatnonzero(np.isin(g_ward[gids], geo.neighbours(w_ex)))
                if len(local) == 0:
                    local = np.arange(len(gids))
                ek = rng.choice([K["violence"], K["robbery"], K["weapons"]], n_ex, p=[0.55, 0.3, 0.15])
                _group_incidents(
                    acc,
                    cfg,
                    people,
                    m,
                    ek,
                    rng.choice(local, n_ex),
                    gids,
                    offset,
                    size,
                    order,
                    np.full(n_ex, SPECIAL_EXCEED),
                    kids,
                    in_group | ever_group,
                    exploiters,
                    rng,
                    males=self_males,
                    ward=w_ex,
                )
        # --- background harm to children ------------------------------------------------------
        n_bg = int(rng.poisson(warm * cfg.background_victim_per_1000 * cfg.scale))
        bk = rng.choice(
            [K["bg_robbery"], K["assault_adult"], K["violence"], K["domestic"], K["theft"]],
            n_bg,
            p=[0.32, 0.2, 0.16, 0.2, 0.12],
        )
        seasonal = np.isin(bk, SEASONAL_KINDS)
        keep = ~seasonal | (rng.random(n_bg) < s_fac / cfg.summer_uplift)
        bk = bk[keep]
        w = (
            np.where(sex_y[kids] == "M", 1.5, 1.0)
            * people.victim_prone[kids]
            * np.exp(-0.7 * people.risk[kids])
            * np.where(in_group[kids] | ever_group[kids], 0.08, 1.0)
        )
        victims = rng.choice(kids, len(bk), p=w / w.sum())
        is_theft = bk == K["theft"]
        wr = np.exp(0.8 * people.risk[kids]) * np.where(sex_y[kids] == "M", 1.5, 1.0)
        offenders = rng.choice(kids, len(bk), p=wr / wr.sum())  # non-group offenders: risk, not proneness
        victims = np.where(is_theft, offenders, victims)
        ids = acc.incidents(bk, m, np.full(len(bk), -1), ward=people.ward[victims])
        acc.persons(ids[~is_theft], ROLE_VICTIM, victims[~is_theft])
        acc.persons(ids[is_theft], ROLE_SUSPECT, victims[is_theft])
        sus_adult = bk == K["assault_adult"]
        acc.persons(ids[sus_adult], ROLE_SUSPECT, np.full(sus_adult.sum(), NEW_SUSPECT))
        dom = bk == K["domestic"]
        acc.persons(ids[dom], ROLE_SUSPECT, people.parent[people.family[victims[dom]]])
        viol = bk == K["violence"]
        acc.persons(ids[viol], ROLE_SUSPECT, offenders[viol])
        _witnesses(acc, cfg, people, ids, victims, kids, rng)
        # --- CSE by older suspects ------------------------------------------------------------
        girls = kids[(sex_y[kids] == "F") & (age[kids] >= 13) & (age[kids] <= 17)]
        if len(girls):
            n_cse = int(rng.poisson(warm * cfg.cse_adult_per_1000 * cfg.scale))
            w = (
                np.exp(0.5 * people.risk[girls])
                * np.where(people.looked_after[girls], 3.0, 1.0)
                * np.where(in_group[girls], 0.5, 1.0)
            )
            v = rng.choice(girls, n_cse, p=w / w.sum())
            ids = acc.incidents(np.full(n_cse, K["cse"]), m, np.full(n_cse, -1), ward=people.ward[v])
            acc.persons(ids, ROLE_VICTIM, v)
            # each exploiter harms several girls over time: pick by victim's ward
            ex = exploiters[(people.ward[v] * 7 + rng.integers(0, 3, n_cse)) % len(exploiters)]
            acc.persons(ids, ROLE_SUSPECT, ex)
            second = rng.random(n_cse) < 0.2
            acc.persons(ids[second], ROLE_SUSPECT, np.full(second.sum(), NEW_SUSPECT))
            _witnesses(acc, cfg, people, ids, v, kids, rng)
            # online grooming through established apps, borough-wide, low and steady
            n_on = int(rng.poisson(0.6 * cfg.scale))
            v = rng.choice(girls, n_on)
            ids = acc.incidents(np.full(n_on, K["online_cse"]), m, np.full(n_on, -1), ward=people.ward[v])
            acc.persons(ids, ROLE_VICTIM, v)
            sus = rng.random(n_on) < 0.4
            acc.persons(ids[sus], ROLE_SUSPECT, np.full(sus.sum(), NEW_SUSPECT))
            # planted emerging theme: the app, in one ward
            if m >= plan.theme_start:
                ramp = 0.6 + 0.9 * (m - plan.theme_start) / max(1, cal.n - 1 - plan.theme_start)
                n_th = int(rng.poisson(cfg.theme_monthly_incidents_per_1000 * cfg.scale * ramp))
                tw = girls[(people.ward[girls] == plan.theme_ward) & (age[girls] <= 16)]
                nb = girls[np.isin(people.ward[girls], geo.neighbours(plan.theme_ward))]
                pool = tw if len(tw) else girls
                v = np.where(
                    rng.random(n_th) < 0.85,
                    rng.choice(pool, n_th),
                    rng.choice(nb if len(nb) else pool, n_th),
                )
                ids = acc.incidents(
                    np.full(n_th, K["online_cse"]),
                    m,
                    np.full(n_th, -1),
                    SPECIAL_THEME,
                    ward=np.full(n_th, plan.theme_ward),
                )
                acc.persons(ids, ROLE_VICTIM, v)
                draw = rng.random(n_th)
                acc.persons(ids[draw < 0.35], ROLE_SUSPECT, np.full((draw < 0.35).sum(), NEW_SUSPECT))
                acc.persons(
                    ids[(draw >= 0.35) & (draw < 0.6)],
                    ROLE_SUSPECT,
                    rng.choice(exploiters, ((draw >= 0.35) & (draw < 0.6)).sum()),
                )
                # some "older boys" on the app are teenagers from the ward: peer-on-peer harm
                boys = kids[
                    (people.ward[kids] == plan.theme_ward)
                    & (sex_y[kids] == "M")
                    & (age[kids] >= 14)
                    & (age[kids] <= 17)
                ]
                teen = (draw >= 0.6) & (draw < 0.8)
                if len(boys) and teen.any():
                    acc.persons(ids[teen], ROLE_SUSPECT, rng.choice(boys, teen.sum()))
                inf = rng.random(n_th) < 0.5
                acc.persons(ids[inf], ROLE_INFORMANT, people.parent[people.family[v[inf]]])
        del alive
    inc, per = acc.frames()
    logger.info("generated %d incidents, %d person rows", len(inc), len(per))
    return inc, per


def _group_incidents(
    acc: _Acc,
    cfg: GeneratorConfig,
    people: People,
    m: int,
    kind: np.ndarray,
    gi: np.ndarray,
    gids: np.ndarray,
    offset: np.ndarray,
    size: np.ndarray,
    order: np.ndarray,
    special: np.ndarray,
    kids: np.ndarray,
    in_group: np.ndarray,
    exploiters: np.ndarray,
    rng: np.random.Generator,
    place: int = -1,
    males: np.ndarray | None = None,
    ward: int = -1,
) -> None:
    n = len(kind)
    if n == 0:
        return
    ids = acc.incidents(kind, m, gids[gi], special, ward=None if ward < 0 else np.full(n, ward), place=place)
    lo = np.array([SUSPECTS[GROUP_KINDS[k]][0] for k in kind])
    hi = np.array([SUSPECTS[GROUP_KINDS[k]][1] for k in kind])
    k = lo + ((rng.random(n) ** 1.7) * (hi - lo + 1)).astype(int)  # fewer large co-offending sets
    start = (rng.random(n) * size[gi]).astype(int)
    if males is not None:  # violent kinds start in the boys' block of the shuffled group
        violent = np.isin(kind, [K["violence"], K["robbery"], K["weapons"], K["drugs"]])
        start = np.where(violent & (rng.random(n) < 0.9), (rng.random(n) * males[gi]).astype(int), start)
    is_cce = kind == K["cce_victim"]
    # suspects (or, for CCE, the exploited children as victims)
    rep, who = _consecutive(start, np.where(is_cce, 1, k), offset[gi], size[gi], order)
    role = np.where(
        is_cce[rep],
        ROLE_VICTIM,
        np.where(rng.random(len(rep)) < cfg.accused_share, ROLE_ACCUSED, ROLE_SUSPECT),
    )
    acc.persons(ids[rep], role, who)
    n_used = np.minimum(np.where(is_cce, 2, k), size[gi])
    # exploiter of the group (county lines elders), on CCE and some drug supply
    elder = exploiters[gids[gi] % len(exploiters)]
    ad = is_cce | ((kind == K["drugs"]) & (rng.random(n) < 0.35))
    acc.persons(ids[ad], ROLE_SUSPECT, elder[ad])
    # victims
    u = rng.random(n)
    victim = np.full(n, -1, dtype=np.int64)
    viol = kind == K["violence"]
    rob = kind == K["robbery"]
    # rival group member
    n_g = len(gids)
    rival_gi = (gi + 1 + (rng.random(n) * max(1, n_g - 1)).astype(int)) % n_g
    rival = order[offset[rival_gi] + (rng.random(n) * size[rival_gi]).astype(int)]
    same_ok = size[gi] > n_used
    same = order[offset[gi] + (start + n_used) % size[gi]]
    w = (
        np.where(people.sex[kids] == "M", 1.6, 1.0)
        * people.victim_prone[kids]
        * np.exp(-0.7 * people.risk[kids])
        * np.where(in_group[kids], 0.08, 1.0)
    )
    other_child = rng.choice(kids, n, p=w / w.sum())
    victim = np.where(viol & (u < 0.08), rival, victim)
    victim = np.where(viol & (u >= 0.08) & (u < 0.11) & same_ok, same, victim)
    victim = np.where(
        viol & (((u >= 0.08) & (u < 0.11) & ~same_ok) | ((u >= 0.11) & (u < 0.87))),
        other_child,
        victim,
    )
    victim = np.where(viol & (u >= 0.87), NEW_VICTIM, victim)
    victim = np.where(rob & (u < 0.86), other_child, victim)
    victim = np.where(rob & (u >= 0.86) & (u < 0.9), rival, victim)
    victim = np.where(rob & (u >= 0.9), NEW_VICTIM, victim)
    for kname, p_adult, p_child in (
        ("theft", 0.45, 0.25),
        ("damage", 0.6, 0.05),
        ("public_order", 0.35, 0.2),
    ):
        mk = kind == K[kname]
        victim = np.where(mk & (u < p_adult), NEW_VICTIM, victim)
        victim = np.where(mk & (u >= p_adult) & (u < p_adult + p_child), other_child, victim)
    has_v = victim != -1
    acc.persons(ids[has_v], ROLE_VICTIM, victim[has_v])
    _witnesses(acc, cfg, people, ids, np.where(victim >= 0, victim, -1), kids, rng)


def _peer_sexual(
    acc: _Acc,
    people: People,
    m: int,
    gi: np.ndarray,
    kind: np.ndarray,
    gids: np.ndarray,
    offset: np.ndarray,
    size: np.ndarray,
    order: np.ndarray,
    g_school: np.ndarray,
    age: np.ndarray,
    ever_group: np.ndarray,
    rng: np.random.Generator,
) -> None:
    """Peer-on-peer sexual harm: male suspect(s) and a female victim, all under 18."""
    if len(gi) == 0:
        return
    girls_by_school: dict[int, np.ndarray] = {}
    rows_inc, rows_role, rows_person, kinds, groups = [], [], [], [], []
    for _j, (g, kd) in enumerate(zip(gi, kind, strict=False)):
        members = order[offset[g] : offset[g] + size[g]]
        members = members[age[members] < 18]
        boys = members[people.sex[members] == "M"]
        girls = members[people.sex[members] == "F"]
        if len(boys) == 0:
            continue
        n_s = 1 + int(rng.random() < 0.3 and len(boys) > 1)
        sus = rng.choice(boys, n_s, replace=False)
        if len(girls) and rng.random() < 0.25:
            victim = int(rng.choice(girls))
        else:
            s = int(g_school[gids[g]])
            if s not in girls_by_school:
                pupils = _pupils(people, s)
                ok = (people.sex[pupils] == "F") & (age[pupils] >= 11) & (age[pupils] < 18) & ~ever_group[pupils]
                girls_by_school[s] = pupils[ok]
            cand = girls_by_school[s]
            if len(cand) == 0:
                continue
            victim = int(rng.choice(cand))
        kinds.append(int(kd))
        groups.append(int(gids[g]))
        rows_inc.append(len(kinds) - 1)
        rows_role.append(ROLE_VICTIM)
        rows_person.append(victim)
        for s_ in sus:
            rows_inc.append(len(kinds) - 1)
            rows_role.append(ROLE_SUSPECT)
            rows_person.append(int(s_))
    if not kinds:
        return
    ids = acc.incidents(np.array(kinds), m, np.array(groups))
    acc.persons(ids[np.array(rows_inc)], np.array(rows_role), np.array(rows_person))
    inf = rng.random(len(ids)) < 0.4  # a teacher or parent reports
    acc.persons(ids[inf], ROLE_INFORMANT, np.full(inf.sum(), NEW_WITNESS))


def _pupils(people: People, school: int) -> np.ndarray:
    """Young people whose secondary school is ``school`` (index cached on the People object)."""
    cache = getattr(people, "_by_school", None)
    if cache is None:
        sch = people.sec_school[: people.n_young]
        order = np.argsort(sch, kind="stable")
        bounds = np.searchsorted(sch[order], np.arange(sch.max() + 2))
        cache = {int(k): order[bounds[k] : bounds[k + 1]] for k in range(sch.max() + 1)}
        people._by_school = cache  # type: ignore[attr-defined]
    return cache.get(int(school), np.zeros(0, dtype=np.int64))


def _witnesses(
    acc: _Acc,
    cfg: GeneratorConfig,
    people: People,
    ids: np.ndarray,
    victims: np.ndarray,
    kids: np.ndarray,
    rng: np.random.Generator,
) -> None:
    n = len(ids)
    w = rng.random(n) < cfg.witness_prob
    acc.persons(ids[w], ROLE_WITNESS, np.full(w.sum(), NEW_WITNESS))
    cw = rng.random(n) < cfg.child_witness_prob
    acc.persons(ids[cw], ROLE_WITNESS, rng.choice(kids, cw.sum()))
    inf = rng.random(n) < cfg.informant_prob
    child_v = inf & (victims >= 0) & (victims < people.n_young)
    acc.persons(ids[child_v], ROLE_INFORMANT, people.parent[people.family[victims[child_v]]])
    other = inf & ~child_v
    acc.persons(ids[other], ROLE_INFORMANT, np.full(other.sum(), NEW_WITNESS))
