"""Constrained clustering of scored record pairs into persons.

Rationale. Plain connected components at a threshold (splink's
`cluster_pairwise_predictions_at_threshold`) lets one wrong edge chain two children together.
A false merge is worse than a missed link here, so edges are taken greedily in descending order of
strength (agency-ID links and analyst-accepted pairs first, then exact name + date of birth, then
model edges by match probability), in the manner of single-linkage clustering with cannot-link
constraints (Wagstaff et al. 2001, "Constrained K-means clustering with background knowledge",
ICML): a merge is refused when it would join records an analyst rejected as different people, or
two clusters holding *different* person IDs of an agency whose IDs are trusted to be unique per
person (social care child_id, education UPN), or (with the family guard) two clusters holding
dates of birth that disagree beyond a recording error (`dobs_compatible`). The last stops a record
with no date of birth from chaining a child to a sibling or parent of the same name: the guard
holds back such a pair when it is scored directly, and the constraint holds it back when the two
would only meet through a third record. Refused strong edges are sent to clerical review.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

logger = logging.getLogger(__name__)


def _one_edit(a: str, b: str) -> bool:
    """At most one substitution or one transposition of adjacent characters (equal lengths)."""
    diff = [i for i in range(len(a)) if a[i] != b[i]]
    if len(diff) <= 1:
        return True
    return len(diff) == 2 and diff[1] == diff[0] + 1 and a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]]


def dobs_compatible(a: int, b: int) -> bool:
    """Two dates of birth (YYYYMMDD as integers) that one recording error explains: equal; day and
    month swapped; the same year with one an 01/01 estimate; one digit changed or two adjacent
    digits transposed. These are the date levels the family guard counts as agreeing
    (`model._dob_comparison` without its bottom two levels, "within a year" and "different")."""
    if a == b:
        return True
    ya, yb = a // 10000, b // 10000
    if ya == yb:
        ma, da, mb, db = a // 100 % 100, a % 100, b // 100 % 100, b % 100
        if ma == db and da == mb:
            return True
        if (ma, da) == (1, 1) or (mb, db) == (1, 1):
            return True
    return _one_edit(f"{a:08d}", f"{b:08d}")


@dataclass
class _Cluster:
    ids: dict[str, set[str]] = field(default_factory=dict)  # strict agency -> ids
    cannot: dict[int, int] = field(default_factory=dict)  # constraint token -> side
    dobs: set[int] = field(default_factory=set)  # dates of birth held (only with the guard)


class ConstrainedUnion:
    """Union-find over nodes with per-cluster trusted IDs and cannot-link tokens."""

    def __init__(self, n: int) -> None:
        self.parent = list(range(n))
        self.size = [1] * n
        self.info: dict[int, _Cluster] = {}

    def find(self, i: int) -> int:
        root = i
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[i] != root:
            self.parent[i], i = root, self.parent[i]
        return root

    def _info(self, root: int) -> _Cluster:
        if root not in self.info:
            self.info[root] = _Cluster()
        return self.info[root]

    def add_id(self, node: int, agency: str, agency_id: str) -> None:
        """Record that `node` carries a trusted agency ID."""
        self._info(self.find(node)).ids.setdefault(agency, set()).add(agency_id)

    def add_dob(self, node: int, dob: int) -> None:
        """Record that `node` carries a date of birth (YYYYMMDD) the cluster must stay compatible with."""
        self._info(self.find(node)).dobs.add(dob)

    def add_cannot_link(self, token: int, a: int, b: int) -> None:
        """Forbid `a` and `b` from ever sharing a cluster."""
        self._info(self.find(a)).cannot[token] = 0
        self._info(self.find(b)).cannot[token] = 1

    def conflict(self, a: int, b: int) -> str | None:
        """Why merging the clusters of `a` and `b` is forbidden (None when it is allowed)."""
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return None
        ia, ib = self.info.get(ra), self.info.get(rb)
        if ia is None or ib is None:
            return None
        for agency, ids in ia.ids.items():
            other = ib.ids.get(agency)
            if other and not (ids & other):
                return f"different {agency} IDs"
        small, big = (ia, ib) if len(ia.cannot) < len(ib.cannot) else (ib, ia)
        for token, side in small.cannot.items():
            if token in big.cannot and big.cannot[token] != side:
                return "rejected by an analyst"
        if ia.dobs and ib.dobs and ia.dobs != ib.dobs:
            for x in ia.dobs:
                for y in ib.dobs:
                    if not dobs_compatible(x, y):
                        return "dates of birth disagree"
        return None

    def union(self, a: int, b: int, *, force: bool = False) -> bool:
        """Merge the clusters of `a` and `b` unless forbidden; True when merged (or already)."""
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return True
        if not force and self.conflict(ra, rb) is not None:
            return False
        if self.size[ra] < self.size[rb]:
            ra, rb = rb, ra
        self.parent[rb] = ra
        self.size[ra] += self.size[rb]
        ib = self.info.pop(rb, None)
        if ib is not None:
            ia = self._info(ra)
            for agency, ids in ib.ids.items():
                ia.ids.setdefault(agency, set()).update(ids)
            for token, side in ib.cannot.items():
                if token in ia.cannot and ia.cannot[token] != side:
                    ia.cannot[token] = -1  # forced through: the constraint no longer separates
                else:
                    ia.cannot[token] = side
            ia.dobs |= ib.dobs
        return True

    def labels(self) -> list[int]:
        """Cluster label (root node) of every node."""
        return [self.find(i) for i in range(len(self.parent))]


def constrained_clusters(
    n: int,
    edges: Iterable[tuple[int, int, float, str]],
    *,
    trusted_ids: Iterable[tuple[int, str, str]] = (),
    cannot_link: Iterable[tuple[int, int]] = (),
    dobs: Sequence[int] | np.ndarray | None = None,
) -> tuple[list[int], list[tuple[int, int, float, str]]]:
    """Cluster `n` nodes from edges (a, b, probability, kind) taken in the order given.

    Edges of kind `forced` always merge; others are refused on a conflict and returned as the
    second value (so they can go to clerical review). `dobs`, per node, its date of birth as
    YYYYMMDD (0: none): a cluster never holds two that `dobs_compatible` rejects, unless forced.
    Returns (labels, refused edges).
    """
    cu = ConstrainedUnion(n)
    for node, agency, agency_id in trusted_ids:
        cu.add_id(node, agency, agency_id)
    if dobs is not None:
        for node, d in enumerate(dobs):
            if d:
                cu.add_dob(node, int(d))
    for token, (a, b) in enumerate(cannot_link):
        cu.add_cannot_link(token, a, b)
    refused: list[tuple[int, int, float, str]] = []
    for a, b, p, kind in edges:
        if not cu.union(a, b, force=(kind == "forced")):
            refused.append((a, b, p, kind))
    return cu.labels(), refused


def canonical_labels(labels: Sequence[int] | np.ndarray) -> np.ndarray:
    """Each node's cluster named by its smallest node id: the same clusters give the same labels
    however they were found."""
    _, inverse = np.unique(np.asarray(labels, dtype=np.int64), return_inverse=True)
    first = np.full(inverse.max() + 1 if len(inverse) else 0, len(inverse), dtype=np.int64)
    np.minimum.at(first, inverse, np.arange(len(inverse), dtype=np.int64))
    return first[inverse]


def _dob_conflicts(comp: np.ndarray, dobs: np.ndarray) -> set[int]:
    """Components holding two dates of birth that `dobs_compatible` rejects."""
    has = np.flatnonzero(dobs)
    if not len(has):
        return set()
    pairs = np.unique(np.stack([comp[has].astype(np.int64), dobs[has]], axis=1), axis=0)
    starts = np.flatnonzero(np.r_[True, pairs[1:, 0] != pairs[:-1, 0]])
    ends = np.r_[starts[1:], len(pairs)]
    out = set()
    for s, e in zip(starts[(ends - starts) > 1].tolist(), ends[(ends - starts) > 1].tolist(), strict=True):
        ds = pairs[s:e, 1].tolist()
        if any(not dobs_compatible(ds[i], ds[j]) for i in range(len(ds)) for j in range(i + 1, len(ds))):
            out.add(int(pairs[s, 0]))
    return out


def constrained_clusters_fast(
    n: int,
    a: np.ndarray,
    b: np.ndarray,
    p: np.ndarray,
    kinds: np.ndarray,
    *,
    trusted_ids: Iterable[tuple[int, str, str]] = (),
    cannot_link: Iterable[tuple[int, int]] = (),
    dobs: np.ndarray | None = None,
) -> tuple[np.ndarray, list[tuple[int, int, float, str]]]:
    """`constrained_clusters` over edge arrays (a, b, probability, kind; in the order given), with
    labels from `canonical_labels`: the same clusters and the same refused edges.

    A merge can only be refused inside a connected component (of all the edges) that holds two
    different IDs of one trusted agency, both records of a rejected pair, or two dates of birth
    that are not compatible. Every other
    component ends as one cluster whatever the order of its edges, so only the edges of the
    components that can conflict go through the greedy union, in their order; the rest are plain
    connected components (scipy). At London scale (millions of edges) the Python loop is thus
    run over a few per cent of them.
    """
    a = np.asarray(a, dtype=np.int64)
    b = np.asarray(b, dtype=np.int64)
    if n == 0:
        return np.zeros(0, dtype=np.int64), []
    graph = coo_matrix((np.ones(len(a), dtype=np.int8), (a, b)), shape=(n, n))
    _, comp = connected_components(graph, directed=False)
    trusted = list(trusted_ids)
    cannot = list(cannot_link)
    ids: dict[tuple[int, str], set[str]] = {}
    for node, agency, agency_id in trusted:
        ids.setdefault((int(comp[node]), agency), set()).add(agency_id)
    risky = {c for (c, _), v in ids.items() if len(v) > 1}
    risky.update(int(comp[x]) for x, y in cannot if comp[x] == comp[y])
    if dobs is not None:
        risky.update(_dob_conflicts(comp, np.asarray(dobs, dtype=np.int64)))
    labels = comp.astype(np.int64) + n  # a safe component is one cluster (made canonical below)
    refused: list[tuple[int, int, float, str]] = []
    if risky:
        in_risky = np.isin(comp, np.fromiter(risky, dtype=np.int64))
        nodes = np.flatnonzero(in_risky)
        local = np.full(n, -1, dtype=np.int64)
        local[nodes] = np.arange(len(nodes))
        pick = np.flatnonzero(in_risky[a])  # both ends of an edge share its component
        cu = ConstrainedUnion(len(nodes))
        for node, agency, agency_id in trusted:
            if in_risky[node]:
                cu.add_id(int(local[node]), agency, agency_id)
        for token, (x, y) in enumerate(cannot):
            if in_risky[x] and in_risky[y]:
                cu.add_cannot_link(token, int(local[x]), int(local[y]))
        if dobs is not None:
            d = np.asarray(dobs, dtype=np.int64)[nodes]
            for i in np.flatnonzero(d).tolist():
                cu.add_dob(i, int(d[i]))
        kinds_picked = np.asarray(kinds, dtype=object)[pick].tolist()
        for i, x, y, k in zip(
            pick.tolist(), local[a[pick]].tolist(), local[b[pick]].tolist(), kinds_picked, strict=True
        ):
            if not cu.union(x, y, force=(k == "forced")):
                refused.append((int(a[i]), int(b[i]), float(p[i]), k))
        labels[nodes] = nodes[np.asarray(cu.labels(), dtype=np.int64)]
    return canonical_labels(labels), refused
