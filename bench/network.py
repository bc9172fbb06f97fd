"""Benchmark: build the peer graph and find its groups at London scale, beside igraph's Leiden.

A synthetic graph with planted groups (sizes 5-15, dense inside, plus random ties between groups)
of ~200k young people and ~1M ties goes through Lantern's path -- a pairs frame, `pair_graph`
(networkx, the model of the graph) and `find_communities` (Leiden via leidenalg on an igraph copy)
-- and, in the same run, straight through igraph's own `community_leiden` on the same edges.
Both are scored against the planted groups (NMI). networkx's own Louvain is timed only on the
smaller sizes (it took ~229 s at 200k nodes on this machine).

    python -m bench.network            # sizes 20000 and 200000
    python -m bench.network 50000
"""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence

import numpy as np
import pandas as pd
from sklearn.metrics import normalized_mutual_info_score

from transforms.networks.groups import find_communities, pair_graph

NX_LOUVAIN_MAX_NODES = 20_000


def planted_graph(
    n: int, *, seed: int = 1, p_in: float = 0.85, between_per_node: float = 1.2
) -> tuple[pd.DataFrame, np.ndarray]:
    """Pairs (person_key_a, person_key_b, weight) with planted groups; and each node's group."""
    rng = np.random.default_rng(seed)
    sizes = []
    while sum(sizes) < n:
        sizes.append(int(rng.integers(5, 16)))
    sizes[-1] -= sum(sizes) - n
    if sizes[-1] < 1:
        sizes.pop()
        sizes[-1] += n - sum(sizes)
    group = np.repeat(np.arange(len(sizes)), sizes)
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    a_list, b_list = [], []
    for s in range(5, 16):
        idx = np.flatnonzero(np.array(sizes) == s)
        if not len(idx):
            continue
        iu, ju = np.triu_indices(s, k=1)
        a = (starts[idx][:, None] + iu[None, :]).ravel()
        b = (starts[idx][:, None] + ju[None, :]).ravel()
        keep = rng.random(len(a)) < p_in
        a_list.append(a[keep])
        b_list.append(b[keep])
    m_out = int(between_per_node * n)
    a_list.append(rng.integers(0, n, m_out))
    b_list.append(rng.integers(0, n, m_out))
    a, b = np.concatenate(a_list), np.concatenate(b_list)
    ok = a != b
    a, b = np.minimum(a[ok], b[ok]), np.maximum(a[ok], b[ok])
    pairs = pd.DataFrame({"a": a, "b": b}).drop_duplicates()
    width = len(str(n))
    names = np.char.add("P", np.char.zfill(np.arange(n).astype(str), width))
    out = pd.DataFrame(
        {
            "person_key_a": names[pairs["a"].to_numpy()],
            "person_key_b": names[pairs["b"].to_numpy()],
            "weight": rng.uniform(0.5, 2.0, len(pairs)),
        }
    )
    return out, group


def _labels(groups: Sequence[frozenset[str]], n: int) -> np.ndarray:
    lab = np.full(n, -1)
    for i, g in enumerate(groups):
        for node in g:
            lab[int(node[1:])] = i
    return lab


def run(sizes: Sequence[int]) -> list[dict]:
    """Time Lantern's graph + groups and igraph's Leiden on planted graphs of the given sizes."""
    import igraph as ig

    results = []
    for n in sizes:
        pairs, truth = planted_graph(n)
        t0 = time.perf_counter()
        graph = pair_graph(pairs)
        t1 = time.perf_counter()
        ours = find_communities(graph, seed=42, resolution=1.0)
        t2 = time.perf_counter()
        nmi_ours = normalized_mutual_info_score(truth, _labels(ours, n))

        t3 = time.perf_counter()
        a = pairs["person_key_a"].str.slice(1).astype(int).to_numpy()
        b = pairs["person_key_b"].str.slice(1).astype(int).to_numpy()
        g = ig.Graph(n=n, edges=np.column_stack([a, b]).tolist(), directed=False)
        g.es["weight"] = pairs["weight"].to_numpy().tolist()
        t4 = time.perf_counter()
        part = g.community_leiden(objective_function="modularity", weights="weight", resolution=1.0, n_iterations=-1)
        t5 = time.perf_counter()
        nmi_ig = normalized_mutual_info_score(truth, np.array(part.membership))
        row = {
            "nodes": n,
            "edges": len(pairs),
            "planted_groups": int(truth.max() + 1),
            "lantern_graph_s": round(t1 - t0, 2),
            "lantern_groups_s": round(t2 - t1, 2),
            "lantern_total_s": round(t2 - t0, 2),
            "lantern_groups": len(ours),
            "lantern_nmi": round(nmi_ours, 4),
            "igraph_build_s": round(t4 - t3, 2),
            "igraph_leiden_s": round(t5 - t4, 2),
            "igraph_total_s": round(t5 - t3, 2),
            "igraph_groups": len(part),
            "igraph_nmi": round(nmi_ig, 4),
        }
        row["ratio_total"] = round(row["lantern_total_s"] / max(row["igraph_total_s"], 1e-9), 2)
        row["ratio_groups_vs_leiden"] = round(row["lantern_groups_s"] / max(row["igraph_leiden_s"], 1e-9), 2)
        if n <= NX_LOUVAIN_MAX_NODES:
            t6 = time.perf_counter()
            nx_groups = find_communities(graph, seed=42, resolution=1.0, backend="networkx")
            row["networkx_louvain_s"] = round(time.perf_counter() - t6, 2)
            row["networkx_nmi"] = round(normalized_mutual_info_score(truth, _labels(nx_groups, n)), 4)
        results.append(row)
    return results


if __name__ == "__main__":
    chosen = [int(x) for x in sys.argv[1:]] or [20_000, 200_000]
    for r in run(chosen):
        print(", ".join(f"{k}={v}" for k, v in r.items()))  # noqa: T201
        print(
            f"  -> Lantern (networkx graph + Leiden) {r['lantern_total_s']}s vs igraph Leiden "  # noqa: T201
            f"{r['igraph_total_s']}s on the same graph: ratio {r['ratio_total']}x"
        )
