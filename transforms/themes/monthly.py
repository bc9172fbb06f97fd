"""Monthly theme series with expected levels: `marts.theme_monthly` and `marts.place_monthly`.

The counts are set-based work and come from SQL (`sql/marts/*_series.sql`); the expected levels
come from the improved Farrington method (`farrington.py`), one series at a time, and the fitted
frame goes back to SQL for the mart. The same `fit_series` runs on any long table of monthly
counts, e.g. the MPS ward-level recorded-crime series (see `mps_ward_series`).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import duckdb
import numpy as np
import pandas as pd

import sql
from transforms.themes.farrington import DEFAULT, FarringtonConfig, evaluate_series
from transforms.warehouse import run_models

logger = logging.getLogger(__name__)


def method_label(cfg: FarringtonConfig) -> str:
    """The method and its settings, as stored beside every expected level."""
    thr = "negative-binomial plug-in" if cfg.threshold == "nb" else "2/3-power"
    return (f"improved Farrington (Noufaily 2013): b={cfg.years_back}y, w={cfg.window}, "
            f"{cfg.periods}-level season, {cfg.exclude_recent} recent months excluded, reweight>{cfg.reweight_threshold}, "
            f"{thr} limit alpha={cfg.alpha}, {cfg.limit_sum}-in-{cfg.limit_months} rule")


def month_range(first: str, last: str) -> list[str]:
    """Consecutive `YYYY-MM` labels from `first` to `last` inclusive."""
    p = pd.period_range(first, last, freq="M")
    return [str(x) for x in p]


def fit_series(frame: pd.DataFrame, keys: Sequence[str], cfg: FarringtonConfig = DEFAULT) -> pd.DataFrame:
    """Expected levels for every series of a long frame (`keys` + `month` + `count`).

    Months missing inside a series (no row, or a NaN count) are recording gaps: they are added as
    NaN, left out of baselines and not tested. Returns the input columns plus `expected`, `lower`,
    `upper`, `exceedance`, `baseline_months`, `seasonal_levels`, `trend`, `dispersion`.
    """
    out = []
    if frame.empty:
        cols = list(frame.columns) + ["expected", "lower", "upper", "exceedance", "baseline_months",
                                      "seasonal_levels", "trend", "dispersion"]
        return pd.DataFrame(columns=cols)
    for key, g in frame.groupby(list(keys), dropna=False, sort=False):
        g = g.sort_values("month")
        months = month_range(g["month"].iloc[0], g["month"].iloc[-1])
        full = g.set_index("month").reindex(months)
        key_t = key if isinstance(key, tuple) else (key,)
        for k, v in zip(keys, key_t, strict=True):
            full[k] = v
        counts = full["count"].to_numpy(dtype=float)
        res = evaluate_series(counts, cfg)
        full = full.assign(
            expected=[r.expected for r in res], lower=[r.lower for r in res], upper=[r.upper for r in res],
            exceedance=[r.exceedance for r in res], baseline_months=[r.baseline_months for r in res],
            seasonal_levels=[r.seasonal_levels for r in res], trend=[r.trend for r in res],
            dispersion=[r.dispersion for r in res],
        )
        out.append(full.rename_axis("month").reset_index())
    return pd.concat(out, ignore_index=True)


def build_theme_monthly(con: duckdb.DuckDBPyConnection, version: str,
                        cfg: FarringtonConfig = DEFAULT) -> dict[str, int]:
    """(Re)build marts.theme_monthly and marts.place_monthly; returns row and exceedance counts."""
    label = method_label(cfg)
    for stmt in sql.statements("marts/theme_monthly_series"):
        con.execute(stmt)
    series = con.execute("select theme, month, ward_code, count from theme_monthly_series").df()
    series["ward_code"] = series["ward_code"].astype(object).where(series["ward_code"].notna(), "__borough__")
    fit = fit_series(series, ["theme", "ward_code"], cfg)
    fit["ward_code"] = fit["ward_code"].replace("__borough__", None)
    fit = fit.assign(definitions_version=version, method=label)
    for stmt in sql.statements("marts/place_monthly_series"):
        con.execute(stmt)
    places = con.execute("select place_id, place_name, ward_code, theme, month, count from place_monthly_series").df()
    pfit = fit_series(places, ["place_id", "place_name", "ward_code", "theme"], cfg)
    pfit = pfit.assign(definitions_version=version, method=label)
    run_models(con, ("marts/theme_monthly", "marts/place_monthly"),
               frames={"_theme_fit": _typed(fit), "_place_fit": _typed(pfit)})
    n_ex = int(fit["exceedance"].sum())
    logger.info("theme_monthly: %d rows, %d exceedances", len(fit), n_ex)
    return {"theme_monthly_rows": len(fit), "theme_monthly_exceedances": n_ex,
            "place_monthly_rows": len(pfit), "place_monthly_exceedances": int(pfit["exceedance"].sum())}


def _typed(frame: pd.DataFrame) -> pd.DataFrame:
    f = frame.copy()
    for c in ("expected", "lower", "upper", "dispersion"):
        f[c] = pd.to_numeric(f[c], errors="coerce").astype("float64")
    for c in ("baseline_months", "seasonal_levels", "count"):
        f[c] = pd.to_numeric(f[c], errors="coerce").astype("Int64")
    for c in ("exceedance", "trend"):
        f[c] = f[c].fillna(False).astype(bool)
    return f


def mps_ward_series(con: duckdb.DuckDBPyConnection, parquet_paths: Sequence[str], borough: str,
                    major: Sequence[str]) -> pd.DataFrame:
    """Long monthly counts (ward_code, ward_name, month, count) of the MPS ward-level files.

    The files are wide (one column per `YYYYMM`); several files (historical and current) may
    overlap: the later file wins a month both hold. Offence majors are summed (e.g. violence
    against the person + robbery + possession of weapons). Months a ward has no row for are absent,
    and so are the months before a ward's first recorded crime (a ward that did not exist yet).
    """
    frames = []
    for rank, path in enumerate(parquet_paths):
        rel = con.execute(
            "unpivot (select * from read_parquet(?) where lookup_boroughname = ? and list_contains(?::varchar[], majortext)) "
            "on columns('^[0-9]{6}$') into name ym value n", [path, borough, list(major)]).df()
        rel["rank"] = rank
        frames.append(rel)
    long = pd.concat(frames, ignore_index=True)
    long = long.groupby(["wardcode", "wardname", "ym", "rank"], as_index=False)["n"].sum()
    long = long.sort_values("rank").drop_duplicates(["wardcode", "ym"], keep="last")
    long["month"] = long["ym"].str[:4] + "-" + long["ym"].str[4:]
    out = long.rename(columns={"wardcode": "ward_code", "wardname": "ward_name", "n": "count"})
    # a ward created by a boundary review appears in the back series as zeros before it existed:
    # months before its first recorded crime are dropped, not read as zero counts
    first = out[out["count"] > 0].groupby("ward_code")["month"].min()
    out = out[out["month"] >= out["ward_code"].map(first).fillna("9999-99")]
    return out[["ward_code", "ward_name", "month", "count"]].sort_values(["ward_code", "month"]).reset_index(drop=True)


def as_float_counts(counts: Sequence[float | None]) -> np.ndarray:
    """Counts as a float array with NaN for missing months."""
    return np.array([np.nan if c is None else float(c) for c in counts])
