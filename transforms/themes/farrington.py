"""Expected levels and exceedances of monthly counts: the improved Farrington method.

Method (Noufaily A, Enki DG, Farrington P, Garthwaite P, Andrews N, Charlett A. An improved
algorithm for outbreak detection in multiple surveillance systems. Statistics in Medicine 2013;
32:1206-1222; building on Farrington CP et al., J R Stat Soc A 1996; 159:547-563), as UKHSA runs
it for national surveillance and as R's `surveillance::farringtonFlexible` implements it:

* for each month t0, a quasi-Poisson log-linear GLM is fitted to **all** months of the previous
  `years_back` years (not only the window around t0), with a linear trend and a seasonal factor of
  `periods` levels: the months within `window` of t0's calendar month form the reference level,
  the rest of the year is cut into `periods - 1` blocks;
* the most recent `exclude_recent` months are left out of the baseline so that an ongoing
  excess does not raise its own expected level (Noufaily: 26 weeks, i.e. 6 months; Lantern: 2,
  see below); with less than `short_history` months of baseline left, only the last
  `exclude_recent_short` months are;
* past excesses are down-weighted: observations whose Anscombe residual exceeds
  `reweight_threshold` (2.58, Noufaily) get weight proportional to residual**-2;
* the trend is kept only when significant (p < 0.05) and when it does not extrapolate above the
  largest baseline count (Farrington 1996);
* the limits are the alpha and (1 - alpha) quantiles of a negative binomial with the predicted
  mean (Noufaily's plug-in threshold, `threshold="nb"`), or Farrington's original 2/3-power
  transformed limits (`threshold="2/3"`); the variance of that negative binomial is Lantern's
  prediction variance (below) or, with `prediction_interval=False`, Noufaily's `phi * mu0`;
* an exceedance is flagged only when the count is above the upper limit and there were at least
  `limit_sum` counts in the last `limit_months` months (Farrington's "5 in 4" rule) and, a
  Lantern addition for borough-sized counts, the month itself has at least `min_count` (3):
  one or two incidents where none were expected are read on the page, not flagged;
* a month is **below expected** when its count is below the lower limit (`below_expected`): a
  fall matters as much as a rise in safeguarding (a collapse in recorded CSE more often means a
  gap in recording or in contact than safer children). No minimum count applies to falls; a
  lower limit of 0 can never be undercut, so small series rarely show one.

Lantern's prediction limits (the default since farrington-4), chosen on real crime series.
Run over the MPS ward series of Hackney (all offences, 21 wards, 2,331 tested ward-months
2010-04..2019-12) the Noufaily defaults flag 5.9% of ward-months at alpha 0.01 (10-11% in
2011-12 and 2017) and the out-of-sample standardised residual has a standard deviation of 1.35
(long baselines) to 1.9 (short ones): the plug-in `phi * mu0` understates how far a real count
strays from a prediction made months ahead. Four changes make the limits a prediction interval:

* `prediction_interval`: the variance is `phi * mu0 + var(mu0) + mu0**2 * level_var`, adding the
  uncertainty of the fitted mean at t0 (as Farrington 1996's 2/3-power limit does; it matters
  where a trend is extrapolated) and a level that wanders between years;
* `level_block` (12): `level_var` is the between-block variance of the log ratio of observed to
  fitted counts over consecutive 12-month blocks of the baseline, less what counting noise
  explains (a year-level random effect), floored at `level_cv_floor**2` (5%: no month of a
  real series is known to better than 5% beyond counting noise; the negative-binomial quadratic
  variance term with size 400). It only bites on large counts: at 5 a month it adds 0.06 to a
  variance of 5 or more;
* `dispersion_unweighted`: `phi` is estimated from the residuals of every baseline month, not
  only the months the down-weighting kept (the spikes it down-weights are part of the series'
  normal variation; they still do not pull the expected level);
* `t_quantile`: the variance is scaled by `(t(1 - alpha, df) / z(1 - alpha))**2`, `df` the
  residual degrees of freedom, since `phi` is itself estimated (large on short baselines:
  6-24 months);

and `exclude_recent` is 2 months, not Noufaily's 6 (26 weeks of weekly data): with level shifts
in real series a 6-month gap leaves the baseline behind the level, and the down-weighting
already keeps a past excess from raising its own expected level.

Measured (tests/integration/test_themes_mps.py; docs/themes.md has the table): Hackney ward-months
flagged above expected 5.9% -> 1.9% (bound: twice alpha, 2%); Lambeth, the second series the
choice was made on, 3.7% -> 1.2%; held out: Southwark 6.1% -> 1.8%, Tower Hamlets 4.6% -> 1.7%,
Haringey 5.6% -> 2.1%. A rise of expected + 3 predictive SD in a Hackney ward-month of 2015-2019 is
flagged in 100%; a rise of 3 empirical SD (the Noufaily SD scaled by the ward's own
out-of-sample spread, a yardstick that does not depend on the method being judged) in 95%.
Borough totals March-June 2020 (first lockdown) stay below expected in Hackney and Lambeth. On
synthetic negative-binomial series (tests/unit/test_themes.py) the false-alarm rate is 1.0% and a
x4 spike is found 40/40; on the sample borough the planted surge and hotspot are still flagged
and the unexplained theme alarms fall from 4 to 1 of 2,268.

Short histories (a borough with two years of extracts) are handled explicitly: with less than
three years of baseline the seasonal factor falls back to two levels (same season vs the rest),
with less than a year to none; with fewer than `min_baseline` months there is no expected level
(NULL, never flagged). Months that are missing (NaN: a real recording gap) are left out of every
baseline and are not tested. The GLM is fitted by iteratively reweighted least squares in numpy.

What a month's result depends on: `evaluate_month(counts, t0)` reads only the window
`counts[window_start(t0):t0 + 1]` (the baseline years, t0 itself and the months of the "5 in 4"
rule) and uses positions only relative to t0, so the result is a function of that window's
values and the settings alone. `transforms/themes/monthly.py` memoises results under a digest of
the window; `ALGORITHM_VERSION` is part of that digest and must be bumped whenever a change here
can alter any result for the same window and settings.

Many windows at once: `evaluate_windows` gives `evaluate_month(w, len(w) - 1)` for every row of a
stack of equal-length windows, fitting them together. Windows of the same length with no missing
month share one design matrix (the baseline months, the trend, the seasonal levels are positions
relative to t0), so their IRLS runs as stacked numpy (normal equations solved per window with
`np.linalg.solve`) instead of a Python loop per window: a London build has 1.4 million distinct
windows. A window with a missing month goes through `evaluate_month`. The two agree to rounding
(the unit tests compare them); the stacked fit is what the marts use.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from scipy import special, stats

logger = logging.getLogger(__name__)

# bump when a change to this module can alter a MonthResult for the same window and settings:
# the memos of transforms/themes/monthly.py are keyed by it
# 2: stacked fits; 3: below_expected; 4: prediction limits; 5: X'WX as sums of distinct column
# products and its pseudo-inverse by eigh (rounding)
ALGORITHM_VERSION = "farrington-5"


@dataclass(frozen=True)
class FarringtonConfig:
    """Settings of the improved Farrington method for monthly counts (defaults: Noufaily 2013)."""

    years_back: int = 5
    window: int = 1
    periods: int = 10
    exclude_recent: int = 2
    exclude_recent_short: int = 2
    alpha: float = 0.01
    reweight_threshold: float = 2.58
    trend_p: float = 0.05
    min_baseline: int = 6
    limit_sum: int = 5
    limit_months: int = 4
    min_count: int = 3
    threshold: str = "nb"
    short_history: int = 24
    # Lantern's additions for real crime series (chosen on MPS ward series, see the module notes)
    prediction_interval: bool = True
    dispersion_unweighted: bool = True
    t_quantile: bool = True
    level_block: int = 12
    level_cv_floor: float = 0.05


DEFAULT = FarringtonConfig()


@dataclass(frozen=True)
class MonthResult:
    """The expected level of one month and whether its count exceeds the upper limit
    (`exceedance`) or falls below the lower limit (`below_expected`)."""

    expected: float | None
    lower: float | None
    upper: float | None
    exceedance: bool
    baseline_months: int
    seasonal_levels: int
    trend: bool
    dispersion: float | None
    below_expected: bool
    variance: float | None  # of the count at t0 under the model, as the limits use it


_NONE = MonthResult(None, None, None, False, 0, 0, False, None, False, None)


def _clip20(eta: np.ndarray) -> np.ndarray:
    """`np.clip(eta, -20, 20)` (same values, NaN kept) without its per-call dispatch overhead."""
    return np.minimum(np.maximum(eta, -20.0), 20.0)


def _irls(y: np.ndarray, X: np.ndarray, w: np.ndarray, iters: int = 50) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Poisson log-link GLM with prior weights; returns (beta, mu, X'WX)."""
    beta = np.zeros(X.shape[1])
    beta[0] = np.log(max((y * w).sum() / w.sum(), 0.1))  # the weighted mean, as np.average computes it
    for _ in range(iters):
        eta = _clip20(X @ beta)
        mu = np.exp(eta)
        z = eta + (y - mu) / mu
        W = w * mu
        sw = np.sqrt(W)
        new, *_ = np.linalg.lstsq(X * sw[:, None], z * sw, rcond=None)
        if np.abs(new - beta).max() < 1e-8:
            beta = new
            break
        beta = new
    mu = np.exp(_clip20(X @ beta))
    xtwx = (X * (w * mu)[:, None]).T @ X
    return beta, mu, xtwx


def _fit(
    y: np.ndarray, X: np.ndarray, cfg: FarringtonConfig
) -> tuple[np.ndarray, np.ndarray, float, np.ndarray, np.ndarray]:
    """Fit, reweight past excesses, refit: (beta, mu, dispersion, covariance, weights)."""
    n, p = X.shape
    w = np.ones(n)
    for step in range(2):
        beta, mu, xtwx = _irls(y, X, w)
        df = max(n - p, 1)
        wd = np.ones(n) if (step == 1 and cfg.dispersion_unweighted) else w
        phi = max(1.0, float(np.sum(wd * (y - mu) ** 2 / mu)) / df)
        inv = np.linalg.pinv(xtwx)
        if step == 1 or not cfg.reweight_threshold:
            break
        sw = np.sqrt(w * mu)
        h = np.einsum("ij,jk,ik->i", X * sw[:, None], inv, X * sw[:, None])
        h = np.clip(h, 0, 0.999)
        r = 1.5 * (np.power(y, 2 / 3) * np.power(mu, -1 / 6) - np.sqrt(mu)) / np.sqrt(phi * (1 - h))
        w = np.where(r > cfg.reweight_threshold, 1.0 / np.maximum(r, 1e-9) ** 2, 1.0)
        w = w * n / w.sum()
    return beta, mu, phi, phi * inv, w


@lru_cache(maxsize=64)
def _season_of_month_gap(window: int, periods: int) -> np.ndarray:
    """Seasonal level of a month by its gap to t0 modulo 12 (index 0..11)."""
    level = np.zeros(12, dtype=int)
    if periods > 1:
        rest = np.arange(window + 1, 12 - window)
        for k, block in enumerate(np.array_split(rest, periods - 1), start=1):
            level[block] = k
    level.setflags(write=False)  # shared by every call: read-only
    return level


def _seasonal_level(d: np.ndarray, window: int, periods: int) -> np.ndarray:
    """Level of the seasonal factor for months `d` months before t0 (0 = t0's season)."""
    return _season_of_month_gap(window, periods)[d % 12]


def _limits(
    mu0: float, var_mu0: float, phi: float, cfg: FarringtonConfig, level_var: float = 0.0, df: int = 0
) -> tuple[float, float]:
    lower, upper = _limits_many(np.array([mu0]), np.array([var_mu0]), np.array([phi]), cfg, np.array([level_var]), df)
    return float(lower[0]), float(upper[0])


def _level_variance_many(
    Y: np.ndarray, mu: np.ndarray, w: np.ndarray, phi: np.ndarray, d: np.ndarray, q: int, cfg: FarringtonConfig
) -> np.ndarray:
    """Variance of the log level between blocks of `level_block` baseline months (0 when off).

    The baseline is cut into consecutive blocks of `level_block` months from its most recent
    month back; a block's log ratio of observed to fitted counts (past excesses down-weighted as
    in the fit) varies by `phi / fitted` from counting noise alone, and whatever variance is left
    over is a level that wanders around the model (a year-level random effect): it carries into
    t0, which lies months after the baseline's end, and is added to the prediction variance as
    `mu0**2 * level variance`. `q` parameters of the model (intercept, trend) take up block-level
    variation and are taken off the degrees of freedom."""
    R = Y.shape[0]
    if not cfg.level_block:
        return np.full(R, cfg.level_cv_floor**2)
    block = (d - d.min()) // cfg.level_block
    nb = int(block.max()) + 1
    if nb - q < 1:
        return np.full(R, cfg.level_cv_floor**2)
    B = (block[:, None] == np.arange(nb)[None, :]).astype(float)  # months x blocks
    obs = np.einsum("rn,nb->rb", w * Y, B)
    fit = np.einsum("rn,nb->rb", w * mu, B)
    ratio = np.log(np.maximum(obs, 0.5) / fit)
    noise = phi[:, None] / fit
    return np.maximum(cfg.level_cv_floor**2, (ratio**2 - noise).sum(axis=1) / (nb - q))


def window_start(t0: int, cfg: FarringtonConfig = DEFAULT) -> int:
    """First month `evaluate_month(counts, t0, cfg)` reads: it reads `counts[window_start:t0 + 1]`
    and nothing else, so `evaluate_month(counts[s:t0 + 1], t0 - s, cfg)` gives the same result."""
    return max(0, t0 - max(12 * cfg.years_back + cfg.window, cfg.limit_months - 1))


def _baseline_positions(t0: int, cfg: FarringtonConfig) -> np.ndarray:
    """Positions of the baseline months of t0 (before missing months are left out): the
    `years_back` years before it, less the most recent months (fewer on a short history)."""
    first = max(0, t0 - 12 * cfg.years_back - cfg.window)
    if (t0 - first) - cfg.exclude_recent >= cfg.short_history:
        exclude = cfg.exclude_recent
    elif (t0 - first) - cfg.exclude_recent_short >= cfg.min_baseline:
        exclude = cfg.exclude_recent_short
    else:
        exclude = 0
    return np.arange(first, t0 - exclude)


def _seasonal_periods(span: int, cfg: FarringtonConfig) -> int:
    """Levels of the seasonal factor for a baseline reaching `span` months back."""
    return cfg.periods if span >= 36 else (2 if span >= 12 + cfg.window else 1)


def evaluate_month(counts: np.ndarray, t0: int, cfg: FarringtonConfig = DEFAULT) -> MonthResult:
    """Expected level, limits and exceedance of `counts[t0]` from the months before it."""
    y_all = np.asarray(counts, dtype=float)
    if t0 >= len(y_all) or np.isnan(y_all[t0]):
        return _NONE
    idx = _baseline_positions(t0, cfg)
    idx = idx[~np.isnan(y_all[idx])]
    if len(idx) < cfg.min_baseline:
        return _NONE
    y = y_all[idx]
    span = t0 - int(idx[0])
    periods = _seasonal_periods(span, cfg)
    recent = y_all[max(0, t0 - cfg.limit_months + 1) : t0 + 1]
    recent_sum = float(np.nansum(recent))
    if y.sum() == 0:
        upper = 0.0
        exceed = bool(y_all[t0] > upper and y_all[t0] >= cfg.min_count and recent_sum >= cfg.limit_sum)
        return MonthResult(0.0, 0.0, upper, exceed, len(idx), 1, False, 1.0, False, 0.0)
    d = t0 - idx
    level = _seasonal_level(d, cfg.window, periods)
    present = [k for k in range(1, periods) if np.any(level == k)]
    if not np.any(level == 0) or any(y[level == k].sum() == 0 for k in [0, *present]):
        # no baseline month in t0's season, or a level with no counts at all (its coefficient
        # would run to minus infinity): the seasonal factor cannot be estimated, so drop it
        present = []
        level = np.zeros(len(idx), dtype=int)
    t = (idx - t0).astype(float) / 12.0
    season = np.column_stack([(level == k).astype(float) for k in present]) if present else np.zeros((len(idx), 0))
    result: MonthResult | None = None
    for with_trend in (True, False):
        cols = [np.ones(len(idx))] + ([t] if with_trend else []) + ([season] if season.shape[1] else [])
        X = np.column_stack(cols)
        if X.shape[1] >= len(idx):
            continue
        beta, mu, phi, cov, w = _fit(y, X, cfg)
        x0 = np.zeros(X.shape[1])
        x0[0] = 1.0
        mu0 = float(np.exp(_clip20(x0 @ beta)))
        if with_trend:
            se = float(np.sqrt(max(cov[1, 1], 1e-12)))
            # two-sided t test of the trend: special.stdtr(df, -x) is what stats.t.sf(x, df)
            # evaluates, without the per-call overhead of the distribution machinery
            pval = 2 * special.stdtr(max(len(idx) - X.shape[1], 1), -(abs(beta[1]) / se))
            if pval >= cfg.trend_p or mu0 > y.max():
                continue
        var_mu0 = mu0**2 * float(x0 @ cov @ x0)
        level_var = float(
            _level_variance_many(y[None, :], mu[None, :], w[None, :], np.array([phi]), d, 1 + int(with_trend), cfg)[0]
        )
        df = max(len(idx) - X.shape[1], 1)
        lower, upper = _limits(mu0, var_mu0, phi, cfg, level_var, df)
        exceed = bool(y_all[t0] > upper and y_all[t0] >= cfg.min_count and recent_sum >= cfg.limit_sum)
        below = bool(y_all[t0] < lower)
        var = float(
            _count_variance(np.array([mu0]), np.array([var_mu0]), np.array([phi]), cfg, np.array([level_var]), df)[0]
        )
        result = MonthResult(mu0, lower, upper, exceed, len(idx), len(present) + 1, with_trend, phi, below, var)
        break
    return result or _NONE


def evaluate_series(counts: np.ndarray, cfg: FarringtonConfig = DEFAULT) -> list[MonthResult]:
    """`evaluate_month` for every month of a series (consecutive months; NaN = not recorded)."""
    return [evaluate_month(counts, t0, cfg) for t0 in range(len(counts))]


# windows fitted together: bounds the stacked arrays (rows x months x parameters) to ~100 MB
_CHUNK = 16384


def _irls_many(
    Y: np.ndarray, X: np.ndarray, w: np.ndarray, iters: int = 50
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """`_irls` for every row of `Y` (one window each) on the shared design `X`: (beta, mu, X'WX).

    Row by row arithmetic only (einsum loops, batched LAPACK per matrix), never a matrix product
    across rows: BLAS may round a row differently by where it falls in a block, and a window's
    result must not depend on which other windows it was fitted with (the memo relies on it)."""
    R, p = Y.shape[0], X.shape[1]
    beta = np.zeros((R, p))
    beta[:, 0] = np.log(np.maximum((Y * w).sum(axis=1) / w.sum(axis=1), 0.1))
    # each row's X'WX as one two-operand product with the distinct products of X's columns (a
    # loop of sums per row like the three-operand einsum): the seasonal columns are indicators of
    # disjoint months, so of p * p products about 20 differ (121 for 10 seasonal levels and a
    # trend); each is summed once and put in every place it stands (X'WX stays exactly symmetric)
    XX, place = np.unique((X[:, :, None] * X[:, None, :]).reshape(X.shape[0], p * p), axis=1, return_inverse=True)
    place = place.reshape(-1)
    active = np.arange(R)
    for _ in range(iters):
        b, y, ww = beta[active], Y[active], w[active]
        eta = _clip20(np.einsum("rp,np->rn", b, X))
        mu = np.exp(eta)
        z = eta + (y - mu) / mu
        Wt = ww * mu
        A = np.einsum("rn,nk->rk", Wt, XX)[:, place].reshape(-1, p, p)
        rhs = np.einsum("rn,ni->ri", Wt * z, X)
        try:
            new = np.linalg.solve(A, rhs[:, :, None])[:, :, 0]
        except np.linalg.LinAlgError:  # a singular system: least squares row by row, as `_irls`
            sw = np.sqrt(Wt)
            new = np.stack([np.linalg.lstsq(X * sw[i][:, None], z[i] * sw[i], rcond=None)[0] for i in range(len(b))])
        done = np.abs(new - b).max(axis=1) < 1e-8
        beta[active] = new
        active = active[~done]
        if not len(active):
            break
    mu = np.exp(_clip20(np.einsum("rp,np->rn", beta, X)))
    xtwx = np.einsum("rn,nk->rk", w * mu, XX)[:, place].reshape(R, p, p)
    return beta, mu, xtwx


def _fit_many(
    Y: np.ndarray, X: np.ndarray, cfg: FarringtonConfig
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """`_fit` for every row of `Y` on the shared design `X`: (beta, mu, dispersion, covariance, weights)."""
    R, n = Y.shape
    p = X.shape[1]
    w = np.ones((R, n))
    for step in range(2):
        beta, mu, xtwx = _irls_many(Y, X, w)
        df = max(n - p, 1)
        wd = np.ones((R, n)) if (step == 1 and cfg.dispersion_unweighted) else w
        phi = np.maximum(1.0, np.sum(wd * (Y - mu) ** 2 / mu, axis=1) / df)
        inv = np.linalg.pinv(xtwx, hermitian=True)  # X'WX is symmetric: eigh, not an SVD
        if step == 1 or not cfg.reweight_threshold:
            break
        Xs = X[None, :, :] * np.sqrt(w * mu)[:, :, None]
        h = np.clip(np.einsum("rik,rik->ri", np.einsum("rij,rjk->rik", Xs, inv), Xs), 0, 0.999)
        r = 1.5 * (np.power(Y, 2 / 3) * np.power(mu, -1 / 6) - np.sqrt(mu)) / np.sqrt(phi[:, None] * (1 - h))
        w = np.where(r > cfg.reweight_threshold, 1.0 / np.maximum(r, 1e-9) ** 2, 1.0)
        w = w * n / w.sum(axis=1, keepdims=True)
    return beta, mu, phi, phi[:, None, None] * inv, w


def _count_variance(
    mu0: np.ndarray,
    var_mu0: np.ndarray,
    phi: np.ndarray,
    cfg: FarringtonConfig,
    level_var: np.ndarray | None = None,
    df: int = 0,
) -> np.ndarray:
    """Variance of the count at t0 the limits rest on: `phi * mu0` (Noufaily's plug-in), or with
    `prediction_interval` the prediction variance `phi * mu0 + var(mu0) + mu0**2 * level_var`."""
    var = phi * mu0
    if cfg.prediction_interval:
        var = var + var_mu0 + (mu0**2 * level_var if level_var is not None else 0.0)
    if cfg.t_quantile and df > 0:
        var = var * (stats.t.ppf(1 - cfg.alpha, df) / stats.norm.ppf(1 - cfg.alpha)) ** 2
    return np.asarray(var, dtype=float)


def _limits_many(
    mu0: np.ndarray,
    var_mu0: np.ndarray,
    phi: np.ndarray,
    cfg: FarringtonConfig,
    level_var: np.ndarray | None = None,
    df: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """Lower and upper limits of windows: the alpha and 1 - alpha quantiles of a negative binomial
    with mean `mu0` and variance `phi * mu0` (Noufaily's plug-in), or, with `prediction_interval`,
    the prediction variance `phi * mu0 + var(mu0) + mu0**2 * level_var`."""
    if cfg.threshold == "2/3":
        z = stats.norm.ppf(1 - cfg.alpha)
        sd = (2 / 3) * np.sqrt(phi * mu0 + var_mu0) / mu0
        return mu0 * np.maximum(0.0, 1 - sd * z) ** 1.5, mu0 * (1 + sd * z) ** 1.5
    var = _count_variance(mu0, var_mu0, phi, cfg, level_var, df)
    lower, upper = np.empty(len(mu0)), np.empty(len(mu0))
    nb = var > mu0 * (1.0 + 1e-9)
    if nb.any():
        size = mu0[nb] ** 2 / (var[nb] - mu0[nb])
        prob = size / (size + mu0[nb])
        lower[nb] = stats.nbinom.ppf(cfg.alpha, size, prob)
        upper[nb] = stats.nbinom.ppf(1 - cfg.alpha, size, prob)
    if (~nb).any():
        lower[~nb] = stats.poisson.ppf(cfg.alpha, mu0[~nb])
        upper[~nb] = stats.poisson.ppf(1 - cfg.alpha, mu0[~nb])
    return lower, upper


#: the float fields of a `MonthResult` (None when the month has no expected level)
_FLOATS = ("expected", "lower", "upper", "dispersion", "variance")
_BOOLS = ("exceedance", "trend", "below_expected")
_INTS = ("baseline_months", "seasonal_levels")


def _columns(size: int) -> dict[str, np.ndarray]:
    """Empty columns of `size` results, every row the result of no expected level (`_NONE`)."""
    cols = {f: np.full(size, np.nan) for f in _FLOATS}
    cols.update({f: np.zeros(size, dtype=bool) for f in _BOOLS})
    cols.update({f: np.zeros(size, dtype=np.int64) for f in _INTS})
    cols["none"] = np.ones(size, dtype=bool)
    return cols


def _put(cols: dict[str, np.ndarray], i: int, res: MonthResult) -> None:
    if res is _NONE:
        return
    for f in (*_FLOATS, *_BOOLS, *_INTS):
        cols[f][i] = getattr(res, f)
    cols["none"][i] = False


def evaluate_windows_columns(windows: np.ndarray, cfg: FarringtonConfig = DEFAULT) -> dict[str, np.ndarray]:
    """`evaluate_windows` as columns (one array per field of `MonthResult`, NaN for None), and
    `none`: the rows with no expected level. What the memo of `transforms/themes/monthly.py`
    stores, without a Python object per window (1.4M windows in a London build)."""
    Wn = np.asarray(windows, dtype=float)
    if Wn.ndim != 2:
        raise ValueError("evaluate_windows takes a 2-D array: one window a row")
    B, L = Wn.shape
    cols = _columns(B)
    t0 = L - 1
    gaps = np.isnan(Wn).any(axis=1)
    for i in np.flatnonzero(gaps):  # a missing month: the window's own baseline
        _put(cols, int(i), evaluate_month(Wn[i], t0, cfg))
    for lo in range(0, B, _CHUNK):
        rows = np.arange(lo, min(B, lo + _CHUNK))
        rows = rows[~gaps[rows]]
        if len(rows):
            _evaluate_complete(Wn[rows], cfg, cols, rows)
    return cols


def evaluate_windows(windows: np.ndarray, cfg: FarringtonConfig = DEFAULT) -> list[MonthResult]:
    """`evaluate_month(w, len(w) - 1, cfg)` for every row `w` of a 2-D stack of windows of equal
    length (t0 is each window's last month), the complete windows fitted together."""
    cols = evaluate_windows_columns(windows, cfg)
    floats = [cols[f].tolist() for f in _FLOATS]
    bools = [cols[f].tolist() for f in _BOOLS]
    ints = [cols[f].tolist() for f in _INTS]
    out: list[MonthResult] = []
    for i, none in enumerate(cols["none"].tolist()):
        if none:
            out.append(_NONE)
            continue
        e, lo, up, disp, var = (c[i] for c in floats)
        exc, trend, below = (c[i] for c in bools)
        n, levels = (c[i] for c in ints)
        out.append(MonthResult(e, lo, up, exc, n, levels, trend, disp, below, var))
    return out


def _evaluate_complete(Wn: np.ndarray, cfg: FarringtonConfig, cols: dict[str, np.ndarray], at: np.ndarray) -> None:
    """`evaluate_windows` for windows with no missing month (`evaluate_month`, stacked), written
    into rows `at` of `cols`; a window with no expected level leaves its row as it is."""
    R, L = Wn.shape
    t0 = L - 1
    idx = _baseline_positions(t0, cfg)
    n = len(idx)
    if n < cfg.min_baseline:
        return
    Y = Wn[:, idx]
    span = t0 - int(idx[0])
    periods = _seasonal_periods(span, cfg)
    cur = Wn[:, t0]
    recent_sum = Wn[:, max(0, t0 - cfg.limit_months + 1) : t0 + 1].sum(axis=1)
    flag_ok = (cur >= cfg.min_count) & (recent_sum >= cfg.limit_sum)
    zero = Y.sum(axis=1) == 0

    def put(rows: np.ndarray, **values: object) -> None:
        target = at[rows]
        for f, v in values.items():
            cols[f][target] = v
        cols["none"][target] = False

    zrows = np.flatnonzero(zero)
    put(
        zrows,
        expected=0.0,
        lower=0.0,
        upper=0.0,
        exceedance=(cur[zrows] > 0.0) & flag_ok[zrows],
        baseline_months=n,
        seasonal_levels=1,
        trend=False,
        dispersion=1.0,
        below_expected=False,
        variance=0.0,
    )
    d = t0 - idx
    level = _seasonal_level(d, cfg.window, periods)
    present = [k for k in range(1, periods) if np.any(level == k)]
    if np.any(level == 0):
        season_ok = np.all([Y[:, level == k].sum(axis=1) > 0 for k in [0, *present]], axis=0)
    else:
        season_ok = np.zeros(R, dtype=bool)
    t = (idx - t0).astype(float) / 12.0
    ones = np.ones(n)
    for rows, levels in ((np.flatnonzero(season_ok & ~zero), present), (np.flatnonzero(~season_ok & ~zero), [])):
        season = [(level == k).astype(float) for k in levels]
        pending = rows
        for with_trend in (True, False):
            if not len(pending):
                break
            X = np.column_stack([ones, *([t] if with_trend else []), *season])
            if X.shape[1] >= n:
                continue
            y = Y[pending]
            beta, mu, phi, cov, w = _fit_many(y, X, cfg)
            mu0 = np.exp(_clip20(beta[:, 0]))
            if with_trend:
                se = np.sqrt(np.maximum(cov[:, 1, 1], 1e-12))
                pval = 2 * special.stdtr(max(n - X.shape[1], 1), -(np.abs(beta[:, 1]) / se))
                reject = (pval >= cfg.trend_p) | (mu0 > y.max(axis=1))
            else:
                reject = np.zeros(len(pending), dtype=bool)
            keep = ~reject
            level_var = _level_variance_many(y[keep], mu[keep], w[keep], phi[keep], d, 1 + int(with_trend), cfg)
            var_mu0 = mu0[keep] ** 2 * cov[keep, 0, 0]
            df = max(n - X.shape[1], 1)
            lower, upper = _limits_many(mu0[keep], var_mu0, phi[keep], cfg, level_var, df)
            var = _count_variance(mu0[keep], var_mu0, phi[keep], cfg, level_var, df)
            kept = pending[keep]
            put(
                kept,
                expected=mu0[keep],
                lower=lower,
                upper=upper,
                exceedance=(cur[kept] > upper) & flag_ok[kept],
                baseline_months=n,
                seasonal_levels=len(levels) + 1,
                trend=with_trend,
                dispersion=phi[keep],
                below_expected=cur[kept] < lower,
                variance=var,
            )
            pending = pending[reject]
