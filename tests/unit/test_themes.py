"""Themes: definitions as data, the improved Farrington method, emerging topics, cohorts, review."""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import pytest

from transforms.themes.definitions import compile_rules, load_definitions, parse_definitions
from transforms.themes.farrington import FarringtonConfig, evaluate_month, evaluate_series
from transforms.themes.monthly import fit_series, month_range
from transforms.themes.review import suppress


def _tiny_warehouse() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("create schema core")
    con.execute("""create table core.incident as select * from (values
        ('A', 'violence_against_the_person', 'GBH with intent', 'street', false, false, false, false, false, false, false),
        ('B', 'robbery', 'Robbery of personal property', 'street', false, false, false, true, false, false, false),
        ('C', 'robbery', 'Robbery of personal property', 'street', false, false, false, false, false, false, false),
        ('D', 'sexual_offences', 'Sexual assault on a female aged 13 and over', 'school_college', false, false, false, false, false, false, false),
        ('E', 'sexual_offences', 'Sexual communication with a child', 'online', false, false, false, false, false, false, false)
        ) t(incident_key, offence_group, offence, location_type, cse_flag, cce_flag, gang_flag, knife_flag, firearm_flag, dv_flag, online_flag)""")
    con.execute("""create table core.involvement as select * from (values
        ('A', 'victim', 17), ('A', 'suspect', 18), ('B', 'victim', 15), ('C', 'victim', 15),
        ('D', 'victim', 14), ('D', 'suspect', 15), ('E', 'victim', 14), ('E', 'accused', 30)
        ) t(incident_key, role, age_at_event)""")
    return con


def _themes(con: duckdb.DuckDBPyConnection, doc: dict) -> set[tuple[str, str]]:
    query, params = compile_rules(parse_definitions(doc))
    return {(k, t) for k, t, *_ in con.execute(query, params).fetchall()}


def test_shipped_definitions_theme_the_tiny_borough() -> None:
    defs = load_definitions()
    assert defs.version == "themes-v1"
    assert {t.theme for t in defs.themes} == {"cse", "hsb_peer", "syv", "cce", "gang", "online"}
    query, params = compile_rules(defs)
    assert "GBH" not in query and all(k.startswith("p") for k in params)  # values are parameters
    got = {(k, t) for k, t, *_ in _tiny_warehouse().execute(query, params).fetchall()}
    # A: most serious violence, victim 17 -> syv; B: knife-enabled robbery of a 15-year-old -> syv;
    # C: robbery without a weapon is not serious youth violence under the Met definition;
    # D: both under 18 -> hsb_peer; E: adult suspect, child victim -> cse; online location -> online
    assert got == {("A", "syv"), ("B", "syv"), ("D", "hsb_peer"), ("E", "cse"), ("E", "online")}


def test_changing_a_definition_rethemes_history() -> None:
    con = _tiny_warehouse()
    doc = {
        "version": "test-v2",
        "themes": {
            "syv": {
                "rules": [
                    {
                        "id": "any_youth_violence",
                        "offence_group_in": ["violence_against_the_person", "robbery"],
                        "involves": [{"role": "victim", "age": [1, 19]}],
                    }
                ]
            }
        },
    }
    assert _themes(con, doc) == {("A", "syv"), ("B", "syv"), ("C", "syv")}
    doc["themes"]["syv"]["rules"][0]["involves"] = [{"role": "victim", "age": [16, 19]}]
    assert _themes(con, doc) == {("A", "syv")}


@pytest.mark.parametrize(
    "bad",
    [
        {"version": "x", "themes": {"Knife Crime!": {"rules": [{"flags_any": ["knife_flag"]}]}}},
        {"version": "x", "themes": {"syv": {"rules": [{"flags_any": ["drop table"]}]}}},
        {"version": "x", "themes": {"syv": {"rules": [{"colour": "red"}]}}},
        {"themes": {"syv": {"rules": [{"flags_any": ["knife_flag"]}]}}},
    ],
)
def test_invalid_definitions_are_refused(bad: dict) -> None:
    with pytest.raises(ValueError):
        parse_definitions(bad)


def _nb(rng: np.random.Generator, mu: np.ndarray, size: float = 4.0) -> np.ndarray:
    return rng.negative_binomial(size, size / (size + mu)).astype(float)


def test_farrington_flags_a_planted_outbreak_and_little_else() -> None:
    rng = np.random.default_rng(3)
    months = np.arange(60)
    mu = 4 * (1 + 0.4 * np.sin(2 * np.pi * months / 12))
    alarms = tested = 0
    hits = 0
    for _ in range(40):
        y = _nb(rng, mu)
        res = evaluate_series(y)
        alarms += sum(r.exceedance for r in res)
        tested += sum(r.expected is not None for r in res)
        y[50] = mu[50] * 4 + 6
        hits += evaluate_month(y, 50).exceedance
    fa = alarms / tested
    print(f"\nfalse-alarm rate on 60-month seasonal NB series: {fa:.3%}; detection of a x4 spike: {hits}/40")
    assert fa < 0.03
    assert hits >= 36


def test_farrington_uses_ten_seasonal_levels_with_long_history_and_falls_back_when_short() -> None:
    rng = np.random.default_rng(5)
    y = _nb(rng, np.full(72, 6.0))
    assert evaluate_month(y, 70).seasonal_levels == 10
    assert evaluate_month(y, 20).seasonal_levels in (1, 2)
    first = evaluate_month(y, 3)
    assert first.expected is None and not first.exceedance


def test_farrington_thresholds_and_five_in_four_rule() -> None:
    y = np.array([0, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 4], dtype=float)
    r = evaluate_month(y, 12)
    assert r.expected is not None and r.upper is not None and y[12] > r.upper
    assert not r.exceedance  # only 4 incidents in the last 4 months: below the 5-in-4 rule
    cfg23 = FarringtonConfig(threshold="2/3")
    y2 = np.array([5, 6, 4, 7, 5, 6, 5, 4, 6, 5, 7, 6, 25], dtype=float)
    assert evaluate_month(y2, 12, cfg23).exceedance and evaluate_month(y2, 12).exceedance


def test_a_fall_is_flagged_below_expected_and_never_without_an_expected_level() -> None:
    rng = np.random.default_rng(7)
    y = _nb(rng, np.full(61, 40.0), size=30.0)
    y[60] = 8.0
    r = evaluate_month(y, 60)
    print(f"\nfall to 8 against expected {r.expected:.1f} (lower {r.lower}): below_expected={r.below_expected}")
    assert r.lower is not None and r.below_expected and not r.exceedance
    y[60] = 40.0
    assert not evaluate_month(y, 60).below_expected
    assert not evaluate_month(np.array([0.0, 0.0, 0.0]), 2).below_expected  # no expected level yet
    gap = y.copy()
    gap[60] = np.nan
    assert not evaluate_month(gap, 60).below_expected  # a month with no delivery is not tested
    fitted = fit_series(pd.DataFrame({"s": "a", "month": month_range("2015-01", "2020-01"), "count": y}), ["s"])
    assert "below_expected" in fitted.columns and fitted["below_expected"].dtype == bool


def test_recording_gaps_are_skipped_not_read_as_zero() -> None:
    y = np.array([8, 9, 7, 8, np.nan, np.nan, 9, 8, 7, 9, 8, 9, 8], dtype=float)
    res = evaluate_series(y)
    assert res[4].expected is None and res[5].expected is None
    r = res[12]
    assert r.baseline_months <= 10 and r.expected is not None and 6 < r.expected < 11
    frame = pd.DataFrame(
        {"ward": ["a"] * 5, "month": ["2020-01", "2020-02", "2020-05", "2020-06", "2020-07"], "count": [1, 2, 3, 4, 5]}
    )
    fitted = fit_series(frame, ["ward"])
    assert list(fitted["month"]) == ["2020-01", "2020-02", "2020-03", "2020-04", "2020-05", "2020-06", "2020-07"]
    assert fitted["count"].isna().sum() == 2


def test_review_suppression_hides_small_counts_and_their_shares() -> None:
    tables = {
        "known_before": pd.DataFrame(
            {
                "role": ["victim", "suspect"],
                "known_to": ["x", "x"],
                "people": [40, 4],
                "known_before": [3, 2],
                "share": [0.075, 0.5],
            }
        )
    }
    out = suppress(tables, 5)["known_before"]
    assert list(out["known_before"]) == ["c", "c"]
    assert list(out["people"]) == [40, "c"]
    assert list(out["share"]) == ["c", "c"]


def test_stacked_farrington_fits_agree_with_one_window_at_a_time() -> None:
    """`evaluate_windows` (many windows fitted together) gives `evaluate_month`'s result for every
    window, to rounding, and a window's result does not depend on which windows share its stack."""
    from transforms.themes.farrington import evaluate_windows, window_start

    rng = np.random.default_rng(11)
    m = np.arange(120)
    series = []
    for k in range(24):
        lam = [5 + 2 * np.sin(2 * np.pi * m / 12), np.full(120, 0.3), 20 * np.exp(0.01 * m), rng.gamma(1, 3, 120)][
            k % 4
        ]
        y = rng.poisson(lam).astype(float)
        if k % 4 == 1:
            y[:40] = 0  # quiet start: zero windows and seasonal levels with no counts
        if k % 4 == 3:
            y[rng.integers(0, 120, 2)] = np.nan  # recording gaps go through evaluate_month
        series.append(y)
    checked, worst = 0, 0.0
    for cfg in (FarringtonConfig(), FarringtonConfig(threshold="2/3")):
        for t0 in range(0, 120, 3):
            s = window_start(t0, cfg)
            windows = np.array([y[s : t0 + 1] for y in series])
            stacked = evaluate_windows(windows, cfg)
            alone = evaluate_windows(windows[::-1][:5], cfg)
            assert alone == stacked[::-1][:5]  # bit for bit, whatever the company
            for w, got in zip(windows, stacked, strict=True):
                ref = evaluate_month(w, len(w) - 1, cfg)
                for f in ("exceedance", "below_expected", "baseline_months", "seasonal_levels", "trend"):
                    assert getattr(got, f) == getattr(ref, f), (t0, f)
                for f in ("expected", "lower", "upper", "dispersion", "variance"):
                    a, b = getattr(ref, f), getattr(got, f)
                    assert (a is None) == (b is None)
                    if a is not None:
                        worst = max(worst, abs(a - b) / max(abs(a), 1e-9))
                checked += 1
    print(f"\n{checked} windows: stacked and one-at-a-time agree, worst relative difference {worst:.2e}")
    assert worst < 1e-6


def test_the_memo_frame_of_columns_is_the_frame_of_results() -> None:
    """The expected levels' memo is built from `evaluate_windows_columns` (no object per window):
    the same frame, value for value, as one built from `evaluate_windows`' results, over windows
    with an expected level, with none (too short, a gap) and all zero."""
    from transforms.themes.farrington import evaluate_windows, evaluate_windows_columns
    from transforms.themes.monthly import _columns_frame, _results_frame

    rng = np.random.default_rng(5)
    frames = []
    for length in (4, 30, 67):
        windows = rng.poisson(rng.gamma(1, 4, (40, 1)), (40, length)).astype(float)
        windows[:5] = 0.0
        windows[5:8, 2] = np.nan
        keys = [f"w{length}-{i}" for i in range(len(windows))]
        a = _columns_frame(keys, [evaluate_windows_columns(windows)])
        b = _results_frame(keys, evaluate_windows(windows))
        pd.testing.assert_frame_equal(a, b)
        frames.append(a)
    both = pd.concat(frames)
    print(f"\n{len(both)} windows, {int(both['expected'].isna().sum())} with no expected level: frames equal")
    assert both["expected"].isna().any() and both["expected"].notna().any()


@pytest.mark.parametrize("sample", [40, 1000])
def test_cohort_silhouette_is_scikit_learns_on_the_same_sample(sample: int) -> None:
    """The silhouette of each k is read from one matrix of Jaccard distances of the seeded sample:
    the same number, to the bit, as `silhouette_score(sample_size=...)` computes for every k."""
    from sklearn.metrics import silhouette_score

    from transforms.themes.cohorts import CohortConfig, cluster_profiles

    rng = np.random.default_rng(4)
    base = rng.random((6, 12)) < 0.3
    X = (base[rng.integers(0, 6, 300)] ^ (rng.random((300, 12)) < 0.08)).astype(float)
    cfg = CohortConfig(silhouette_sample=sample)
    labels, s = cluster_profiles(X, cfg)
    ref = silhouette_score(X.astype(bool), labels, metric="jaccard", sample_size=min(300, sample), random_state=0)
    print(f"\nsample {sample}: {len(set(labels))} cohorts, silhouette {s} (scikit-learn's: {ref})")
    assert len(set(labels)) >= 3
    assert s == float(ref)
