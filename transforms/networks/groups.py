"""Peer groups: communities of the weighted peer graph, found month by month.

The graph is a `networkx.Graph` (people as nodes, the decayed and relation-weighted tie as the
`weight` of an edge); networkx stays the model of the graph. Communities are found with the
Leiden algorithm (Traag, Waltman & van Eck 2019, "From Louvain to Leiden: guaranteeing
well-connected communities", Scientific Reports 9:5233) with a fixed seed so that a rebuild gives
the same groups.

The objective (`OBJECTIVES`, default `part_potts`) is a Potts model kept within each connected part
of the month's graph: with s_i a person's tie strength (weighted degree) and s̄_P the mean strength
in their connected part P, a partition scores

    sum over communities c of [ W_in(c) - resolution * sum_{i<j in c} s_i s_j / s̄_P ]

(W_in the ties inside c). It is the constant Potts model (Traag, Van Dooren & Nesterov 2011) with
each person weighted by strength / sqrt(s̄_P); equivalently, modularity (Newman 2006; Reichardt &
Bornholdt 2006) computed within the part with resolution `resolution x |P|`. It has no term over
the whole graph, so a part's groups depend on that part alone (and the optimum decomposes over the
parts), and no resolution limit: the penalty for two people sharing a group is measured against
their part's typical strength, not the graph's total weight, so it does not change with how many
other people or parts the month holds, nor with the unit of a tie. `modularity` (global, Newman's, at `resolution`) is kept
for comparison. The heavy lifting is done by igraph's Leiden on a copy of the same graph
(networkx's own Louvain is far slower at London scale, see `bench/network.py`); `backend="networkx"` runs `networkx.community.louvain_communities` instead
(Blondel et al. 2008), for checking or where igraph is not installed.

The pipeline takes a faster road to the same groups (`CodedEvidence`, `decayed_pairs_by_month`,
`leiden_parts`): people become integer codes in person_key order, each month's ties are summed
by numpy over one array of evidence sorted by date (a month's evidence is a prefix of it) instead
of filtering a data frame per month, and igraph is built straight from the coded pairs, with no
networkx graph in between. The ties are
rounded to `TIE_DIGITS` significant digits before Leiden sees them, so that the groups are a
function of exactly the pair list a memo is keyed on (`transforms.networks.memo`).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date

import networkx as nx
import numpy as np
import pandas as pd

from transforms.networks.params import DAYS_PER_MONTH, OBJECTIVES, NetworkParams

logger = logging.getLogger(__name__)

Group = frozenset[str]

#: Significant digits a tie keeps before community detection (and in the memo key).
TIE_DIGITS = 12
#: Leiden passes (a fixed number: "until stable" can cycle for ever at high resolution).
LEIDEN_ITERATIONS = 10


def pair_graph(
    pairs: pd.DataFrame, *, a: str = "person_key_a", b: str = "person_key_b", weight: str = "weight"
) -> nx.Graph:
    """A weighted undirected graph from a frame of pairs (parallel pairs add their weights)."""
    g = nx.Graph()
    if pairs.empty:
        return g
    summed = pairs.groupby([a, b], sort=True, as_index=False)[weight].sum()
    g.add_weighted_edges_from(
        zip(summed[a].astype(str), summed[b].astype(str), summed[weight].astype(float), strict=True)
    )
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
    age_months = (pd.Timestamp(end) - pd.to_datetime(ev["seen_on"])).dt.days.to_numpy() / DAYS_PER_MONTH
    rel_w = ev["relation"].map(params.relation_weights).fillna(0.0).to_numpy()
    w = rel_w * np.power(0.5, age_months / params.half_life_months)
    out = (
        pd.DataFrame(
            {"person_key_a": ev["person_key_a"].to_numpy(), "person_key_b": ev["person_key_b"].to_numpy(), "weight": w}
        )
        .groupby(["person_key_a", "person_key_b"], as_index=False, sort=True)["weight"]
        .sum()
    )
    return out.loc[out["weight"] >= params.min_weight].reset_index(drop=True)


def find_communities(
    graph: nx.Graph, *, seed: int = 42, resolution: float = 1.0, backend: str = "leiden", objective: str = "modularity"
) -> list[Group]:
    """A partition of the graph's nodes into communities (every node in exactly one), largest first.

    `objective` is one of `OBJECTIVES` (the networkx backend has modularity only). The default here
    is Newman's modularity, so that `resolution=1.0` means what it does in the literature; the
    peer groups use `NetworkParams.objective`."""
    if graph.number_of_nodes() == 0:
        return []
    if backend == "networkx":
        if objective != "modularity":
            raise ValueError("the networkx backend optimises modularity only")
        parts: Iterable[Iterable[str]] = nx.community.louvain_communities(
            graph, weight="weight", resolution=resolution, seed=seed
        )
    elif backend == "leiden":
        parts = _leiden(graph, seed=seed, resolution=resolution, objective=objective)
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


def _leiden(graph: nx.Graph, *, seed: int, resolution: float, objective: str) -> list[list[str]]:
    # igraph's own Leiden (C core) on a copy of the networkx graph: leidenalg's iterate-to-stable
    # mode was ~50x slower on the benchmark graph.
    nodes = sorted(graph.nodes, key=str)
    index = {n: i for i, n in enumerate(nodes)}
    edges = [(index[u], index[v]) for u, v in graph.edges]
    weights = [float(d.get("weight", 1.0)) for _, _, d in graph.edges(data=True)]
    parts = _leiden_edges(len(nodes), edges, weights, seed=seed, resolution=resolution, objective=objective)
    return [[nodes[i] for i in members] for members in parts]


def part_potts_node_weights(
    n: int, edges: Sequence[tuple[int, int]] | np.ndarray, weights: Sequence[float]
) -> np.ndarray:
    """Each node's weight in the `part_potts` objective: strength / sqrt(mean strength of its
    connected part), so that the constant Potts penalty `resolution x n_i x n_j` of two people in
    one part is `resolution x s_i x s_j / s̄_part` (see the module's docstring)."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    e = np.asarray(edges, dtype=np.int64).reshape(-1, 2)
    w = np.asarray(weights, dtype=np.float64)
    strength = np.bincount(e[:, 0], weights=w, minlength=n) + np.bincount(e[:, 1], weights=w, minlength=n)
    _, part = connected_components(coo_matrix((np.ones(len(e)), (e[:, 0], e[:, 1])), shape=(n, n)), directed=False)
    mean = np.bincount(part, weights=strength) / np.bincount(part)
    scale = np.sqrt(mean[part])
    return np.divide(strength, scale, out=np.zeros(n), where=scale > 0)


def _leiden_edges(
    n: int,
    edges: Sequence[tuple[int, int]] | np.ndarray,
    weights: Sequence[float],
    *,
    seed: int,
    resolution: float,
    objective: str = "part_potts",
) -> list[list[int]]:
    # igraph draws from Python's `random` module unless told otherwise, so a private seeded
    # generator makes the run reproducible.
    import random

    import igraph as ig

    if objective not in OBJECTIVES:
        raise ValueError(f"unknown objective {objective!r}: use one of {', '.join(OBJECTIVES)}")
    if objective == "part_potts":
        # part by part, each with its own seed (`part_groups`): a part's groups depend on that part alone
        e = np.sort(np.asarray(edges, dtype=np.int64).reshape(-1, 2), axis=1)
        order = np.lexsort((e[:, 1], e[:, 0]))
        e, w = e[order], np.asarray(weights, dtype=np.float64)[order]
        out: list[list[int]] = []
        seen = np.zeros(n, dtype=bool)
        for pa, pb, pw in connected_parts(e[:, 0], e[:, 1], w):
            out.extend(g.tolist() for g in part_groups(pa, pb, pw, seed=seed, resolution=resolution, min_size=1))
            seen[pa] = seen[pb] = True
        return out + [[int(i)] for i in np.flatnonzero(~seen)]  # people with no tie: alone
    ig_graph = ig.Graph(n=n, edges=edges, directed=False)
    ig.set_random_number_generator(random.Random(seed))
    try:
        part = ig_graph.community_leiden(
            objective_function="modularity", weights=weights, resolution=resolution, n_iterations=LEIDEN_ITERATIONS
        )
    finally:
        ig.set_random_number_generator(random)
    return [list(members) for members in part]


def connected_parts(
    a: np.ndarray, b: np.ndarray, weights: np.ndarray
) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """The connected parts of a graph given as pairs (codes a, b and their ties): each part's pairs,
    in the order given, parts in the order of their lowest code."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    a, b = np.asarray(a, dtype=np.int64), np.asarray(b, dtype=np.int64)
    if not len(a):
        return
    nodes = np.unique(np.concatenate([a, b]))
    ea, eb = np.searchsorted(nodes, a), np.searchsorted(nodes, b)
    n = len(nodes)
    k, label = connected_components(coo_matrix((np.ones(len(a)), (ea, eb)), shape=(n, n)), directed=False)
    # labels follow the lowest node of each part (scipy numbers parts as it meets them, by node)
    edge_part = label[ea]
    order = np.argsort(edge_part, kind="stable")
    bounds = np.concatenate([[0], np.cumsum(np.bincount(edge_part, minlength=k))])
    for i in range(k):
        sel = order[bounds[i] : bounds[i + 1]]
        yield a[sel], b[sel], weights[sel]


def split_month(
    a: np.ndarray, b: np.ndarray, weights: np.ndarray, *, resolution: float, min_size: int
) -> tuple[list[np.ndarray], list[tuple[np.ndarray, np.ndarray, np.ndarray]]]:
    """A month's coded pairs (a < b, sorted) and ties cut into connected parts: the `part_potts`
    groups of the parts of at most `EXACT_MAX_NODES` people, solved here exactly all at once, and
    the larger parts' pairs, in the order of their lowest code. Parts of fewer than `min_size`
    people are left out. The same groups as `part_groups` on each small part, with numpy doing
    the work of all parts of one size together (every part is scored alone, elementwise)."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    a, b = np.asarray(a, dtype=np.int64), np.asarray(b, dtype=np.int64)
    w = np.asarray(weights, dtype=np.float64)
    if not len(a):
        return [], []
    nodes = np.unique(np.concatenate([a, b]))
    ea, eb = np.searchsorted(nodes, a), np.searchsorted(nodes, b)
    m = len(nodes)
    k, label = connected_components(coo_matrix((np.ones(len(a)), (ea, eb)), shape=(m, m)), directed=False)
    size = np.bincount(label, minlength=k)
    edge_part = label[ea]
    large: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    big = np.flatnonzero((size > EXACT_MAX_NODES) & (size >= min_size))
    if len(big):
        order = np.argsort(edge_part, kind="stable")
        bounds = np.concatenate([[0], np.cumsum(np.bincount(edge_part, minlength=k))])
        for i in big:
            sel = order[bounds[i] : bounds[i + 1]]
            large.append((a[sel], b[sel], w[sel]))
    solved: list[np.ndarray] = []
    # each node's rank in its part (nodes ascending), and each part's nodes in that order
    by_part = np.argsort(label, kind="stable")
    starts = np.concatenate([[0], np.cumsum(size)])
    rank = np.empty(m, dtype=np.int64)
    rank[by_part] = np.arange(m) - starts[label[by_part]]
    strength = np.bincount(ea, weights=w, minlength=m) + np.bincount(eb, weights=w, minlength=m)
    mean = np.bincount(label, weights=strength, minlength=k) / np.maximum(size, 1)
    node_weight = np.divide(strength, np.sqrt(mean[label]), out=np.zeros(m), where=mean[label] > 0)
    for n in range(max(min_size, 1), EXACT_MAX_NODES + 1):
        parts = np.flatnonzero(size == n)
        if not len(parts):
            continue
        pos = np.full(k, -1, dtype=np.int64)
        pos[parts] = np.arange(len(parts))
        sel = size[edge_part] == n
        lo, hi = np.minimum(rank[ea[sel]], rank[eb[sel]]), np.maximum(rank[ea[sel]], rank[eb[sel]])
        gain = np.zeros((len(parts), n, n))
        np.add.at(gain, (pos[edge_part[sel]], lo, hi), w[sel])
        members = by_part[starts[parts][:, None] + np.arange(n)[None, :]]  # (parts, n) node indexes
        nw = node_weight[members]
        gain -= resolution * np.triu(nw[:, :, None] * nw[:, None, :], 1)
        labels, same = _partitions(n)
        quality = np.where(same[None, :, :], gain.reshape(len(parts), 1, n * n), 0.0).sum(axis=2)
        best = labels[np.argmax(quality, axis=1)]  # (parts, n)
        for c in range(n):
            inside = best == c
            for j in np.flatnonzero(inside.sum(axis=1) >= min_size):
                solved.append(nodes[members[j][inside[j]]])
    return solved, large


def part_size(a: np.ndarray, b: np.ndarray) -> int:
    """How many people a part's pairs name."""
    return len(np.unique(np.concatenate([a, b])))


#: A connected part of at most this many people has its `part_potts` groups found exactly (every
#: partition of it scored, the best kept), not by Leiden: most parts of a month are this small,
#: and one Leiden call costs about 0.3 ms however small its graph.
EXACT_MAX_NODES = 6


def part_groups(
    a: np.ndarray, b: np.ndarray, weights: np.ndarray, *, seed: int, resolution: float, min_size: int
) -> list[np.ndarray]:
    """The `part_potts` communities of one connected part (its pairs: codes a < b, sorted, and ties)
    with at least `min_size` members, as sorted code arrays. Depends on the part alone: Leiden is
    seeded from `seed` and the part's own pairs (`part_seed`), and a part of at most
    `EXACT_MAX_NODES` people is solved exactly."""
    nodes = np.unique(np.concatenate([a, b]))
    if len(nodes) < min_size:
        return []
    ea, eb = np.searchsorted(nodes, a), np.searchsorted(nodes, b)
    w = np.asarray(weights, dtype=np.float64)
    strength = np.bincount(ea, weights=w, minlength=len(nodes)) + np.bincount(eb, weights=w, minlength=len(nodes))
    mean = float(strength.mean())
    node_weights = strength / np.sqrt(mean) if mean > 0 else np.zeros(len(nodes))
    if len(nodes) <= EXACT_MAX_NODES:
        label = _exact_cpm(len(nodes), ea, eb, w, node_weights, resolution)
    else:
        import random

        import igraph as ig

        ig_graph = ig.Graph(n=len(nodes), edges=np.column_stack([ea, eb]), directed=False)
        ig.set_random_number_generator(random.Random(part_seed(seed, ea, eb, w)))
        try:
            found = ig_graph.community_leiden(
                objective_function="CPM",
                weights=w.tolist(),
                resolution=resolution,
                node_weights=node_weights.tolist(),
                n_iterations=LEIDEN_ITERATIONS,
            )
        finally:
            ig.set_random_number_generator(random)
        label = np.asarray(found.membership, dtype=np.int64)
    sizes = np.bincount(label)
    return [nodes[label == c] for c in range(len(sizes)) if sizes[c] >= min_size]


def part_seed(seed: int, ea: np.ndarray, eb: np.ndarray, weights: np.ndarray) -> int:
    """Leiden's seed for one part: from the settings' seed and the part's pairs (local numbers, in
    order) and ties, so that a part gets the same groups whatever else its month holds."""
    import hashlib

    h = hashlib.blake2b(digest_size=8)
    h.update(np.int64(seed).tobytes())
    h.update(np.ascontiguousarray(ea, dtype="<i8").tobytes())
    h.update(np.ascontiguousarray(eb, dtype="<i8").tobytes())
    h.update(np.ascontiguousarray(weights, dtype="<f8").tobytes())
    return int.from_bytes(h.digest(), "little") >> 1


@functools.cache
def _partitions(n: int) -> tuple[np.ndarray, np.ndarray]:
    """Every partition of n people (labels, one row each, as restricted growth strings), ordered
    by number of communities then lexicographically, and for each, which pairs (i < j, flattened
    n x n) share a community."""
    rows: list[list[int]] = []

    def grow(prefix: list[int], top: int) -> None:
        if len(prefix) == n:
            rows.append(prefix)
            return
        for c in range(top + 2):
            grow([*prefix, c], max(top, c))

    if n:
        grow([0], 0)
    else:
        rows.append([])
    labels = np.array(sorted(rows, key=lambda r: (max(r, default=-1), r)), dtype=np.int64).reshape(-1, n)
    same = labels[:, :, None] == labels[:, None, :]
    same &= np.triu(np.ones((n, n), dtype=bool), 1)[None]
    return labels, same.reshape(len(labels), n * n)


def _exact_cpm(
    n: int, ea: np.ndarray, eb: np.ndarray, w: np.ndarray, node_weights: np.ndarray, resolution: float
) -> np.ndarray:
    """The partition of a small part with the highest constant Potts quality
    (sum over communities of W_in - resolution x sum_{i<j} n_i n_j); ties go to fewer communities,
    then the first in order."""
    labels, same = _partitions(n)
    gain = np.zeros((n, n))
    np.add.at(gain, (np.minimum(ea, eb), np.maximum(ea, eb)), w)
    gain -= resolution * np.triu(np.outer(node_weights, node_weights), 1)
    # elementwise, not a matrix product: each partition's score is summed the same way every time
    quality = np.where(same, gain.reshape(1, -1), 0.0).sum(axis=1)
    return labels[int(np.argmax(quality))]


@dataclass(frozen=True)
class CodedEvidence:
    """Evidence between young people as arrays: people as codes into `people` (sorted, so codes
    order pairs as their person_keys do), rows sorted by day, each with its relation's weight."""

    people: np.ndarray
    """The person_keys (str), sorted; a code is an index into it."""
    a: np.ndarray
    """Code of person_key_a (int64)."""
    b: np.ndarray
    """Code of person_key_b (int64)."""
    day: np.ndarray
    """Days from 1970-01-01 to seen_on (int64), ascending."""
    relation_weight: np.ndarray
    """The relation's weight (float64; 0 for a relation without one)."""

    @classmethod
    def of(
        cls, people: np.ndarray, a: np.ndarray, b: np.ndarray, day: np.ndarray, relation_weight: np.ndarray
    ) -> CodedEvidence:
        """From rows in any order (`people` sorted, codes into it)."""
        a, b = np.asarray(a, dtype=np.int64), np.asarray(b, dtype=np.int64)
        day, w = np.asarray(day, dtype=np.int64), np.asarray(relation_weight, dtype=np.float64)
        # a total order of the rows, so that a month's sums add the same numbers in the same
        # order whatever order the rows came in
        order = np.lexsort((w, b, a, day))
        return cls(people=np.asarray(people), a=a[order], b=b[order], day=day[order], relation_weight=w[order])


def code_evidence(evidence: pd.DataFrame, params: NetworkParams) -> CodedEvidence:
    """The evidence frame (person_key_a, person_key_b, relation, seen_on) as `CodedEvidence`.

    Rows whose relation weighs nothing are dropped when they cannot make a tie (min_weight > 0):
    adding 0.0 leaves every sum as it was.
    """
    rel_w = evidence["relation"].map(params.relation_weights).fillna(0.0).to_numpy(dtype=float)
    seen = pd.to_datetime(evidence["seen_on"])
    keep = seen.notna().to_numpy().copy()
    if params.min_weight > 0:
        keep &= rel_w != 0
    day = seen.to_numpy()[keep].astype("datetime64[D]").astype(np.int64)
    a_keys = evidence["person_key_a"].to_numpy(dtype=object)[keep].astype(str)
    b_keys = evidence["person_key_b"].to_numpy(dtype=object)[keep].astype(str)
    people, codes = np.unique(np.concatenate([a_keys, b_keys]), return_inverse=True)
    a, b = codes[: len(a_keys)].astype(np.int64), codes[len(a_keys) :].astype(np.int64)
    return CodedEvidence.of(people, a, b, day, rel_w[keep])


def decayed_pairs_by_month(
    evidence: CodedEvidence, months: Sequence[str], params: NetworkParams
) -> Iterator[tuple[str, np.ndarray, np.ndarray, np.ndarray]]:
    """For each month: the pairs (codes a, b, sorted) and their tie at the month's end, as
    `decayed_pairs` computes them (the same terms; the sum in date order, not pandas' order)."""
    n = max(len(evidence.people), 1)
    pair, pair_id = np.unique(evidence.a * n + evidence.b, return_inverse=True)
    pair_id = pair_id.ravel()
    for month in months:
        end = (np.datetime64(_month_end(month), "D") - np.datetime64("1970-01-01", "D")).astype(np.int64)
        k = int(np.searchsorted(evidence.day, end, side="right"))
        age_months = (end - evidence.day[:k]) / DAYS_PER_MONTH
        w = evidence.relation_weight[:k] * np.power(0.5, age_months / params.half_life_months)
        sums = np.bincount(pair_id[:k], weights=w, minlength=len(pair))
        seen = np.bincount(pair_id[:k], minlength=len(pair)) > 0
        keep = seen & (sums >= params.min_weight)
        yield month, pair[keep] // n, pair[keep] % n, sums[keep]


def canonical_ties(weights: np.ndarray, digits: int = TIE_DIGITS) -> np.ndarray:
    """Ties rounded to `digits` significant digits (a float sum's last bits depend on its order)."""
    w = np.asarray(weights, dtype=np.float64)
    out = w.copy()
    ok = np.isfinite(w) & (w != 0)
    exponent = np.floor(np.log10(np.abs(w[ok])))
    scale = np.power(10.0, digits - 1 - exponent)
    out[ok] = np.round(w[ok] * scale) / scale
    return out


@dataclass(frozen=True)
class CodedGroups:
    """A month's peer groups as person codes, largest first: group i is
    `members[bounds[i]:bounds[i + 1]]` (a compact form for many months at London scale)."""

    members: np.ndarray
    """Person codes (int64), group after group, each group's in ascending order."""
    bounds: np.ndarray
    """Where each group starts in `members`, then len(members) (int64)."""

    @classmethod
    def of(cls, parts: Sequence[np.ndarray]) -> CodedGroups:
        """From a list of code arrays, one a group, in the order given."""
        sizes = [len(x) for x in parts]
        members = np.concatenate([np.sort(x) for x in parts]).astype(np.int64) if parts else np.zeros(0, np.int64)
        return cls(members=members, bounds=np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64))

    def __len__(self) -> int:
        return len(self.bounds) - 1

    def groups(self, people: Sequence[str]) -> list[Group]:
        """The groups as sets of person_keys (`people[code]`)."""
        return [
            frozenset(people[int(c)] for c in self.members[lo:hi])
            for lo, hi in zip(self.bounds[:-1], self.bounds[1:], strict=True)
        ]


def leiden_parts(
    a: np.ndarray,
    b: np.ndarray,
    weights: np.ndarray,
    *,
    seed: int,
    resolution: float,
    min_size: int,
    objective: str = "part_potts",
) -> CodedGroups:
    """The peer groups of a month's coded pairs, in the order `find_communities` gives (largest
    first, then by lowest person_key), with igraph built straight from the arrays."""
    if len(a) == 0:
        return CodedGroups.of([])
    if objective == "part_potts":
        found = [
            g
            for pa, pb, pw in connected_parts(a, b, np.asarray(weights, dtype=np.float64))
            for g in part_groups(pa, pb, pw, seed=seed, resolution=resolution, min_size=min_size)
        ]
        return CodedGroups.of(sorted(found, key=lambda x: (-len(x), int(x.min()))))
    nodes = np.unique(np.concatenate([a, b]))
    edges = np.column_stack([np.searchsorted(nodes, a), np.searchsorted(nodes, b)])
    parts = _leiden_edges(
        len(nodes),
        edges,
        np.asarray(weights, dtype=float).tolist(),
        seed=seed,
        resolution=resolution,
        objective=objective,
    )
    # codes follow person_key order, so the lowest code is the lowest person_key
    kept = [nodes[np.asarray(p, dtype=np.int64)] for p in parts if len(p) >= min_size]
    return CodedGroups.of(sorted(kept, key=lambda x: (-len(x), int(x.min()))))


def leiden_groups(
    people: Sequence[str],
    a: np.ndarray,
    b: np.ndarray,
    weights: np.ndarray,
    *,
    seed: int,
    resolution: float,
    min_size: int,
    objective: str = "part_potts",
) -> list[Group]:
    """The peer groups of a month's coded pairs (codes index `people`): what `find_communities`
    then `peer_groups` give for the same pairs, with igraph built straight from the arrays."""
    return leiden_parts(a, b, weights, seed=seed, resolution=resolution, min_size=min_size, objective=objective).groups(
        people
    )


def _month_end(month: str) -> date:
    y, m = int(month[:4]), int(month[5:7])
    return (pd.Timestamp(year=y, month=m, day=1) + pd.offsets.MonthEnd(0)).date()
