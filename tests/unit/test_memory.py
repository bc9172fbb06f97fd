"""What identity's memory savings must not change: the records it reads, the representative of
each identity node, and the engine setting every warehouse connection takes."""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd

from pipelines.resources import connect_warehouse
from transforms.identity.linkage import _nodes
from transforms.identity.resolve import _records
from transforms.memory import release_memory


def _person_records() -> pd.DataFrame:
    rng = np.random.default_rng(7)
    rows = []
    for i in range(60):
        named = i % 7 != 0
        rows.append(
            {
                "source": ["police_persons", "social_care_referrals", "missing_episodes"][i % 3],
                "source_key": f"K{rng.integers(0, 10_000):05d}|{i}",
                "agency": ["police", "social_care", "social_care"][i % 3],
                "agency_id": None if i % 5 == 0 else f"A{i % 11}",
                "forename": ["Amara", "Ben", "Chidi", None][i % 4] if named else None,
                "surname": ["Okoro", "Smith"][i % 2] if named else None,
                "dob": pd.Timestamp(2008, 1 + i % 12, 1 + i % 3) if named and i % 6 else pd.NaT,
                "gender": ["M", "F", None][i % 3],
                "postcode": ["E8 1AB", None][i % 2],
            }
        )
    # the same child written down identically again, under another record key: one node
    rows += [{**r, "source_key": f"Z{j:03d}|{r['source_key']}"} for j, r in enumerate(rows[:20])]
    return pd.DataFrame(rows)


def test_records_read_through_arrow_equal_the_plain_read():
    con = duckdb.connect()
    con.execute("create schema raw")
    frame = _person_records()
    con.register("f", frame)
    con.execute(
        "create table raw.person_record as select source, source_key, agency, agency_id, forename, "
        "surname, dob::date as dob, gender, postcode from f"
    )
    plain = con.execute(
        "select source, source_key, agency, agency_id, forename, surname, dob, gender, postcode "
        "from raw.person_record order by source, source_key"
    ).df()
    fast = _records(con)
    assert fast.dtypes.astype(str).tolist() == plain.dtypes.astype(str).tolist()
    assert str(fast["dob"].dtype) == "datetime64[us]"
    pd.testing.assert_frame_equal(fast, plain)


def test_node_representative_is_the_smallest_record_ref_in_any_order():
    records = _person_records()
    in_order = records.sort_values(["source", "source_key"]).reset_index(drop=True)
    shuffled = records.sample(frac=1.0, random_state=3).reset_index(drop=True)
    reps = []
    for frame in (in_order, shuffled):  # the first takes the no-sort road, the second the sort
        nodes, node_of = _nodes(frame)
        refs = (frame["source"] + "|" + frame["source_key"]).to_numpy(dtype=object)
        smallest = pd.Series(refs).groupby(node_of).min()
        assert nodes["rep"].tolist() == smallest.sort_index().tolist()
        members = pd.Series(refs).groupby(node_of).agg(lambda s: frozenset(s))
        reps.append(dict(zip(members.sort_index(), nodes["rep"], strict=True)))
    assert reps[0] == reps[1]  # the same nodes with the same representatives
    assert len(reps[0]) < len(records)  # some records did collapse into one node


def test_releasing_memory_leaves_what_is_still_referenced():
    frame = _person_records()
    before = frame.copy(deep=True)
    strings = pd.Series(["x" * 1000] * 10_000, dtype="str")
    del strings  # freed: its pages may go back to the system
    release_memory()
    pd.testing.assert_frame_equal(frame, before)


def test_warehouse_connections_return_freed_memory_to_the_system(tmp_path):
    with connect_warehouse(str(tmp_path / "w.duckdb")) as con:
        (value,) = con.execute("select current_setting('allocator_background_threads')").fetchone()
    assert value is True


def test_node_hashes_are_the_two_hashes_in_hex():
    from transforms.identity.linkage import node_hashes

    idents = pd.Series(["police\x1fA1\x1famara", "social_care\x1f\x1fben", "", "id\x1fpolice\x1fA9"])
    h1 = pd.util.hash_pandas_object(idents, index=False, hash_key="lantern-node-1..").to_numpy()
    h2 = pd.util.hash_pandas_object(idents, index=False, hash_key="lantern-node-2..").to_numpy()
    expected = [f"{a:016x}{b:016x}" for a, b in zip(h1.tolist(), h2.tolist(), strict=True)]
    got = node_hashes(idents)
    assert got.dtype == object and got.tolist() == expected
    assert len(node_hashes(pd.Series([], dtype=object))) == 0
