"""Emerging themes and cohorts on small frames."""

from __future__ import annotations

import numpy as np
import pandas as pd

from transforms.themes.cohorts import describe_cohorts
from transforms.themes.emerging import EmergingConfig, find_emerging


def _docs() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    months = [f"2025-{m:02d}" for m in range(1, 13)]
    templates = [
        "group of youths fought near the station and one was stabbed with a knife",
        "phone and jacket taken by two males on mopeds near the shops",
        "found with wraps of cocaine and a burner phone running a county line",
        "shoplifting from the supermarket detained by security staff",
        "intimate image shared in a group chat among pupils at school",
    ]
    rows = []
    for i, m in enumerate(months):
        for _ in range(40):
            rows.append((m, templates[rng.integers(0, len(templates))] + f" {rng.choice(['zoe', 'amir', 'kai'])}"))
        if i >= 9:
            for _ in range(8):
                rows.append(
                    (m, f"added on zapchat by an older male who asked for pictures {rng.choice(['zoe', 'amir'])}")
                )
    return pd.DataFrame(rows, columns=["month", "text"])


def test_a_new_topic_is_found_in_its_first_month_and_names_never_appear() -> None:
    topics, monthly = find_emerging(_docs(), frozenset({"zoe", "amir", "kai"}), EmergingConfig(topics=8, min_df=3))
    rising = topics[topics["rising"]]
    found = rising[rising["top_terms"].apply(lambda t: "zapchat" in t)]
    print(f"\nrising topics: {len(rising)}; first with the new app: {found['period_end'].min()}")
    assert found["period_end"].min() == "2025-10"
    assert not any(n in t for terms in topics["top_terms"] for t in terms for n in ("zoe", "amir", "kai"))
    assert set(monthly.columns) == {"period_end", "topic_id", "month", "documents", "share"}


def test_cohorts_describe_groups_of_co_occurring_factors_without_ids() -> None:
    rng = np.random.default_rng(1)
    factors = ["missing", "cse", "gang_affected", "weapon_carrying", "domestic_abuse", "mental_health"]
    blocks = [("missing", "cse"), ("gang_affected", "weapon_carrying"), ("domestic_abuse", "mental_health")]
    rows = []
    for a, b in blocks:
        for _ in range(40):
            row = dict.fromkeys(factors, 0)
            row[a], row[b] = 1, int(rng.random() < 0.9)
            row[factors[rng.integers(0, 6)]] = 1
            rows.append(row)
    cohorts, cf = describe_cohorts(pd.DataFrame(rows), factors)
    assert "person_key" not in cohorts.columns and "person_key" not in cf.columns
    labels = " | ".join(cohorts["label"])
    print(f"\ncohorts: {labels}")
    for a, b in blocks:
        assert any(a in lab and b in lab for lab in cohorts["label"]), labels
