"""The population: young people in families, their parents, older exploiters and other adults.

Families carry the clustering the issue asks for: siblings share surname, postcode, ethnicity and
the parental vulnerability factors, which all derive from one latent family risk ``z``; the same
``z`` raises the child's own risk, and so the chance of later group membership, care and harm.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from synthetic.geography import Geography, random_postcodes
from synthetic.names import ADULT_FORENAMES, MIXED, ORIGIN_MIX, ORIGINS, origin_dfe, zipf_weights
from synthetic.vocab import ETHNIC_GROUPS

DFE_GROUP = {
    "WBRI": 3,
    "WOTH": 3,
    "BAFR": 1,
    "BCRB": 1,
    "BOTH": 1,
    "MWBC": 2,
    "MOTH": 2,
    "ABAN": 0,
    "AOTH": 0,
    "CHNE": 4,
    "OOTH": 4,
}
PARENT_FACTORS = (
    ("domestic_abuse", -2.2),
    ("parental_substance_misuse", -2.7),
    ("parental_mental_health", -2.2),
    ("parental_learning_difficulty", -3.6),
    ("absent_father", -1.2),
    ("bereavement", -3.4),
)
CHILD_FACTORS = (
    ("learning_disability", -3.0),
    ("mental_health", -2.6),
    ("sexual_abuse_history", -3.6),
)
VULN_NAMES = tuple(n for n, _ in PARENT_FACTORS + CHILD_FACTORS)

DAY = np.timedelta64(1, "D")


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


@dataclass
class People:
    """Every person of the borough, young people first, then adults (appended as needed)."""

    true_id: np.ndarray
    forename: np.ndarray
    surname: np.ndarray
    sex: np.ndarray
    dob: np.ndarray  # datetime64[D]
    dfe: np.ndarray
    ward: np.ndarray
    postcode: np.ndarray
    family: np.ndarray
    n_young: int
    risk: np.ndarray = field(default_factory=lambda: np.zeros(0))
    victim_prone: np.ndarray = field(default_factory=lambda: np.zeros(0))
    vuln: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), dtype=bool))
    looked_after: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    sec_school: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=int))
    pri_school: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=int))
    child_id: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=object))
    upn: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=object))
    parent: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=int))
    exploiters: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=int))
    n_adults_made: int = 0

    @property
    def n(self) -> int:
        """Number of persons (young and adult)."""
        return len(self.true_id)

    @property
    def eth(self) -> np.ndarray:
        """Broad ethnic group index into ``ETHNIC_GROUPS``."""
        return np.array([DFE_GROUP[c] for c in self.dfe], dtype=np.int8)

    def age_at(self, idx: np.ndarray, date: np.ndarray | np.datetime64) -> np.ndarray:
        """Age in whole years of persons ``idx`` at ``date`` (approximate to the day)."""
        return np.floor((np.asarray(date, dtype="datetime64[D]") - self.dob[idx]) / DAY / 365.2425).astype(int)

    def add_adults(
        self,
        n: int,
        rng: np.random.Generator,
        geo: Geography,
        ref_date: np.datetime64,
        age_range: tuple[int, int],
        male_share: float,
    ) -> np.ndarray:
        """Append ``n`` new adults and return their indices."""
        if n == 0:
            return np.zeros(0, dtype=int)
        origin = _draw_origin(n, rng)
        dfe = _dfe_of(origin)
        sex = np.where(rng.random(n) < male_share, "M", "F")
        fn = np.empty(n, dtype=object)
        for s in ("M", "F"):
            m = sex == s
            pool = ADULT_FORENAMES[s]
            fn[m] = np.array(pool, dtype=object)[rng.choice(len(pool), m.sum(), p=zipf_weights(len(pool), 0.5))]
        own = rng.random(n) < 0.5  # half carry a name of their own community
        fn[own] = _forenames(origin[own], sex[own], rng)
        sn = _surnames(origin, rng)
        age_days = rng.uniform(age_range[0] * 365.25, (age_range[1] + 1) * 365.25 - 1, n).astype(int)
        dob = np.asarray(ref_date, dtype="datetime64[D]") - age_days.astype("timedelta64[D]")
        ward = rng.integers(0, geo.n_wards, n)
        pc = random_postcodes(geo.ward_outward[ward], rng)
        start = self.n_adults_made
        ids = np.array([f"A{start + i + 1:06d}" for i in range(n)], dtype=object)
        self.n_adults_made += n
        return self._append(ids, fn, sn, sex, dob, dfe, ward, pc, np.full(n, -1))

    def _append(
        self,
        ids: np.ndarray,
        fn: np.ndarray,
        sn: np.ndarray,
        sex: np.ndarray,
        dob: np.ndarray,
        dfe: np.ndarray,
        ward: np.ndarray,
        pc: np.ndarray,
        fam: np.ndarray,
    ) -> np.ndarray:
        """Append persons; return their indices."""
        first = self.n
        self.true_id = np.concatenate([self.true_id, ids])
        self.forename = np.concatenate([self.forename, fn])
        self.surname = np.concatenate([self.surname, sn])
        self.sex = np.concatenate([self.sex, sex])
        self.dob = np.concatenate([self.dob, dob.astype("datetime64[D]")])
        self.dfe = np.concatenate([self.dfe, dfe])
        self.ward = np.concatenate([self.ward, ward])
        self.postcode = np.concatenate([self.postcode, pc])
        self.family = np.concatenate([self.family, fam])
        return np.arange(first, self.n)


def _draw_origin(n: int, rng: np.random.Generator) -> np.ndarray:
    codes = np.array(list(ORIGIN_MIX), dtype=object)
    p = np.array(list(ORIGIN_MIX.values()))
    return codes[rng.choice(len(codes), n, p=p / p.sum())]


def _dfe_of(origin: np.ndarray) -> np.ndarray:
    table = {o: origin_dfe(o) for o in ORIGIN_MIX}
    return np.array([table[o] for o in origin], dtype=object)


def _side(origin: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """The community each name is drawn from: mixed families take either parent's."""
    out = origin.astype(object).copy()
    for o, (_, a, b) in MIXED.items():
        m = origin == o
        out[m] = np.where(rng.random(m.sum()) < 0.5, a, b)
    return out


def _forenames(origin: np.ndarray, sex: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    side = _side(origin, rng)
    out = np.empty(len(origin), dtype=object)
    for o in np.unique(side):
        for s, k in (("M", 1), ("F", 2)):
            m = (side == o) & (sex == s)
            if m.any():
                pool = ORIGINS[o][k]
                pick = rng.choice(len(pool), m.sum(), p=zipf_weights(len(pool), 0.4))
                out[m] = np.array(pool, dtype=object)[pick]
    return out


def _surnames(origin: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    side = _side(origin, rng)
    out = np.empty(len(origin), dtype=object)
    for o in np.unique(side):
        m = side == o
        pool = ORIGINS[o][3]
        pick = rng.choice(len(pool), m.sum(), p=zipf_weights(len(pool), 0.35))
        out[m] = np.array(pool, dtype=object)[pick]
    return out


def build_people(
    people: int,
    months: int,
    start: np.datetime64,
    geo: Geography,
    rng: np.random.Generator,
    twin_rate: float,
    hyphen_rate: float,
    looked_after_base: float,
) -> People:
    """Young people (a dynamic 10-19 cohort of about ``people`` at any time) and their parents."""
    end = start + np.timedelta64(int(months * 30.44), "D")
    lo = start - np.timedelta64(int(20 * 365.25), "D")
    hi = end - np.timedelta64(int(10 * 365.25), "D")
    target = int(round(people * (120 + months) / 120))
    n_fam = int(target / 1.55) + 10
    size = rng.choice([1, 2, 3, 4], n_fam, p=[0.55, 0.30, 0.12, 0.03])
    fam = np.repeat(np.arange(n_fam), size)
    pos = np.concatenate([np.arange(s) for s in size])
    span = (hi - lo) / DAY
    first = lo + rng.uniform(0, span, n_fam).astype(int).astype("timedelta64[D]")
    gap = rng.uniform(420, 1800, len(fam)).astype(int)
    gap[pos == 0] = 0
    twin = (pos > 0) & (rng.random(len(fam)) < twin_rate)
    gap[twin] = 0
    sign = np.where(rng.random(n_fam) < 0.5, 1, -1)[fam]
    offset = np.zeros(len(fam), dtype=int)
    for k in range(1, 4):  # cumulative offsets per family
        m = pos == k
        offset[m] = offset[np.flatnonzero(m) - 1] + gap[m]
    dob = first[fam] + (sign * offset).astype("timedelta64[D]")
    keep = (dob >= lo) & (dob < hi)
    fam, dob, pos = fam[keep], dob[keep], pos[keep]
    if len(fam) > target:
        cut = np.sort(rng.choice(len(fam), target, replace=False))
        fam, dob = fam[cut], dob[cut]
    n = len(fam)
    # family attributes
    f_origin = _draw_origin(n_fam, rng)
    f_dfe = _dfe_of(f_origin)
    f_z = rng.normal(0, 1, n_fam)
    eth_idx = np.array([DFE_GROUP[c] for c in f_dfe])
    affinity = rng.dirichlet(np.full(geo.n_wards, 2.0), size=len(ETHNIC_GROUPS))
    f_ward = (
        np.array([rng.choice(geo.n_wards, p=affinity[e]) for e in eth_idx])
        if n_fam < 50000
        else (_vector_ward(eth_idx, affinity, rng))
    )
    f_pc = random_postcodes(geo.ward_outward[f_ward], rng)
    f_sn = _surnames(f_origin, rng)
    hyph = rng.random(n_fam) < hyphen_rate
    f_sn[hyph] = f_sn[hyph] + "-" + _surnames(f_origin[hyph], rng)
    same = np.array([a.split("-")[0] == a.split("-")[-1] for a in f_sn[hyph]], dtype=bool)
    f_sn[np.flatnonzero(hyph)[same]] = np.array([a.split("-")[0] for a in f_sn[hyph][same]], dtype=object)
    dfe = f_dfe[fam]
    sex = np.where(rng.random(n) < 0.5, "M", "F")
    origin = f_origin[fam]
    fn = _forenames(origin, sex, rng)
    for _ in range(4):  # siblings never share a forename
        dup = pd.DataFrame({"f": fam, "n": fn}).duplicated(["f", "n"]).to_numpy()
        if not dup.any():
            break
        fn[dup] = _forenames(origin[dup], sex[dup], rng)
    ids = np.array([f"P{i + 1:07d}" for i in range(n)], dtype=object)
    p = People(
        true_id=ids,
        forename=fn,
        surname=f_sn[fam].copy(),
        sex=sex,
        dob=dob.astype("datetime64[D]"),
        dfe=dfe,
        ward=f_ward[fam],
        postcode=f_pc[fam],
        family=fam,
        n_young=n,
    )
    z = f_z[fam]
    p.risk = 0.75 * z + 0.7 * rng.normal(0, 1, n)
    # repeat victimisation: a minority of children carry most of the risk of being harmed
    p.victim_prone = rng.gamma(0.2, 1.0, n) * np.exp(0.1 * z) + 1e-3
    cols = []
    for _, base in PARENT_FACTORS:
        fam_flag = rng.random(n_fam) < _sigmoid(base + 1.1 * f_z)
        cols.append(fam_flag[fam])
    for _, base in CHILD_FACTORS:
        cols.append(rng.random(n) < _sigmoid(base + 0.8 * z))
    p.vuln = np.column_stack(cols)
    p.looked_after = rng.random(n) < _sigmoid(np.log(looked_after_base / (1 - looked_after_base)) - 0.9 + 1.3 * z)
    p.sec_school, p.pri_school = _assign_schools(p, geo, rng)
    p.child_id = np.array([f"SC{x}" for x in rng.choice(np.arange(100000, 1000000), n, replace=False)], dtype=object)
    letters = np.array(list("ABCDEFGHJKLMNPQRTUVWXYZ"))
    digits = rng.integers(0, 10**12, n, dtype=np.int64)
    p.upn = np.array(
        [f"{letters[i % len(letters)]}{d:012d}" for i, d in zip(rng.integers(0, 1000, n), digits, strict=False)],
        dtype=object,
    )
    # one parent per family, adult, sharing postcode and (mostly) surname
    parent_sex = np.where(rng.random(n_fam) < 0.75, "F", "M")
    pfn = np.empty(n_fam, dtype=object)
    for s in ("M", "F"):
        m = parent_sex == s
        pool = ADULT_FORENAMES[s]
        pfn[m] = np.array(pool, dtype=object)[rng.choice(len(pool), m.sum())]
    psn = f_sn.copy()
    other = rng.random(n_fam) < 0.2
    psn[other] = _surnames(f_origin[other], rng)
    eldest = pd.Series(dob).groupby(fam).min().reindex(np.arange(n_fam))
    eldest = eldest.fillna(pd.Timestamp(str(lo))).to_numpy().astype("datetime64[D]")
    pdob = eldest - rng.uniform(20 * 365, 42 * 365, n_fam).astype(int).astype("timedelta64[D]")
    pids = np.array([f"A{i + 1:06d}" for i in range(n_fam)], dtype=object)
    p.n_adults_made = n_fam
    p.parent = p._append(pids, pfn, psn, parent_sex, pdob, f_dfe, f_ward, f_pc, np.arange(n_fam))
    n_exp = max(6, people // 70)
    p.exploiters = p.add_adults(n_exp, rng, geo, start, (18, 33), male_share=0.92)
    return p


def _vector_ward(eth_idx: np.ndarray, affinity: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    out = np.empty(len(eth_idx), dtype=int)
    for e in range(affinity.shape[0]):
        m = eth_idx == e
        out[m] = rng.choice(affinity.shape[1], m.sum(), p=affinity[e])
    return out


def _assign_schools(p: People, geo: Geography, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Secondary school mostly near home (80%, distance-decayed) or anywhere (20%); boys never
    at the girls' school. Distributions are per (ward, sex), so this is cheap at any scale."""
    sch = geo.schools
    ny = p.n_young
    sec = np.flatnonzero(sch["phase"].to_numpy() == "secondary")
    pri = np.flatnonzero(sch["phase"].to_numpy() == "primary")
    girls_school = np.isin(sch["name"].to_numpy()[sec], ["Springfield Girls' Academy"])
    sec_grid = geo.ward_grid[sch["ward"].to_numpy()[sec]]
    ward = p.ward[:ny]
    is_m = p.sex[:ny] == "M"
    sec_choice = np.empty(ny, dtype=np.int64)
    for w in np.unique(ward):
        d = np.abs(sec_grid - geo.ward_grid[w]).sum(axis=1).astype(float)
        near = np.exp(-0.9 * d)
        near /= near.sum()
        base = 0.8 * near + 0.2 / len(sec)
        for male in (True, False):
            idx = np.flatnonzero((ward == w) & (is_m == male))
            if len(idx) == 0:
                continue
            pw = np.where(girls_school & male, 0.0, base)
            sec_choice[idx] = sec[rng.choice(len(sec), len(idx), p=pw / pw.sum())]
    pri_choice = pri[rng.integers(0, len(pri), ny)]
    return sec_choice, pri_choice
