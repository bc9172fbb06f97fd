"""Resolve every person-bearing record into one `person_key` and write the identity tables.

Reads `raw.person_record` (names, dates of birth, postcodes: raw only), links the records
(`linkage.link_records`: deterministic seeds, a splink model trained on this data, constrained
clustering), keeps keys stable against the previous run (`keys.assign_keys`) and writes, in one
transaction: `core.person_link` (record -> person_key, match probability, cluster size),
`core.link_review` (clerical review; analysts' decisions kept and honoured), `core.person_key_map`,
`core.person_key_event` (merges and splits) and `core.linkage_run` (the trained model and counts).
No table written here holds a name, date of birth or postcode.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

import sql
from transforms.identity.keys import assign_keys
from transforms.identity.linkage import DEFAULT_REVIEW_LOWER, DEFAULT_THRESHOLD, link_records, train_model
from transforms.identity.model import LINK_MEMORY_LIMIT, MAX_TRAINING_NODES, settings
from transforms.identity.review import decided_pairs, review_rows
from transforms.memory import release_memory
from transforms.sqlrun import transaction

logger = logging.getLogger(__name__)

# Training policy. Training (u by sampling, m by EM and from the labels) is most of a run's cost,
# and the parameters of a model trained on tens of thousands of identities barely move when one
# month adds a few per cent more. So the model is trained on the records delivered up to the last
# *training month* (`training_plan`): the first month, then each month by which the records
# delivered so far have grown by more than RETRAIN_GROWTH since the training month before, or
# MAX_TRAINING_GAP months after it. Every month between scores with that model. The plan and the
# model are functions of `raw` alone (training is deterministic: `model.quantised`), so a month
# added to last month's warehouse gets the model, pairs and persons a rebuild from scratch gets.
RETRAIN_GROWTH = 0.25
MAX_TRAINING_GAP = 12
# Part of the training key: a change of how training works must train again.
TRAINING_VERSION = "2"

TF_CACHE = "raw.linkage_cache_tf"
PAIR_CACHE = "raw.linkage_cache_pairs"
NODE_CACHE = "raw.linkage_cache_nodes"


def _known_pairs(con: duckdb.DuckDBPyConnection, model_run_id: str) -> tuple[np.ndarray, Callable[[], pa.Table]] | None:
    """The identities scored by the last run of model `model_run_id`, and a function that reads
    the pairs it kept (9.4M at London scale: read only when linkage needs them)."""
    have = {
        t
        for (t,) in con.execute(
            "select table_schema || '.' || table_name from information_schema.tables "
            "where table_schema = 'raw' and table_name like 'linkage_cache_%'"
        ).fetchall()
    }
    if {PAIR_CACHE, NODE_CACHE} - have:
        return None
    stamp = con.execute(f"select distinct model_run_id from {NODE_CACHE}").fetchall()
    if [r[0] for r in stamp] != [model_run_id]:
        return None  # scored by another model: score everything again
    nodes = _frame(con, f"select node_hash from {NODE_CACHE}")["node_hash"].array

    def pairs() -> pa.Table:  # read by linkage once scoring is done, and not kept
        return con.sql(
            f"select hash_l, hash_r, match_probability, forename_agrees, surname_agrees, dob_agrees from {PAIR_CACHE}"
        ).to_arrow_table()

    return nodes, pairs


def _write_cache(con: duckdb.DuckDBPyConnection, nodes: Any, pairs: pd.DataFrame, model_run_id: str) -> None:
    con.register("_id_cache_nodes", pd.DataFrame({"node_hash": pd.Series(nodes).array}))
    con.register("_id_cache_pairs", pairs)
    try:
        con.execute(
            f"create or replace table {NODE_CACHE} as select node_hash::varchar as node_hash, "
            f"?::varchar as model_run_id from _id_cache_nodes",
            [model_run_id],
        )
        con.execute(f"create or replace table {PAIR_CACHE} as select * from _id_cache_pairs")
        con.execute(
            f"comment on table {NODE_CACHE} is 'Linkage memo (raw only: hashes of names and dates of "
            "birth): identities scored by the model of model_run_id, as hash:mask (which capped blocking "
            "keys were set). Dropped by purge and erasure.'"
        )
        con.execute(
            f"comment on table {PAIR_CACHE} is 'Linkage memo (raw only): pairs of identities at or above "
            "the review band, by identity hash, so the next run scores only pairs with a new identity.'"
        )
    finally:
        con.unregister("_id_cache_nodes")
        con.unregister("_id_cache_pairs")


def person_key_map_view(con: duckdb.DuckDBPyConnection) -> None:
    """`core.person_key_map` as a view of `core.person_key_record` and its run stamp
    (`core.person_key_run`). A warehouse written before the stamp moved has it as a table, one
    stamp per row: its rows move to `core.person_key_record` (once) and the table goes."""
    kind = con.execute(
        "select table_type from information_schema.tables where table_schema = 'core' and table_name = 'person_key_map'"
    ).fetchall()
    if kind and kind[0][0] == "BASE TABLE":
        with transaction(con):
            con.execute("delete from core.person_key_record")
            con.execute(
                "insert into core.person_key_record select source, source_key, person_key, first_run "
                "from core.person_key_map"
            )
            con.execute("delete from core.person_key_run")
            con.execute(
                "insert into core.person_key_run select max(run_id) from core.person_key_map having count(*) > 0"
            )
            con.execute("drop table core.person_key_map")
    for stmt in sql.statements("core/person_key_map"):
        con.execute(stmt)


def _write(
    con: duckdb.DuckDBPyConnection,
    links: pd.DataFrame,
    review: pd.DataFrame,
    events: pd.DataFrame,
    run: dict[str, Any],
    run_id: str,
    cache: tuple[np.ndarray | None, pd.DataFrame | None] | None = None,
    tf: tuple[pd.DataFrame | None, str | None] | None = None,
) -> int:
    con.register("_id_links", links[["source", "source_key", "person_key", "match_probability", "cluster_size"]])
    text_cols = ["pair_id", "source_l", "source_key_l", "source_key_r", "source_r", "reason"]
    review = review[text_cols[:5] + ["match_probability", "reason"]].astype(
        {c: "string" for c in text_cols} | {"match_probability": "float64"}
    )
    con.register("_id_review", review)
    con.register("_id_events", events)
    con.register("_id_run", pd.DataFrame([run]))
    try:
        with transaction(con):
            for stmt in sql.statements("core/person_link"):
                con.execute(stmt)
            # keys: keep first_run, drop records no longer delivered
            con.execute(
                """
                create or replace temp table _id_map as
                select l.source, l.source_key, l.person_key, coalesce(m.first_run, ?) as first_run
                from _id_links l left join core.person_key_record m using (source, source_key)""",
                [run_id],
            )
            # a delta: records no longer delivered or re-keyed go, new and re-keyed ones come in;
            # the rest are not rewritten, and the run stamp is one row (core.person_key_run)
            con.execute("""
                delete from core.person_key_record r where not exists (
                    select 1 from _id_map m
                    where m.source = r.source and m.source_key = r.source_key and m.person_key = r.person_key)""")
            con.execute("""
                insert into core.person_key_record
                select source, source_key, person_key, first_run from _id_map m where not exists (
                    select 1 from core.person_key_record r where r.source = m.source and r.source_key = m.source_key)""")
            con.execute("delete from core.person_key_run")
            con.execute("insert into core.person_key_run values (?)", [run_id])
            # review: decided rows are never dropped; stale pending rows go; new pairs come in
            con.execute("""
                delete from core.link_review
                where decision = 'pending' and pair_id not in (select pair_id from _id_review)""")
            con.execute(
                """
                update core.link_review set match_probability = r.match_probability,
                       reason = r.reason, last_seen_run = ?
                from _id_review r where core.link_review.pair_id = r.pair_id""",
                [run_id],
            )
            con.execute(
                """
                insert into core.link_review (pair_id, source_l, source_key_l, source_key_r, source_r,
                       match_probability, reason, decision, first_seen_run, last_seen_run)
                select pair_id, source_l, source_key_l, source_key_r, source_r, match_probability,
                       reason, 'pending', ?, ?
                from _id_review where pair_id not in (select pair_id from core.link_review)""",
                [run_id, run_id],
            )
            if len(events):
                con.execute(
                    "insert into core.person_key_event select run_id, event, person_key, "
                    "related_person_keys::varchar[], records::integer from _id_events"
                )
            pending = con.execute("select count(*) from core.link_review where decision = 'pending'").fetchall()[0][0]
            con.execute(
                """
                insert into core.linkage_run (run_id, trained_at, method, model_json, threshold, review_lower,
                       records, nodes, pairs_scored, clusters, review_pending, merges, splits, seconds,
                       model_run_id, trained_nodes, training_month, training_key)
                select run_id, trained_at, method, model_json, threshold,
                       review_lower, records, nodes, pairs_scored, clusters, ?, merges, splits, seconds,
                       model_run_id, trained_nodes, training_month::varchar, training_key::varchar
                from _id_run""",
                [pending],
            )
            if tf is not None:  # a model trained here (or none): its term frequencies
                _write_tf(con, *tf)
            if cache is not None and cache[0] is not None and cache[1] is not None and run.get("model_run_id"):
                _write_cache(con, cache[0], cache[1], str(run["model_run_id"]))
            else:
                con.execute(f"drop table if exists {NODE_CACHE}")
                con.execute(f"drop table if exists {PAIR_CACHE}")
    finally:
        for name in ("_id_links", "_id_review", "_id_events", "_id_run"):
            con.unregister(name)
    return int(pending)


def _frame(con: duckdb.DuckDBPyConnection, query: str, params: list[Any] | None = None) -> pd.DataFrame:
    """A query's result as pandas, through Arrow, whose buffers are released column by column as
    pandas takes them: the same frame as `.df()` (a DATE must be cast to TIMESTAMP to come out as
    datetime64[us]) at about two thirds of its peak memory."""
    return con.sql(query, params=params).to_arrow_table().to_pandas(split_blocks=True, self_destruct=True)


def _records(con: duckdb.DuckDBPyConnection, up_to: str | None = None) -> pd.DataFrame:
    """Every person-bearing record (or those delivered up to month `up_to`), in a fixed order
    (node ids follow it)."""
    cols = "source, source_key, agency, agency_id, forename, surname, dob::timestamp as dob, gender, postcode"
    if up_to is None:
        return _frame(con, f"select {cols} from raw.person_record order by source, source_key")
    return _frame(
        con,
        f"select {cols} from raw.person_record where delivery_month <= ? order by source, source_key",
        [up_to],
    )


def training_month(counts: list[tuple[str | None, int]], growth: float, max_gap: int = MAX_TRAINING_GAP) -> str | None:
    """The last training month, from the records delivered each month (`counts`, month order):
    the first month, then each month by which the records delivered so far exceed those of the
    training month before by more than `growth`, or `max_gap` months after it. None (train on
    every record) when a record has no delivery month."""
    if not counts or any(m is None for m, _ in counts):
        return None
    last: tuple[str, int] | None = None
    last_n = delivered = 0
    for month, n in counts:
        assert month is not None
        delivered += int(n)
        index = int(month[:4]) * 12 + int(month[5:7])
        if last is None or delivered > last_n * (1 + growth) or index - last[1] >= max_gap:
            last, last_n = (month, index), delivered
    return last[0] if last else None


def training_plan(con: duckdb.DuckDBPyConnection, growth: float, seed: int) -> tuple[str | None, str]:
    """(the last training month, the training key): the key digests the records delivered up to
    that month, what training is (TRAINING_VERSION, seed, sample size, comparisons), so the stored
    model is reused exactly while a rebuild from scratch would train the same one."""
    counts = con.execute(
        "select delivery_month, count(*) from raw.person_record group by all order by delivery_month nulls first"
    ).fetchall()
    training = training_month(counts, growth)
    n, h = con.execute(
        "select count(*), coalesce(sum(hash(source, source_key, agency, agency_id, forename, surname, dob, "
        "gender, postcode))::hugeint, 0) from raw.person_record where ?::varchar is null or delivery_month <= ?",
        [training, training],
    ).fetchall()[0]
    what = [TRAINING_VERSION, seed, MAX_TRAINING_NODES, training, int(n), str(h), settings([])]
    key = hashlib.sha256(json.dumps(what, sort_keys=True, default=str).encode()).hexdigest()
    return training, key


def _last_model(con: duckdb.DuckDBPyConnection, key: str) -> dict[str, Any] | None:
    """The stored splink model trained on the records the training key names, if any."""
    rows = con.execute(
        """
        select coalesce(model_run_id, run_id), trained_at, model_json, trained_nodes
        from core.linkage_run
        where method = 'splink' and model_json is not null and training_key = ?
        order by trained_at desc, run_id desc limit 1""",
        [key],
    ).fetchall()
    if not rows:
        return None
    run_id, trained_at, model_json, trained_nodes = rows[0]
    tf = _stored_tf(con, key)
    if tf is None:  # dropped (a purge or an erasure): trained again, to the same model
        return None
    return {
        "run_id": run_id,
        "trained_at": trained_at,
        "model": json.loads(model_json),
        "trained_nodes": int(trained_nodes or 0),
        "tf": tf,
    }


def _stored_tf(con: duckdb.DuckDBPyConnection, key: str) -> pd.DataFrame | None:
    """The names' term frequencies kept with the model of training key `key`, if still there."""
    have = con.execute(
        "select count(*) from duckdb_tables() where database_name = current_database() "
        "and schema_name = 'raw' and table_name = 'linkage_cache_tf'"
    ).fetchall()[0][0]
    if not have:
        return None
    if con.execute(f"select count(*) from {TF_CACHE} where training_key <> ?", [key]).fetchall()[0][0]:
        return None
    return _frame(con, f'select "column", value, tf from {TF_CACHE} order by "column", value')


def _write_tf(con: duckdb.DuckDBPyConnection, tf: pd.DataFrame | None, key: str | None) -> None:
    """Keep the term frequencies of a model trained here (in raw: they hold names)."""
    if tf is None or key is None:
        con.execute(f"drop table if exists {TF_CACHE}")
        return
    con.register("_id_tf", tf)
    try:
        con.execute(
            f'create or replace table {TF_CACHE} as select "column"::varchar as "column", value::varchar as value, '
            "tf::double as tf, ?::varchar as training_key from _id_tf",
            [key],
        )
        con.execute(
            f"comment on table {TF_CACHE} is 'Linkage memo (raw only: names): the term frequency of each forename "
            "and surname among the identities the model of training_key was trained on; every month that model "
            "scores uses them. Dropped by purge and erasure (the model is then trained again).'"
        )
    finally:
        con.unregister("_id_tf")


def resolve_identities(
    con: duckdb.DuckDBPyConnection,
    *,
    secret: str,
    threshold: float = DEFAULT_THRESHOLD,
    review_lower: float = DEFAULT_REVIEW_LOWER,
    run_id: str | None = None,
    now: datetime | None = None,
    use_model: bool = True,
    seed: int = 42,
    retrain: bool = False,
    retrain_growth: float = RETRAIN_GROWTH,
    workdir: Path | None = None,
    memory_limit: str = LINK_MEMORY_LIMIT,
) -> dict[str, Any]:
    """Link `raw.person_record` and (re)write the identity tables in `core`; returns counts.

    The model trained on the training months' records is reused while they are unchanged (see
    RETRAIN_GROWTH); `retrain` trains it again (the same model). Scoring's
    database (it holds names) lives in `workdir`, the pipeline's private work folder, under
    `memory_limit` (it spills to disk beyond it)."""
    try:
        return _resolve(
            con,
            secret=secret,
            threshold=threshold,
            review_lower=review_lower,
            run_id=run_id,
            now=now,
            use_model=use_model,
            seed=seed,
            retrain=retrain,
            retrain_growth=retrain_growth,
            workdir=workdir,
            memory_limit=memory_limit,
        )
    finally:
        release_memory()  # the frames of a run over every record are gone: give their pages back


def _resolve(
    con: duckdb.DuckDBPyConnection,
    *,
    secret: str,
    threshold: float,
    review_lower: float,
    run_id: str | None,
    now: datetime | None,
    use_model: bool,
    seed: int,
    retrain: bool,
    retrain_growth: float,
    workdir: Path | None = None,
    memory_limit: str = LINK_MEMORY_LIMIT,
) -> dict[str, Any]:
    """The body of `resolve_identities`."""
    started = time.perf_counter()
    if workdir is not None:
        for stale in Path(workdir).glob("lantern-link-*"):  # a scoring database a killed run left
            shutil.rmtree(stale, ignore_errors=True)
    now = now or datetime.now()
    run_id = run_id or now.strftime("%Y%m%dT%H%M%S%f")
    for stmt in sql.statements("core/link_schema"):
        con.execute(stmt)
    person_key_map_view(con)
    accepted, rejected = decided_pairs(con)
    method = "splink" if use_model else "deterministic"
    training, training_key = training_plan(con, retrain_growth, seed) if use_model else (None, None)
    last = _last_model(con, training_key) if use_model and not retrain and training_key else None
    common: dict[str, Any] = {
        "threshold": threshold,
        "review_lower": review_lower,
        "accepted": accepted,
        "rejected": rejected,
        "seed": seed,
        "workdir": workdir,
        "memory_limit": memory_limit,
    }
    model, trained_nodes, tf = (last["model"], last["trained_nodes"], last["tf"]) if last else (None, 0, None)
    trained_tf = None
    try:
        if use_model and model is None:
            # trained on the records of the training months only, then scoring every record
            model, trained_nodes, tf = train_model(_records(con, training), **common)
            trained_tf = tf
            release_memory()
        reuse_kw: dict[str, Any] = {}
        if model is not None:
            reuse_kw = {
                "reuse": model,
                "reuse_max_nodes": 2**62,
                "known": _known_pairs(con, last["run_id"]) if last else None,
                "tf": tf,
            }
        # the records go straight to linkage, which drops their names once the identity nodes
        # are made: nothing here holds them (a gigabyte at London scale)
        result = link_records(_records(con), use_model=use_model, **common, **reuse_kw)
    except Exception:
        if not use_model:
            raise
        logger.exception("probabilistic linkage failed; falling back to deterministic rules")
        method = "deterministic"
        result = link_records(_records(con), use_model=False, **common)
    # every record's delivery month and the key it held last run, in one frame (at London scale
    # two frames of 6.5M references would add about half a gigabyte to identity's peak)
    previous = _frame(
        con,
        "select r.source, r.source_key, m.person_key, r.delivery_month "
        "from raw.person_record r left join core.person_key_map m using (source, source_key)",
    )
    keys, events = assign_keys(
        result.links, previous, secret=secret, run_id=run_id, workdir=workdir, memory_limit=memory_limit
    )
    del previous
    release_memory()
    links = result.links.assign(person_key=keys.to_numpy())
    review = review_rows(result.review)
    # the model scored with: the stored one, the one trained here, or (a model that does not
    # know today's agencies) one `link_records` trained on every record
    reused = last is not None and bool(result.stats.get("model_reused"))
    if not result.stats.get("model_reused"):
        trained_nodes = int(result.stats.get("scored_nodes", 0))
    run: dict[str, Any] = {
        "run_id": run_id,
        "trained_at": last["trained_at"] if reused and last else now,
        "method": method,
        "model_run_id": last["run_id"] if reused and last else (run_id if result.model else None),
        "trained_nodes": trained_nodes if method == "splink" else 0,
        "training_month": training if method == "splink" else None,
        "training_key": training_key if method == "splink" else None,
        "model_json": json.dumps(result.model, default=str) if result.model else None,
        "threshold": threshold,
        "review_lower": review_lower,
        "records": result.stats["records"],
        "nodes": result.stats["nodes"],
        "pairs_scored": result.stats["pairs_scored"] if result.stats["pairs_scored"] >= 0 else None,
        "clusters": result.stats["clusters"],
        "merges": int((events["event"] == "merge").sum()) if len(events) else 0,
        "splits": int((events["event"] == "split").sum()) if len(events) else 0,
        "seconds": time.perf_counter() - started,
    }
    pending = _write(
        con,
        links,
        review,
        events,
        run,
        run_id,
        cache=(result.scored_nodes, result.scored_pairs) if method == "splink" else None,
        # a model trained here keeps its term frequencies; one `link_records` trained on every
        # record (it did not know today's agencies) keeps none, and is trained again next time
        tf=(trained_tf if result.stats.get("model_reused") else None, training_key)
        if method == "splink" and not reused
        else None,
    )
    counts = {
        "run_id": run_id,
        "method": method,
        "records": int(len(links)),
        "persons": int(links["person_key"].nunique()) if len(links) else 0,
        "pairs_scored": run["pairs_scored"],
        "review_pending": pending,
        "merges": run["merges"],
        "splits": run["splits"],
        "model_reused": reused,
        "pairs_reused": int(result.stats.get("pairs_reused", 0)),
        "guard_forename": bool(result.stats.get("guard_forename", 0)),
        "unnamed_joined": int(result.stats.get("unnamed_joined", 0)),
        "unnamed_unjoined": int(result.stats.get("unnamed_unjoined", 0)),
        "seconds": round(time.perf_counter() - started, 2),
    }
    logger.info("identity resolution: %s", counts)
    return counts
