"""Peer groups: communities of the weighted peer graph, found month by month.

The graph is a `networkx.Graph` (people as nodes, the decayed and relation-weighted tie as the
`weight` of an edge); networkx stays the model of the graph. Communities are found with the
Leiden algorithm (Traag, Waltman & van Eck 2019, "From Louvain to Leiden: guaranteeing
well-connected communities", Scientific Reports 9:5233), optimising modularity (Newman 2006; with
a resolution parameter, Reichardt & Bornholdt 2006) with a fixed seed so that a rebuild gives the
same groups. The heavy lifting is done by igraph's Leiden on a copy of the same graph
(networkx's own Louvain is far slower at London scale, see `bench/network.py`); `backend="networkx"` runs `networkx.community.louvain_communities` instead
(Blondel et al. 2008), for checking or where igraph is not installed.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Sequence
from datetime import date

import networkx as nx
import numpy as np
import pandas as pd

from transforms.networks.params import NetworkParams

logger = logging.getLogger(__name__)

Group = frozenset[str]


def pair_graph(pairs: pd.DataFrame, *, a: str = "person_key_a", b: str = "person_key_b",
               weight: str = "weight") -> nx.Graph:
    """A weighted undirected graph from a frame of pairs (parallel pairs add their weights)."""
    g = nx.Graph()
    if pairs.empty:
        return g
    summed = pairs.groupby([a, b], sort=True, as_index=False)[weight].sum()
    g.add_weighted_edges_from(zip(summed[a].astype(str), summed[b].astype(str),
                                  summed[weight].astype(float), strict=True))
    return g


def decayed_pairs(evidence: pd.DataFrame, as_of_month: str, params: NetworkParams) -> pd.DataFrame:
    """Pairs with their tie at the end of `as_of_month`: the sum over evidence seen by then of
    relation weight x 0.5 ** (age in months / half-life), keeping ties of at least `min_weight`.

    `evidence` has person_key_a, person_key_b, relation and seen_on (a date) columns.
    """
    end = _month_end(as_of_month)
    seen = pd.to_datetime(evidence["seen_on"])
    ev = evidence.loc[seen <= pd.Timestamp(end)]
    if ev.empty:
        return pd.DataFrame({"person_key_a": [], "person_key_b": [], "weight": []})
    age_months = (pd.Timestamp(end) - pd.to_datetime(ev["seen_on"])).dt.days.to_numpy() / 30.4375
    rel_w = ev["relation"].map(params.relation_weights).fillna(0.0).to_numpy()
    w = rel_w * np.power(0.5, age_months / params.half_life_months)
    out = (pd.DataFrame({"person_key_a": ev["person_key_a"].to_numpy(),
                         "person_key_b": ev["person_key_b"].to_numpy(), "weight": w})
           .groupby(["person_key_a", "person_key_b"], as_index=False, sort=True)["weight"].sum())
    return out.loc[out["weight"] >= params.min_weight].reset_index(drop=True)


def find_communities(graph: nx.Graph, *, seed: int = 42, resolution: float = 1.0,
                     backend: str = "leiden") -> list[Group]:
    """A partition of the graph's nodes into communities (every node in exactly one), largest first."""
    if graph.number_of_nodes() == 0:
        return []
    if backend == "networkx":
        parts: Iterable[Iterable[str]] = nx.community.louvain_communities(
            graph, weight="weight", resolution=resolution, seed=seed)
    elif backend == "leiden":
        parts = _leiden(graph, seed=seed, resolution=resolution)
    else:
        raise ValueError(f"unknown community backend {backend!r}: use 'leiden' or 'networkx'")
    groups = [frozenset(str(n) for n in p) for p in parts]
    return sorted(groups, key=lambda s: (-len(s), min(s)))


def peer_groups(communities: Sequence[Group], min_size: int) -> list[Group]:
    """The communities large enough to call a peer group."""
    return [c for c in communities if len(c) >= min_size]


def modularity(graph: nx.Graph, communities: Sequence[Group]) -> float:
    """Newman's weighted modularity of a partition (networkx's implementation)."""
    if graph.number_of_edges() == 0:
        return 0.0
    return float(nx.community.modularity(graph, communities, weight="weight"))


def monthly_groups(evidence: pd.DataFrame, months: Sequence[str],
                   params: NetworkParams) -> Iterator[tuple[str, nx.Graph, list[Group]]]:
    """For each month: the peer graph as of its end and the peer groups found in it."""
    for month in months:
        graph = pair_graph(decayed_pairs(evidence, month, params))
        communities = find_communities(graph, seed=params.seed, resolution=params.resolution)
        groups = peer_groups(communities, params.min_group_size)
        logger.debug("%s: %d people, %d ties, %d groups", month, graph.number_of_nodes(),
                     graph.number_of_edges(), len(groups))
        yield month, graph, groups


def _leiden(graph: nx.Graph, *, seed: int, resolution: float) -> list[list[str]]:
    # igraph's own Leiden (C core) on a copy of the networkx graph: leidenalg's iterate-to-stable
    # mode was ~50x slower on the benchmark graph. igraph draws from Python's `random` module
    # unless told otherwise, so a private seeded generator makes the run reproducible.
    import random

    import igraph as ig

    nodes = sorted(graph.nodes, key=str)
    index = {n: i for i, n in enumerate(nodes)}
    edges = [(index[u], index[v]) for u, v in graph.edges]
    weights = [float(d.get("weight", 1.0)) for _, _, d in graph.edges(data=True)]
    ig_graph = ig.Graph(n=len(nodes), edges=edges, directed=False)
    ig.set_random_number_generator(random.Random(seed))
    try:
        part = ig_graph.community_leiden(objective_function="modularity", weights=weights,
                                         resolution=resolution, n_iterations=10)
        # a fixed number of passes: "until stable" (-1) can cycle for ever at high resolution
    finally:
        ig.set_random_number_generator(random)
    return [[nodes[i] for i in members] for members in part]


def _month_end(month: str) -> date:
    y, m = int(month[:4]), int(month[5:7])
    return (pd.Timestamp(year=y, month=m, day=1) + pd.offsets.MonthEnd(0)).date()
