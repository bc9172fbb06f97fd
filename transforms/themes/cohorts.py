"""Cohorts of need: groups of young people whose recorded vulnerabilities and risks co-occur.

Method: each young person (aged under 20 when last seen, with at least `min_factors` factors
recorded by any agency in marts.person) is a binary profile over the vulnerability and risk
vocabulary; k-means (scikit-learn, k-means++ initialisation, Arthur & Vassilvitskii 2007) groups
the profiles for k = 3..`max_k` and keeps the k with the best mean silhouette under the Jaccard
distance (Rousseeuw 1987). A cohort is then *described* by the share of its members with each
factor and the lift over all young people with factors.

What this is not: no person is scored, ranked or labelled. Membership is never written; only
cohort-level shares leave this step, and cohorts smaller than `min_size` are folded away.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import duckdb
import numpy as np
import pandas as pd
from sklearn.cluster import KMeans
from sklearn.metrics import pairwise_distances, silhouette_score
from threadpoolctl import threadpool_limits

from transforms.extracts.vocab import RISK_FACTORS, VULNERABILITY_FACTORS
from transforms.warehouse import run_models

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class CohortConfig:
    """Settings of the cohort clustering."""

    min_factors: int = 2
    max_k: int = 8
    min_size: int = 10
    seed: int = 0
    silhouette_sample: int = 3000


DEFAULT_COHORTS = CohortConfig()


def cluster_profiles(X: np.ndarray, cfg: CohortConfig = DEFAULT_COHORTS) -> tuple[np.ndarray, float]:
    """Cohort index per row of a binary profile matrix and the mean Jaccard silhouette.

    Profiles repeat (a few dozen factors, many young people with the same ones): k-means runs on
    the distinct profiles weighted by how many young people have each, which is the same
    objective on a fraction of the rows (at London scale tens of thousands of distinct profiles
    for hundreds of thousands of young people)."""
    if len(X) == 0:
        return np.zeros(0, dtype=int), 0.0
    # one thread: the runs are small (thousands of distinct profiles), and on a shared two-core
    # machine OpenMP's threads made them five times slower (city borough: 18.1 s, 3.5 s on one
    # thread, the same cohorts; scikit-learn's k-means does not depend on the number of threads)
    with threadpool_limits(1):
        return _cluster(X, cfg)


def _cluster(X: np.ndarray, cfg: CohortConfig) -> tuple[np.ndarray, float]:
    distinct, inverse, counts = np.unique(X, axis=0, return_inverse=True, return_counts=True)
    inverse = np.asarray(inverse).reshape(-1)
    best: tuple[float, np.ndarray] | None = None
    # the silhouette is quadratic in people: on a large borough it is estimated on a fixed, seeded
    # sample of `silhouette_sample` young people (the one `silhouette_score(sample_size=...)`
    # draws), the same for every k, so its Jaccard distances are computed once, not once per k
    sample = np.random.RandomState(cfg.seed).permutation(len(X))[: min(len(X), cfg.silhouette_sample)]
    distances: np.ndarray | None = None
    for k in range(3, min(cfg.max_k, len(X) - 1, len(distinct)) + 1):
        labels = KMeans(n_clusters=k, n_init=10, random_state=cfg.seed).fit_predict(
            distinct, sample_weight=counts.astype(float)
        )[inverse]
        if len(set(labels)) < 2:
            continue
        if distances is None:
            distances = pairwise_distances(X[sample].astype(bool), metric="jaccard")
        s = float(silhouette_score(distances, labels[sample], metric="precomputed"))
        if best is None or s > best[0]:
            best = (s, labels)
    if best is None:
        return np.zeros(len(X), dtype=int), 0.0
    return best[1], best[0]


def describe_cohorts(
    profiles: pd.DataFrame, factors: list[str], cfg: CohortConfig = DEFAULT_COHORTS
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Cohort and cohort-factor frames from a people x factors 0/1 frame (no person ids out)."""
    X = profiles[factors].to_numpy(dtype=float)
    if len(X) < cfg.min_size * 2:
        return pd.DataFrame(), pd.DataFrame()
    labels, sil = cluster_profiles(X, cfg)
    sizes = pd.Series(labels).value_counts()
    keep = sizes[sizes >= cfg.min_size].index
    overall = X.mean(axis=0)
    cohorts, rows = [], []
    for new_id, c in enumerate(sorted(keep, key=lambda c: -sizes[c]), start=1):
        members = X[labels == c]
        share = members.mean(axis=0)
        lift = np.divide(share, overall, out=np.zeros_like(share), where=overall > 0)
        order = np.argsort(-(share * (lift > 1.2)))
        label = " + ".join(factors[i] for i in order[:3] if share[i] >= 0.3) or "mixed, no dominant factor"
        cohorts.append(
            {
                "cohort_id": new_id,
                "young_people": int(len(members)),
                "label": label,
                "mean_factors": round(float(members.sum(axis=1).mean()), 2),
                "silhouette": round(sil, 4),
            }
        )
        for i, f in enumerate(factors):
            rows.append(
                {
                    "cohort_id": new_id,
                    "factor": f,
                    "kind": "vulnerability" if f in VULNERABILITY_FACTORS else "risk",
                    "share": round(float(share[i]), 4),
                    "all_share": round(float(overall[i]), 4),
                    "lift": round(float(lift[i]), 3),
                }
            )
    return pd.DataFrame(cohorts), pd.DataFrame(rows)


def build_cohorts(con: duckdb.DuckDBPyConnection, cfg: CohortConfig = DEFAULT_COHORTS) -> dict[str, int]:
    """(Re)build marts.cohort and marts.cohort_factor; returns counts."""
    factors = list(VULNERABILITY_FACTORS) + list(RISK_FACTORS)
    people = con.execute(
        "select list_concat(vulnerability_factors, risk_factors) as f from marts.person "
        "where birth_year >= year(last_seen) - 19 and len(vulnerability_factors) + len(risk_factors) >= ? "
        "order by person_key",  # a fixed order: the same people give the same cohorts
        [cfg.min_factors],
    ).fetchall()
    profiles = pd.DataFrame(
        [[int(f in have) for f in factors] for have in (set(row[0]) for row in people)], columns=factors
    )
    cohorts, cf = describe_cohorts(profiles, factors, cfg)
    if cohorts.empty:
        cohorts = pd.DataFrame(columns=["cohort_id", "young_people", "label", "mean_factors", "silhouette"])
        cf = pd.DataFrame(columns=["cohort_id", "factor", "kind", "share", "all_share", "lift"])
    run_models(con, ("marts/cohort", "marts/cohort_factor"), frames={"_cohorts": cohorts, "_cohort_factors": cf})
    logger.info("cohorts: %d from %d young people", len(cohorts), len(profiles))
    return {"cohorts": len(cohorts), "young_people_profiled": len(profiles)}
