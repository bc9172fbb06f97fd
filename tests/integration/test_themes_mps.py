"""The trend and exceedance code on real data: MPS ward-level recorded crime (London Datastore)."""

from __future__ import annotations

import duckdb
import numpy as np
import pytest

from tests.conftest import SHARED_DATA
from transforms.themes.monthly import fit_series, mps_ward_series

MPS = SHARED_DATA / "mps"
FILES = [str(MPS / "recorded-crime-ward-historical.parquet"), str(MPS / "recorded-crime-ward.parquet")]
VIOLENCE = ["VIOLENCE AGAINST THE PERSON", "ROBBERY", "POSSESSION OF WEAPONS"]

pytestmark = pytest.mark.skipif(not (MPS / "recorded-crime-ward.parquet").exists(), reason="MPS data not present")


@pytest.fixture(scope="module")
def hackney():
    with duckdb.connect() as con:
        return mps_ward_series(con, FILES, "Hackney", VIOLENCE)


def test_hackney_wards_back_to_2010_through_the_same_code(hackney) -> None:
    assert hackney["ward_code"].nunique() == 21
    assert hackney["month"].min() == "2010-04" and hackney["month"].max() >= "2026-01"
    fit = fit_series(hackney, ["ward_code"])
    tested = fit[fit["expected"].notna()]
    rate = tested["exceedance"].mean()
    late = fit[fit["month"] >= "2016-01"]
    print(f"\nMPS Hackney violence+robbery+weapons: {len(fit)} ward-months, {len(tested)} tested, "
          f"{rate:.2%} flagged; 10-level season in {(late['seasonal_levels'] == 10).mean():.0%} of months since 2016")
    assert (late["seasonal_levels"] == 10).mean() > 0.95
    assert 0 < rate < 0.08
    # volumes: expected levels follow the real counts (median ratio near 1)
    ratio = (tested["count"] / tested["expected"]).median()
    assert 0.8 < ratio < 1.25


def test_real_gaps_are_not_tested_and_not_in_baselines(hackney) -> None:
    one = hackney[hackney["ward_code"] == hackney["ward_code"].iloc[0]].copy()
    rng = np.random.default_rng(0)
    gaps = set(rng.choice(one["month"].iloc[30:].to_numpy(), 12, replace=False))
    holed = one[~one["month"].isin(gaps)]
    fit = fit_series(holed, ["ward_code"])
    assert len(fit) == len(one)
    at_gaps = fit[fit["month"].isin(gaps)]
    assert at_gaps["count"].isna().all() and at_gaps["expected"].isna().all() and not at_gaps["exceedance"].any()
    assert fit[~fit["month"].isin(gaps) & (fit["month"] > "2011-06")]["expected"].notna().all()


def test_a_ward_created_by_a_boundary_review_starts_its_own_history() -> None:
    with duckdb.connect() as con:
        s = mps_ward_series(con, FILES, "Aviation Security (SO18)", ["ARSON AND CRIMINAL DAMAGE", "THEFT"])
    first = s["month"].min()
    assert first > "2015-01"  # the zeros before the ward existed are not counted as months
    fit = fit_series(s, ["ward_code"])
    head = fit.sort_values("month").head(6)
    print(f"\nHeathrow Villages series starts {first}; first tested month "
          f"{fit[fit['expected'].notna()]['month'].min()}")
    assert head["expected"].isna().all() and not head["exceedance"].any()
