"""Monthly theme series with expected levels: `marts.theme_monthly` and `marts.place_monthly`.

The counts are set-based work and come from SQL (`sql/marts/*_series.sql`); the expected levels
come from the improved Farrington method (`farrington.py`), one series at a time, and the fitted
frame goes back to SQL for the mart. The same `fit_series` runs on any long table of monthly
counts, e.g. the MPS ward-level recorded-crime series (see `mps_ward_series`).

The expected level of a month is a pure function of the window of counts it reads (at most the
five baseline years before it and the month itself, `farrington.window_start`) and the settings,
so it is memoised in `cache.farrington` under a digest of that window's values (NaN-aware float
bytes), the settings, `farrington.ALGORITHM_VERSION` and the numpy and scipy versions: a
content-addressed memo that holds no series identity at all, so identical windows of different
series (many quiet places have all-zero windows) share one entry. A monthly refresh computes the
new month of every series (and the months late recording changed) and reads the rest back.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import fields
from functools import lru_cache
from itertools import chain

import duckdb
import numpy as np
import pandas as pd
import scipy

import sql
from transforms.extracts.delivery import no_delivery_months
from transforms.memo import MemoTable, digest, digest_after, run_models_with_memos, settings_text
from transforms.themes.farrington import (
    ALGORITHM_VERSION,
    DEFAULT,
    FarringtonConfig,
    MonthResult,
    evaluate_windows_columns,
    window_start,
)

logger = logging.getLogger(__name__)


def method_label(cfg: FarringtonConfig) -> str:
    """The method and its settings, as stored beside every expected level."""
    if cfg.threshold != "nb":
        thr = "2/3-power"
    elif cfg.prediction_interval:
        thr = (
            f"negative-binomial prediction limits (level variance by {cfg.level_block}-month blocks, "
            f"at least {cfg.level_cv_floor:.0%}{', t quantile' if cfg.t_quantile else ''})"
        )
    else:
        thr = "negative-binomial plug-in"
    return (
        f"improved Farrington (Noufaily 2013): b={cfg.years_back}y, w={cfg.window}, "
        f"{cfg.periods}-level season, {cfg.exclude_recent} recent months excluded, reweight>{cfg.reweight_threshold}, "
        f"{thr} limit alpha={cfg.alpha}, {cfg.limit_sum}-in-{cfg.limit_months} rule"
    )


def month_range(first: str, last: str) -> list[str]:
    """Consecutive `YYYY-MM` labels from `first` to `last` inclusive."""
    p = pd.period_range(first, last, freq="M")
    return [str(x) for x in p]


_RESULT_FIELDS = tuple(f.name for f in fields(MonthResult))
_RESULT_TYPES = {
    "expected": "Float64",
    "lower": "Float64",
    "upper": "Float64",
    "exceedance": "boolean",
    "baseline_months": "Int32",
    "seasonal_levels": "Int32",
    "trend": "boolean",
    "dispersion": "Float64",
    "below_expected": "boolean",
    "variance": "Float64",
}
#: The same columns as plain numpy types, as results are held while a build runs.
_FRAME_TYPES = {f: {"Float64": "float64", "boolean": "bool"}.get(t, "int64") for f, t in _RESULT_TYPES.items()}
FARRINGTON_MEMO = MemoTable(
    "farrington",
    (
        ("expected", "double"),
        ("lower", "double"),
        ("upper", "double"),
        ("exceedance", "boolean"),
        ("baseline_months", "integer"),
        ("seasonal_levels", "integer"),
        ("trend", "boolean"),
        ("dispersion", "double"),
        ("below_expected", "boolean"),
        ("variance", "double"),
    ),
    "Memo of improved-Farrington results (transforms/themes/monthly.py): one row per distinct window "
    "of monthly counts used by the last build, keyed by a digest of the window values, the settings "
    "and the algorithm version. No series identity. Rebuildable; dropped by purge and erasure.",
)


@lru_cache(maxsize=8)
def _salt(cfg: FarringtonConfig) -> str:
    """What every key of these settings shares: algorithm version, settings, library versions."""
    return digest(ALGORITHM_VERSION, settings_text(cfg), np.__version__, scipy.__version__)


@lru_cache(maxsize=8)
def _window_key(cfg: FarringtonConfig) -> Callable[[bytes | str], str]:
    """`digest(_salt(cfg), window bytes)`, the salt hashed once for every window."""
    return digest_after(_salt(cfg))


def month_keys(counts: np.ndarray, cfg: FarringtonConfig = DEFAULT) -> list[str]:
    """Memo key of every month of a series: a digest of the window its result rests on,
    `digest(_salt(cfg), window bytes)`."""
    c = np.asarray(counts, dtype="<f8")
    # one bit pattern per value: every NaN the same NaN, -0.0 read as 0.0
    c = np.where(np.isnan(c), np.nan, c) + 0.0
    key = _window_key(cfg)
    return [key(c[window_start(t0, cfg) : t0 + 1].tobytes()) for t0 in range(len(c))]


def _month_ordinals(months: pd.Series) -> np.ndarray:
    """Months ('YYYY-MM') as pandas' monthly Period ordinals, each distinct month parsed once."""
    codes, distinct = pd.factorize(months)
    return np.asarray(pd.PeriodIndex(distinct, freq="M").asi8, dtype=np.int64)[codes]


def _full_series(frame: pd.DataFrame, keys: Sequence[str]) -> tuple[pd.DataFrame, list[tuple[int, int]]]:
    """All series of a long frame on consecutive months, one after another (in order of first
    appearance, months ascending, `month` first), with the rows each series spans. Months missing
    inside a series are recording gaps: added with NaN counts."""
    if frame.empty:
        return frame, []
    gid = frame.groupby(list(keys), dropna=False, sort=False).ngroup().to_numpy()
    ordinal = _month_ordinals(frame["month"])
    span = pd.DataFrame({"g": gid, "o": ordinal, "row": np.arange(len(frame))}).groupby("g")
    lo, hi, first_row = span["o"].min().to_numpy(), span["o"].max().to_numpy(), span["row"].min().to_numpy()
    length = hi - lo + 1
    start = np.concatenate([[0], np.cumsum(length)[:-1]])
    total = int(length.sum())
    g_full = np.repeat(np.arange(len(length)), length)
    pos = start[gid] + ordinal - lo[gid]
    if len(np.unique(pos)) != len(pos):
        raise ValueError("a series has two rows for the same month")
    rest = [c for c in frame.columns if c != "month"]
    full = frame[rest].set_axis(pd.Index(pos), axis=0).reindex(pd.RangeIndex(total))
    for k in keys:  # gap rows take their series' key
        full[k] = frame[k].iloc[first_row[g_full]].reset_index(drop=True)
    ordinals = lo[g_full] + np.arange(total) - start[g_full]
    # each distinct month formatted once (str of a Period reads pandas' options on every call)
    distinct, where = np.unique(ordinals, return_inverse=True)
    labels = np.array([str(pd.Period(ordinal=int(o), freq="M")) for o in distinct], dtype=object)
    full.insert(0, "month", labels[where.ravel()] if total else [])
    return full, [(int(a), int(a + n)) for a, n in zip(start, length, strict=True)]


def _series_keys(full: pd.DataFrame, bounds: Sequence[tuple[int, int]], cfg: FarringtonConfig) -> list[str]:
    """The memo key of every row of `_full_series`' frame."""
    counts = full["count"].to_numpy(dtype=float) if len(full) else np.zeros(0)
    return [k for a, b in bounds for k in month_keys(counts[a:b], cfg)]


def _complete(
    full: pd.DataFrame,
    bounds: Sequence[tuple[int, int]],
    keys: Sequence[str],
    known: pd.DataFrame,
    cfg: FarringtonConfig,
) -> pd.DataFrame:
    """`known` (results indexed by key) with every month whose key it lacks evaluated and added.

    Each distinct missing window is evaluated once, and windows of the same length are fitted
    together (`farrington.evaluate_windows`)."""
    counts = full["count"].to_numpy(dtype=float) if len(full) else np.zeros(0)
    key_arr = np.asarray(keys, dtype=object)
    missing = known.index.get_indexer(key_arr) < 0 if len(key_arr) else np.zeros(0, dtype=bool)
    if not missing.any():
        return known
    todo: dict[str, tuple[int, int]] = {}  # key -> (row of t0 in `full`, t0's place in its window)
    for a, b in bounds:
        for t0 in np.flatnonzero(missing[a:b]).tolist():
            k = keys[a + t0]
            if k not in todo:
                todo[k] = (a + t0, t0 - window_start(t0, cfg))
    todo_keys = np.array(list(todo), dtype=object)
    where = np.array(list(todo.values()), dtype=np.int64)
    new_keys: list[str] = []
    new: list[dict[str, np.ndarray]] = []
    for rel in np.unique(where[:, 1]):
        sel = np.flatnonzero(where[:, 1] == rel)
        windows = counts[where[sel, 0][:, None] - rel + np.arange(rel + 1)[None, :]]
        new_keys.extend(todo_keys[sel].tolist())
        new.append(evaluate_windows_columns(windows, cfg))
    frame = _columns_frame(new_keys, new)
    return pd.concat([known, frame]) if len(known) else frame


def _columns_frame(keys: Sequence[str], parts: Sequence[dict[str, np.ndarray]]) -> pd.DataFrame:
    """`_results_frame` of `farrington.evaluate_windows_columns`' parts, one after another."""
    cols = {f: np.concatenate([p[f] for p in parts]).astype(_FRAME_TYPES[f]) for f in _RESULT_FIELDS}
    return pd.DataFrame(cols, index=pd.Index(np.asarray(keys, dtype=object), name="key"))


def _results_frame(keys: Sequence[str], results: Sequence[MonthResult]) -> pd.DataFrame:
    """Results as columns indexed by key: floats with NaN for None, booleans, integers."""
    cols = {f: [getattr(r, f) for r in results] for f in _RESULT_FIELDS}
    frame = pd.DataFrame(cols, index=pd.Index(np.asarray(keys, dtype=object), name="key"), dtype=object)
    return frame.astype(_FRAME_TYPES)  # None becomes NaN in the float columns


def _fetched(rows: pd.DataFrame) -> pd.DataFrame:
    """Memo rows (`key` and the result columns, as DuckDB gives them) as `_results_frame` has them."""
    out = rows.set_index(pd.Index(rows["key"].to_numpy(dtype=object), name="key"))[list(_RESULT_FIELDS)]
    return out.astype(_FRAME_TYPES)


def _assemble(full: pd.DataFrame, keys: Sequence[str], known: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    """The fitted long frame: every series month with its result."""
    if full.empty:
        return pd.DataFrame(columns=list(columns) + list(_RESULT_FIELDS))
    at = known.index.get_indexer(np.asarray(keys, dtype=object))
    if (at < 0).any():
        raise KeyError("a series month has no result")
    return full.assign(**{f: known[f].to_numpy()[at] for f in _RESULT_FIELDS})


def fit_series(frame: pd.DataFrame, keys: Sequence[str], cfg: FarringtonConfig = DEFAULT) -> pd.DataFrame:
    """Expected levels for every series of a long frame (`keys` + `month` + `count`).

    Months missing inside a series (no row, or a NaN count) are recording gaps: they are added as
    NaN, left out of baselines and not tested. Returns the input columns plus `expected`, `lower`,
    `upper`, `exceedance`, `baseline_months`, `seasonal_levels`, `trend`, `dispersion`,
    `below_expected`.
    """
    full, bounds = _full_series(frame, keys)
    mkeys = _series_keys(full, bounds, cfg)
    known = _complete(full, bounds, mkeys, _results_frame([], []), cfg)
    return _assemble(full, mkeys, known, frame.columns)


def _memo_rows(known: pd.DataFrame) -> pd.DataFrame:
    """The memo's rows: every result used, in key order, with the memo's nullable types."""
    rows = known.sort_index().reset_index()
    return rows[["key", *_RESULT_FIELDS]].astype(_RESULT_TYPES)


def _drop_stale_memo(con: duckdb.DuckDBPyConnection) -> None:
    """Drop cache.farrington when its columns are not the memo's (a table written by an older
    version of this module, e.g. before `below_expected`): it is rebuildable, and its keys would
    not match anyway (ALGORITHM_VERSION is part of every key)."""
    cols = [
        r[0]
        for r in con.execute(
            "select column_name from duckdb_columns() where database_name = current_database() "
            "and schema_name = 'cache' and table_name = ? order by column_index",
            [FARRINGTON_MEMO.name],
        ).fetchall()
    ]
    if cols and cols != ["key", *FARRINGTON_MEMO.column_names]:
        logger.info("cache.farrington has the columns of an older version: dropped, rebuilt by this run")
        con.execute(f"drop table {FARRINGTON_MEMO.qualified}")


def build_theme_monthly(
    con: duckdb.DuckDBPyConnection, version: str, cfg: FarringtonConfig = DEFAULT
) -> dict[str, int]:
    """(Re)build marts.theme_monthly and marts.place_monthly; returns row and exceedance counts
    and the memo's use (`cache_hits`, `cache_misses`: distinct windows read back, computed)."""
    label = method_label(cfg)
    # months with no delivery: their counts are unknown (NULL, a gap), not zero
    has_loads = con.execute(
        "select count(*) from duckdb_tables() where database_name = current_database() "
        "and schema_name = 'ops' "
        "and table_name = 'loads'"
    ).fetchall()[0][0]
    undelivered = no_delivery_months(con) if has_loads else []
    con.execute("create or replace temp table _undelivered as select unnest(?::varchar[]) as month", [undelivered])
    for stmt in sql.statements("marts/theme_monthly_series"):
        con.execute(stmt)
    series = con.execute("select theme, month, ward_code, count from theme_monthly_series").df()
    series["ward_code"] = series["ward_code"].astype(object).where(series["ward_code"].notna(), "__borough__")
    for stmt in sql.statements("marts/place_monthly_series"):
        con.execute(stmt)
    places = con.execute("select place_id, place_name, ward_code, theme, month, count from place_monthly_series").df()
    theme_full, theme_bounds = _full_series(series, ["theme", "ward_code"])
    place_full, place_bounds = _full_series(places, ["place_id", "place_name", "ward_code", "theme"])
    theme_keys = _series_keys(theme_full, theme_bounds, cfg)
    place_keys = _series_keys(place_full, place_bounds, cfg)
    # one query for every key of every series, then only the misses are evaluated
    _drop_stale_memo(con)
    FARRINGTON_MEMO.ensure(con)
    known = _fetched(FARRINGTON_MEMO.fetch_frame(con, chain(theme_keys, place_keys)))
    hits = len(known)
    known = _complete(theme_full, theme_bounds, theme_keys, known, cfg)
    known = _complete(place_full, place_bounds, place_keys, known, cfg)
    misses = len(known) - hits
    fit = _assemble(theme_full, theme_keys, known, series.columns)
    fit["ward_code"] = fit["ward_code"].replace("__borough__", None)
    fit = fit.assign(definitions_version=version, method=label)
    pfit = _assemble(place_full, place_keys, known, places.columns)
    pfit = pfit.assign(definitions_version=version, method=label)
    run_models_with_memos(
        con,
        ("marts/theme_monthly", "marts/place_monthly"),
        frames={"_theme_fit": _typed(fit), "_place_fit": _typed(pfit)},
        memos={FARRINGTON_MEMO: _memo_rows(known)},
    )
    n_ex = int(fit["exceedance"].sum())
    units = len(theme_keys) + len(place_keys)
    logger.info(
        "theme_monthly: %d rows, %d exceedances; %d series-months, %d distinct windows: "
        "%d read from cache.farrington, %d evaluated",
        len(fit),
        n_ex,
        units,
        len(known),
        hits,
        misses,
    )
    return {
        "theme_monthly_rows": len(fit),
        "theme_monthly_exceedances": n_ex,
        "place_monthly_rows": len(pfit),
        "place_monthly_exceedances": int(pfit["exceedance"].sum()),
        "cache_hits": hits,
        "cache_misses": misses,
    }


def _typed(frame: pd.DataFrame) -> pd.DataFrame:
    f = frame.copy()
    for c in ("expected", "lower", "upper", "dispersion", "variance"):
        f[c] = pd.to_numeric(f[c], errors="coerce").astype("float64")
    for c in ("baseline_months", "seasonal_levels", "count"):
        f[c] = pd.to_numeric(f[c], errors="coerce").astype("Int64")
    for c in ("exceedance", "trend", "below_expected"):
        f[c] = f[c].fillna(False).astype(bool)
    return f


def mps_ward_series(
    con: duckdb.DuckDBPyConnection, parquet_paths: Sequence[str], borough: str, major: Sequence[str]
) -> pd.DataFrame:
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
            "on columns('^[0-9]{6}$') into name ym value n",
            [path, borough, list(major)],
        ).df()
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
