"""Build the network marts: peer evidence and edges, monthly peer groups, their changes and profiles.

SQL (`sql/marts/peer_*.sql`, `group_place.sql`, `place_profile.sql`) does the joins; Python does
only the graph work (decay, communities, tracking) between them. The groups of each connected part
of each month's graph are memoised in `cache.peer_month_groups` (see `memo`), so a refresh that adds
a month runs Leiden on the new month and on the parts that changed (late records, re-keyed
persons) only; the tracking and every mart are still rebuilt in full, and come out the same with
the memo cold or warm. The parts the memo does not hold are found in worker processes, one per
core, a month's parts together (`_find_groups`). `marts.peer_edge` is a view that decays the
stored edges (`marts.peer_edge_undecayed`) when read.
"""

from __future__ import annotations

import functools
import logging
import multiprocessing
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

import duckdb
import numpy as np
import pandas as pd

import sql
from transforms.extracts.vocab import VULNERABILITY_FACTORS
from transforms.networks import memo
from transforms.networks.groups import (
    CodedEvidence,
    CodedGroups,
    canonical_ties,
    decayed_pairs_by_month,
    leiden_parts,
    part_groups,
    split_month,
)
from transforms.networks.params import DAYS_PER_MONTH, NetworkParams
from transforms.networks.tracking import track_coded
from transforms.sqlrun import execute, has_table, transaction

logger = logging.getLogger(__name__)

#: what `build_peer_network` writes, in one transaction
PEER_NETWORK_MARTS = (
    "marts.peer_evidence",
    "marts.peer_edge_undecayed",
    "marts.peer_edge_decay",
    "marts.peer_edge",
    "marts.peer_group",
    "marts.peer_group_event",
)
#: what `build_group_profiles` writes from them, in a transaction of its own
GROUP_PROFILE_MARTS = (
    "marts.group_place",
    "marts.peer_group_profile",
    "marts.place_profile",
    "marts.peer_on_peer",
)
NETWORK_MARTS = PEER_NETWORK_MARTS + GROUP_PROFILE_MARTS


def _values(p: NetworkParams) -> dict[str, object]:
    return {
        "window_days": p.same_place_window_days,
        "crowd_max": p.same_place_crowd_max,
        "young_min": p.young_min_age,
        "young_max": p.young_max_age,
        "half_life": float(p.half_life_months),
        "window": p.profile_window_months,
        "key_places": p.key_places,
        "vulnerability": list(VULNERABILITY_FACTORS),
        "days_per_month": DAYS_PER_MONTH,
    }


def build_peer_network(
    con: duckdb.DuckDBPyConnection, params: NetworkParams | None = None, workers: int = 1
) -> dict[str, int]:
    """(Re)build the peer evidence, edges, monthly groups and their events (`PEER_NETWORK_MARTS`)
    in one transaction; returns row counts, the
    months with parts to look up whose groups the memo held whole (`cache.peer_month_hits`) or in
    part (`..._misses`),
    and the connected parts it held (`cache.peer_part_hits`) or had to find (`..._misses`).
    `workers` processes find the groups of months with large parts to find (1: all here).
    The group and place profiles built from them are `build_group_profiles`'s."""
    p = params or NetworkParams()
    values = _values(p)
    with transaction(con):
        _run(con, "marts/peer_evidence", values)
        months = evidence_months(con)
        values["as_of_month"] = months[-1] if months else "1970-01"
        _run(con, "marts/peer_edge_undecayed", values)
        _drop_table(con, "marts", "peer_edge")  # a table before the view (warehouses built until session 10)
        _run(con, "marts/peer_edge", values)
        found, memo_counts, people = _groups_by_month(con, months, p, workers)
        members, events = track_coded(found, people, threshold=p.match_threshold)
        con.register("peer_group_rows", members)
        con.register("peer_group_event_rows", events)
        _run(con, "marts/peer_group", values)
        _run(con, "marts/peer_group_event", values)
        con.unregister("peer_group_rows")
        con.unregister("peer_group_event_rows")
        # the digests session 13 kept per group-month (reverted: its marts ran out of memory at
        # London size inside this transaction; docs/performance.md, session 14)
        con.execute("drop table if exists cache.peer_group_inputs")
    return {**{t: _count(con, t) for t in PEER_NETWORK_MARTS}, **memo_counts}


def build_group_profiles(con: duckdb.DuckDBPyConnection, params: NetworkParams | None = None) -> dict[str, int]:
    """(Re)build the group and place profiles and the peer-on-peer overlap (`GROUP_PROFILE_MARTS`)
    from the evidence and groups `build_peer_network` committed, in a transaction of their own:
    at London size the network's one transaction held too much to build them inside it too
    (docs/performance.md, sessions 15 and 16). They are rebuilt whole from what is committed, so a
    run that stops between the two leaves them as the last run made them, and the next run
    rebuilds them; nothing downstream (the analyst copy, the pages) runs in between."""
    values = _values(params or NetworkParams())
    months = evidence_months(con)
    values["as_of_month"] = months[-1] if months else "1970-01"
    with transaction(con):
        for name in ("marts/group_place", "marts/peer_group_profile", "marts/place_profile", "marts/peer_on_peer"):
            _run(con, name, values)
    return {t: _count(con, t) for t in GROUP_PROFILE_MARTS}


def build_peer_bridge(con: duckdb.DuckDBPyConnection, params: NetworkParams | None = None) -> dict[str, int]:
    """(Re)build the restricted `marts.peer_bridge` from the evidence and the monthly groups."""
    p = params or NetworkParams()
    evidence = coded_evidence(con, p)
    groups = con.execute("select as_of_month, person_key, group_id from marts.peer_group").df()
    rows = _bridges(evidence, groups, p)
    with transaction(con):
        con.register("peer_bridge_rows", rows)
        _run(con, "marts/peer_bridge", {})
        con.unregister("peer_bridge_rows")
    return {"marts.peer_bridge": _count(con, "marts.peer_bridge")}


def peer_evidence(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """The evidence between young people that makes peer groups (pair, relation, date)."""
    return con.execute(
        "select person_key_a, person_key_b, relation, seen_on from marts.peer_evidence "
        "where young_people order by person_key_a, person_key_b, relation, seen_on"
    ).df()


def evidence_months(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Every month from the first to the last with evidence between young people (YYYY-MM)."""
    lo, hi = con.execute("select min(month), max(month) from marts.peer_evidence where young_people").fetchall()[0]
    if lo is None:
        return []
    return [str(p) for p in pd.period_range(lo, hi, freq="M")]


#: The evidence that can make a tie between young people (all of it when min_weight <= 0).
_TIE_EVIDENCE = (
    "select person_key_a, person_key_b, relation, seen_on from marts.peer_evidence "
    "where young_people and seen_on is not null "
    "and ($all_relations or list_contains($relations::varchar[], relation))"
)


def coded_evidence(con: duckdb.DuckDBPyConnection, params: NetworkParams) -> CodedEvidence:
    """The evidence that can make a tie between young people, coded (in DuckDB) for
    `decayed_pairs_by_month`; relations that weigh nothing stay in the warehouse unless
    min_weight <= 0 (adding 0.0 leaves every sum as it was)."""
    values = {
        "all_relations": params.min_weight <= 0,
        "relations": sorted(r for r, w in params.relation_weights.items() if w != 0),
    }
    keys = con.execute(
        f"with ev as ({_TIE_EVIDENCE}) select person_key_a from ev union select person_key_b from ev", values
    ).fetchall()
    people = np.array(sorted(str(k) for (k,) in keys), dtype=str)  # Python's order, whatever the collation
    frames = {
        "peer_tie_people": pd.DataFrame(
            {"person_key": pd.Series(people, dtype=object), "code": np.arange(len(people), dtype=np.int64)}
        ),
        "peer_tie_relations": pd.DataFrame(
            {
                "relation": pd.Series(list(params.relation_weights), dtype=object),
                "weight": [float(w) for w in params.relation_weights.values()],
            }
        ),
    }
    for name, frame in frames.items():
        con.register(name, frame)
    try:
        rows = con.execute(
            f"with ev as ({_TIE_EVIDENCE}) "
            "select pa.code as a, pb.code as b, date_diff('day', date '1970-01-01', ev.seen_on) as day, "
            "coalesce(r.weight, 0.0) as weight from ev "
            "join peer_tie_people pa on pa.person_key = ev.person_key_a "
            "join peer_tie_people pb on pb.person_key = ev.person_key_b "
            "left join peer_tie_relations r on r.relation = ev.relation",
            values,
        ).fetchnumpy()
    finally:
        for name in frames:
            con.unregister(name)
    return CodedEvidence.of(people, rows["a"], rows["b"], rows["day"], rows["weight"])


#: One unit of group finding: its pairs (codes a < b, sorted) and canonical ties.
Unit = tuple[np.ndarray, np.ndarray, np.ndarray]


def _month_units(
    a: np.ndarray, b: np.ndarray, ties: np.ndarray, p: NetworkParams
) -> tuple[list[np.ndarray], list[Unit]]:
    """A month's graph cut into units of work: under `part_potts` its connected parts (the groups
    of those small enough to solve exactly, found here, and the larger parts, each a unit for the
    memo); under global `modularity` the whole month is one unit."""
    if p.objective != "part_potts":
        return [], [(a, b, ties)]
    return split_month(a, b, ties, resolution=p.resolution, min_size=p.min_group_size)


def find_units(units: list[Unit], *, seed: int, resolution: float, min_size: int, objective: str) -> list[CodedGroups]:
    """The groups of each unit (a connected part under `part_potts`, a month otherwise): what a
    worker process runs."""
    if objective == "part_potts":
        return [
            CodedGroups.of(part_groups(a, b, w, seed=seed, resolution=resolution, min_size=min_size))
            for a, b, w in units
        ]
    return [
        leiden_parts(a, b, w, seed=seed, resolution=resolution, min_size=min_size, objective=objective)
        for a, b, w in units
    ]


def _groups_by_month(
    con: duckdb.DuckDBPyConnection, months: list[str], p: NetworkParams, workers: int = 1
) -> tuple[Iterator[tuple[str, CodedGroups]], dict[str, int], np.ndarray]:
    """Each month's peer groups: the groups of each of its connected parts, from the memo where the
    part's key is stored, else found (and stored); the groups come month by month, as codes into
    the people returned (person_keys in order), only as tracking asks for them."""
    evidence = coded_evidence(con, p)
    memo.ensure_table(con)
    settings = memo.settings_fingerprint(p)
    digests = memo.person_digests(evidence.people)
    keys_of: dict[str, list[str]] = {}  # months with no tie at all have no key (and no group)
    solved_of: dict[str, list[np.ndarray]] = {}
    for month, a, b, w in decayed_pairs_by_month(evidence, months, p):
        if len(a):
            solved, units = _month_units(a, b, canonical_ties(w), p)
            solved_of[month] = solved
            keys_of[month] = [memo.part_key(digests, ua, ub, uw, settings) for ua, ub, uw in units]
    used = sorted({k for keys in keys_of.values() for k in keys})
    found = memo.load(con, used, evidence.people)
    todo = [m for m, keys in keys_of.items() if any(k not in found for k in keys)]
    new = _find_groups(evidence, todo, set(used) - found.keys(), p, workers)
    memo.save(con, used, new, evidence.people)
    logger.info(
        "peer groups: %d of %d parts from the memo; %d months whole from it, %d with parts found",
        len(used) - len(new),
        len(used),
        sum(1 for keys in keys_of.values() if keys) - len(todo),
        len(todo),
    )
    found.update(new)

    def month_groups(month: str) -> CodedGroups:
        parts = [*solved_of.get(month, [])]
        for key in keys_of.get(month, []):
            g = found[key]
            parts.extend(g.members[lo:hi] for lo, hi in zip(g.bounds[:-1], g.bounds[1:], strict=True))
        # largest first, then by lowest person_key (codes follow person_key order)
        return CodedGroups.of(sorted(parts, key=lambda x: (-len(x), int(x.min()))))

    groups = ((m, month_groups(m)) for m in months)
    looked_up = sum(1 for keys in keys_of.values() if keys)  # months with a part too large to solve exactly
    return (
        groups,
        {
            "cache.peer_month_hits": looked_up - len(todo),
            "cache.peer_month_misses": len(todo),
            "cache.peer_part_hits": len(used) - len(new),
            "cache.peer_part_misses": len(new),
        },
        evidence.people,
    )


#: A month whose parts to find hold at least this many ties is sent to a worker process when
#: several cores are free.
PARALLEL_MIN_TIES = 20_000


def _pool(workers: int) -> ProcessPoolExecutor:
    """Forked workers (Python 3.11's default on Linux): a spawned one would first re-run the
    caller's script. A worker only runs numpy and igraph on the arrays it is sent, never the
    warehouse connection it inherits, and leaves through os._exit, so no finaliser touches it."""
    methods = multiprocessing.get_all_start_methods()
    return ProcessPoolExecutor(
        max_workers=workers, mp_context=multiprocessing.get_context("fork" if "fork" in methods else None)
    )


def _find_groups(
    evidence: CodedEvidence, todo: list[str], missing: set[str], p: NetworkParams, workers: int = 1
) -> dict[str, CodedGroups]:
    """The groups of each unit whose key is in `missing`, from the months in `todo` that hold them.
    Units are independent and each Leiden run is seeded from its own part, so a month's missing
    units go together to a worker process (one per core) when they are large, while this process
    sums the next months' ties: the groups are the same as finding them one by one."""
    find = functools.partial(
        find_units, seed=p.seed, resolution=p.resolution, min_size=p.min_group_size, objective=p.objective
    )
    settings = memo.settings_fingerprint(p)
    digests = memo.person_digests(evidence.people)
    new: dict[str, CodedGroups] = {}
    # month -> (the worker's answer, the keys and the units, kept in case a worker dies)
    pending: dict[str, tuple[Future[list[CodedGroups]], list[str], list[Unit]]] = {}
    pool: ProcessPoolExecutor | None = None
    taken: set[str] = set()

    def collect(month: str) -> None:
        future, keys, units = pending.pop(month)
        try:
            results = future.result()
        except BrokenProcessPool:  # a worker was killed (out of memory?): this process does it
            logger.warning("a network worker process died; finding the month's groups in this process")
            results = find(units)
        new.update(zip(keys, results, strict=True))

    try:
        for month, a, b, w in decayed_pairs_by_month(evidence, todo, p):
            _, units = _month_units(a, b, canonical_ties(w), p)
            keys, wanted = [], []
            for unit in units:
                key = memo.part_key(digests, *unit, settings)
                if key in missing and key not in taken:
                    taken.add(key)
                    keys.append(key)
                    wanted.append(unit)
            if not wanted:
                continue
            ties = sum(len(u[0]) for u in wanted)
            if workers > 1 and ties >= PARALLEL_MIN_TIES:
                if pool is None:
                    pool = _pool(workers)
                try:
                    pending[month] = (pool.submit(find, wanted), keys, wanted)
                except BrokenProcessPool:
                    new.update(zip(keys, find(wanted), strict=True))
                while len(pending) > 2 * workers:  # a bounded queue: the oldest month first
                    collect(next(iter(pending)))
            else:
                new.update(zip(keys, find(wanted), strict=True))
            logger.debug("%s: %d parts, %d ties to find", month, len(wanted), ties)
        while pending:
            collect(next(iter(pending)))
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)
    return new


def _bridges(evidence: CodedEvidence, groups: pd.DataFrame, p: NetworkParams) -> pd.DataFrame:
    """Per month with groups: each person whose ties reach two or more groups (their own counts)."""
    out = []
    people = pd.Index(evidence.people)
    months = sorted(str(m) for m in groups["as_of_month"].unique())
    by_month = {str(m): g for m, g in groups.groupby("as_of_month", sort=True)}
    for month, a, b, _ in decayed_pairs_by_month(evidence, months, p):
        g = by_month[month]
        group_of = pd.Series(g["group_id"].to_numpy(dtype=object), index=people.get_indexer(g["person_key"]))
        group_of = group_of[group_of.index >= 0]
        ties = pd.DataFrame({"person": np.concatenate([a, b]), "peer": np.concatenate([b, a])})
        ties["own"] = ties["person"].map(group_of)
        ties["linked"] = ties["peer"].map(group_of)
        ties = ties[ties["linked"].notna() & (ties["linked"] != ties["own"])]
        if ties.empty:
            continue
        ties = ties.drop_duplicates(["person", "linked"]).sort_values(["person", "linked"])
        # each person's linked groups, cut from the sorted ties (a Python aggregate per person was
        # most of this mart's time); a person's own group is the same on each of their rows
        person = ties["person"].to_numpy()
        starts = np.flatnonzero(np.r_[True, person[1:] != person[:-1]])
        own = pd.Series(ties["own"].to_numpy(dtype=object)[starts])
        lists = pd.Series(
            [part.tolist() for part in np.split(ties["linked"].to_numpy(dtype=object), starts[1:])], dtype=object
        )
        keep = (lists.str.len() + own.notna() >= 2).to_numpy(dtype=bool)
        out.append(
            pd.DataFrame(
                {
                    "as_of_month": month,
                    "person_key": evidence.people[person[starts][keep]],
                    "group_id": own[keep].where(own[keep].notna(), None).to_numpy(dtype=object),
                    "linked_group_ids": lists[keep].to_numpy(dtype=object),
                }
            )
        )
    cols = ["as_of_month", "person_key", "group_id", "linked_group_ids"]
    return pd.concat(out, ignore_index=True)[cols] if out else pd.DataFrame(columns=cols)


def _run(con: duckdb.DuckDBPyConnection, name: str, values: dict[str, object]) -> None:
    for stmt in sql.statements(name):
        execute(con, stmt, values)


def _drop_table(con: duckdb.DuckDBPyConnection, schema: str, name: str) -> None:
    """Drop `schema.name` if it is a table (not a view)."""
    if has_table(con, schema, name):
        con.execute(f"drop table {schema}.{name}")


def _count(con: duckdb.DuckDBPyConnection, table: str) -> int:
    return int(con.execute(f"select count(*) from {table}").fetchall()[0][0])
