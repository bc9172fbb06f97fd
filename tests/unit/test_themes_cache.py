"""The themes memos (cache.farrington, cache.emerging_*) on small in-memory warehouses: a warm
cache gives the same marts as a cold one, a month added reuses the earlier months' units, and a
changed setting invalidates them."""

from __future__ import annotations

import time

import duckdb
import numpy as np
import pandas as pd
import pytest

from transforms.themes import emerging
from transforms.themes.emerging import EmergingConfig, build_emerging_themes, find_emerging
from transforms.themes.farrington import FarringtonConfig, evaluate_month, window_start
from transforms.themes.monthly import build_theme_monthly, month_keys

WARDS = ("E05000001", "E05000002", "E05000003")
THEMES = ("cse", "syv")
PLACES = (("P1", "Station", "E05000001"), ("P2", "Park", "E05000002"), ("P3", "Shops", "E05000003"))


def _months(n: int, first: str = "2022-01") -> list[str]:
    return [str(p) for p in pd.period_range(first, periods=n, freq="M")]


# --- Farrington -------------------------------------------------------------------------------


def test_a_month_reads_only_its_window() -> None:
    rng = np.random.default_rng(7)
    cfg = FarringtonConfig()
    checked = 0
    for _ in range(3):
        y = rng.poisson(5 + 3 * np.sin(np.arange(90) / 1.9), size=90).astype(float)
        y[rng.choice(90, 4, replace=False)] = np.nan
        for t0 in range(0, 90, 3):
            s = window_start(t0, cfg)
            r = evaluate_month(y, t0, cfg)
            assert evaluate_month(y[s : t0 + 1], t0 - s, cfg) == r
            changed = y.copy()
            changed[:s] = 99.0  # before the window
            changed[t0 + 1 :] = 99.0  # after the month
            assert evaluate_month(changed, t0, cfg) == r
            checked += 1
    keys = month_keys(y, cfg)
    assert month_keys(np.concatenate([y, [4.0]]), cfg)[:90] == keys  # a month appended keeps the keys
    print(f"\n{checked} months: result a function of counts[window_start:t0+1] alone")


def _incident_warehouse(n_months: int, seed: int = 1) -> duckdb.DuckDBPyConnection:
    """core/marts tables build_theme_monthly reads, with `n_months` months of random incidents;
    the first `n` months are the same whatever `n_months` (one random stream per month)."""
    con = duckdb.connect()
    for schema in ("core", "marts"):
        con.execute(f"create schema {schema}")
    con.execute("create table core.ward (ward_code varchar, ward_name varchar)")
    con.executemany("insert into core.ward values (?, ?)", [(w, f"Ward {i}") for i, w in enumerate(WARDS)])
    con.execute("create table core.place (place_id varchar, name varchar, ward_code varchar)")
    con.executemany("insert into core.place values (?, ?, ?)", list(PLACES))
    con.execute("create table marts.theme_definition (version varchar, theme varchar)")
    con.executemany("insert into marts.theme_definition values ('themes-v1', ?)", [(t,) for t in THEMES])
    incidents, themes = [], []
    for i, month in enumerate(_months(n_months)):
        rng = np.random.default_rng([seed, i])
        for w, ward in enumerate(WARDS):
            n = int(rng.poisson(6 + 3 * np.sin(i / 1.9) + (12 if (w == 1 and i >= 28) else 0)))
            for j in range(n):
                key = f"{month}-{ward}-{j}"
                place = PLACES[w][0] if j % 3 == 0 else None
                incidents.append((key, f"{month}-15", month, ward, place))
                themes.append((key, THEMES[j % 2]))
    con.execute(
        "create table core.incident (incident_key varchar, recorded_date date, month varchar, "
        "ward_code varchar, place_id varchar)"
    )
    con.executemany("insert into core.incident values (?, ?, ?, ?, ?)", incidents)
    con.execute("create table core.incident_theme (incident_key varchar, theme varchar)")
    con.executemany("insert into core.incident_theme values (?, ?)", themes)
    return con


def _monthly_marts(con: duckdb.DuckDBPyConnection) -> tuple[list[tuple], list[tuple]]:
    return (
        con.execute("select * from marts.theme_monthly").fetchall(),
        con.execute("select * from marts.place_monthly").fetchall(),
    )


def test_farrington_memo_cold_warm_month_added_and_settings() -> None:
    con = _incident_warehouse(36)
    t = time.perf_counter()
    cold = build_theme_monthly(con, "themes-v1")
    t_cold = time.perf_counter() - t
    cold_marts = _monthly_marts(con)
    t = time.perf_counter()
    warm = build_theme_monthly(con, "themes-v1")
    t_warm = time.perf_counter() - t
    print(
        f"\ncold: {cold['cache_misses']} windows computed in {t_cold:.2f}s; "
        f"warm: {warm['cache_hits']} hits, {warm['cache_misses']} misses in {t_warm:.2f}s"
    )
    assert cold["cache_hits"] == 0 and cold["cache_misses"] > 0
    assert warm == {**cold, "cache_hits": cold["cache_misses"], "cache_misses": 0}
    assert _monthly_marts(con) == cold_marts
    assert cold["theme_monthly_exceedances"] > 0  # the planted surge is there to be memoised
    # the cache is content-addressed: a key and the results, nothing naming a series
    cols = [r[0] for r in con.execute("describe cache.farrington").fetchall()]
    assert cols == [
        "key",
        "expected",
        "lower",
        "upper",
        "exceedance",
        "baseline_months",
        "seasonal_levels",
        "trend",
        "dispersion",
        "below_expected",
        "variance",
    ]

    # a month added: only the new month of each series is computed
    more = _incident_warehouse(37)
    con.execute("delete from core.incident_theme; delete from core.incident")
    con.register("_i", more.execute("select * from core.incident").df())
    con.register("_t", more.execute("select * from core.incident_theme").df())
    con.execute("insert into core.incident select * from _i")
    con.execute("insert into core.incident_theme select * from _t")
    series = len(WARDS + (None,)) * len(THEMES) + len(PLACES) * (1 + len(THEMES))
    added = build_theme_monthly(con, "themes-v1")
    print(f"month added: {added['cache_hits']} hits, {added['cache_misses']} misses ({series} series)")
    assert added["cache_hits"] == cold["cache_misses"]  # every earlier window still used
    assert 0 < added["cache_misses"] <= series
    fresh = build_theme_monthly(more, "themes-v1")
    assert fresh["cache_hits"] == 0
    assert _monthly_marts(con) == _monthly_marts(more)
    n_cached = con.execute("select count(*) from cache.farrington").fetchall()[0][0]
    assert n_cached == added["cache_hits"] + added["cache_misses"]  # only the keys used are kept

    # a changed setting invalidates every unit
    changed = build_theme_monthly(con, "themes-v1", FarringtonConfig(alpha=0.05))
    print(f"alpha changed: {changed['cache_hits']} hits, {changed['cache_misses']} misses")
    assert changed["cache_hits"] == 0 and changed["cache_misses"] == n_cached


def test_a_memo_written_by_an_older_version_is_dropped_and_rebuilt() -> None:
    """A cache.farrington without `below_expected` (written before it existed) is not read: the
    build drops it, recomputes every window and leaves the table with the current columns."""
    con = _incident_warehouse(30)
    cold = build_theme_monthly(con, "themes-v1")
    marts = _monthly_marts(con)
    con.execute("alter table cache.farrington drop column below_expected")
    again = build_theme_monthly(con, "themes-v1")
    print(f"\nold memo: {again['cache_hits']} hits, {again['cache_misses']} misses (cold {cold['cache_misses']})")
    assert again["cache_hits"] == 0 and again["cache_misses"] == cold["cache_misses"]
    assert _monthly_marts(con) == marts
    cols = [r[0] for r in con.execute("describe cache.farrington").fetchall()]
    assert "below_expected" in cols


# --- emerging themes --------------------------------------------------------------------------

_TEMPLATES = (
    "group of youths fought near the station and one was stabbed with a knife",
    "phone and jacket taken by two males on mopeds near the shops",
    "found with wraps of cocaine and a burner phone running a county line",
    "shoplifting from the supermarket detained by security staff",
    "intimate image shared in a group chat among pupils at school",
)
_CFG = EmergingConfig(window=6, min_months=4, topics=6, min_df=3)


def _documents(n_months: int) -> list[tuple[str, str]]:
    """(month, text) of the crime MO texts; from month 9 a new app appears."""
    rows = []
    for i, month in enumerate(_months(n_months, "2025-01")):
        rng = np.random.default_rng([3, i])
        for _ in range(30):
            rows.append(
                (
                    month,
                    f"{_TEMPLATES[rng.integers(0, len(_TEMPLATES))]} {rng.choice(['zoe', 'amir', 'kai'])} "
                    f"{rng.choice(['late', 'early', 'again', 'twice'])}",
                )
            )
        if i >= 9:
            for _ in range(6):
                rows.append(
                    (month, f"added on zapchat by an older male who asked for pictures {rng.choice(['zoe', 'amir'])}")
                )
    return rows


def _text_warehouse(docs: list[tuple[str, str]], names: list[tuple[str, str]]) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("create schema raw")
    con.execute("create schema marts")
    con.execute("create table raw.police_crimes (crime_ref varchar, committed_from timestamp, mo_text varchar)")
    # inserted in a scrambled order: the memo and the fit must not depend on it
    order = np.random.default_rng(len(docs)).permutation(len(docs))
    con.executemany(
        "insert into raw.police_crimes values (?, ?, ?)",
        [(f"c{i}", f"{docs[i][0]}-10 12:00:00", docs[i][1]) for i in order],
    )
    con.execute("create table raw.map_assessments (assessment_id varchar, meeting_date date)")
    con.execute("create table raw.map_assessment_cells (assessment_id varchar, note varchar)")
    con.execute("insert into raw.map_assessments values ('a1', '2025-03-04')")
    con.execute(
        "insert into raw.map_assessment_cells values ('a1', 'met at the park with older boys'), "
        "('a1', 'met at the park with older boys')"
    )
    con.execute("create table raw.person_record (forename varchar, surname varchar)")
    con.executemany("insert into raw.person_record values (?, ?)", names)
    return con


def _emerging_marts(con: duckdb.DuckDBPyConnection) -> tuple[list[tuple], list[tuple]]:
    return (
        con.execute("select * from marts.emerging_theme").fetchall(),
        con.execute("select * from marts.emerging_theme_monthly").fetchall(),
    )


def test_emerging_memo_cold_warm_month_added_names_and_settings() -> None:
    names = [("Zoe", "Smith"), ("Amir", "Khan"), ("Kai", "Jones")]
    con = _text_warehouse(_documents(12), names)
    t = time.perf_counter()
    cold = build_emerging_themes(con, _CFG)
    t_cold = time.perf_counter() - t
    cold_marts = _emerging_marts(con)
    t = time.perf_counter()
    warm = build_emerging_themes(con, _CFG)
    t_warm = time.perf_counter() - t
    periods = 12 - _CFG.min_months + 1
    print(
        f"\ncold: {cold['cache_misses']} periods fitted in {t_cold:.2f}s; "
        f"warm: {warm['cache_hits']} hits in {t_warm:.2f}s; rising topics {cold['rising']}"
    )
    assert (cold["cache_hits"], cold["cache_misses"]) == (0, periods)
    assert (warm["cache_hits"], warm["cache_misses"]) == (periods, 0)
    assert _emerging_marts(con) == cold_marts
    assert cold["rising"] > 0
    terms = {t for (t,) in con.execute("select unnest(top_terms) from cache.emerging_topic").fetchall()}
    assert terms and all(" " not in t for t in terms)  # single terms, never text
    assert not terms & {"zoe", "amir", "kai", "smith", "khan", "jones"}

    # a month added: one new period is fitted, the others are read back
    docs13 = _documents(13)
    more = _text_warehouse(docs13, names)
    con.execute("delete from raw.police_crimes")
    con.register("_docs", more.execute("select * from raw.police_crimes").df())
    con.execute("insert into raw.police_crimes select * from _docs")
    added = build_emerging_themes(con, _CFG)
    print(f"month added: {added['cache_hits']} hits, {added['cache_misses']} misses")
    assert (added["cache_hits"], added["cache_misses"]) == (periods, 1)
    assert build_emerging_themes(more, _CFG)["cache_hits"] == 0
    assert _emerging_marts(con) == _emerging_marts(more)
    n_cached = con.execute("select count(*) from cache.emerging_period").fetchall()[0][0]
    assert n_cached == periods + 1

    # a new person whose name no document contains changes nothing; one whose name is in the
    # text of the last months invalidates the periods holding those documents
    con.execute("insert into raw.person_record values ('Bartholomew', 'Quince')")
    assert build_emerging_themes(con, _CFG)["cache_misses"] == 0
    con.execute("insert into raw.person_record values ('Zapchat', 'Nobody')")
    named = build_emerging_themes(con, _CFG)
    print(f"a name found in the text of months 10-13: {named['cache_misses']} periods refitted")
    assert 1 <= named["cache_misses"] < periods + 1
    assert "zapchat" not in " ".join(r[0] for r in con.execute("select top_terms from marts.emerging_theme").fetchall())
    con.execute("delete from raw.person_record where forename = 'Zapchat'")

    # a changed setting invalidates every period
    changed = build_emerging_themes(con, EmergingConfig(window=6, min_months=4, topics=5, min_df=3))
    assert (changed["cache_hits"], changed["cache_misses"]) == (0, periods + 1)


def test_emerging_topics_do_not_depend_on_the_order_of_the_documents() -> None:
    docs = pd.DataFrame(_documents(11), columns=["month", "text"])
    a = find_emerging(docs, frozenset({"zoe", "amir", "kai"}), _CFG)
    b = find_emerging(docs.sample(frac=1, random_state=5), frozenset({"zoe", "amir", "kai"}), _CFG)
    print(f"\n{len(a[0])} topics, same whatever the order of the documents")
    assert len(a[0]) > 0
    pd.testing.assert_frame_equal(a[0], b[0])
    pd.testing.assert_frame_equal(a[1], b[1])


def test_emerging_periods_fitted_in_workers_are_the_ones_fitted_one_by_one() -> None:
    """Worker processes (one per core) fit the periods the memo lacks: the marts and the memo are
    the same, value for value, as when this process fits them one after another."""
    names = [("Zoe", "Smith"), ("Amir", "Khan"), ("Kai", "Jones")]
    one, two = _text_warehouse(_documents(13), names), _text_warehouse(_documents(13), names)
    a = build_emerging_themes(one, _CFG, workers=1)
    b = build_emerging_themes(two, _CFG, workers=2)
    memo = "select * from cache.emerging_topic order by all"
    same = _emerging_marts(one) == _emerging_marts(two) and one.execute(memo).fetchall() == two.execute(memo).fetchall()
    print(f"\n{a['cache_misses']} periods, {a['topics']} topics one by one; {b['topics']} in workers; same: {same}")
    assert a == b and a["cache_misses"] >= 2
    assert same


def test_documents_tokenised_once_give_the_vectorizers_matrix_array_for_array() -> None:
    """A build tokenises every document once and cuts each period's TF-IDF matrix from that: the
    matrix is the vectorizer's one, the same entries in the same order (so every row's norm adds
    up in the same order), and so are the topics."""
    docs = pd.DataFrame(_documents(13), columns=["month", "text"])
    docs.loc[len(docs)] = ["2025-05", "The THE the station Station! phone 2phones zoe-kai"]  # case, digits, names
    stop = frozenset({"zoe", "amir", "kai"})
    docs, periods = emerging._periods(docs, stop, _CFG)
    tokens = emerging.tokenise(docs["text"].tolist(), stop)
    months = docs["month"].to_numpy(dtype=object)
    same = 0
    for p in periods:
        vec = emerging._vectorizer(p.stop, _CFG)
        X = vec.fit_transform(docs["text"].iloc[p.rows].tolist())
        Y, terms = emerging._tfidf(tokens.rows(p.rows), _CFG)
        assert type(Y) is type(X) and Y.shape == X.shape
        for a, b in ((X.indptr, Y.indptr), (X.indices, Y.indices), (X.data, Y.data)):
            assert a.dtype == b.dtype and np.array_equal(a, b)
        assert list(terms) == list(vec.get_feature_names_out())
        by_texts = emerging._fit_texts(docs["text"].iloc[p.rows].tolist(), months[p.rows], p.months, p.stop, _CFG)
        assert emerging._fit_tokens(tokens.rows(p.rows), months[p.rows], p.months, _CFG) == by_texts
        same += 1
    print(f"\n{same} periods: the same matrix and topics as the vectorizer's, {len(tokens.terms)} terms")
    assert same == len(periods) >= 5


@pytest.mark.parametrize("bad", [np.array([1.0, -0.0, np.nan]), np.array([1.0, 0.0, float("-nan")])])
def test_window_keys_read_values_not_bit_patterns(bad: np.ndarray) -> None:
    assert month_keys(bad) == month_keys(np.array([1.0, 0.0, np.nan]))


def test_window_keys_are_the_digest_of_salt_and_window() -> None:
    """The keys hash the salt once and copy the hasher for each month; they must stay
    `digest(salt, window bytes)`, or every stored window would be computed again."""
    from transforms.memo import digest
    from transforms.themes.monthly import _salt

    cfg = FarringtonConfig()
    y = np.random.default_rng(5).poisson(4.0, size=80).astype(float)
    y[[3, 40]] = np.nan
    c = np.where(np.isnan(y), np.nan, y) + 0.0
    assert month_keys(y, cfg) == [
        digest(_salt(cfg), c[window_start(t0, cfg) : t0 + 1].tobytes()) for t0 in range(len(y))
    ]
