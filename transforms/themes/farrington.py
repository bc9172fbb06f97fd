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
  excess does not raise its own expected level (Noufaily: 26 weeks); with less than
  `short_history` months of baseline left, only the last `exclude_recent_short` months are;
* past excesses are down-weighted: observations whose Anscombe residual exceeds
  `reweight_threshold` (2.58, Noufaily) get weight proportional to residual**-2;
* the trend is kept only when significant (p < 0.05) and when it does not extrapolate above the
  largest baseline count (Farrington 1996);
* the upper limit is the (1 - alpha) quantile of a negative binomial with the predicted mean and
  the estimated overdispersion (Noufaily's plug-in threshold, `threshold="nb"`), or Farrington's
  original 2/3-power transformed limit (`threshold="2/3"`);
* an exceedance is flagged only when the count is above the upper limit and there were at least
  `limit_sum` counts in the last `limit_months` months (Farrington's "5 in 4" rule) and, a
  Lantern addition for borough-sized counts, the month itself has at least `min_count` (3):
  one or two incidents where none were expected are read on the page, not flagged.

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
ALGORITHM_VERSION = "farrington-3"  # 2: stacked fits (evaluate_windows); 3: below_expected


@dataclass(frozen=True)
class FarringtonConfig:
    """Settings of the improved Farrington method for monthly counts (defaults: Noufaily 2013)."""

    years_back: int = 5
    window: int = 1
    periods: int = 10
    exclude_recent: int = 6
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


_NONE = MonthResult(None, None, None, False, 0, 0, False, None, False)


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


def _fit(y: np.ndarray, X: np.ndarray, cfg: FarringtonConfig) -> tuple[np.ndarray, np.ndarray, float, np.ndarray]:
    """Fit, reweight past excesses, refit: (beta, mu, dispersion, covariance)."""
    n, p = X.shape
    w = np.ones(n)
    for step in range(2):
        beta, mu, xtwx = _irls(y, X, w)
        df = max(n - p, 1)
        phi = max(1.0, float(np.sum(w * (y - mu) ** 2 / mu)) / df)
        inv = np.linalg.pinv(xtwx)
        if step == 1 or not cfg.reweight_threshold:
            break
        sw = np.sqrt(w * mu)
        h = np.einsum("ij,jk,ik->i", X * sw[:, None], inv, X * sw[:, None])
        h = np.clip(h, 0, 0.999)
        r = 1.5 * (np.power(y, 2 / 3) * np.power(mu, -1 / 6) - np.sqrt(mu)) / np.sqrt(phi * (1 - h))
        w = np.where(r > cfg.reweight_threshold, 1.0 / np.maximum(r, 1e-9) ** 2, 1.0)
        w = w * n / w.sum()
    return beta, mu, phi, phi * inv


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


def _limits(mu0: float, var_mu0: float, phi: float, cfg: FarringtonConfig) -> tuple[float, float]:
    if cfg.threshold == "2/3":
        z = stats.norm.ppf(1 - cfg.alpha)
        sd = (2 / 3) * np.sqrt(phi * mu0 + var_mu0) / mu0
        return (float(mu0 * max(0.0, 1 - sd * z) ** 1.5), float(mu0 * (1 + sd * z) ** 1.5))
    if phi > 1.0 + 1e-9:
        size = mu0 / (phi - 1.0)
        prob = size / (size + mu0)
        return (float(stats.nbinom.ppf(cfg.alpha, size, prob)), float(stats.nbinom.ppf(1 - cfg.alpha, size, prob)))
    return (float(stats.poisson.ppf(cfg.alpha, mu0)), float(stats.poisson.ppf(1 - cfg.alpha, mu0)))


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
    recent = y_all[max(0, t0 - cfg.limit_months + 1): t0 + 1]
    recent_sum = float(np.nansum(recent))
    if y.sum() == 0:
        upper = 0.0
        exceed = bool(y_all[t0] > upper and y_all[t0] >= cfg.min_count and recent_sum >= cfg.limit_sum)
        return MonthResult(0.0, 0.0, upper, exceed, len(idx), 1, False, 1.0, False)
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
        beta, mu, phi, cov = _fit(y, X, cfg)
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
        var_mu0 = mu0 ** 2 * float(x0 @ cov @ x0)
        lower, upper = _limits(mu0, var_mu0, phi, cfg)
        exceed = bool(y_all[t0] > upper and y_all[t0] >= cfg.min_count and recent_sum >= cfg.limit_sum)
        below = bool(y_all[t0] < lower)
        result = MonthResult(mu0, lower, upper, exceed, len(idx), len(present) + 1, with_trend, phi, below)
        break
    return result or _NONE


def evaluate_series(counts: np.ndarray, cfg: FarringtonConfig = DEFAULT) -> list[MonthResult]:
    """`evaluate_month` for every month of a series (consecutive months; NaN = not recorded)."""
    return [evaluate_month(counts, t0, cfg) for t0 in range(len(counts))]


# windows fitted together: bounds the stacked arrays (rows x months x parameters) to ~100 MB
_CHUNK = 16384


def _irls_many(Y: np.ndarray, X: np.ndarray, w: np.ndarray, iters: int = 50) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """`_irls` for every row of `Y` (one window each) on the shared design `X`: (beta, mu, X'WX).

    Row by row arithmetic only (einsum loops, batched LAPACK per matrix), never a matrix product
    across rows: BLAS may round a row differently by where it falls in a block, and a window's
    result must not depend on which other windows it was fitted with (the memo relies on it)."""
    R, p = Y.shape[0], X.shape[1]
    beta = np.zeros((R, p))
    beta[:, 0] = np.log(np.maximum((Y * w).sum(axis=1) / w.sum(axis=1), 0.1))
    active = np.arange(R)
    for _ in range(iters):
        b, y, ww = beta[active], Y[active], w[active]
        eta = _clip20(np.einsum("rp,np->rn", b, X))
        mu = np.exp(eta)
        z = eta + (y - mu) / mu
        Wt = ww * mu
        A = np.einsum("rn,ni,nj->rij", Wt, X, X)
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
    xtwx = np.einsum("rn,ni,nj->rij", w * mu, X, X)
    return beta, mu, xtwx


def _fit_many(Y: np.ndarray, X: np.ndarray, cfg: FarringtonConfig) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """`_fit` for every row of `Y` on the shared design `X`: (beta, mu, dispersion, covariance)."""
    R, n = Y.shape
    p = X.shape[1]
    w = np.ones((R, n))
    for step in range(2):
        beta, mu, xtwx = _irls_many(Y, X, w)
        df = max(n - p, 1)
        phi = np.maximum(1.0, np.sum(w * (Y - mu) ** 2 / mu, axis=1) / df)
        inv = np.linalg.pinv(xtwx)
        if step == 1 or not cfg.reweight_threshold:
            break
        Xs = X[None, :, :] * np.sqrt(w * mu)[:, :, None]
        h = np.clip(np.einsum("rij,rjk,rik->ri", Xs, inv, Xs), 0, 0.999)
        r = 1.5 * (np.power(Y, 2 / 3) * np.power(mu, -1 / 6) - np.sqrt(mu)) / np.sqrt(phi[:, None] * (1 - h))
        w = np.where(r > cfg.reweight_threshold, 1.0 / np.maximum(r, 1e-9) ** 2, 1.0)
        w = w * n / w.sum(axis=1, keepdims=True)
    return beta, mu, phi, phi[:, None, None] * inv


def _limits_many(mu0: np.ndarray, var_mu0: np.ndarray, phi: np.ndarray, cfg: FarringtonConfig) -> tuple[np.ndarray, np.ndarray]:
    """`_limits` for arrays of windows."""
    if cfg.threshold == "2/3":
        z = stats.norm.ppf(1 - cfg.alpha)
        sd = (2 / 3) * np.sqrt(phi * mu0 + var_mu0) / mu0
        return mu0 * np.maximum(0.0, 1 - sd * z) ** 1.5, mu0 * (1 + sd * z) ** 1.5
    lower, upper = np.empty(len(mu0)), np.empty(len(mu0))
    nb = phi > 1.0 + 1e-9
    if nb.any():
        size = mu0[nb] / (phi[nb] - 1.0)
        prob = size / (size + mu0[nb])
        lower[nb] = stats.nbinom.ppf(cfg.alpha, size, prob)
        upper[nb] = stats.nbinom.ppf(1 - cfg.alpha, size, prob)
    if (~nb).any():
        lower[~nb] = stats.poisson.ppf(cfg.alpha, mu0[~nb])
        upper[~nb] = stats.poisson.ppf(1 - cfg.alpha, mu0[~nb])
    return lower, upper


def evaluate_windows(windows: np.ndarray, cfg: FarringtonConfig = DEFAULT) -> list[MonthResult]:
    """`evaluate_month(w, len(w) - 1, cfg)` for every row `w` of a 2-D stack of windows of equal
    length (t0 is each window's last month), the complete windows fitted together."""
    Wn = np.asarray(windows, dtype=float)
    if Wn.ndim != 2:
        raise ValueError("evaluate_windows takes a 2-D array: one window a row")
    B, L = Wn.shape
    out: list[MonthResult | None] = [None] * B
    t0 = L - 1
    gaps = np.isnan(Wn).any(axis=1)
    for i in np.flatnonzero(gaps):  # a missing month: the window's own baseline
        out[i] = evaluate_month(Wn[i], t0, cfg)
    for lo in range(0, B, _CHUNK):
        rows = np.arange(lo, min(B, lo + _CHUNK))
        rows = rows[~gaps[rows]]
        if len(rows):
            for i, res in zip(rows, _evaluate_complete(Wn[rows], cfg), strict=True):
                out[i] = res
    return [r if r is not None else _NONE for r in out]


def _evaluate_complete(Wn: np.ndarray, cfg: FarringtonConfig) -> list[MonthResult]:
    """`evaluate_windows` for windows with no missing month: `evaluate_month`, stacked."""
    R, L = Wn.shape
    t0 = L - 1
    idx = _baseline_positions(t0, cfg)
    n = len(idx)
    if n < cfg.min_baseline:
        return [_NONE] * R
    out: list[MonthResult] = [_NONE] * R
    Y = Wn[:, idx]
    span = t0 - int(idx[0])
    periods = _seasonal_periods(span, cfg)
    cur = Wn[:, t0]
    recent_sum = Wn[:, max(0, t0 - cfg.limit_months + 1): t0 + 1].sum(axis=1)
    flag_ok = (cur >= cfg.min_count) & (recent_sum >= cfg.limit_sum)
    zero = Y.sum(axis=1) == 0
    for i in np.flatnonzero(zero):
        out[i] = MonthResult(0.0, 0.0, 0.0, bool(cur[i] > 0.0 and flag_ok[i]), n, 1, False, 1.0, False)
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
            beta, _mu, phi, cov = _fit_many(y, X, cfg)
            mu0 = np.exp(_clip20(beta[:, 0]))
            if with_trend:
                se = np.sqrt(np.maximum(cov[:, 1, 1], 1e-12))
                pval = 2 * special.stdtr(max(n - X.shape[1], 1), -(np.abs(beta[:, 1]) / se))
                reject = (pval >= cfg.trend_p) | (mu0 > y.max(axis=1))
            else:
                reject = np.zeros(len(pending), dtype=bool)
            keep = ~reject
            lower, upper = _limits_many(mu0[keep], mu0[keep] ** 2 * cov[keep, 0, 0], phi[keep], cfg)
            for j, i in enumerate(pending[keep]):
                out[i] = MonthResult(float(mu0[keep][j]), float(lower[j]), float(upper[j]),
                                     bool(cur[i] > upper[j] and flag_ok[i]), n, len(levels) + 1, with_trend,
                                     float(phi[keep][j]), bool(cur[i] < lower[j]))
            pending = pending[reject]
    return out
