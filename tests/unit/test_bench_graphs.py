"""`bench.graphs`: which parts of a month's graph an increment left as they were."""

from __future__ import annotations

import numpy as np

from bench.graphs import compare, part_digests
from transforms.networks.memo import person_digests

PEOPLE = np.array([f"P{i:02d}" for i in range(8)])


def _parts(people: np.ndarray, edges: list[tuple[int, int, float]]) -> dict[str, int]:
    a, b, w = (np.array(x) for x in zip(*edges, strict=True))
    return part_digests(person_digests(people), a.astype(np.int64), b.astype(np.int64), w.astype(float))


# two parts: a triangle 0-1-2 and a path 3-4-5
MONTH = [(0, 1, 1.0), (0, 2, 1.0), (1, 2, 0.5), (3, 4, 1.0), (4, 5, 2.0)]


def test_a_graph_compared_with_itself_is_unchanged_everywhere() -> None:
    parts = _parts(PEOPLE, MONTH)
    assert sorted(parts.values()) == [2, 3]
    result = compare({"2024-01": parts}, {"2024-01": parts})
    assert result["ties"] == 5 and result["ties_in_unchanged_parts"] == 5 and result["unchanged_share"] == 1.0
    assert result["months"]["2024-01"]["largest_part_share"] == 0.6


def test_a_changed_tie_or_a_re_keyed_person_changes_only_its_own_part() -> None:
    before = {"2024-01": _parts(PEOPLE, MONTH)}
    stronger = [(3, 4, 1.5) if (x, y) == (3, 4) else (x, y, w) for x, y, w in MONTH]
    assert compare(before, {"2024-01": _parts(PEOPLE, stronger)})["ties_in_unchanged_parts"] == 3
    re_keyed = PEOPLE.copy()
    re_keyed[1] = "P99"  # a merge gave person 1 another key: the triangle changes, the path does not
    assert compare(before, {"2024-01": _parts(re_keyed, MONTH)})["ties_in_unchanged_parts"] == 2
    # the same part in another month is not reused: a month's parts are its own
    assert compare(before, {"2024-02": _parts(PEOPLE, MONTH)})["ties_in_unchanged_parts"] == 0


def test_joining_two_parts_changes_both() -> None:
    before = {"2024-01": _parts(PEOPLE, MONTH)}
    joined = _parts(PEOPLE, [*MONTH, (2, 3, 1.0)])
    assert list(joined.values()) == [6]
    assert compare(before, {"2024-01": joined})["unchanged_share"] == 0.0
