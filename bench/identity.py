"""Benchmark identity linkage at London scale: records per second and peak memory.

A synthetic population of young people and adults (names drawn from the synthetic borough's
people) is written down several times each, by police, social care and education, with recording
noise at each agency's rate (typos, nicknames and transliterations, swapped names, one part of a
hyphenated surname, missing, `01/01`-estimated and day/month-swapped dates of birth, blank
postcodes). Each size runs in a fresh
process so its peak resident memory is its own. Also scores the full historical_figures_50k set.

    python -m bench.identity 50000 200000 400000
"""

from __future__ import annotations

import concurrent.futures
import resource
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data" / "linkage"
SAMPLE_PEOPLE = ROOT / "data" / "sample" / "truth" / "people.csv"


def _noisy(rng: np.random.Generator, fn: np.ndarray, sn: np.ndarray, dob: np.ndarray,
           rate: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Recording noise at `rate`: typo, nickname/variant, hyphen part, swap, dob estimate/swap/missing."""
    from transforms.identity.features import name_variants

    groups = name_variants()["forenames"]
    alt = {}
    for names in groups.values():
        for n in names:
            alt.setdefault(n, []).extend(x for x in names if x != n)
    fn, sn = np.array(fn, dtype=object), np.array(sn, dtype=object)
    u = rng.random((len(fn), 6))
    for i in np.flatnonzero(u[:, 0] < rate):  # one-character typo
        w = sn[i] if u[i, 1] < 0.5 else fn[i]
        k = int(rng.integers(len(w)))
        w = w[:k] + chr(97 + int(rng.integers(26))) + w[k + 1:]
        if u[i, 1] < 0.5:
            sn[i] = w
        else:
            fn[i] = w
    for i in np.flatnonzero(u[:, 2] < rate):  # nickname or transliteration
        opts = alt.get(fn[i].lower())
        if opts:
            fn[i] = opts[int(rng.integers(len(opts)))].title()
    for i in np.flatnonzero(u[:, 3] < rate / 2):  # one part of a double-barrelled surname
        if "-" in sn[i]:
            sn[i] = sn[i].split("-")[int(rng.integers(2))]
    sw = u[:, 4] < rate / 4  # swapped forename and surname
    fn[sw], sn[sw] = sn[sw].copy(), fn[sw].copy()
    d = pd.Series(pd.to_datetime(pd.Series(dob)).to_numpy().copy())
    est = u[:, 5] < rate / 2
    d[est] = pd.to_datetime(d[est].dt.year.astype(str) + "-01-01")
    swap = (u[:, 5] >= rate / 2) & (u[:, 5] < rate * 0.75) & (d.dt.day <= 12)
    d[swap] = pd.to_datetime(d[swap].dt.strftime("%Y-%d-%m"), format="%Y-%m-%d", errors="coerce")
    d[(u[:, 5] >= rate * 0.75) & (u[:, 5] < rate)] = pd.NaT
    return fn, sn, d.to_numpy().copy()


def synthetic_records(n_records: int, seed: int = 7) -> tuple[pd.DataFrame, pd.Series]:
    """About `n_records` person records (RECORD_COLUMNS) and their true person ids.

    Names are drawn from the synthetic borough's people (`data/sample/truth/people.csv`), so the
    name collisions of a diverse London population are kept; dates of birth are spread over
    children and adults.
    """
    rng = np.random.default_rng(seed)
    pool = pd.read_csv(SAMPLE_PEOPLE, dtype=str)
    n_people = max(10, n_records // 4)
    fn = pool["forename"].to_numpy(object)[rng.integers(0, len(pool), n_people)]
    sn = pool["surname"].to_numpy(object)[rng.integers(0, len(pool), n_people)]
    sex = rng.choice(["M", "F"], n_people)
    dob = np.datetime64("1965-01-01") + rng.integers(0, 40 * 365, n_people)
    young = rng.random(n_people) < 0.8
    dob[young] = np.datetime64("2005-01-01") + rng.integers(0, 12 * 365, young.sum())
    outward = rng.choice([f"{a}{b}" for a in ("E", "N", "SE", "SW", "NW", "W") for b in range(1, 20)], n_people)
    pc = np.array([f"{o} {rng.integers(1, 10)}{chr(65 + rng.integers(26))}{chr(65 + rng.integers(26))}"
                   for o in outward], dtype=object)
    per = rng.poisson(3.0, n_people) + 1
    idx = np.repeat(np.arange(n_people), per)
    agency = rng.choice(["police", "social_care", "education"], len(idx), p=[0.6, 0.25, 0.15])
    rate = np.select([agency == "police", agency == "social_care"], [0.08, 0.03], 0.02)
    f = np.array(fn[idx], dtype=object)
    s = np.array(sn[idx], dtype=object)
    d = np.array(dob[idx], dtype="datetime64[ns]")
    for a, r in (("police", 0.08), ("social_care", 0.03), ("education", 0.02)):
        m = agency == a
        f[m], s[m], d[m] = _noisy(rng, fn[idx][m], sn[idx][m], dob[idx][m], r)
    prefix = pd.Series(agency).map({"police": "PN", "social_care": "SC", "education": "U"})
    agency_id = (prefix + pd.Series(idx).astype(str)).where(
        (agency != "police") | (rng.random(len(idx)) >= 0.4), None)
    postcode = pd.Series(pc[idx]).where(rng.random(len(idx)) >= np.where(rate > 0.05, 0.2, 0.03), None)
    out = pd.DataFrame({
        "source": agency, "source_key": [str(i) for i in range(len(idx))], "agency": agency,
        "agency_id": agency_id, "forename": f, "surname": s, "dob": d, "gender": sex[idx],
        "postcode": postcode})
    return out, pd.Series(idx)


def _one(n: int) -> dict[str, float]:
    from transforms.identity.evaluate import link_quality
    from transforms.identity.linkage import link_records

    records, truth = synthetic_records(n)
    t0 = time.perf_counter()
    result = link_records(records)
    secs = time.perf_counter() - t0
    q = link_quality(result.links["cluster"], truth)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"records": len(records), "seconds": round(secs, 1),
            "records_per_second": round(len(records) / secs), "peak_mb": round(peak_mb),
            "pairs_scored": result.stats["pairs_scored"], "pair_precision": round(q["pair_precision"], 4),
            "pair_recall": round(q["pair_recall"], 4), "pair_f1": round(q["pair_f1"], 4)}


def run(sizes: list[int]) -> list[dict[str, float]]:
    """Time linkage of synthetic populations of the given record counts (one process each)."""
    out = []
    for n in sizes:
        with concurrent.futures.ProcessPoolExecutor(max_workers=1) as pool:
            out.append(pool.submit(_one, n).result())
    return out


def historical() -> dict[str, float]:
    """Score the full historical_figures_with_errors_50k set beside the exact-match baseline."""
    from transforms.identity.evaluate import exact_match_baseline, historical_records, link_quality
    from transforms.identity.linkage import link_records

    records, truth = historical_records(SHARED / "splink_datasets" / "historical_figures_with_errors_50k.parquet")
    t0 = time.perf_counter()
    res = link_records(records)
    q = link_quality(res.links["cluster"], truth)
    b = link_quality(exact_match_baseline(records), truth)
    return {"records": len(records), "seconds": round(time.perf_counter() - t0, 1),
            **{f"splink_{k}": round(v, 4) for k, v in q.items() if k.startswith("pair")},
            **{f"exact_{k}": round(v, 4) for k, v in b.items() if k.startswith("pair")}}


if __name__ == "__main__":
    import logging

    logging.disable(logging.WARNING)
    sizes = [int(a) for a in sys.argv[1:]] or [50_000, 200_000]
    for row in run(sizes):
        print(row)
    print("historical_figures_50k:", historical())
