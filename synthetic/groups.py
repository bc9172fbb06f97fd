"""Peer groups: formed around schools and neighbourhood places, merging, splitting, dissolving.

Membership is kept as intervals (person, group, first month, month after the last). A child is in
at most one *main* group at a time; some also hold a weaker *second* group, which shows in the
data (co-offending, missing together) but not in ``truth/peer_groups.csv``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from synthetic.config import GeneratorConfig
from synthetic.geography import Geography
from synthetic.people import People

logger = logging.getLogger(__name__)

PROFILES = ("street", "county_lines", "low_level", "mixed_sex")


@dataclass
class Groups:
    """Planted peer groups and their memberships."""

    ward: list[int] = field(default_factory=list)
    school: list[int] = field(default_factory=list)
    places: list[np.ndarray] = field(default_factory=list)
    profile: list[int] = field(default_factory=list)
    start: list[int] = field(default_factory=list)
    end: list[int] = field(default_factory=list)
    members: list[list[int]] = field(default_factory=list)  # membership indices per group
    m_person: list[int] = field(default_factory=list)
    m_group: list[int] = field(default_factory=list)
    m_start: list[int] = field(default_factory=list)
    m_end: list[int] = field(default_factory=list)
    m_main: list[bool] = field(default_factory=list)
    changes: list[tuple[int, str, int, int]] = field(default_factory=list)

    def arrays(self) -> pd.DataFrame:
        """Memberships as a frame (person, group, start, end, main)."""
        return pd.DataFrame(
            {
                "person": np.array(self.m_person, dtype=np.int64),
                "group": np.array(self.m_group, dtype=np.int64),
                "start": np.array(self.m_start, dtype=np.int64),
                "end": np.array(self.m_end, dtype=np.int64),
                "main": np.array(self.m_main, dtype=bool),
            }
        )

    @property
    def n(self) -> int:
        """Number of groups ever formed."""
        return len(self.start)


def group_id(g: int | np.ndarray) -> str | np.ndarray:
    """Truth identifier of a group index."""
    if isinstance(g, np.ndarray):
        return np.char.add("G", np.char.zfill(g.astype(str), 5)).astype(object)
    return f"G{g:05d}"


class _Builder:
    def __init__(
        self,
        cfg: GeneratorConfig,
        people: People,
        geo: Geography,
        month_starts: np.ndarray,
        rng: np.random.Generator,
    ) -> None:
        self.cfg, self.p, self.geo, self.ms, self.rng = cfg, people, geo, month_starts, rng
        self.G = Groups()
        ny = people.n_young
        self.busy = np.zeros(ny, dtype=np.int64)  # main membership ends at this month (exclusive)
        # month index at which each young person turns 20
        months_since = (people.dob[:ny].astype("datetime64[M]") - month_starts[0].astype("datetime64[M]")).astype(int)
        self.turn20 = months_since + 240
        eth = people.eth[:ny]
        ethw = np.array([0.9, 1.9, 1.4, 0.75, 0.8])[eth]  # asian, black, mixed, white, other
        sexw = np.where(people.sex[:ny] == "M", 3.5, 1.0)
        self.weight = np.exp(0.9 * people.risk[:ny]) * ethw * sexw * np.where(people.looked_after[:ny], 1.8, 1.0)
        sch = people.sec_school[:ny]
        order = np.argsort(sch, kind="stable")
        self.by_school = {int(s): order[sch[order] == s] for s in np.unique(sch)}
        self.school_ids = np.array(sorted(self.by_school))
        self.place_ward = geo.places["ward"].to_numpy()

    def candidates(self, school: int, m: int) -> np.ndarray:
        pool = self.by_school[school]
        age = self.p.age_at(pool, self.ms[m])
        ok = (age >= 11) & (age <= 17) & (self.busy[pool] <= m) & (self.turn20[pool] > m + 3)
        return pool[ok]

    def form(self, m: int, initial: bool) -> None:
        cfg, rng = self.cfg, self.rng
        size = int(np.clip(round(rng.lognormal(np.log(7.0), 0.45)), cfg.group_size_min, cfg.group_size_max))
        s1 = int(rng.choice(self.school_ids))
        schools = [s1]
        if rng.random() < cfg.two_school_group_share:
            d = np.abs(
                self.geo.ward_grid[self.geo.schools["ward"].to_numpy()[self.school_ids]]
                - self.geo.ward_grid[self.geo.schools["ward"].to_numpy()[s1]]
            ).sum(axis=1)
            near = self.school_ids[(d <= 2) & (self.school_ids != s1)]
            if len(near):
                schools.append(int(rng.choice(near)))
        chosen: list[int] = []
        for k, s in enumerate(schools):
            cand = self.candidates(s, m)
            cand = np.setdiff1d(cand, np.array(chosen, dtype=np.int64), assume_unique=False)
            want = size if len(schools) == 1 else (size + 1) // 2 if k == 0 else size - len(chosen)
            if len(cand) == 0 or want <= 0:
                continue
            # friends cluster by age: centre on a random candidate's age
            age = self.p.age_at(cand, self.ms[m])
            centre = age[rng.integers(0, len(cand))]
            w = self.weight[cand] * np.exp(-0.8 * np.abs(age - centre))
            take = min(want, len(cand))
            chosen.extend(rng.choice(cand, take, replace=False, p=w / w.sum()).tolist())
        if len(chosen) < cfg.group_size_min:
            return
        g = self.G.n
        life = int(rng.geometric(1.0 / cfg.group_mean_life_months))
        wards = self.p.ward[np.array(chosen)]
        ward = int(np.bincount(wards).argmax())
        near = np.flatnonzero(np.isin(self.place_ward, np.append(self.geo.neighbours(ward), ward)))
        n_pl = min(len(near), int(rng.integers(1, 4)))
        places = rng.choice(near, n_pl, replace=False) if n_pl else np.zeros(0, dtype=int)
        girls = np.mean(self.p.sex[np.array(chosen)] == "F")
        if girls >= 0.3 and rng.random() < 0.7:
            profile = 3
        else:
            profile = int(rng.choice(3, p=[0.5, 0.25, 0.25]))
        G = self.G
        G.ward.append(ward)
        G.school.append(s1)
        G.places.append(places)
        G.profile.append(profile)
        G.start.append(m)
        G.end.append(m + life)
        G.members.append([])
        G.changes.append((m, "existing" if initial else "form", g, -1))
        for person in chosen:
            self.join(person, g, m, main=True)

    def join(self, person: int, g: int, m: int, main: bool, end: int | None = None) -> None:
        G = self.G
        e = min(G.end[g], int(self.turn20[person]), end if end is not None else 10**9)
        if e <= m:
            return
        G.members[g].append(len(G.m_person))
        G.m_person.append(person)
        G.m_group.append(g)
        G.m_start.append(m)
        G.m_end.append(e)
        G.m_main.append(main)
        if main:
            self.busy[person] = e

    def active(self, g: int, m: int, main_only: bool = True) -> list[int]:
        G = self.G
        return [i for i in G.members[g] if G.m_start[i] <= m < G.m_end[i] and (G.m_main[i] or not main_only)]

    def close(self, g: int, m: int) -> list[int]:
        """End group ``g`` at month ``m``; return the persons who were active main members."""
        G = self.G
        persons = []
        for i in G.members[g]:
            if G.m_start[i] <= m < G.m_end[i]:
                G.m_end[i] = m
                if G.m_main[i]:
                    persons.append(G.m_person[i])
                    self.busy[G.m_person[i]] = m
        G.end[g] = m
        return persons

    def step(self, m: int) -> None:
        cfg, rng, G = self.cfg, self.rng, self.G
        alive = [g for g in range(G.n) if G.start[g] < m < G.end[g]]
        for g in alive:
            if G.end[g] <= m:
                continue
            size = len(self.active(g, m))
            if size < cfg.group_size_min:
                self.close(g, m)
                G.changes.append((m, "dissolve", g, -1))
                continue
            u = rng.random()
            if u < cfg.merge_rate:
                others = [
                    h
                    for h in alive
                    if h != g
                    and G.end[h] > m
                    and G.start[h] < m
                    and (G.school[h] == G.school[g] or G.ward[h] == G.ward[g])
                ]
                if others:
                    h = int(rng.choice(others))
                    if size + len(self.active(h, m)) <= cfg.group_size_max:
                        persons = self.close(g, m)
                        for person in persons:
                            self.join(person, h, m, main=True)
                        G.changes.append((m, "merge", g, h))
            elif u < cfg.merge_rate + cfg.split_rate and size >= 8:
                act = self.active(g, m)
                moving = rng.choice(act, size // 2, replace=False).tolist()
                c = G.n
                G.ward.append(G.ward[g])
                G.school.append(G.school[g])
                near = np.flatnonzero(np.isin(self.place_ward, np.append(self.geo.neighbours(G.ward[g]), G.ward[g])))
                G.places.append(
                    np.unique(np.append(G.places[g][:1], rng.choice(near, 1))) if len(near) else G.places[g]
                )
                G.profile.append(int(rng.choice(4)) if G.profile[g] != 3 else 3)
                G.start.append(m)
                G.end.append(m + int(rng.geometric(1.0 / cfg.group_mean_life_months)))
                G.members.append([])
                for i in moving:
                    G.m_end[i] = m
                    self.join(G.m_person[i], c, m, main=True)
                G.changes.append((m, "split", g, c))
        for g in alive:
            if G.end[g] == m + 1 and m + 1 < len(self.ms):
                G.changes.append((m + 1, "dissolve", g, -1))

    def second_groups(self) -> None:
        cfg, rng, G = self.cfg, self.rng, self.G
        main = [i for i in range(len(G.m_person)) if G.m_main[i]]
        pick = [i for i in main if rng.random() < cfg.second_group_share]
        n_groups = G.n
        for i in pick:
            g = G.m_group[i]
            s, e = G.m_start[i], G.m_end[i]
            others = [
                h
                for h in range(max(0, g - 60), min(n_groups, g + 60))
                if h != g and (G.school[h] == G.school[g] or G.ward[h] == G.ward[g]) and G.start[h] < e and G.end[h] > s
            ]
            if not others:
                continue
            h = int(rng.choice(others))
            st = max(s, G.start[h])
            en = min(e, G.end[h])
            if en > st:
                G.members[h].append(len(G.m_person))
                G.m_person.append(G.m_person[i])
                G.m_group.append(h)
                G.m_start.append(st)
                G.m_end.append(en)
                G.m_main.append(False)


def build_groups(
    cfg: GeneratorConfig,
    people: People,
    geo: Geography,
    month_starts: np.ndarray,
    rng: np.random.Generator,
) -> Groups:
    """Plant peer groups over the months of the run."""
    b = _Builder(cfg, people, geo, month_starts, rng)
    ny = people.n_young
    age0 = people.age_at(np.arange(ny), month_starts[0])
    eligible = int(((age0 >= 12) & (age0 <= 19)).sum())
    target = cfg.group_share * eligible / 7.5
    n0 = int(round(target))
    for _ in range(n0):
        b.form(0, initial=True)
    per_month = target / cfg.group_mean_life_months
    for m in range(1, len(month_starts)):
        b.step(m)
        for _ in range(int(rng.poisson(per_month * 1.15))):
            b.form(m, initial=False)
    b.second_groups()
    logger.info("planted %d peer groups, %d memberships", b.G.n, len(b.G.m_person))
    return b.G
