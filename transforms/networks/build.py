"""Build the network marts: peer evidence and edges, monthly peer groups, their changes and profiles.

SQL (`sql/marts/peer_*.sql`, `group_place.sql`, `place_profile.sql`) does the joins; Python does
only the graph work (decay, communities, tracking) between them.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator

import duckdb
import pandas as pd

import sql
from transforms.extracts.vocab import VULNERABILITY_FACTORS
from transforms.networks.groups import decayed_pairs, monthly_groups, pair_graph
from transforms.networks.params import NetworkParams
from transforms.networks.tracking import track_groups

logger = logging.getLogger(__name__)

NETWORK_MARTS = ("marts.peer_evidence", "marts.peer_edge", "marts.peer_group", "marts.peer_group_event",
                 "marts.group_place", "marts.peer_group_profile", "marts.place_profile", "marts.peer_on_peer")


def build_peer_network(con: duckdb.DuckDBPyConnection, params: NetworkParams | None = None) -> dict[str, int]:
    """(Re)build every network mart except the restricted bridge view; returns row counts."""
    p = params or NetworkParams()
    values: dict[str, object] = {
        "window_days": p.same_place_window_days, "young_min": p.young_min_age, "young_max": p.young_max_age,
        "half_life": float(p.half_life_months), "window": p.profile_window_months, "key_places": p.key_places,
        "vulnerability": list(VULNERABILITY_FACTORS),
    }
    con.execute("BEGIN TRANSACTION")
    try:
        _run(con, "marts/peer_evidence", values)
        evidence = peer_evidence(con)
        months = evidence_months(con)
        values["as_of_month"] = months[-1] if months else "1970-01"
        _run(con, "marts/peer_edge", values)
        found = ((m, groups) for m, _, groups in monthly_groups(evidence, months, p))
        members, events = track_groups(found, threshold=p.match_threshold)
        con.register("peer_group_rows", members)
        con.register("peer_group_event_rows", events)
        _run(con, "marts/peer_group", values)
        _run(con, "marts/peer_group_event", values)
        con.unregister("peer_group_rows")
        con.unregister("peer_group_event_rows")
        for name in ("marts/group_place", "marts/peer_group_profile", "marts/place_profile", "marts/peer_on_peer"):
            _run(con, name, values)
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    return {t: _count(con, t) for t in NETWORK_MARTS}


def build_peer_bridge(con: duckdb.DuckDBPyConnection, params: NetworkParams | None = None) -> dict[str, int]:
    """(Re)build the restricted `marts.peer_bridge` from the evidence and the monthly groups."""
    p = params or NetworkParams()
    evidence = peer_evidence(con)
    groups = con.execute("select as_of_month, person_key, group_id from marts.peer_group").df()
    rows = pd.DataFrame(list(_bridges(evidence, groups, p)),
                        columns=["as_of_month", "person_key", "group_id", "linked_group_ids"])
    con.execute("BEGIN TRANSACTION")
    try:
        con.register("peer_bridge_rows", rows)
        _run(con, "marts/peer_bridge", {})
        con.unregister("peer_bridge_rows")
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    return {"marts.peer_bridge": _count(con, "marts.peer_bridge")}


def peer_evidence(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """The evidence between young people that makes peer groups (pair, relation, date)."""
    return con.execute(
        "select person_key_a, person_key_b, relation, seen_on from marts.peer_evidence "
        "where young_people order by person_key_a, person_key_b, relation, seen_on").df()


def evidence_months(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Every month from the first to the last with evidence between young people (YYYY-MM)."""
    lo, hi = con.execute("select min(month), max(month) from marts.peer_evidence where young_people").fetchall()[0]
    if lo is None:
        return []
    return [str(p) for p in pd.period_range(lo, hi, freq="M")]


def _bridges(evidence: pd.DataFrame, groups: pd.DataFrame,
             p: NetworkParams) -> Iterator[tuple[str, str, str | None, list[str]]]:
    for month, g in groups.groupby("as_of_month", sort=True):
        group_of = dict(zip(g["person_key"], g["group_id"], strict=True))
        graph = pair_graph(decayed_pairs(evidence, str(month), p))
        for person in sorted(graph.nodes):
            own = group_of.get(person)
            linked = {group_of[n] for n in graph.neighbors(person) if n in group_of} - {own}
            if len(linked) + (own is not None) >= 2:
                yield str(month), person, own, sorted(linked)


def _run(con: duckdb.DuckDBPyConnection, name: str, values: dict[str, object]) -> None:
    for stmt in sql.statements(name):
        con.execute(stmt, {k: v for k, v in values.items() if re.search(rf"\${k}\b", stmt)})


def _count(con: duckdb.DuckDBPyConnection, table: str) -> int:
    return int(con.execute(f"select count(*) from {table}").fetchall()[0][0])
