"""The trend and exceedance code on real data: MPS ward-level recorded crime (London Datastore) and
data.police.uk street-level crime (City of London) for places.

What is measured here is what the default of `transforms/themes/farrington.py` was chosen on
(docs/themes.md): over Hackney's ward-months 2010-04..2019-12 the share flagged above expected is
at most twice alpha; a planted rise of expected + 3 standard deviations in a ward-month of
2015-2019 is flagged; the first lockdown (March-June 2020) is below expected. Lambeth is the
second series the choice was made on. Every test prints the measured figure beside its reference
and beside the Noufaily defaults (`NOUFAILY`), the method as it was.
"""

from __future__ import annotations

from dataclasses import replace

import duckdb
import numpy as np
import pandas as pd
import pytest

from tests.conftest import SHARED_DATA
from transforms.themes.farrington import DEFAULT, FarringtonConfig, evaluate_windows, window_start
from transforms.themes.monthly import fit_series, month_range, mps_ward_series

MPS = SHARED_DATA / "mps"
FILES = [str(MPS / "recorded-crime-ward-historical.parquet"), str(MPS / "recorded-crime-ward.parquet")]
VIOLENCE = ["VIOLENCE AGAINST THE PERSON", "ROBBERY", "POSSESSION OF WEAPONS"]
CITY = SHARED_DATA / "police-uk" / "city-of-london-street"
#: the method before Lantern's prediction limits: Noufaily 2013's settings as they were
NOUFAILY = replace(
    DEFAULT,
    exclude_recent=6,
    prediction_interval=False,
    dispersion_unweighted=False,
    t_quantile=False,
    level_block=0,
    level_cv_floor=0.0,
)
LOCKDOWN = ["2020-03", "2020-04", "2020-05", "2020-06"]

pytestmark = pytest.mark.skipif(not (MPS / "recorded-crime-ward.parquet").exists(), reason="MPS data not present")


def _all_offences(borough: str) -> pd.DataFrame:
    with duckdb.connect() as con:
        majors = [m for (m,) in con.execute("select distinct majortext from read_parquet(?)", [FILES[0]]).fetchall()]
        return mps_ward_series(con, FILES, borough, majors)


@pytest.fixture(scope="module")
def hackney():
    with duckdb.connect() as con:
        return mps_ward_series(con, FILES, "Hackney", VIOLENCE)


@pytest.fixture(scope="module")
def hackney_all() -> pd.DataFrame:
    return _all_offences("Hackney")


def _tested(fit: pd.DataFrame, first: str = "2010-04", last: str = "2019-12") -> pd.DataFrame:
    return fit[(fit["month"] >= first) & (fit["month"] <= last) & fit["expected"].notna()]


def _by_year(tested: pd.DataFrame) -> str:
    return " ".join(f"{y}: {v:.1%}" for y, v in tested.groupby(tested["month"].str[:4])["exceedance"].mean().items())


def _planted(
    fit: pd.DataFrame, cfg: FarringtonConfig, sd: pd.Series, first: str = "2015-01", last: str = "2019-12"
) -> tuple[int, int]:
    """(flagged, planted): every tested ward-month of first..last, its count replaced by
    ceil(expected + 3 * sd) and evaluated from its own window (the baseline untouched)."""
    hits = total = 0
    for _, g in fit.groupby("ward_code", sort=True):
        y = g["count"].to_numpy(dtype=float)
        e, s, m = g["expected"].to_numpy(), sd.loc[g.index].to_numpy(), g["month"].to_numpy()
        by_len: dict[int, list[np.ndarray]] = {}
        for t0 in np.flatnonzero((m >= first) & (m <= last) & ~np.isnan(e) & ~np.isnan(s)):
            w = y[window_start(int(t0), cfg) : t0 + 1].copy()
            w[-1] = np.ceil(e[t0] + 3 * s[t0])
            by_len.setdefault(len(w), []).append(w)
        for windows in by_len.values():
            res = evaluate_windows(np.array(windows), cfg)
            hits += sum(r.exceedance for r in res)
            total += len(res)
    return hits, total


def _borough_total(wards: pd.DataFrame, cfg: FarringtonConfig) -> pd.DataFrame:
    total = wards.groupby("month", as_index=False)["count"].sum().assign(area="borough")
    return fit_series(total, ["area"], cfg).set_index("month")


def test_hackney_wards_back_to_2010_through_the_same_code(hackney) -> None:
    assert hackney["ward_code"].nunique() == 21
    assert hackney["month"].min() == "2010-04" and hackney["month"].max() >= "2026-01"
    fit = fit_series(hackney, ["ward_code"])
    tested = fit[fit["expected"].notna()]
    rate = tested["exceedance"].mean()
    old = fit_series(hackney, ["ward_code"], NOUFAILY)
    late = fit[fit["month"] >= "2016-01"]
    print(
        f"\nMPS Hackney violence+robbery+weapons: {len(fit)} ward-months, {len(tested)} tested, "
        f"{rate:.2%} flagged (Noufaily defaults {old[old['expected'].notna()]['exceedance'].mean():.2%}; "
        f"alpha {DEFAULT.alpha}); 10-level season in {(late['seasonal_levels'] == 10).mean():.0%} of months since 2016"
    )
    assert (late["seasonal_levels"] == 10).mean() > 0.95
    assert 0 < rate <= 2 * DEFAULT.alpha
    # volumes: expected levels follow the real counts (median ratio near 1)
    ratio = (tested["count"] / tested["expected"]).median()
    assert 0.8 < ratio < 1.25


@pytest.mark.parametrize("borough", ["Hackney", "Lambeth"])
def test_false_alarms_near_nominal_and_the_lockdown_below_expected(borough: str, hackney_all) -> None:
    """All offences by ward: at most twice alpha flagged above expected over 2010-04..2019-12;
    the borough total below expected in every month March-June 2020."""
    wards = hackney_all if borough == "Hackney" else _all_offences(borough)
    fit, old = fit_series(wards, ["ward_code"]), fit_series(wards, ["ward_code"], NOUFAILY)
    tested, old_tested = _tested(fit), _tested(old)
    rate = tested["exceedance"].mean()
    provisional = tested[tested["baseline_months"] < 36]
    print(
        f"\n{borough}, all offences, {wards['ward_code'].nunique()} wards: {int(tested['exceedance'].sum())} of "
        f"{len(tested)} ward-months 2010-04..2019-12 flagged above expected = {rate:.2%} (bound {2 * DEFAULT.alpha:.0%}; "
        f"Noufaily defaults {old_tested['exceedance'].mean():.2%}); below expected {tested['below_expected'].mean():.2%}; "
        f"on provisional baselines (< 36 months) {provisional['exceedance'].mean():.2%} of {len(provisional)}"
    )
    print(f"  by year: {_by_year(tested)}\n  Noufaily by year: {_by_year(old_tested)}")
    total = _borough_total(wards, DEFAULT)
    for m in LOCKDOWN:
        r = total.loc[m]
        print(
            f"  borough {m}: {int(r['count'])} against expected {r['expected']:.0f} (lower {r['lower']:.0f}): "
            f"{'below expected' if r['below_expected'] else 'not below'}; "
            f"wards below expected {int(fit[fit['month'] == m]['below_expected'].sum())} of {wards['ward_code'].nunique()}"
        )
    assert rate <= 2 * DEFAULT.alpha
    assert total.loc[LOCKDOWN, "below_expected"].all()
    assert not total.loc[LOCKDOWN, "exceedance"].any()
    assert fit[fit["month"] == "2020-04"]["below_expected"].sum() >= 10  # most wards fell too


def test_a_planted_rise_of_three_standard_deviations_is_flagged(hackney_all) -> None:
    """A rise of expected + 3 SD in a Hackney ward-month of 2015-2019, the SD the model's own
    prediction SD; printed beside two yardsticks that do not depend on the method judged: the
    Noufaily SD (sqrt(phi * expected)), and that SD scaled by the ward's own out-of-sample spread
    under Noufaily (the SD of its standardised residuals over 2010-04..2019-12)."""
    fit = fit_series(hackney_all, ["ward_code"])
    own = _planted(fit, DEFAULT, np.sqrt(fit["variance"]))
    old = fit_series(hackney_all, ["ward_code"], NOUFAILY)
    old_sd = np.sqrt(old["variance"])
    tested = _tested(old)
    spread = ((tested["count"] - tested["expected"]) / np.sqrt(tested["variance"])).groupby(tested["ward_code"]).std()
    # the yardsticks are planted on the Noufaily expected level: the same counts for any method
    noufaily = _planted(old, DEFAULT, old_sd)
    empirical = _planted(old, DEFAULT, old_sd * old["ward_code"].map(spread))
    base = _planted(old, NOUFAILY, old_sd)
    print(
        f"\nplanted expected + 3 SD in Hackney ward-months 2015-2019: flagged {own[0]}/{own[1]} = {own[0] / own[1]:.1%} "
        f"(reference >= 95%); with the empirical SD {empirical[0] / empirical[1]:.1%}, with the Noufaily SD "
        f"{noufaily[0] / noufaily[1]:.1%} (Noufaily defaults on their own SD {base[0] / base[1]:.1%}); "
        f"ward out-of-sample spread under Noufaily {spread.min():.2f}-{spread.max():.2f} SD"
    )
    assert own[1] > 1000
    assert own[0] / own[1] >= 0.95
    assert empirical[0] / empirical[1] >= 0.90


def test_real_gaps_are_not_tested_and_not_in_baselines(hackney) -> None:
    one = hackney[hackney["ward_code"] == hackney["ward_code"].iloc[0]].copy()
    rng = np.random.default_rng(0)
    gaps = set(rng.choice(one["month"].iloc[30:].to_numpy(), 12, replace=False))
    holed = one[~one["month"].isin(gaps)]
    fit = fit_series(holed, ["ward_code"])
    assert len(fit) == len(one)
    at_gaps = fit[fit["month"].isin(gaps)]
    assert at_gaps["count"].isna().all() and at_gaps["expected"].isna().all() and not at_gaps["exceedance"].any()
    assert not at_gaps["below_expected"].any()
    assert fit[~fit["month"].isin(gaps) & (fit["month"] > "2011-06")]["expected"].notna().all()


def test_a_ward_created_by_a_boundary_review_starts_its_own_history() -> None:
    with duckdb.connect() as con:
        s = mps_ward_series(con, FILES, "Aviation Security (SO18)", ["ARSON AND CRIMINAL DAMAGE", "THEFT"])
    first = s["month"].min()
    assert first > "2015-01"  # the zeros before the ward existed are not counted as months
    fit = fit_series(s, ["ward_code"])
    head = fit.sort_values("month").head(6)
    print(
        f"\nHeathrow Villages series starts {first}; first tested month {fit[fit['expected'].notna()]['month'].min()}"
    )
    assert head["expected"].isna().all() and not head["exceedance"].any()


@pytest.mark.skipif(not CITY.exists(), reason="shared police.uk data not present")
def test_places_on_real_street_level_crime() -> None:
    """marts.place_monthly's series on real data: every 'On or near' location of the City of London
    (data.police.uk, 2017-01..2021-12) by month, zeros kept, as place_monthly_series builds them.
    All baselines up to 2019-12 are provisional (< 36 months)."""
    with duckdb.connect() as con:
        counts = con.execute(
            'select "Location" as place, "Month" as month, count(*) as count '
            'from read_csv(?, header = true, all_varchar = true) where "Location" is not null group by all',
            [str(CITY / "*-street.csv")],
        ).df()
    months = month_range(counts["month"].min(), counts["month"].max())
    grid = pd.MultiIndex.from_product([sorted(counts["place"].unique()), months], names=["place", "month"]).to_frame(
        index=False
    )
    series = grid.merge(counts, how="left").fillna({"count": 0})
    fit, old = fit_series(series, ["place"]), fit_series(series, ["place"], NOUFAILY)
    tested, old_tested = _tested(fit, last="2019-12"), _tested(old, last="2019-12")
    total = _borough_total(series.rename(columns={"place": "ward_code"}), DEFAULT)
    lock = {m: int(fit[fit["month"] == m]["below_expected"].sum()) for m in ["2020-04", "2020-05", "2020-06"]}
    print(
        f"\nCity of London, {series['place'].nunique()} places: {len(tested)} place-months tested to 2019-12, "
        f"{tested['exceedance'].mean():.2%} flagged above expected (bound {2 * DEFAULT.alpha:.0%}; Noufaily defaults "
        f"{old_tested['exceedance'].mean():.2%}), {tested['below_expected'].mean():.2%} below; places below expected "
        f"in the lockdown {lock}; City total "
        + ", ".join(
            f"{m}: {int(total.loc[m, 'count'])}/{total.loc[m, 'expected']:.0f}"
            f"{' below' if total.loc[m, 'below_expected'] else ''}"
            for m in LOCKDOWN
        )
    )
    assert tested["exceedance"].mean() <= 2 * DEFAULT.alpha
    assert total.loc[["2020-04", "2020-05", "2020-06"], "below_expected"].all()
    assert sum(lock.values()) > 0
