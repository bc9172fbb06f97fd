"""Recording noise: how one agency writes down a person's identity.

Each record is noised independently with the agency's :class:`~synthetic.config.NoiseRates`:
one-character typos, nicknames, transliteration variants and dropped accents, swapped name
order, one part of a double-barrelled surname, missing/estimated/day-month-swapped dates of birth,
unknown gender, officer-defined (IC) versus self-defined (DfE) ethnicity, blank or partial
postcodes. Noise never stacks more than the independent draws make it, which keeps the records
resolvable by a linker while still exercising it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from synthetic.config import NoiseRates
from synthetic.names import NICKNAMES, VARIANTS, one_char_edit, strip_accents
from synthetic.people import People

IC_FROM_DFE: dict[str, tuple[tuple[str, ...], tuple[float, ...]]] = {
    "WBRI": (("IC1", "IC2"), (0.95, 0.05)),
    "WOTH": (("IC1", "IC2", "IC6"), (0.45, 0.40, 0.15)),
    "MWBC": (("IC3", "IC1", "IC2", "IC6"), (0.55, 0.30, 0.10, 0.05)),
    "MOTH": (("IC3", "IC1", "IC2", "IC4", "IC6"), (0.35, 0.30, 0.15, 0.10, 0.10)),
    "ABAN": (("IC4", "IC6"), (0.95, 0.05)),
    "AOTH": (("IC4", "IC6"), (0.90, 0.10)),
    "BAFR": (("IC3", "IC6"), (0.95, 0.05)),
    "BCRB": (("IC3",), (1.0,)),
    "BOTH": (("IC3", "IC1"), (0.95, 0.05)),
    "CHNE": (("IC5", "IC4"), (0.95, 0.05)),
    "OOTH": (("IC6", "IC5", "IC2", "IC4", "IC3"), (0.35, 0.20, 0.25, 0.10, 0.10)),
}

_TWO = np.array([f"{i:02d}" for i in range(100)], dtype=object)


def format_dates(y: np.ndarray, m: np.ndarray, d: np.ndarray, missing: np.ndarray | None = None) -> np.ndarray:
    """``dd/mm/yyyy`` strings from integer arrays (blank where ``missing``)."""
    out = np.array(
        pd.Series(_TWO[d], dtype=object) + "/" + _TWO[m] + "/" + pd.Series(y.astype(str), dtype=object),
        dtype=object,
    )
    if missing is not None:
        out[missing] = ""
    return out


def ymd(dates: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Year, month, day integer arrays of datetime64 dates."""
    dd = dates.astype("datetime64[D]")
    y = dd.astype("datetime64[Y]").astype(int) + 1970
    mo = dd.astype("datetime64[M]").astype(int) % 12 + 1
    day = (dd - dd.astype("datetime64[M]").astype("datetime64[D]")).astype(int) + 1
    return y, mo, day


def record_identity(
    people: People,
    idx: np.ndarray,
    rates: NoiseRates,
    rng: np.random.Generator,
    ethnicity_scheme: str,
    upper_surname: float = 0.0,
) -> pd.DataFrame:
    """Identity columns of ``idx`` as one agency records them, plus per-record noise flags."""
    n = len(idx)
    fn = people.forename[idx].astype(object).copy()
    sn = people.surname[idx].astype(object).copy()
    u = rng.random((n, 12))
    flags = {k: np.zeros(n, dtype=bool) for k in ("typo", "nickname", "variant", "swap", "hyphen_part")}
    # nicknames (only where the forename has one)
    nick_ok = np.fromiter((f in NICKNAMES for f in fn), bool, n)
    m = nick_ok & (u[:, 0] < rates.nickname)
    for i in np.flatnonzero(m):
        opts = NICKNAMES[fn[i]]
        fn[i] = opts[int(u[i, 1] * len(opts))]
    flags["nickname"] = m
    # transliteration variants and dropped accents
    for arr, col in ((fn, 2), (sn, 3)):
        var_ok = np.fromiter((x in VARIANTS for x in arr), bool, n)
        mv = var_ok & (u[:, col] < rates.variant) & ~m
        for i in np.flatnonzero(mv):
            opts = VARIANTS[arr[i]]
            arr[i] = opts[int(u[i, 4] * len(opts))]
        acc_ok = np.fromiter((not x.isascii() for x in arr), bool, n)
        ma = acc_ok & (u[:, col] < 3 * rates.variant)
        for i in np.flatnonzero(ma):
            arr[i] = strip_accents(arr[i])
        flags["variant"] |= mv | ma
    # one part of a double-barrelled surname
    hy = np.fromiter(("-" in x for x in sn), bool, n)
    mh = hy & (u[:, 5] < rates.hyphen_one_part)
    for i in np.flatnonzero(mh):
        parts = sn[i].split("-")
        sn[i] = parts[0] if u[i, 6] < 0.6 else parts[-1]
    flags["hyphen_part"] = mh
    # one-character typos
    mt = u[:, 7] < rates.typo
    for i in np.flatnonzero(mt):
        if u[i, 8] < 0.55:
            fn[i] = one_char_edit(fn[i], rng)
        else:
            sn[i] = one_char_edit(sn[i], rng)
    flags["typo"] = mt
    if upper_surname:
        up = u[:, 9] < upper_surname
        sn[up] = np.array([x.upper() for x in sn[up]], dtype=object)
    ms = u[:, 10] < rates.swap_names
    fn[ms], sn[ms] = sn[ms].copy(), fn[ms].copy()
    flags["swap"] = ms
    # date of birth
    y, mo, d = ymd(people.dob[idx])
    v = rng.random((n, 3))
    missing = v[:, 0] < rates.dob_missing
    est = ~missing & (v[:, 1] < rates.dob_estimated)
    mo = np.where(est, 1, mo)
    d = np.where(est, 1, d)
    sw = ~missing & ~est & (v[:, 2] < rates.dob_day_month_swap) & (d <= 12) & (d != mo)
    mo, d = np.where(sw, d, mo), np.where(sw, mo, d)
    dob = format_dates(y, mo, d, missing)
    # gender
    g = people.sex[idx].astype(object).copy()
    gu = rng.random(n)
    g[gu < rates.gender_unknown] = "U"
    g[gu > 1 - 0.002] = "X"
    # ethnicity
    dfe = people.dfe[idx]
    eu = rng.random(n)
    if ethnicity_scheme == "ic":
        eth = np.empty(n, dtype=object)
        for code in np.unique(dfe):
            mm = dfe == code
            opts, p = IC_FROM_DFE[code]
            eth[mm] = np.array(opts, dtype=object)[rng.choice(len(opts), mm.sum(), p=p)]
        eth[eu < rates.ethnicity_unknown] = "IC9"
    else:
        eth = dfe.astype(object).copy()
        unk = eu < rates.ethnicity_unknown
        eth[unk] = np.where(rng.random(unk.sum()) < 0.8, "NOBT", "REFU")
    # postcode
    pc = people.postcode[idx].astype(object).copy()
    pu = rng.random(n)
    pc[pu < rates.postcode_blank] = ""
    part = (pu >= rates.postcode_blank) & (pu < rates.postcode_blank + rates.postcode_partial)
    pc[part] = np.array([x.split(" ")[0] for x in pc[part]], dtype=object)
    out = pd.DataFrame({"forename": fn, "surname": sn, "dob": dob, "gender": g, "ethnicity": eth, "postcode": pc})
    for k, val in flags.items():
        out["_" + k] = val
    out["_dob_missing"] = missing
    out["_dob_estimated"] = est
    out["_dob_swapped"] = sw
    return out
