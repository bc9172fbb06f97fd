"""How much of each month's peer graph a monthly increment changed, part by part.

A month's peer groups are found on that month's graph of ties. Its connected parts (components)
are independent of each other except through modularity's global term, so the share of ties in
parts that an increment left exactly as they were (the same person_keys, the same ties) is the
most that a community memo kept per part could ever read back. `python -m bench` reports it
after the increment as its `graph_change` stage (`unchanged_share`); on its own:

    python -m bench.graphs BEFORE.duckdb AFTER.duckdb
"""

from __future__ import annotations

import hashlib
import sys
from collections.abc import Iterator
from pathlib import Path

import duckdb
import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from transforms.networks import NetworkParams
from transforms.networks.build import coded_evidence, evidence_months
from transforms.networks.groups import canonical_ties, decayed_pairs_by_month
from transforms.networks.memo import person_digests


def part_digests(digests: np.ndarray, a: np.ndarray, b: np.ndarray, ties: np.ndarray) -> dict[str, int]:
    """Each connected part of one month's graph: a digest of its ties (both person digests and
    the canonical tie, in the given order) -> its number of ties. `digests[code]` is a person's."""
    if len(a) == 0:
        return {}
    nodes, inverse = np.unique(np.concatenate([a, b]), return_inverse=True)
    ia, ib = inverse[: len(a)], inverse[len(a) :]
    graph = coo_matrix((np.ones(len(a)), (ia, ib)), shape=(len(nodes), len(nodes)))
    n_parts, label = connected_components(graph, directed=False)
    part = label[ia]
    order = np.argsort(part, kind="stable")  # ties keep their order within a part
    bounds = np.searchsorted(part[order], np.arange(n_parts + 1))
    rows = np.concatenate(
        [digests[a], digests[b], np.asarray(ties, dtype="<f8").view(np.uint8).reshape(-1, 8)], axis=1
    )[order]
    out = {}
    for lo, hi in zip(bounds[:-1], bounds[1:], strict=True):
        out[hashlib.blake2b(rows[lo:hi].tobytes(), digest_size=16).hexdigest()] = int(hi - lo)
    return out


def month_parts(warehouse: Path, params: NetworkParams | None = None) -> Iterator[tuple[str, dict[str, int]]]:
    """(month, `part_digests`) for every month with ties in a warehouse (opened read-only)."""
    p = params or NetworkParams()
    with duckdb.connect(str(warehouse), read_only=True) as con:
        evidence = coded_evidence(con, p)
        months = evidence_months(con)
    digests = person_digests(evidence.people)
    for month, a, b, w in decayed_pairs_by_month(evidence, months, p):
        yield month, part_digests(digests, a, b, canonical_ties(w))


def compare(before: dict[str, dict[str, int]], after: dict[str, dict[str, int]]) -> dict[str, object]:
    """Ties of `after` in parts found unchanged in the same month of `before`, month by month and
    in all; and the largest part's share of its month's ties."""
    months = {}
    total = unchanged = 0
    for month, parts in after.items():
        ties = sum(parts.values())
        if not ties:
            continue
        old = before.get(month, {})
        same = sum(n for key, n in parts.items() if key in old)
        months[month] = {"ties": ties, "unchanged": same, "largest_part_share": round(max(parts.values()) / ties, 3)}
        total += ties
        unchanged += same
    shares = sorted(m["largest_part_share"] for m in months.values())
    return {
        "ties": total,
        "ties_in_unchanged_parts": unchanged,
        "unchanged_share": round(unchanged / total, 3) if total else 1.0,
        "median_largest_part_share": shares[len(shares) // 2] if shares else 0.0,
        "months": months,
    }


def compare_warehouses(before: Path, after: Path) -> dict[str, object]:
    """`compare` of two warehouses' monthly graphs (e.g. before and after a monthly increment)."""
    return compare(dict(month_parts(before)), dict(month_parts(after)))


def main(argv: list[str]) -> int:
    """Print the comparison of two warehouses, month by month."""
    result = compare_warehouses(Path(argv[0]), Path(argv[1]))
    months: dict[str, dict[str, float]] = result["months"]  # type: ignore[assignment]
    for month, m in months.items():
        print(
            f"{month}  ties {m['ties']:>9}  unchanged {m['unchanged'] / m['ties']:.3f}  "
            f"largest part {m['largest_part_share']:.3f}"
        )
    print(
        f"all months: {result['ties_in_unchanged_parts']} of {result['ties']} ties in unchanged parts "
        f"({result['unchanged_share']}); median largest part {result['median_largest_part_share']}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
