"""Benchmark identity linkage at London scale: records per second and peak memory.

A synthetic population of young people and adults (names drawn from the synthetic borough's
people) is written down several times each, by police, social care and education, with recording
noise at each agency's rate (typos, nicknames and transliterations, swapped names, one part of a
hyphenated surname, missing, `01/01`-estimated and day/month-swapped dates of birth, blank
postcodes). Each size runs in a fresh
process so its peak resident memory is its own. Also scores the full historical_figures_50k set.
`real` scores FEBRL 3, FEBRL 4 and the full historical_figures_50k beside plain splink trained in
the same run; `noisy` a borough generated with another seed, more twins and more noise.

    python -m bench.identity 50000 200000 400000
    python -m bench.identity real [febrl3 febrl4 historical_50k]
    python -m bench.identity noisy [WORKDIR]
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


def _noisy(
    rng: np.random.Generator, fn: np.ndarray, sn: np.ndarray, dob: np.ndarray, rate: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
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
        w = w[:k] + chr(97 + int(rng.integers(26))) + w[k + 1 :]
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
    pc = np.array(
        [f"{o} {rng.integers(1, 10)}{chr(65 + rng.integers(26))}{chr(65 + rng.integers(26))}" for o in outward],
        dtype=object,
    )
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
    agency_id = (prefix + pd.Series(idx).astype(str)).where((agency != "police") | (rng.random(len(idx)) >= 0.4), None)
    postcode = pd.Series(pc[idx]).where(rng.random(len(idx)) >= np.where(rate > 0.05, 0.2, 0.03), None)
    out = pd.DataFrame(
        {
            "source": agency,
            "source_key": [str(i) for i in range(len(idx))],
            "agency": agency,
            "agency_id": agency_id,
            "forename": f,
            "surname": s,
            "dob": d,
            "gender": sex[idx],
            "postcode": postcode,
        }
    )
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
    return {
        "records": len(records),
        "seconds": round(secs, 1),
        "records_per_second": round(len(records) / secs),
        "peak_mb": round(peak_mb),
        "pairs_scored": result.stats["pairs_scored"],
        "pairs_per_record": round(result.stats["pairs_scored"] / len(records), 2),
        "pair_precision": round(q["pair_precision"], 4),
        "pair_recall": round(q["pair_recall"], 4),
        "pair_f1": round(q["pair_f1"], 4),
    }


def run(sizes: list[int]) -> list[dict[str, float]]:
    """Time linkage of synthetic populations of the given record counts (one process each)."""
    out = []
    for n in sizes:
        with concurrent.futures.ProcessPoolExecutor(max_workers=1) as pool:
            out.append(pool.submit(_one, n).result())
    return out


def _scores(q: dict[str, float], prefix: str) -> dict[str, float]:
    return {f"{prefix}_{k[5:]}": round(v, 4) for k, v in q.items() if k in ("pair_precision", "pair_recall", "pair_f1")}


def real_set(name: str) -> dict[str, float]:
    """One real benchmark (`febrl3`, `febrl4`, `historical_50k`, the last in full): Lantern at its
    defaults, with the family guard fully on and fully off, the same-run plain splink baseline
    (`transforms.identity.baseline`), exact name + dob, and the share of true pairs blocking
    reaches (with and without a date of birth)."""
    from transforms.identity.baseline import splink_baseline
    from transforms.identity.evaluate import (
        blocking_reach,
        exact_match_baseline,
        febrl4_records,
        febrl_records,
        historical_records,
        link_quality,
    )
    from transforms.identity.linkage import link_records

    if name == "febrl3":
        records, truth = febrl_records(SHARED / "febrl" / "dataset3.csv")
        style = "febrl"
    elif name == "febrl4":
        records, truth = febrl4_records(SHARED / "febrl" / "dataset4a.csv", SHARED / "febrl" / "dataset4b.csv")
        style = "febrl"
    else:
        records, truth = historical_records(SHARED / "splink_datasets" / "historical_figures_with_errors_50k.parquet")
        style = "historical"
    t0 = time.perf_counter()
    res = link_records(records)
    secs = time.perf_counter() - t0
    out: dict[str, float] = {
        "records": len(records),
        "seconds": round(secs, 1),
        "pairs_per_record": round(res.stats["pairs_scored"] / len(records), 2),
        "guard_forename": res.stats["guard_forename"],
        **_scores(link_quality(res.links["cluster"], truth), "lantern"),
    }
    for guard in (True, False):
        q = link_quality(link_records(records, family_guard=guard).links["cluster"], truth)
        out |= _scores(q, "lantern_guard_" + ("on" if guard else "off"))
    t0 = time.perf_counter()
    out |= _scores(link_quality(splink_baseline(records, style), truth), "splink")  # type: ignore[arg-type]
    out["splink_seconds"] = round(time.perf_counter() - t0, 1)
    out |= _scores(link_quality(exact_match_baseline(records), truth), "exact")
    reach = blocking_reach(records, truth)
    out |= {
        "blocking_reach": round(reach["reach"], 4),
        "blocking_reach_without_dob": round(reach["reach_without_dob"], 4),
    }
    return out


def historical() -> dict[str, float]:
    """The full historical_figures_with_errors_50k set (see `real_set`)."""
    return real_set("historical_50k")


def noisy_borough(work: Path, people: int = 3000, seed: int = 11) -> dict[str, float]:
    """A borough generated with another seed, three times the twins (12% of younger siblings)
    and 1.5x (police) to 2x (social care, education) the recording noise: Lantern at its
    defaults and with the family guard on / off, against the planted truth."""
    from dataclasses import fields, replace

    from bench.stages import ingest, ingest_workbooks
    from pipelines.resources import connect_warehouse
    from synthetic import generate_borough
    from synthetic.config import EDUCATION_NOISE, POLICE_NOISE, SOCIAL_CARE_NOISE, GeneratorConfig
    from transforms.extracts.delivery import list_months
    from transforms.identity.evaluate import link_quality
    from transforms.identity.linkage import link_records
    from transforms.warehouse import run_models

    def up(rates, k):  # type: ignore[no-untyped-def]
        return replace(rates, **{f.name: min(0.5, getattr(rates, f.name) * k) for f in fields(rates)})

    borough = work / f"noisy-{people}-{seed}"
    if not (borough / "truth" / "person_records.csv").exists():
        cfg = replace(
            GeneratorConfig(),
            twin_rate=0.12,
            police_noise=up(POLICE_NOISE, 1.5),
            social_care_noise=up(SOCIAL_CARE_NOISE, 2.0),
            education_noise=up(EDUCATION_NOISE, 2.0),
        )
        generate_borough(borough, people=people, months=24, seed=seed, config=cfg)
    wh = work / f"noisy-{people}-{seed}.duckdb"
    wh.unlink(missing_ok=True)
    months = list_months(borough)
    ingest(borough, wh, months)
    ingest_workbooks(borough, wh, months)
    with connect_warehouse(str(wh)) as con:
        run_models(con, ("staging/person_record",))
        records = con.execute(
            "select source, source_key, agency, agency_id, forename, surname, dob, gender, "
            "postcode from raw.person_record order by source, source_key"
        ).df()
    truth = pd.read_csv(borough / "truth" / "person_records.csv", dtype=str)
    records = records.merge(truth[["source", "source_key", "true_person_id"]], on=["source", "source_key"])
    labels = records.pop("true_person_id")
    res = link_records(records)
    out: dict[str, float] = {
        "records": len(records),
        **res.stats,
        **_scores(link_quality(res.links["cluster"], labels), "lantern"),
    }
    for guard in (True, False):
        q = link_quality(link_records(records, family_guard=guard).links["cluster"], labels)
        out |= _scores(q, "lantern_guard_" + ("on" if guard else "off"))
    return out


if __name__ == "__main__":
    import logging

    logging.disable(logging.WARNING)
    args = sys.argv[1:]
    if args[:1] == ["real"]:  # python -m bench.identity real [febrl3 febrl4 historical_50k]
        for name in args[1:] or ["febrl3", "febrl4", "historical_50k"]:
            print(name, real_set(name), flush=True)
    elif args[:1] == ["noisy"]:  # python -m bench.identity noisy [WORKDIR]
        print("noisy borough:", noisy_borough(Path(args[1] if len(args) > 1 else "build/bench/work")))
    else:
        sizes = [int(a) for a in args] or [50_000, 200_000]
        for row in run(sizes):
            print(row, flush=True)
        print("historical_figures_50k:", historical())
