"""A content-addressed memo of the peer groups of each connected part of each month's graph
(`cache.peer_month_groups`; one month is one unit under the global `modularity` objective).

Finding communities (Leiden on a month's decayed peer graph) is the costly step of the network
marts. Under `part_potts` a connected part's groups depend on that part alone (`groups.part_groups`:
no global term, Leiden seeded from the part), and when a month of data is added most parts of
most months are the same as last time, even where identity re-keyed someone elsewhere in the
month. So a part's groups are stored under a key: a hash (BLAKE2b) of exactly what determines
them -- the part's pair list (both person_keys and the tie, rounded to `groups.TIE_DIGITS`
significant digits, in person_key order), the settings that act on that graph (objective,
resolution, seed, minimum group size, Leiden passes, the size up to which parts are solved
exactly), the igraph version and `MEMO_VERSION`, bumped whenever the way groups are found
changes. A part whose key is stored is read back; the others are computed. Parts small enough
to be solved exactly (`groups.EXACT_MAX_NODES`) are not stored: solving one costs less than
looking it up. Tracking then runs over every month as before, so group ids are the same whether
the memo was cold or warm. After a run the table holds only the keys that run used.

The table holds person_keys (pseudonyms) and group numbers only: no names, dates of birth,
postcodes or free text. `lantern erase` and `purge` drop it with the rest of `cache`.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager

import duckdb
import numpy as np
import pandas as pd

from transforms.memo import MemoTable
from transforms.networks.groups import EXACT_MAX_NODES, LEIDEN_ITERATIONS, TIE_DIGITS, CodedGroups
from transforms.networks.params import NetworkParams

logger = logging.getLogger(__name__)

#: Bump when the way groups are found changes: every stored part is then recomputed.
#: 3: the unit is a connected part of a month's graph (was: the whole month).
MEMO_VERSION = 3


def settings_fingerprint(params: NetworkParams) -> bytes:
    """What, besides the pair list, shapes a month's groups (the version constant included)."""
    try:
        import igraph

        igraph_version = str(igraph.__version__)
    except ImportError:  # pragma: no cover - igraph is a dependency
        igraph_version = "none"
    settings = {
        "memo_version": MEMO_VERSION,
        "algorithm": f"igraph.community_leiden/{params.objective}",
        "igraph": igraph_version,
        "iterations": LEIDEN_ITERATIONS,
        "tie_digits": TIE_DIGITS,
        "resolution": float(params.resolution),
        "seed": int(params.seed),
        "min_group_size": int(params.min_group_size),
        "unit": "connected part" if params.objective == "part_potts" else "month",
        "exact_max_nodes": EXACT_MAX_NODES,
    }
    return json.dumps(settings, sort_keys=True).encode()


def person_digests(people: np.ndarray) -> np.ndarray:
    """A 16-byte digest of each person_key (rows of uint8), so a pair list hashes as arrays."""
    joined = b"".join(hashlib.blake2b(str(key).encode(), digest_size=16).digest() for key in people)
    return np.frombuffer(joined, dtype=np.uint8).reshape(len(people), 16)


def part_key(digests: np.ndarray, a: np.ndarray, b: np.ndarray, ties: np.ndarray, settings: bytes) -> str:
    """The memo key of one unit (a connected part, or a month): its pairs (in order) with their
    canonical ties, and the settings."""
    h = hashlib.blake2b(digest_size=20)
    h.update(settings)
    h.update(np.int64(len(a)).tobytes())
    h.update(np.ascontiguousarray(digests[a]).tobytes())
    h.update(np.ascontiguousarray(digests[b]).tobytes())
    h.update(np.ascontiguousarray(ties, dtype="<f8").tobytes())
    return h.hexdigest()


MEMO = MemoTable(
    name="peer_month_groups",
    columns=(("group_index", "integer"), ("person_key", "varchar")),
    comment="Memo of the peer groups of each connected part of each month's graph (transforms.networks.memo): "
    "one row per memo key x group x member; a part without groups has one row with no group. Rebuildable; holds "
    "pseudonymous person_keys only; dropped by purge and erasure.",
)
TABLE = MEMO.qualified


def ensure_table(con: duckdb.DuckDBPyConnection) -> None:
    """Create the cache schema and table if missing."""
    MEMO.ensure(con)


def load(con: duckdb.DuckDBPyConnection, keys: Sequence[str], people: np.ndarray) -> dict[str, CodedGroups]:
    """The stored groups of each of `keys` found in the memo, as codes into `people` (the sorted
    person_keys of this run). A key whose groups name someone not in `people` is left out (so
    recomputed): it cannot happen unless two pair lists share a hash."""
    if not keys:
        return {}
    wanted = sorted(set(keys))
    with _registered(con, _keys_frame(wanted), _people_frame(people)):
        rows = con.execute(
            f"select k.key_id, coalesce(c.group_index, -1) as group_index, coalesce(p.code, -1) as code "
            f"from {TABLE} c join peer_memo_keys k on k.key = c.key "
            "left join peer_memo_people p on p.person_key = c.person_key "
            "order by k.key_id, c.group_index, p.code"
        ).fetchnumpy()
    key_id = np.asarray(rows["key_id"], dtype=np.int64)
    index = np.asarray(rows["group_index"], dtype=np.int64)
    code = np.asarray(rows["code"], dtype=np.int64)
    found: dict[str, CodedGroups] = {}
    if not len(key_id):
        return found
    # every key's rows at once (a loop of numpy calls per key took 15 s for 350,000 keys at
    # London scale): a key naming someone not in `people` is dropped, the no-member rows go, and
    # each key keeps slices of one array of members and one of group starts
    members = index >= 0
    bad = np.unique(key_id[members & (code < 0)])
    for k in bad.tolist():
        logger.warning("memo entry %s names people not in this run's evidence: recomputed", wanted[k])
    keys_all = np.unique(key_id)
    keys_kept = keys_all[~np.isin(keys_all, bad)]
    keep = members & ~np.isin(key_id, bad)
    k, ix, cx = key_id[keep], index[keep], code[keep]
    group_start = (
        np.flatnonzero(np.r_[True, (k[1:] != k[:-1]) | (ix[1:] != ix[:-1])]) if len(k) else np.zeros(0, np.int64)
    )
    # each kept key's rows [lo, hi) and its groups [g0, g1) in `group_start`
    lo = np.searchsorted(k, keys_kept, side="left")
    hi = np.searchsorted(k, keys_kept, side="right")
    g0 = np.searchsorted(group_start, lo, side="left")
    g1 = np.searchsorted(group_start, hi, side="left")
    for key, a, b, s0, s1 in zip(keys_kept.tolist(), lo.tolist(), hi.tolist(), g0.tolist(), g1.tolist(), strict=True):
        bounds = np.empty(s1 - s0 + 1, dtype=np.int64)
        bounds[:-1] = group_start[s0:s1] - a
        bounds[-1] = b - a
        found[wanted[key]] = CodedGroups(members=cx[a:b], bounds=bounds)
    return found


def save(
    con: duckdb.DuckDBPyConnection, used: Sequence[str], new: Mapping[str, CodedGroups], people: np.ndarray
) -> None:
    """Leave the memo holding exactly the `used` keys: drop the others, add the `new` groups
    (codes into `people`)."""
    with _registered(con, _keys_frame(sorted(set(used)))):
        con.execute(f"delete from {TABLE} where key not in (select key from peer_memo_keys)")
    if not new:
        return
    keys = sorted(new)
    key_ids, indexes, codes = [], [], []
    for i, key in enumerate(keys):
        g = new[key]
        if len(g) == 0:  # a part known to have no group: one row with no member
            key_ids.append(np.array([i]))
            indexes.append(np.array([-1]))
            codes.append(np.array([-1]))
            continue
        sizes = np.diff(g.bounds)
        key_ids.append(np.full(len(g.members), i))
        indexes.append(np.repeat(np.arange(len(g)), sizes))
        codes.append(g.members)
    rows = pd.DataFrame(
        {
            "key_id": np.concatenate(key_ids).astype(np.int32),
            "group_index": np.concatenate(indexes).astype(np.int32),
            "code": np.concatenate(codes).astype(np.int32),
        }
    )
    with _registered(con, _keys_frame(keys), _people_frame(people), ("peer_memo_rows", rows)):
        con.execute(f"delete from {TABLE} where key in (select key from peer_memo_keys)")
        # in key order, so that a key's rows sit together and a lookup reads few row groups
        con.execute(
            f"insert into {TABLE} select k.key, nullif(r.group_index, -1), p.person_key "
            "from peer_memo_rows r join peer_memo_keys k using (key_id) "
            "left join peer_memo_people p using (code) order by k.key, r.group_index, p.person_key"
        )


def _keys_frame(keys: Sequence[str]) -> tuple[str, pd.DataFrame]:
    return "peer_memo_keys", pd.DataFrame(
        {"key_id": np.arange(len(keys), dtype=np.int32), "key": pd.Series(list(keys), dtype=object)}
    )


def _people_frame(people: np.ndarray) -> tuple[str, pd.DataFrame]:
    return "peer_memo_people", pd.DataFrame(
        {"code": np.arange(len(people), dtype=np.int32), "person_key": pd.Series(people, dtype=object)}
    )


@contextmanager
def _registered(con: duckdb.DuckDBPyConnection, *frames: tuple[str, pd.DataFrame]) -> Iterator[None]:
    for name, frame in frames:
        con.register(name, frame)
    try:
        yield
    finally:
        for name, _ in frames:
            con.unregister(name)
