"""Keep peer-group identities stable from month to month, and say how groups change.

Each month's groups are matched to last month's by Jaccard overlap of their members, following
the step-to-front matching of Greene, Doyle & Cunningham (2010), "Tracking the evolution of
communities in dynamic social networks", ASONAM 2010: a pair of groups is *linked* when their
Jaccard overlap reaches a threshold (0.3 there and here). From the links:

* one old group linked to one new group: **continue** (the new group keeps the old id);
* a new group linked to several old groups: **merge** (it keeps the id of the closest one);
* an old group linked to several new groups: **split** (the closest part keeps the id, the other
  parts get new ids); where every part is closer to another old group, the parts take those
  groups' ids and the old group is named only in their **merge** events;
* a new group with no link: **birth** (a new id); an old group with no link: **death**.

Ids are handed out greedily by descending overlap, so each id lives in at most one group a month.
"""

from __future__ import annotations

import functools
import hashlib
import logging
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

if TYPE_CHECKING:
    from transforms.networks.groups import CodedGroups

logger = logging.getLogger(__name__)

Group = frozenset[str]


@dataclass(frozen=True)
class GroupEvent:
    """One change of one group between last month and this month."""

    as_of_month: str
    event: str  # birth, death, merge, split, continue
    group_id: str
    related_group_ids: tuple[str, ...] = ()


def jaccard(a: Group, b: Group) -> float:
    """|a ∩ b| / |a ∪ b| (0 for two empty sets)."""
    union = len(a | b)
    return len(a & b) / union if union else 0.0


def birth_id(prefix: str, month: str, lowest: str, issued: set[str]) -> str:
    """A new group's id: its birth month and a digest of the month and its lowest person_key
    (`PGyymm-` and 8 hex digits), added to `issued`; salted, in the order asked, in the rare case
    it is already taken. It depends on the group alone, not on how many groups were born before
    it, so a change in one part of the graph does not renumber the groups of every other part
    (until session 12 ids were a counter, `PG00001` on, and a late record in one month renumbered
    every group born after it)."""
    salt = 0
    while True:
        text = f"{month}|{lowest}" + (f"#{salt}" if salt else "")
        gid = f"{prefix}{month[2:4]}{month[5:7]}-{hashlib.sha256(text.encode()).hexdigest()[:8]}"
        if gid not in issued:
            issued.add(gid)
            return gid
        salt += 1


def _lowest_in_set(groups: Sequence[Group], i: int) -> str:
    return min(groups[i])


def _lowest_coded(people: np.ndarray, coded: CodedGroups, i: int) -> str:
    return str(people[coded.members[coded.bounds[i]]])  # in person_key order: the first is the lowest


def _match(
    month: str,
    links: list[tuple[float, str, int]],
    n_cur: int,
    prev_ids: list[str],
    lowest: Callable[[int], str],
    prefix: str,
    issued: set[str],
    events: list[GroupEvent],
) -> list[str]:
    """One month's ids from its links (overlap, old id, new group index) and its events, appended
    to `events`: continue, birth and merge per new group in order, then splits, then deaths."""
    links.sort(key=lambda lk: (-lk[0], lk[1], lk[2]))
    olds_of: dict[int, list[str]] = {}
    news_of: dict[str, list[int]] = {}
    for _, pid, ci in links:
        olds_of.setdefault(ci, []).append(pid)
        news_of.setdefault(pid, []).append(ci)
    # greedy: the strongest link first takes the id
    assigned: dict[int, str] = {}
    used: set[str] = set()
    for _, pid, ci in links:
        if ci not in assigned and pid not in used:
            assigned[ci] = pid
            used.add(pid)
    for ci in range(n_cur):
        if ci not in assigned:
            assigned[ci] = birth_id(prefix, month, lowest(ci), issued)
    ids = [assigned[ci] for ci in range(n_cur)]
    for ci, gid in enumerate(ids):
        olds = olds_of.get(ci, [])
        if len(olds) > 1:
            events.append(GroupEvent(month, "merge", gid, tuple(sorted(o for o in olds if o != gid))))
        elif not olds:
            events.append(GroupEvent(month, "birth", gid))
        elif olds[0] == gid and len(news_of[gid]) == 1:
            events.append(GroupEvent(month, "continue", gid))
    for pid, news in news_of.items():
        # a split is recorded under the id its closest part keeps; where every part took the
        # id of another old group (closer to it), the old group's members went into those
        # groups, and their merge events name it: no split event for an id that is gone
        if len(news) > 1 and pid in used:
            events.append(
                GroupEvent(month, "split", pid, tuple(sorted(assigned[ci] for ci in news if assigned[ci] != pid)))
            )
    for pid in prev_ids:
        if pid not in news_of:
            events.append(GroupEvent(month, "death", pid))
    return ids


def track_groups(
    monthly: Iterable[tuple[str, Sequence[Group]]], *, threshold: float = 0.3, prefix: str = "PG"
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Stable ids for each month's groups; returns (memberships, events).

    memberships: as_of_month, person_key, group_id. events: as_of_month, event, group_id,
    related_group_ids. Months must come in order.
    """
    issued: set[str] = set()
    previous: dict[str, Group] = {}
    row_months: list[str] = []
    row_people: list[str] = []
    row_groups: list[str] = []
    events: list[GroupEvent] = []

    for month, groups in monthly:
        current = list(groups)
        # only groups that share a member can overlap: count shared members through each
        # member's old group rather than trying every pair of groups (the same links once sorted)
        owner = _owners(previous)
        links = []
        for ci, c in enumerate(current):
            for pid, both in _shared_members(previous, owner, c).items():
                overlap = both / (len(previous[pid]) + len(c) - both)  # = jaccard(previous[pid], c)
                if overlap >= threshold:
                    links.append((overlap, pid, ci))
        ids = _match(
            month,
            links,
            len(current),
            list(previous),
            functools.partial(_lowest_in_set, current),
            prefix,
            issued,
            events,
        )
        for gid, members in zip(ids, current, strict=True):
            row_people.extend(sorted(members))
            row_months.extend([month] * len(members))
            row_groups.extend([gid] * len(members))
        previous = dict(zip(ids, current, strict=True))
        logger.debug("%s: %d groups", month, len(current))

    columns = ["as_of_month", "person_key", "group_id"]
    members = (
        pd.DataFrame(dict(zip(columns, (row_months, row_people, row_groups), strict=True)))
        if row_people
        else pd.DataFrame([], columns=columns)
    )
    ev = pd.DataFrame(
        [(e.as_of_month, e.event, e.group_id, list(e.related_group_ids)) for e in events],
        columns=["as_of_month", "event", "group_id", "related_group_ids"],
    )
    return members, ev


def track_coded(
    monthly: Iterable[tuple[str, CodedGroups]], people: np.ndarray, *, threshold: float = 0.3, prefix: str = "PG"
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """`track_groups` for groups held as person codes (`CodedGroups`, codes into `people` in
    person_key order, each month's groups disjoint): the same memberships and events, row for row.

    Each month's overlaps with last month's groups are counted in numpy through an array of each
    person's group last month, and the memberships are kept as code arrays, turned into
    person_keys once at the end: at London scale the frozensets of person_key strings of every
    month's groups were most of the tracking's time."""
    people = np.asarray(people, dtype=object)
    issued: set[str] = set()
    owner = np.full(len(people), -1, dtype=np.int64)  # each person's group index last month
    prev_ids: list[str] = []
    prev_sizes = np.zeros(0, dtype=np.int64)
    prev_members = np.zeros(0, dtype=np.int64)
    month_names: list[str] = []
    all_ids: list[str] = []
    out_months: list[np.ndarray] = []  # per member row: the month's index in `month_names`
    out_codes: list[np.ndarray] = []
    out_groups: list[np.ndarray] = []  # per member row: the group's index in `all_ids`
    events: list[GroupEvent] = []
    for month, coded in monthly:
        sizes = np.diff(coded.bounds)
        n_cur = len(sizes)
        if len(np.unique(coded.members)) != len(coded.members):
            raise ValueError(f"{month}: a person is in two groups of one month (track_groups takes overlapping groups)")
        cur_of = np.repeat(np.arange(n_cur, dtype=np.int64), sizes)  # group index of each member
        was = owner[coded.members] if len(coded.members) else np.zeros(0, dtype=np.int64)
        met = was >= 0
        links: list[tuple[float, str, int]] = []
        if met.any() and len(prev_ids):
            pair, both = np.unique(cur_of[met] * len(prev_ids) + was[met], return_counts=True)
            ci, pi = pair // len(prev_ids), pair % len(prev_ids)
            overlap = both / (prev_sizes[pi] + sizes[ci] - both)  # = jaccard, as track_groups computes it
            ok = overlap >= threshold
            links = [
                (o, prev_ids[q], c)
                for o, q, c in zip(overlap[ok].tolist(), pi[ok].tolist(), ci[ok].tolist(), strict=True)
            ]
        ids = _match(
            month,
            links,
            n_cur,
            prev_ids,
            functools.partial(_lowest_coded, people, coded),
            prefix,
            issued,
            events,
        )
        out_months.append(np.full(len(coded.members), len(month_names), dtype=np.int64))
        out_codes.append(coded.members)
        out_groups.append(cur_of + len(all_ids))
        month_names.append(month)
        all_ids.extend(ids)
        owner[prev_members] = -1
        owner[coded.members] = cur_of
        prev_ids, prev_sizes, prev_members = ids, sizes, coded.members
        logger.debug("%s: %d groups", month, n_cur)
    columns = ["as_of_month", "person_key", "group_id"]
    codes = np.concatenate(out_codes) if out_codes else np.zeros(0, dtype=np.int64)
    if len(codes):
        # the strings are taken in Arrow from each distinct value, not made row by row as Python
        # objects (8.4 million memberships at London scale: about 5 s)
        def taken(values: Sequence[str], index: np.ndarray) -> pd.api.extensions.ExtensionArray:
            return pd.array(pc.take(pa.array(list(values), type=pa.large_string()), pa.array(index)), dtype="str")

        members = pd.DataFrame(
            {
                "as_of_month": taken(month_names, np.concatenate(out_months)),
                "person_key": taken(people.tolist(), codes),
                "group_id": taken(all_ids, np.concatenate(out_groups)),
            },
            columns=columns,
        )
    else:
        members = pd.DataFrame({c: np.zeros(0, dtype=object) for c in columns}, columns=columns)
    ev = pd.DataFrame(
        [(e.as_of_month, e.event, e.group_id, list(e.related_group_ids)) for e in events],
        columns=["as_of_month", "event", "group_id", "related_group_ids"],
    )
    return members, ev


def _owners(groups: dict[str, Group]) -> dict[str, str] | None:
    """Each member's group, or None when groups overlap (then members have several)."""
    owner: dict[str, str] = {}
    for gid, members in groups.items():
        owner.update(dict.fromkeys(members, gid))
    return owner if len(owner) == sum(len(m) for m in groups.values()) else None


def _shared_members(previous: dict[str, Group], owner: dict[str, str] | None, group: Group) -> dict[str, int]:
    """How many members `group` shares with each previous group it meets."""
    if owner is None:
        return {pid: len(p & group) for pid, p in previous.items() if not p.isdisjoint(group)}
    shared: Counter[str | None] = Counter(map(owner.get, group))
    shared.pop(None, None)
    return {pid: n for pid, n in shared.items() if pid is not None}
