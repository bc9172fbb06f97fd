"""The fast road to the monthly peer groups, and the memo of them (cache.peer_month_groups).

The fast road (coded evidence, all months' ties in one numpy pass, igraph built from arrays) must
give what the networkx road gives; the memo key must change with exactly what shapes a month's
groups; the memo table must round-trip groups and hold only the keys of the last run.
"""

from __future__ import annotations

import time
from datetime import date, timedelta

import duckdb
import numpy as np
import pandas as pd
import pytest

from transforms.networks import memo
from transforms.networks.build import coded_evidence
from transforms.networks.groups import (
    CodedGroups,
    canonical_ties,
    code_evidence,
    decayed_pairs,
    decayed_pairs_by_month,
    find_communities,
    leiden_groups,
    pair_graph,
    peer_groups,
)
from transforms.networks.params import RELATIONS, NetworkParams

MONTHS = [f"2025-{m:02d}" for m in range(1, 13)]


def _random_evidence(seed: int = 3, people: int = 120, rows: int = 1500) -> pd.DataFrame:
    """Evidence among planted groups of 6 (mostly within a group), over 2025, every relation."""
    rng = np.random.default_rng(seed)
    group = rng.integers(0, people // 6, rows)
    a = group * 6 + rng.integers(0, 6, rows)
    b = np.where(rng.random(rows) < 0.85, group * 6 + rng.integers(0, 6, rows), rng.integers(0, people, rows))
    keep = a != b
    lo, hi = np.minimum(a, b)[keep], np.maximum(a, b)[keep]
    days = rng.integers(0, 365, keep.sum())
    return pd.DataFrame(
        {
            "person_key_a": [f"P{x:04d}" for x in lo],
            "person_key_b": [f"P{x:04d}" for x in hi],
            "relation": rng.choice(list(RELATIONS), keep.sum()),
            "seen_on": [date(2025, 1, 1) + timedelta(days=int(d)) for d in days],
        }
    )


@pytest.mark.parametrize("min_weight", [0.1, 0.0])
def test_all_months_at_once_equal_month_by_month(min_weight: float) -> None:
    p = NetworkParams(min_weight=min_weight)
    ev = _random_evidence()
    coded = code_evidence(ev.sample(frac=1.0, random_state=1), p)  # row order must not matter
    worst, pairs = 0.0, 0
    for month, a, b, w in decayed_pairs_by_month(coded, MONTHS, p):
        old = decayed_pairs(ev, month, p)
        assert list(coded.people[a]) == list(old["person_key_a"])
        assert list(coded.people[b]) == list(old["person_key_b"])
        np.testing.assert_allclose(w, old["weight"].to_numpy(), rtol=1e-13, atol=0)
        ref = old["weight"].to_numpy()
        nz = ref != 0
        worst = max(worst, float(np.max(np.abs(w[nz] / ref[nz] - 1), initial=0.0)))
        pairs += len(a)
    print(f"min_weight {min_weight}: {pairs} month-pairs, worst relative difference {worst:.1e}")
    assert pairs > 0


@pytest.mark.parametrize("min_weight", [0.1, 0.0])
def test_evidence_coded_in_duckdb_as_in_pandas(min_weight: float) -> None:
    p = NetworkParams(min_weight=min_weight)
    ev = _random_evidence(seed=4)
    con = duckdb.connect()
    con.execute("create schema marts")
    con.execute(
        "create table marts.peer_evidence as select person_key_a, person_key_b, relation, "
        "seen_on::date as seen_on, true as young_people from ev"
    )
    in_sql, in_pandas = coded_evidence(con, p), code_evidence(ev, p)
    print(f"min_weight {min_weight}: {len(in_sql.a)} rows, {len(in_sql.people)} people")
    assert len(in_sql.a) == len(in_pandas.a) > 0
    assert list(in_sql.people) == list(in_pandas.people)
    for field in ("a", "b", "day", "relation_weight"):
        assert np.array_equal(getattr(in_sql, field), getattr(in_pandas, field)), field


def test_igraph_from_arrays_finds_the_networkx_road_groups() -> None:
    p = NetworkParams()
    ev = _random_evidence(seed=5)
    coded = code_evidence(ev, p)
    people = coded.people.tolist()
    same = 0
    for month, a, b, w in decayed_pairs_by_month(coded, MONTHS, p):
        ties = canonical_ties(w)
        fast = leiden_groups(people, a, b, ties, seed=p.seed, resolution=p.resolution, min_size=p.min_group_size)
        frame = pd.DataFrame({"person_key_a": coded.people[a], "person_key_b": coded.people[b], "weight": ties})
        slow = peer_groups(
            find_communities(pair_graph(frame), seed=p.seed, resolution=p.resolution, objective=p.objective),
            p.min_group_size,
        )
        assert fast == slow, month
        same += bool(fast)
    print(f"{same} months with groups, identical on both roads")
    assert same >= 6


def test_canonical_ties_forget_the_last_bits_only() -> None:
    w = np.array([0.1, 1.0 / 3.0, 123.456789012345678, 2.0**-40, 0.0])
    noisy = w * (1 + 1e-15)
    assert np.array_equal(canonical_ties(w), canonical_ties(noisy))
    assert np.allclose(canonical_ties(w), w, rtol=1e-11, atol=0)
    assert not np.array_equal(canonical_ties(w), canonical_ties(w * (1 + 1e-9)))


def test_part_key_follows_pairs_ties_and_settings() -> None:
    people = np.array(["P1", "P2", "P3", "P4"])
    digests = memo.person_digests(people)
    a, b, w = np.array([0, 0, 2]), np.array([1, 2, 3]), canonical_ties(np.array([1.0, 0.5, 0.25]))
    base = memo.settings_fingerprint(NetworkParams())
    key = memo.part_key(digests, a, b, w, base)
    assert key == memo.part_key(memo.person_digests(people.copy()), a.copy(), b.copy(), w.copy(), base)
    others = [
        memo.part_key(digests, a, np.array([1, 3, 3]), w, base),  # another pair
        memo.part_key(digests, a, b, canonical_ties(w * (1 + 1e-9)), base),  # another tie
        memo.part_key(memo.person_digests(np.array(["P1", "P2", "P3", "P5"])), a, b, w, base),  # another person
        memo.part_key(digests, a, b, w, memo.settings_fingerprint(NetworkParams(resolution=0.03))),
        memo.part_key(digests, a, b, w, memo.settings_fingerprint(NetworkParams(objective="modularity"))),
        memo.part_key(digests, a, b, w, memo.settings_fingerprint(NetworkParams(seed=7))),
        memo.part_key(digests, a, b, w, memo.settings_fingerprint(NetworkParams(min_group_size=4))),
    ]
    assert len({key, *others}) == len(others) + 1
    # what acts before the pair list (decay, relation weights) reaches the key through the ties
    assert memo.settings_fingerprint(NetworkParams(half_life_months=3.0)) == base


def test_memo_round_trip_and_rewrite() -> None:
    con = duckdb.connect()
    memo.ensure_table(con)
    people = np.array(["P01", "P02", "P03", "P07", "P08", "P09", "P10"])
    g1 = CodedGroups.of([np.array([6, 3, 4, 5]), np.array([0, 1, 2])])
    memo.save(con, ["k1", "k2"], {"k1": g1, "k2": CodedGroups.of([])}, people)
    stored = con.execute("select key, group_index, person_key from cache.peer_month_groups order by all").fetchall()
    assert ("k1", 0, "P10") in stored and ("k1", 1, "P01") in stored and ("k2", None, None) in stored
    loaded = memo.load(con, ["k1", "k2", "k3"], people)
    assert loaded.keys() == {"k1", "k2"} and len(loaded["k2"]) == 0
    assert (
        loaded["k1"].groups(list(people))
        == g1.groups(list(people))
        == [frozenset({"P07", "P08", "P09", "P10"}), frozenset({"P01", "P02", "P03"})]
    )
    # another run's people (one more person, so other codes): the same person_keys come back
    more = np.array(["P00", *people])
    assert memo.load(con, ["k1"], more)["k1"].groups(list(more)) == g1.groups(list(people))
    # a run without one of its members cannot use the entry
    assert memo.load(con, ["k1"], people[1:]) == {}
    # a run that used k2 and k3 only: k1 goes, k3 comes
    memo.save(con, ["k2", "k3"], {"k3": CodedGroups.of([np.array([0, 2, 4])])}, people)
    keys = {k for (k,) in con.execute("select distinct key from cache.peer_month_groups").fetchall()}
    assert keys == {"k2", "k3"}
    assert memo.load(con, ["k1", "k3"], people)["k3"].groups(list(people)) == [frozenset({"P01", "P03", "P08"})]


def test_fast_road_is_faster_on_many_months() -> None:
    """Not a threshold: prints both roads' times for the same 36 months of evidence."""
    p = NetworkParams()
    ev = _random_evidence(seed=9, people=600, rows=20000)
    months = [f"{y}-{m:02d}" for y in (2025, 2026, 2027) for m in range(1, 13)]
    t = time.perf_counter()
    slow = [len(decayed_pairs(ev, m, p)) for m in months]
    t_slow = time.perf_counter() - t
    t = time.perf_counter()
    fast = [len(a) for _, a, _, _ in decayed_pairs_by_month(code_evidence(ev, p), months, p)]
    t_fast = time.perf_counter() - t
    print(f"decayed pairs of {len(months)} months: month by month {t_slow:.2f}s, all at once {t_fast:.2f}s")
    assert fast == slow


def _evidence_warehouse(evidence: pd.DataFrame) -> duckdb.DuckDBPyConnection:
    """An in-memory warehouse holding `evidence` as marts.peer_evidence (all young people)."""
    con = duckdb.connect()
    con.execute("create schema marts")
    con.register("ev", evidence)
    con.execute(
        "create table marts.peer_evidence as select person_key_a, person_key_b, relation, seen_on::date as seen_on, "
        "strftime(seen_on::date, '%Y-%m') as month, true as young_people from ev"
    )
    con.unregister("ev")
    return con


def _cliques(people: list[str], day: date) -> pd.DataFrame:
    """Co-suspect evidence between every two of `people`, on `day`."""
    pairs = [(a, b) for i, a in enumerate(people) for b in people[i + 1 :]]
    return pd.DataFrame(
        {
            "person_key_a": [min(a, b) for a, b in pairs],
            "person_key_b": [max(a, b) for a, b in pairs],
            "relation": "co_suspect",
            "seen_on": day,
        }
    )


def test_a_month_recomputes_only_the_parts_that_changed() -> None:
    """Groups are found and memoised per connected part: after one person of one part is re-keyed
    (as identity does when it merges or splits), only that part is found again in each month; the
    other parts come from the memo, and every month's groups equal a cold run's."""
    from transforms.networks.build import _groups_by_month
    from transforms.networks.groups import EXACT_MAX_NODES

    p = NetworkParams()
    big_a = [f"A{i:02d}" for i in range(10)]  # parts too large to solve exactly: Leiden, memoised
    big_b = [f"B{i:02d}" for i in range(9)]
    small = [f"C{i:02d}" for i in range(4)]  # solved exactly, not memoised
    assert len(big_b) > EXACT_MAX_NODES >= len(small) >= p.min_group_size
    months = ["2025-01", "2025-02", "2025-03"]

    def evidence(b_people: list[str]) -> pd.DataFrame:
        rows = [
            _cliques(big_a[:5], date(2025, 1, 5)),
            _cliques(big_a[5:], date(2025, 1, 9)),
            pd.DataFrame(
                {
                    "person_key_a": ["A00"],
                    "person_key_b": ["A05"],
                    "relation": "co_suspect",
                    "seen_on": date(2025, 2, 2),
                }
            ),
            _cliques(b_people, date(2025, 1, 20)),
            _cliques(small, date(2025, 2, 10)),
        ]
        return pd.concat(rows, ignore_index=True)

    def run(con: duckdb.DuckDBPyConnection) -> tuple[dict[str, list[frozenset[str]]], dict[str, int]]:
        groups, counts, people = _groups_by_month(con, months, p)
        return {m: g.groups(people.tolist()) for m, g in groups}, counts

    con = _evidence_warehouse(evidence(big_b))
    cold, cold_counts = run(con)
    warm, warm_counts = run(con)
    # B03 re-keyed as B99 (still the part's highest key): part B's pairs change in every month
    rekeyed = [*big_b[:3], "B99", *big_b[4:]]
    con.execute("drop table marts.peer_evidence")
    after = evidence(sorted(rekeyed))
    con.register("ev", after)
    con.execute(
        "create table marts.peer_evidence as select person_key_a, person_key_b, relation, seen_on::date as seen_on, "
        "strftime(seen_on::date, '%Y-%m') as month, true as young_people from ev"
    )
    changed, changed_counts = run(con)
    fresh, _ = run(_evidence_warehouse(after))
    print(f"\ncold {cold_counts}\nwarm {warm_counts}\nre-keyed {changed_counts}\nlast month: {changed[months[-1]]}")
    # B: a part of 9 each month; A: two cliques of 5 in January (solved exactly), one part of 10 after
    assert cold_counts["cache.peer_part_misses"] == 3 + 2 and cold_counts["cache.peer_part_hits"] == 0
    assert warm_counts["cache.peer_part_hits"] == 5 and warm_counts["cache.peer_part_misses"] == 0
    assert warm == cold
    assert changed_counts["cache.peer_part_misses"] == 3 and changed_counts["cache.peer_part_hits"] == 2
    assert changed_counts["cache.peer_month_misses"] == 3  # each month has a changed part
    assert changed == fresh
    assert frozenset(rekeyed) in changed[months[-1]] and frozenset(small) in changed[months[-1]]


def _cpm_quality(
    label: np.ndarray, ea: np.ndarray, eb: np.ndarray, w: np.ndarray, nw: np.ndarray, resolution: float
) -> float:
    """Constant Potts quality of a partition: ties inside minus resolution x sum n_i n_j over pairs inside."""
    n = len(label)
    penalty = sum(nw[i] * nw[j] for i in range(n) for j in range(i + 1, n) if label[i] == label[j])
    return float(w[label[ea] == label[eb]].sum() - resolution * penalty)


def test_exact_parts_and_leiden_parts_agree_on_small_parts() -> None:
    """A part small enough to solve exactly gets the groups Leiden finds on it (the exact optimum
    is never worse): checked on the small parts of a year of random evidence."""
    import igraph as ig

    from transforms.networks.groups import EXACT_MAX_NODES, _exact_cpm, connected_parts, part_size

    p = NetworkParams()
    coded = code_evidence(_random_evidence(seed=11, people=300, rows=900), p)
    checked = differ = 0
    for _, a, b, w in decayed_pairs_by_month(coded, MONTHS, p):
        for pa, pb, pw in connected_parts(a, b, canonical_ties(w)):
            n = part_size(pa, pb)
            if not 2 <= n <= EXACT_MAX_NODES:
                continue
            nodes = np.unique(np.concatenate([pa, pb]))
            ea, eb = np.searchsorted(nodes, pa), np.searchsorted(nodes, pb)
            s = np.bincount(ea, weights=pw, minlength=n) + np.bincount(eb, weights=pw, minlength=n)
            nw = s / np.sqrt(s.mean())
            exact = _exact_cpm(n, ea, eb, pw, nw, p.resolution)
            g = ig.Graph(n=n, edges=np.column_stack([ea, eb]), directed=False)
            leiden = np.asarray(
                g.community_leiden(
                    objective_function="CPM",
                    weights=pw.tolist(),
                    resolution=p.resolution,
                    node_weights=nw.tolist(),
                    n_iterations=10,
                ).membership
            )

            checked += 1
            q_exact, q_leiden = (_cpm_quality(x, ea, eb, pw, nw, p.resolution) for x in (exact, leiden))
            assert q_exact >= q_leiden - 1e-12
            differ += abs(q_exact - q_leiden) > 1e-12
    print(f"\n{checked} small parts: exact and Leiden partitions of different quality in {differ}")
    assert checked >= 30 and differ == 0


def test_small_parts_solved_together_as_one_by_one() -> None:
    """`split_month` solves the small parts of a month all at once: the same groups as
    `part_groups` on each part alone, and the same larger parts as `connected_parts` gives."""
    from transforms.networks.groups import EXACT_MAX_NODES, connected_parts, part_groups, part_size, split_month

    p = NetworkParams()
    coded = code_evidence(_random_evidence(seed=17, people=400, rows=1200), p)
    small = 0
    for _, a, b, w in decayed_pairs_by_month(coded, MONTHS, p):
        ties = canonical_ties(w)
        solved, large = split_month(a, b, ties, resolution=p.resolution, min_size=p.min_group_size)
        one_by_one, parts = [], []
        for pa, pb, pw in connected_parts(a, b, ties):
            n = part_size(pa, pb)
            if p.min_group_size <= n <= EXACT_MAX_NODES:
                one_by_one += part_groups(pa, pb, pw, seed=p.seed, resolution=p.resolution, min_size=p.min_group_size)
            elif n > EXACT_MAX_NODES:
                parts.append((pa, pb, pw))
        assert sorted(map(tuple, solved)) == sorted(map(tuple, one_by_one))
        assert len(large) == len(parts)
        assert all(
            all(np.array_equal(x, y) for x, y in zip(u, v, strict=True)) for u, v in zip(large, parts, strict=True)
        )
        small += len(solved)
    print(f"\n{small} groups of small parts, the same solved together as one by one")
    assert small >= 20
