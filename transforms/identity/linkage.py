"""Link person records into clusters: deterministic seeds, the splink model, constrained clustering.

Pure over data frames (no warehouse), so the pipeline and the benchmarks (FEBRL, splink's
historical figures) go through the same path. Records with an identical identity (same agency
and agency ID, normalised names, date of birth, sex and postcode) are first collapsed into one
*identity node*: a child with twelve identical referrals is scored once, which keeps the number of
scored pairs proportional to the number of distinct ways a person was written down.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, TypeAlias

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from transforms.identity.cluster import constrained_clusters, constrained_clusters_fast
from transforms.identity.features import FEATURE_COLUMNS, prepare_features
from transforms.identity.model import (
    BLOCKING_KEY_COLUMNS,
    LINK_MEMORY_LIMIT,
    PAIR_COLUMNS,
    blocking_keys,
    compatible,
    scratch_connection,
    term_frequencies,
    train_and_predict,
)
from transforms.memory import release_memory

logger = logging.getLogger(__name__)

RECORD_COLUMNS = ["source", "source_key", "agency", "agency_id", "forename", "surname", "dob", "gender", "postcode"]
# Agencies whose person IDs are trusted to be one per person: two different IDs of one of these
# agencies are never merged by the model (an analyst can still accept such a pair).
STRICT_AGENCIES: tuple[str, ...] = ("social_care", "education")
DEFAULT_THRESHOLD = 0.95
DEFAULT_REVIEW_LOWER = 0.60
#: An earlier run's scored pairs by identity hash (hash_l, hash_r, match_probability and the
#: agreement flags): a frame, an Arrow table, or a function that reads one when it is needed.
KnownPairs: TypeAlias = pd.DataFrame | pa.Table | Callable[[], pd.DataFrame | pa.Table | None]


@dataclass
class LinkResult:
    """Clusters of records, pairs for clerical review, the trained model and counts."""

    links: pd.DataFrame  # source, source_key, cluster, match_probability, cluster_size, rep
    review: pd.DataFrame  # source_l, source_key_l, source_r, source_key_r, match_probability, reason
    model: dict[str, Any] = field(default_factory=dict)
    stats: dict[str, int] = field(default_factory=dict)
    # every pair at or above the review band, by node hash (hash_l, hash_r, match_probability,
    # forename_agrees, surname_agrees, dob_agrees), and the hashes of the scored nodes: what the
    # next run needs to score only the pairs that involve a new identity
    scored_pairs: pd.DataFrame | None = None
    scored_nodes: pd.Series | None = None


def _record_ref(source: pd.Series, key: pd.Series) -> pd.Series:
    return source.astype(str) + "|" + key.astype(str)


def is_in(values: pd.Series, among: Any) -> np.ndarray:
    """`values.isin(among)` as a numpy bool array, through Arrow's hash set: pandas' `isin` on
    Arrow strings first turns `among` into a Python list (16 s for 3.5M node hashes at London
    scale, against about 1 s here)."""
    value_set = pa.array(among, type=pa.large_string())
    return np.asarray(
        pc.is_in(pa.array(values, type=pa.large_string()), value_set=value_set).to_numpy(zero_copy_only=False),
        dtype=bool,
    )


def node_states(hashes: pd.Series, frame: pd.DataFrame) -> pd.Series:
    """Each scored identity's hash and which of its capped blocking keys are set
    (`hash:mask`, BLOCKING_KEY_COLUMNS as bits): the memo's key for the identity's pairs."""
    mask = np.zeros(len(frame), dtype=np.int64)
    for bit, c in enumerate(BLOCKING_KEY_COLUMNS):
        mask |= frame[c].notna().to_numpy(dtype=np.int64) << bit
    joined = pc.binary_join_element_wise(
        pa.array(hashes, type=pa.large_string()),
        pa.array(mask.astype(str), type=pa.large_string()),
        pa.scalar(":", pa.large_string()),
    )
    return pd.Series(pd.arrays.ArrowExtensionArray(joined))


def node_hashes(idents: pd.Series) -> np.ndarray:
    """A 128-bit content hash of each identity (two independent 64-bit hashes, as hex): the key
    under which a node's scored pairs are kept between runs. Derived from names and dates of
    birth, so it is kept in `raw` only."""
    both = np.empty((len(idents), 2), dtype=">u8")  # big-endian: its bytes in hex read as %016x
    both[:, 0] = pd.util.hash_pandas_object(idents, index=False, hash_key="lantern-node-1..").to_numpy()
    both[:, 1] = pd.util.hash_pandas_object(idents, index=False, hash_key="lantern-node-2..").to_numpy()
    # one hex string cut into 32-character pieces: numpy's char functions build two fixed-width
    # unicode arrays on the way (about 7 s and a gigabyte at London scale, against under 1 s)
    text = both.tobytes().hex()
    return np.array([text[i : i + 32] for i in range(0, len(text), 32)], dtype=object)


def _first_seen_codes(values: np.ndarray) -> np.ndarray:
    """Dense codes of integer `values`, numbered in order of first appearance."""
    return np.asarray(pd.factorize(values, sort=False)[0], dtype=np.int64)


def _tuple_codes(columns: list[pd.Series]) -> np.ndarray:
    """Integer codes of the rows' tuples of `columns` (a missing value is a value of its own):
    equal tuples, equal codes."""
    out = np.asarray(pd.factorize(columns[0], use_na_sentinel=False)[0], dtype=np.int64)
    for col in columns[1:]:
        c = np.asarray(pd.factorize(col, use_na_sentinel=False)[0], dtype=np.int64)
        out = np.asarray(pd.factorize(out * (int(c.max(initial=0)) + 1) + c)[0], dtype=np.int64)
    return out


_RAW_IDENTITY = ["agency", "agency_id", "forename", "surname", "dob", "gender", "postcode"]


def _nodes(records: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray]:
    """Identity nodes and, per record, its node id.

    Features are prepared once per distinct raw identity (records written down identically share
    every feature), then broadcast: at London scale 6.5 million records are far fewer raw
    identities, and a per-record frame of prepared strings was most of identity's memory."""
    raw_cols = [c for c in _RAW_IDENTITY if c in records.columns]
    # each record's raw identity, numbered in order of first appearance (as `groupby(...).ngroup()`
    # with `sort=False, dropna=False` numbers them; coded column by column in numpy: about 6 s of
    # pandas grouping at London scale)
    raw_of = _first_seen_codes(_tuple_codes([records[c] for c in raw_cols])) if raw_cols else np.zeros(0, np.int64)
    first_of_raw = np.full(int(raw_of.max()) + 1 if len(raw_of) else 0, len(raw_of), dtype=np.int64)
    np.minimum.at(first_of_raw, raw_of, np.arange(len(raw_of)))
    distinct = records.iloc[first_of_raw].reset_index(drop=True)  # in order of first appearance
    feats = prepare_features(distinct)
    rec = pd.concat([distinct[["agency", "agency_id"]], feats.reset_index(drop=True)], axis=1)
    rec["agency_id"] = rec["agency_id"].astype("string").str.strip()
    rec["agency_id"] = rec["agency_id"].where(rec["agency_id"] != "").astype(object)
    rec["agency_id"] = rec["agency_id"].where(rec["agency_id"].notna(), None)
    named = (rec["fn"].notna() | rec["sn"].notna() | rec["dob_s"].notna()).to_numpy()
    key_cols = ["agency", "agency_id", "fn", "sn", "dob_s", "sex", "pc", "pc_out"]
    ident = rec[key_cols[0]].astype("string").fillna("")
    for c in key_cols[1:]:
        ident = ident + "\x1f" + rec[c].astype("string").fillna("")
    # unnamed records with an agency ID collapse on that ID; unnamed ones without stay alone:
    # each such record is its own node (and its own raw identity's features)
    ident = ident.where(
        named,
        "id\x1f" + rec["agency"].astype("string").fillna("") + "\x1f" + rec["agency_id"].astype("string").fillna(""),
    )
    alone = ~named & rec["agency_id"].isna().to_numpy()
    # each record's node: its raw identity's `ident` (coded once per raw identity, not once per
    # record), or the record alone; node ids in order of first record, as `pd.factorize` of the
    # per-record strings numbered them
    refs = _record_ref(records["source"], records["source_key"])
    alone_rec = alone[raw_of]
    ident_code = np.asarray(pd.factorize(ident)[0], dtype=np.int64)[raw_of]
    if alone_rec.any():
        ident_code[alone_rec] = int(ident_code.max(initial=-1)) + 1 + np.arange(int(alone_rec.sum()))
    codes = _first_seen_codes(ident_code)
    del ident_code
    seen = np.full(int(codes.max(initial=-1)) + 1, len(codes), dtype=np.int64)
    np.minimum.at(seen, codes, np.arange(len(codes), dtype=np.int64))
    uniques = ident.to_numpy(dtype=object)[raw_of[seen]]
    if alone_rec.any():
        alone_node = alone_rec[seen]
        uniques[alone_node] = ("rec\x1f" + refs.iloc[seen[alone_node]]).to_numpy(dtype=object)
    # each node's representative: its smallest record ref, and that record's raw identity. When
    # the records come in ref order (as the warehouse reads them), that is each node's first
    # record, found without sorting millions of strings.
    if refs.is_monotonic_increasing:
        first = np.full(len(uniques), len(codes), dtype=np.int64)
        np.minimum.at(first, codes, np.arange(len(codes), dtype=np.int64))
    else:
        first = (
            pd.DataFrame({"node": codes, "ref": refs.to_numpy(dtype=object)})
            .sort_values(["node", "ref"], kind="stable")
            .drop_duplicates("node")
            .index.to_numpy()
        )
    nodes = rec.iloc[raw_of[first]].reset_index(drop=True)
    nodes.insert(0, "node_id", np.arange(len(first)))
    nodes["rep"] = refs.iloc[first].reset_index(drop=True)
    nodes["node_hash"] = node_hashes(pd.Series(np.asarray(uniques, dtype=object)))
    nodes["named"] = named[raw_of[first]]
    nodes["records"] = np.bincount(codes, minlength=len(nodes))
    return nodes, codes


#: What a node keeps once its features are in the scoring frame.
_NODE_KEEP = ["node_id", "agency", "agency_id", "rep", "node_hash", "named", "records"]
_SCORING_COLUMNS = ["node_id", "agency", "agency_id", "det_cluster", *FEATURE_COLUMNS]


def _scoring_frame(nodes: pd.DataFrame, named: np.ndarray, det: Any) -> pd.DataFrame:
    """The named nodes with their features and deterministic cluster, as the model scores them."""
    cols = _SCORING_COLUMNS
    scored = nodes[named]
    frame = scored[cols[:3]].assign(det_cluster=np.asarray(det)[scored["node_id"].to_numpy(np.int64)])
    frame = frame.join(scored[cols[4:]])
    for c in ("by", "bm", "bd"):
        frame[c] = frame[c].astype("float64")
    frame["dob_est"] = frame["dob_est"].astype("boolean")
    return frame.join(blocking_keys(frame))


def _node_ids(records: pd.DataFrame, node_of: np.ndarray, refs: set[str]) -> dict[str, int]:
    """Node id of each record ref in `refs` (the analyst's decided pairs), not of every record."""
    if not refs:
        return {}
    ref = _record_ref(records["source"], records["source_key"])
    hit = ref.isin(refs).to_numpy()
    return dict(zip(ref[hit].tolist(), node_of[hit].tolist(), strict=True))


def _deterministic_edges(nodes: pd.DataFrame) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """(agency-ID edges, exact name + dob edges) between nodes, as chains within each key."""

    def chain(frame: pd.DataFrame, cols: list[str]) -> list[tuple[int, int]]:
        f = frame.dropna(subset=cols).sort_values("node_id")
        if f.empty:
            return []
        first = f.groupby(cols, sort=False)["node_id"].transform("min")
        keep = f["node_id"] != first
        return list(zip(first[keep].astype(int), f.loc[keep, "node_id"].astype(int), strict=True))

    return chain(nodes, ["agency", "agency_id"]), chain(nodes, ["fn", "sn", "dob_s"])


def family_evidence(nodes: pd.DataFrame, strict_agencies: tuple[str, ...] = STRICT_AGENCIES) -> int:
    """How many groups of identities the data itself shows to be different people of one family:
    nodes of one strict agency (one ID per person) with different IDs and different forenames but
    the same surname skeleton and date of birth (twins, or a child recorded twice by the agency
    under two IDs, which the agency says are two people). The family guard is needed when such
    people exist: the model's fields are then not independent within a family."""
    cols = ["agency", "agency_id", "fn", "sn_sk", "dob_s"]
    f = nodes.loc[nodes["agency"].isin(strict_agencies), cols].dropna()
    if f.empty:
        return 0
    g = f.groupby(["agency", "sn_sk", "dob_s"], sort=False).agg(ids=("agency_id", "nunique"), fns=("fn", "nunique"))
    return int(((g["ids"] > 1) & (g["fns"] > 1)).sum())


@dataclass(frozen=True)
class LinkOptions:
    """How records are linked (`link_records`).

    `accepted` / `rejected` are pairs of record refs (`source|source_key`) decided by an analyst:
    accepted pairs are forced together, rejected pairs can never share a cluster.
    `family_guard` keeps pairs whose dates of birth disagree beyond a recording error (True or
    None) or whose forenames disagree outright (True, or None when the data shows families:
    `family_evidence`) out of automatic links; they go to review. False switches both off.
    `reuse` is an earlier run's trained model: it scores this run without training (training is
    most of the cost) if it is `compatible` with today's comparisons and agencies and there are at
    most `reuse_max_nodes` scored identity nodes; otherwise the model is trained afresh.
    `known` is (node hashes, scored pairs by hash) of the run that last scored with the reused
    model: when that model is reused, only pairs with at least one identity not among those
    nodes are scored, and the earlier scores stand for the rest. The pairs may be a function that
    reads them: it is called only after scoring, so they are not held beside the features.
    `workdir` is where scoring's database and spill files go (the pipeline's private work folder).
    """

    threshold: float = DEFAULT_THRESHOLD
    review_lower: float = DEFAULT_REVIEW_LOWER
    accepted: list[tuple[str, str]] | None = None
    rejected: list[tuple[str, str]] | None = None
    strict_agencies: tuple[str, ...] = STRICT_AGENCIES
    model: dict[str, Any] | None = None
    seed: int = 42
    use_model: bool = True
    family_guard: bool | None = None
    reuse: dict[str, Any] | None = None
    reuse_max_nodes: int = 0
    known: tuple[np.ndarray, KnownPairs] | None = None
    tf: pd.DataFrame | None = None  # the names' term frequencies kept with `reuse` (`train_model`)
    workdir: Path | None = None
    memory_limit: str = LINK_MEMORY_LIMIT  # of scoring's own database (it spills beyond it)


@dataclass
class Identities:
    """Step 1: the records as identity nodes, with the deterministic edges and the guard's setting."""

    nodes: pd.DataFrame
    node_of: np.ndarray  # each record's node
    node_by_ref: dict[str, int]  # nodes of the records an analyst decided about
    id_edges: list[tuple[int, int]]
    exact_edges: list[tuple[int, int]]
    families: int
    guard_dob: bool
    guard_forename: bool
    guard_chain: bool  # the date part held across a cluster, not only pair by pair
    dob: np.ndarray  # per node: date of birth as YYYYMMDD, 0 where none (the guard's cluster constraint)
    unnamed_joined: int
    unnamed_unjoined: int
    n_records: int
    source: pd.Series
    source_key: pd.Series


@dataclass
class Scores:
    """Step 2: pairs of nodes at or above the review band, by the model."""

    pairs: pd.DataFrame  # node_l, node_r, match_probability, forename/surname/dob_agrees
    model: dict[str, Any]
    reused: bool
    pairs_scored: int | None  # None: scored in chunks (only the band and above counted)
    pairs_reused: int
    scored_nodes: pd.Series | None  # hashes of the nodes scored, for the next run's `known`


@dataclass
class Clusters:
    """Step 3: each node's cluster, the edges that made them and the pairs held back."""

    labels: np.ndarray
    refused: list[tuple[int, int, float, str]]
    guarded: np.ndarray  # per pair: held back by the family guard
    edge_a: np.ndarray
    edge_b: np.ndarray
    n_deterministic: int  # the first edges: agency-ID, analyst-accepted and exact


def link_records(records: pd.DataFrame, options: LinkOptions | None = None, **overrides: Any) -> LinkResult:
    """Cluster person records (RECORD_COLUMNS) into persons: identity nodes (`identities`), pairs
    scored (`score_pairs`), constrained clustering (`cluster_nodes`), then each record's link
    (`record_links`) and the clerical review queue (`review_queue`). `options` (a `LinkOptions`,
    or its fields as keywords) say how."""
    opts = replace(options or LinkOptions(), **overrides)
    ids = identities(records, opts)
    # from here on a record is only its reference: the names, dates of birth and postcodes are in
    # the nodes (at London scale the frame is about a gigabyte, freed before scoring when the
    # caller holds no other reference to it)
    del records
    scores = score_pairs(ids, opts)
    clusters = cluster_nodes(ids, scores, opts)
    links = record_links(ids, scores, clusters)
    review = review_queue(ids, scores, clusters, opts)
    stats = {
        "records": ids.n_records,
        "nodes": len(ids.nodes),
        "scored_nodes": int(ids.nodes["named"].sum()),
        # -1: scored in chunks, only pairs in the review band or above counted
        "pairs_scored": -1 if scores.pairs_scored is None else int(scores.pairs_scored),
        "pairs_in_band": int(len(scores.pairs)),
        "clusters": int(len(np.unique(clusters.labels))),
        "refused_edges": len(clusters.refused),
        "review_pairs": int(len(review)),
        "model_reused": int(scores.reused),
        "pairs_reused": scores.pairs_reused,
        "family_groups": ids.families,
        "guard_dob": int(ids.guard_dob),
        "guard_forename": int(ids.guard_forename),
        "guard_chain": int(ids.guard_chain),
        "unnamed_joined": ids.unnamed_joined,
        "unnamed_unjoined": ids.unnamed_unjoined,
    }
    logger.info("linkage: %s", stats)
    node_hash = ids.nodes["node_hash"].to_numpy()
    pairs = scores.pairs
    scored_pairs = pd.DataFrame(
        {
            "hash_l": node_hash[pairs["node_l"].to_numpy(int)],
            "hash_r": node_hash[pairs["node_r"].to_numpy(int)],
            "match_probability": pairs["match_probability"].to_numpy(float),
            **{c: pairs[c].astype(bool).to_numpy() for c in PAIR_COLUMNS[3:]},
        }
    )
    return LinkResult(
        links=links,
        review=review,
        model=scores.model,
        stats=stats,
        scored_pairs=scored_pairs if scores.scored_nodes is not None else None,
        scored_nodes=scores.scored_nodes,
    )


def identities(records: pd.DataFrame, opts: LinkOptions) -> Identities:
    """Step 1: records collapsed into identity nodes; agency-ID and exact-identity edges; whether
    the family guard's two parts are on; unnamed records joined (or not) through an agency ID."""
    records = records.reset_index(drop=True)
    nodes, node_of = _nodes(records)
    node_by_ref = _node_ids(
        records, node_of, {r for pair in (opts.accepted or []) + (opts.rejected or []) for r in pair}
    )
    id_edges, exact_edges = _deterministic_edges(nodes)
    families = family_evidence(nodes, opts.strict_agencies)
    # unnamed records (missing episodes, MAP assessments) joined to a named node through their
    # agency ID, and those that could not be (no named record carries that ID)
    unnamed = ~nodes["named"].to_numpy(dtype=bool)
    named_ids = nodes.loc[~unnamed & nodes["agency_id"].notna().to_numpy(), ["agency", "agency_id"]]
    named_keys = set(zip(named_ids["agency"], named_ids["agency_id"], strict=True))
    un = nodes.loc[unnamed, ["agency", "agency_id", "records"]]
    joined = np.array([(a, i) in named_keys for a, i in zip(un["agency"], un["agency_id"], strict=True)], dtype=bool)
    return Identities(
        nodes=nodes,
        node_of=node_of,
        node_by_ref=node_by_ref,
        id_edges=id_edges,
        exact_edges=exact_edges,
        families=families,
        # the guard's two parts: dates of birth that disagree beyond a recording error (a parent or
        # sibling with the child's name) and forenames that disagree outright (twins)
        guard_dob=opts.family_guard is not False,
        guard_forename=bool(opts.family_guard) or (opts.family_guard is None and families > 0),
        # and, when the data shows families, across a cluster: no two dates of birth in one person
        # that no recording error explains, so a record with no date cannot chain a child to a
        # same-named sibling or parent (off where families are not seen: historical_50k's true
        # persons carry dates years apart, and chaining through them is most of its recall)
        guard_chain=opts.family_guard is not False and (bool(opts.family_guard) or families > 0),
        dob=pd.to_numeric(nodes["dob_s"], errors="coerce").fillna(0).to_numpy(dtype=np.int64),
        unnamed_joined=int(un["records"].to_numpy()[joined].sum()) if len(un) else 0,
        unnamed_unjoined=int(un["records"].to_numpy()[~joined].sum()) if len(un) else 0,
        n_records=len(records),
        source=records["source"],
        source_key=records["source_key"],
    )


def train_model(
    records: pd.DataFrame, options: LinkOptions | None = None, **overrides: Any
) -> tuple[dict[str, Any] | None, int, pd.DataFrame | None]:
    """The model trained on `records` alone (RECORD_COLUMNS), as `score_pairs` would train it,
    without scoring: a monthly run trains on the records of its training months
    (`resolve.training_plan`) and scores every record with the result. None if fewer than two
    records can be scored; with the identity nodes it was trained on and their names' term
    frequencies (`model.term_frequencies`), which score every month with the model."""
    opts = replace(options or LinkOptions(), **overrides)
    ids = identities(records, opts)
    del records
    nodes = ids.nodes
    named = nodes["named"].to_numpy(dtype=bool)
    n_named = int(named.sum())
    if n_named < 2:
        return None, n_named, None
    det = constrained_clusters(len(nodes), [(a, b, 1.0, "forced") for a, b in ids.id_edges + ids.exact_edges])[0]
    frame = _scoring_frame(nodes, named, det)
    del ids, nodes
    release_memory()
    tf = term_frequencies(frame)
    _, trained, _ = train_and_predict(
        frame,
        lower=opts.review_lower,
        seed=opts.seed,
        workdir=opts.workdir,
        memory_limit=opts.memory_limit,
        train_only=True,
    )
    return trained, n_named, tf


def score_pairs(ids: Identities, opts: LinkOptions) -> Scores:
    """Step 2: the model's pairs at or above the review band (trained, or an earlier model reused
    and only pairs with a new identity scored). Keeps only what clustering needs of the nodes."""
    nodes = ids.nodes
    n = len(nodes)
    named = nodes["named"].to_numpy(dtype=bool)
    n_scored = int(named.sum())
    pairs = pd.DataFrame(
        {c: pd.Series(dtype="int64") for c in PAIR_COLUMNS[:2]}
        | {"match_probability": pd.Series(dtype="float64")}
        | {c: pd.Series(dtype="bool") for c in PAIR_COLUMNS[3:]}
    )
    if not (opts.use_model and n_scored >= 2):
        return Scores(pairs, {}, False, len(pairs), 0, None)
    model, reused = opts.model, False
    agencies = sorted(str(a) for a in nodes.loc[named & nodes["agency_id"].notna().to_numpy(), "agency"].unique())
    if (
        model is None
        and opts.reuse is not None
        and n_scored <= opts.reuse_max_nodes
        and compatible(opts.reuse, agencies)
    ):
        model, reused = opts.reuse, True
    # deterministic clusters: the seed labels for training (only needed when training)
    det = (
        constrained_clusters(n, [(a, b, 1.0, "forced") for a, b in ids.id_edges + ids.exact_edges])[0]
        if model is None
        else np.zeros(n, dtype=np.int64)
    )
    hashes = nodes["node_hash"][named].reset_index(drop=True)  # Arrow strings, not objects
    # the scoring frame is handed over (nothing here keeps it), and the nodes keep only what
    # clustering and the links need: scoring runs with one copy of the features, not three
    frame = [_scoring_frame(nodes, named, det)]
    states = node_states(hashes, frame[0])
    ids.nodes = nodes = nodes[_NODE_KEEP]
    release_memory()
    # an identity is known when the last run scored it with the same capped blocking keys: one
    # whose key block crossed BLOCK_CAP since (a common name grown past it, or shrunk under it by
    # an erasure) is scored again, and its earlier pairs are dropped, as a rebuild would
    only_new = ~is_in(states, opts.known[0]) if reused and opts.known is not None else None
    pairs, trained, pairs_scored = train_and_predict(
        frame.pop(),
        lower=opts.review_lower,
        seed=opts.seed,
        model=model,
        only_new=only_new,
        tf=opts.tf if reused else None,
        workdir=opts.workdir,
        memory_limit=opts.memory_limit,
    )
    pairs_reused = 0
    if only_new is not None:
        unchanged = nodes[named].loc[~only_new]  # only their earlier pairs stand
        pairs, pairs_reused = _with_known_pairs(
            pairs, opts.known[1] if opts.known else None, unchanged, opts.workdir, opts.memory_limit
        )
    # the states stay Arrow strings: the memo is written from them as they are (as Python strings,
    # 3.5 million of them were about 6 s to make and hand to the engine at London scale)
    return Scores(pairs, trained, reused, pairs_scored, pairs_reused, states)


def cluster_nodes(ids: Identities, scores: Scores, opts: LinkOptions) -> Clusters:
    """Step 3: constrained clustering of the deterministic edges, the analyst's decisions and the
    model's strong pairs that the family guard does not hold back."""
    nodes, pairs, n = ids.nodes, scores.pairs, len(ids.nodes)
    accepted_nodes = [
        (ids.node_by_ref[a], ids.node_by_ref[b])
        for a, b in (opts.accepted or [])
        if a in ids.node_by_ref and b in ids.node_by_ref
    ]
    rejected_nodes = [
        (ids.node_by_ref[a], ids.node_by_ref[b])
        for a, b in (opts.rejected or [])
        if a in ids.node_by_ref and b in ids.node_by_ref
    ]
    # family guard: a pair whose forenames disagree outright, or whose dates of birth differ in a
    # way no recording error explains (twins, siblings, a parent with the child's name), never
    # links automatically, however high its probability: it goes to clerical review
    guarded = np.zeros(len(pairs), dtype=bool)
    if ids.guard_dob:
        guarded |= ~pairs["dob_agrees"].to_numpy(dtype=bool)
    if ids.guard_forename:
        guarded |= ~pairs["forename_agrees"].to_numpy(dtype=bool)
    # strongest first, ties broken by node ids: the engine returns pairs in no fixed order, and
    # constrained clustering is greedy, so the order must not depend on it
    strong = pairs[(pairs["match_probability"] >= opts.threshold) & ~guarded].sort_values(
        ["match_probability", "node_l", "node_r"], ascending=[False, True, True], kind="stable"
    )
    forced = ids.id_edges + accepted_nodes
    fixed = forced + ids.exact_edges
    edge_a = np.concatenate([np.asarray([e[0] for e in fixed], dtype=np.int64), strong["node_l"].to_numpy(np.int64)])
    edge_b = np.concatenate([np.asarray([e[1] for e in fixed], dtype=np.int64), strong["node_r"].to_numpy(np.int64)])
    edge_p = np.concatenate([np.ones(len(fixed)), strong["match_probability"].to_numpy(float)])
    edge_kind = np.array(
        ["forced"] * len(forced) + ["exact"] * len(ids.exact_edges) + ["model"] * len(strong), dtype=object
    )
    strict = nodes[nodes["agency"].isin(opts.strict_agencies) & nodes["agency_id"].notna()]
    trusted = list(zip(strict["node_id"].astype(int), strict["agency"], strict["agency_id"], strict=True))
    # with the guard's chain part, a cluster never holds two dates of birth no recording error
    # explains
    lab, refused = constrained_clusters_fast(
        n,
        edge_a,
        edge_b,
        edge_p,
        edge_kind,
        trusted_ids=trusted,
        cannot_link=rejected_nodes,
        dobs=ids.dob if ids.guard_chain else None,
    )
    return Clusters(lab, refused, guarded, edge_a, edge_b, len(fixed))


def record_links(ids: Identities, scores: Scores, clusters: Clusters) -> pd.DataFrame:
    """Step 4: each record's cluster, the probability tying it to the rest of its cluster and the
    cluster's size in records."""
    nodes, pairs, lab = ids.nodes, scores.pairs, clusters.labels
    n = len(nodes)
    best = np.zeros(n)
    det_tied = np.zeros(n, dtype=bool)
    k = clusters.n_deterministic
    tied = lab[clusters.edge_a[:k]] == lab[clusters.edge_b[:k]]
    det_tied[clusters.edge_a[:k][tied]] = True
    det_tied[clusters.edge_b[:k][tied]] = True
    if len(pairs):
        pl = pairs["node_l"].to_numpy(int)
        pr = pairs["node_r"].to_numpy(int)
        pp = pairs["match_probability"].to_numpy(float)
        same = lab[pl] == lab[pr]
        np.maximum.at(best, pl[same], pp[same])
        np.maximum.at(best, pr[same], pp[same])
    cluster_records = pd.Series(nodes["records"].to_numpy()).groupby(lab).transform("sum").to_numpy()
    singleton = cluster_records == nodes["records"].to_numpy()
    node_prob = np.where(det_tied | singleton | (nodes["records"].to_numpy() > 1), 1.0, best)
    node_prob = np.where(node_prob == 0, 1.0, node_prob)
    return pd.DataFrame(
        {
            "source": ids.source.astype(str),
            "source_key": ids.source_key.astype(str),
            "cluster": lab[ids.node_of],
            "match_probability": node_prob[ids.node_of],
            "cluster_size": cluster_records[ids.node_of],
        }
    )


#: The review reason of a pair in the band whose persons hold different IDs of one strict agency.
TWO_PEOPLE = "near threshold; the agency records two people"

_REVIEW_COLUMNS = ["source_l", "source_key_l", "source_r", "source_key_r", "match_probability", "reason"]


def review_queue(ids: Identities, scores: Scores, clusters: Clusters, opts: LinkOptions) -> pd.DataFrame:
    """Step 5: the clerical review queue: pairs left apart in the band below the threshold or held
    back by the family guard, and strong pairs refused by a constraint."""
    pairs, lab = scores.pairs, clusters.labels
    review_rows = []
    if len(pairs):
        band = pairs[(pairs["match_probability"] < opts.threshold) | clusters.guarded]
        band = band[lab[band["node_l"].to_numpy(int)] != lab[band["node_r"].to_numpy(int)]]
        review_rows.append(
            pd.DataFrame(
                {
                    "node_l": band["node_l"].astype(int),
                    "node_r": band["node_r"].astype(int),
                    "match_probability": band["match_probability"].astype(float),
                    "reason": "near threshold",
                }
            )
        )
    if clusters.refused:
        rf = pd.DataFrame(clusters.refused, columns=["node_l", "node_r", "match_probability", "kind"])
        rf = rf[lab[rf["node_l"].to_numpy(int)] != lab[rf["node_r"].to_numpy(int)]]
        review_rows.append(
            rf.assign(reason="refused: conflicting agency IDs, dates of birth or analyst decision").drop(columns="kind")
        )
    review = (
        pd.concat(review_rows, ignore_index=True)
        if review_rows
        else pd.DataFrame(columns=["node_l", "node_r", "match_probability", "reason"])
    )
    if not len(review):
        return pd.DataFrame(columns=_REVIEW_COLUMNS)
    # a pair whose two persons hold different IDs of one strict agency is one the agency records as
    # two people: said in the reason, so an analyst can look at those last (a duplicate record the
    # agency made is still found there)
    two = _two_agency_people(ids.nodes, lab, review["node_l"].to_numpy(int), review["node_r"].to_numpy(int), opts)
    review.loc[two & (review["reason"] == "near threshold").to_numpy(), "reason"] = TWO_PEOPLE
    rep = ids.nodes["rep"]
    rl = rep.iloc[review["node_l"].to_numpy(int)].to_numpy(dtype=object)
    rr = rep.iloc[review["node_r"].to_numpy(int)].to_numpy(dtype=object)
    lo, hi = np.minimum(rl, rr), np.maximum(rl, rr)
    return (
        pd.DataFrame(
            {
                "source_l": [x.split("|", 1)[0] for x in lo],
                "source_key_l": [x.split("|", 1)[1] for x in lo],
                "source_r": [x.split("|", 1)[0] for x in hi],
                "source_key_r": [x.split("|", 1)[1] for x in hi],
                "match_probability": review["match_probability"].to_numpy(float),
                "reason": review["reason"].to_numpy(),
            }
        )
        .sort_values("match_probability", ascending=False)
        .drop_duplicates(["source_l", "source_key_l", "source_r", "source_key_r"])
        .reset_index(drop=True)
    )


def _two_agency_people(
    nodes: pd.DataFrame, lab: np.ndarray, a: np.ndarray, b: np.ndarray, opts: LinkOptions
) -> np.ndarray:
    """Per pair of nodes: their clusters hold IDs of one strict agency and share none of them."""
    strict = nodes["agency"].isin(opts.strict_agencies).to_numpy() & nodes["agency_id"].notna().to_numpy()
    held = pd.DataFrame(
        {
            "c": lab[np.flatnonzero(strict)],
            "agency": nodes["agency"].to_numpy()[strict],
            "agency_id": nodes["agency_id"].to_numpy()[strict],
        }
    ).drop_duplicates()
    if not len(held) or not len(a):
        return np.zeros(len(a), dtype=bool)
    pairs = pd.DataFrame({"i": np.arange(len(a)), "cl": lab[a], "cr": lab[b]})
    left = pairs.merge(held.rename(columns={"c": "cl"}), on="cl")
    right = held.rename(columns={"c": "cr", "agency_id": "id_r"})
    both = left.merge(right, on=["cr", "agency"])  # the agencies both persons hold an ID of
    if not len(both):
        return np.zeros(len(a), dtype=bool)
    shared = both.assign(same=both["agency_id"] == both["id_r"]).groupby(["i", "agency"])["same"].any()
    differ = shared[~shared].index.get_level_values("i").unique()
    out = np.zeros(len(a), dtype=bool)
    out[np.asarray(differ, dtype=np.int64)] = True
    return out


def _with_known_pairs(
    new: pd.DataFrame,
    known: KnownPairs | None,
    nodes: pd.DataFrame,
    workdir: Path | None = None,
    memory_limit: str = LINK_MEMORY_LIMIT,
) -> tuple[pd.DataFrame, int]:
    """This run's pairs (each with a new identity) and the earlier pairs whose two identities are
    both still here, in node ids, ordered by (node_l, node_r); and how many earlier pairs. `known` is the earlier pairs by
    hash, or a function that reads them: it is called here, once scoring is done, and nothing
    keeps what it returns (at London scale 9.4M pairs, about 1.7 GB as a frame, were held through
    the whole stage and made the increment's peak)."""
    table = known() if callable(known) else known
    if table is None or len(table) == 0:
        return new, 0
    if isinstance(table, pd.DataFrame):
        table = pa.Table.from_pandas(table, preserve_index=False)
    table = table.append_column("row", pa.array(np.arange(table.num_rows, dtype=np.int64)))
    flags = PAIR_COLUMNS[3:]
    # each hash's (first) node id, joined in DuckDB: a pandas map of millions of Arrow-backed
    # strings against millions of others was a tenth of identity's time at London scale; the
    # hashes never become Python strings
    with scratch_connection(workdir, memory_limit) as con:
        con.register("_known", table)
        con.register(
            "_ids",
            pd.DataFrame({"hash": nodes["node_hash"].astype(str).array, "id": nodes["node_id"].to_numpy(np.int64)}),
        )
        found = con.execute(
            "with ids as (select hash, min(id) as id from _ids group by hash) "
            "select a.id as a, b.id as b, k.match_probability, "
            + ", ".join(f"k.{c}::boolean as {c}" for c in flags)
            + " from _known k join ids a on a.hash = k.hash_l join ids b on b.hash = k.hash_r "
            "order by k.row"
        ).fetchnumpy()
        con.unregister("_known")
    del table
    a, b = np.asarray(found.pop("a"), dtype=np.int64), np.asarray(found.pop("b"), dtype=np.int64)
    old = pd.DataFrame(
        {
            "node_l": np.minimum(a, b),
            "node_r": np.maximum(a, b),
            "match_probability": np.asarray(found.pop("match_probability"), dtype=float),
            **{c: np.asarray(found.pop(c), dtype=bool) for c in flags},
        }
    )
    del a, b, found
    release_memory()
    out = pd.concat([new.astype(old.dtypes.to_dict()), old], ignore_index=True)
    # each (node_l, node_r) once, its first row, in pair order: as `drop_duplicates` then a sort
    # of the two columns, on one int64 key (about 7 s of pandas for 10 million pairs at London)
    left, right = out["node_l"].to_numpy(np.int64), out["node_r"].to_numpy(np.int64)
    _, first = np.unique(left * (int(right.max(initial=0)) + 1) + right, return_index=True)
    return out.iloc[first].reset_index(drop=True), int(len(old))
