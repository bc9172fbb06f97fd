"""Emerging themes in free text: TF-IDF + NMF topics of crime MO text and MAP assessment notes.

Method: for each period (the `window` months up to and including month m) the documents of the
period are weighted by TF-IDF; the documents of the last `recent` months are factorised by
non-negative matrix factorisation into `topics` topics (Lee DD, Seung HS. Learning the parts of
objects by non-negative matrix factorization. Nature 1999; 401:788-791; scikit-learn's `NMF` with
the Frobenius loss) and the earlier documents of the period are projected onto those topics. Each
document belongs to its dominant topic. Fitting on the recent months is what lets a theme that is
new (a few documents a month) get a topic of its own rather than dissolve into older ones. A topic is *rising* when its documents in the last `recent` months are far
more than `min_ratio` (1.5) times what its share of the earlier months of the period predicts:
P(X >= observed) under a Poisson with that count (floored at `floor`) below `p_max`, with at
least `min_docs` documents. Testing against half as much again rather than against the earlier
share itself is what makes the topic *emerging* rather than merely busier: an established topic
(knife robbery, dispersal notices, stop and search) swings with the season and with the
incidents of the month by more than a Poisson allows, and with 20 topics a period those swings
were read as emerging themes (4 in 20 periods on the sample with the earlier share alone, none
with 1.5; a new theme has no earlier share and passes at once; see docs/themes.md). Fitting per period lets a new vocabulary (a new app, a new place) form its own topic
as soon as it is frequent enough.

Privacy: the text is read from `raw` inside this step and never written anywhere; only topic
ids, top terms and counts leave. Terms exclude every token that occurs as a forename or surname
in `raw.person_record`, tokens with digits, and tokens in fewer than `min_df` documents.

Memo: a period's topics are a pure function of its documents (month, text), its months, the stop
tokens that occur in those documents, the settings and the library versions. The documents are
put in a canonical order (month, text) before fitting, so the same documents give the same
topics whatever order the warehouse returns them in, and each period's result (top terms and
counts, never text) is kept in `cache.emerging_period` / `cache.emerging_topic` under a digest of
exactly those inputs (see `transforms/memo.py`). Only the stop tokens that occur in the
period enter the digest: the list of name tokens grows with every month's new people, and a new
name that no document of the period contains cannot change its topics. A monthly refresh fits
the new period (and any period whose documents changed) and reads the others back.
"""

from __future__ import annotations

import logging
import multiprocessing
import re
from array import array
from collections.abc import Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass

import duckdb
import numpy as np
import pandas as pd
import scipy
import scipy.sparse as sp
import sklearn
from scipy import stats
from sklearn.decomposition import NMF
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, TfidfTransformer, TfidfVectorizer
from threadpoolctl import threadpool_limits

import sql
from transforms.memo import MemoTable, digest, run_models_with_memos, settings_text

logger = logging.getLogger(__name__)

_TOKEN = r"(?u)\b[^\W\d_]{3,}\b"
_TOKEN_RE = re.compile(_TOKEN)  # the vectorizer's tokenizer: `findall` on the lower-cased text
# words of the recording trade that say nothing about a theme
_TRADE_WORDS = frozenset(
    {
        "reported",
        "reports",
        "states",
        "stated",
        "believed",
        "location",
        "suspect",
        "victim",
        "aged",
        "known",
        "named",
        "seen",
        "told",
        "says",
        "said",
    }
)
# bump when a change to this module can alter a period's topics for the same inputs: the memo is keyed by it
EMERGING_VERSION = "emerging-2"  # 2: min_ratio


@dataclass(frozen=True)
class EmergingConfig:
    """Settings of the per-period topic models."""

    window: int = 12
    recent: int = 2
    topics: int = 20
    top_terms: int = 8
    min_df: int = 5
    max_df: float = 0.5
    min_docs: int = 4
    p_max: float = 0.001
    floor: float = 0.5
    min_months: int = 6
    seed: int = 0
    min_ratio: float = 1.5


DEFAULT_EMERGING = EmergingConfig()


def name_tokens(con: duckdb.DuckDBPyConnection) -> frozenset[str]:
    """Lower-case tokens that occur in any forename or surname of raw.person_record."""
    rows = con.execute(
        "select distinct lower(forename) from raw.person_record where forename is not null "
        "union select distinct lower(surname) from raw.person_record where surname is not null"
    ).fetchall()
    out: set[str] = set()
    for (name,) in rows:
        out.update(t for t in re.split(r"[^\w]+", str(name)) if t)
    return frozenset(out)


@dataclass(frozen=True)
class _Topic:
    """One topic of a period: what is published of it (terms and counts) and nothing else."""

    top_terms: tuple[str, ...]
    documents: int
    baseline_documents: int
    recent_documents: int
    baseline_share: float
    recent_share: float
    p_value: float
    rising: bool
    month_documents: tuple[int, ...]  # per month of the period
    month_shares: tuple[float, ...]


_TOPIC_COLUMNS = (
    ("topic", "integer"),
    ("top_terms", "varchar[]"),
    ("documents", "integer"),
    ("baseline_documents", "integer"),
    ("recent_documents", "integer"),
    ("baseline_share", "double"),
    ("recent_share", "double"),
    ("p_value", "double"),
    ("rising", "boolean"),
    ("month_documents", "integer[]"),
    ("month_shares", "double[]"),
)
PERIOD_MEMO = MemoTable(
    "emerging_period",
    (("topics", "integer"),),
    "Memo of the emerging-theme topic models (transforms/themes/emerging.py): one row per period "
    "used by the last build, keyed by a digest of its documents, months, stop tokens, settings and "
    "versions, with its number of topics. No text. Rebuildable; dropped by purge and erasure.",
)
TOPIC_MEMO = MemoTable(
    "emerging_topic",
    _TOPIC_COLUMNS,
    "Memo of the emerging-theme topic models: one row per topic of a memoised period "
    "(cache.emerging_period), with its top terms and counts as published. No text.",
)


def _fit_period(docs: pd.DataFrame, months: list[str], stop: frozenset[str], cfg: EmergingConfig) -> tuple[_Topic, ...]:
    """Fit one period's topic model: its topics, in topic order (none when the period is too small).
    This is the reference path (scikit-learn's vectorizer on the texts); a build fits the same
    matrix from the documents tokenised once (`_fit_tokens`)."""
    return _fit_texts(docs["text"].tolist(), docs["month"].to_numpy(), months, stop, cfg)


def _vectorizer(stop: frozenset[str], cfg: EmergingConfig) -> TfidfVectorizer:
    return TfidfVectorizer(
        lowercase=True,
        token_pattern=_TOKEN,
        stop_words=sorted(ENGLISH_STOP_WORDS | stop | _TRADE_WORDS),
        min_df=cfg.min_df,
        max_df=cfg.max_df,
        sublinear_tf=True,
    )


def _fit_texts(
    texts: list[str], month_of: np.ndarray, months: list[str], stop: frozenset[str], cfg: EmergingConfig
) -> tuple[_Topic, ...]:
    """`_fit_period` on the period's texts and their months."""
    if len(texts) < max(cfg.topics * 3, cfg.min_df * 2):
        return ()
    vec = _vectorizer(stop, cfg)
    X = vec.fit_transform(texts)
    return _fit_matrix(X, np.array(vec.get_feature_names_out()), month_of, months, cfg)


@dataclass(frozen=True)
class _Tokens:
    """Documents tokenised once, as scikit-learn's vectorizer tokenises them (lower case, `_TOKEN`,
    stop tokens dropped): per document, its terms in the order they first occur in it and how
    often. `terms` is the vocabulary in sorted order; `ids` index it."""

    terms: np.ndarray
    indptr: np.ndarray  # int64, one more than documents
    ids: np.ndarray  # int32
    counts: np.ndarray  # int32

    def rows(self, rows: slice) -> _Tokens:
        """The documents `rows` (a slice), sharing this vocabulary."""
        a, b = int(self.indptr[rows.start]), int(self.indptr[rows.stop])
        return _Tokens(self.terms, self.indptr[rows.start : rows.stop + 1] - a, self.ids[a:b], self.counts[a:b])


def tokenise(texts: Sequence[str], stop: frozenset[str], only: np.ndarray | None = None) -> _Tokens:
    """Every document's terms (each distinct text tokenised once); `stop` adds to the English and
    recording-trade stop words. With `only` (a mask of the documents), the others are left
    empty: a monthly refresh tokenises the documents of the periods it fits, not all."""
    every_stop = ENGLISH_STOP_WORDS | stop | _TRADE_WORDS
    vocabulary: dict[str, int] = {}
    # machine integers, not Python lists: a London build holds tens of millions of them
    seen: dict[str, tuple[array[int], array[int]]] = {}
    indptr = np.zeros(len(texts) + 1, dtype=np.int64)
    ids: array[int] = array("i")
    counts: array[int] = array("i")
    for i, text in enumerate(texts):
        if only is not None and not only[i]:
            indptr[i + 1] = len(ids)
            continue
        found = seen.get(text)
        if found is None:
            counter: dict[int, int] = {}
            for token in _TOKEN_RE.findall(text.lower()):
                if token not in every_stop:
                    j = vocabulary.setdefault(token, len(vocabulary))
                    counter[j] = counter.get(j, 0) + 1
            found = seen[text] = (array("i", counter), array("i", counter.values()))
        ids.extend(found[0])
        counts.extend(found[1])
        indptr[i + 1] = len(ids)
    del seen
    terms = sorted(vocabulary)
    rank = np.empty(len(terms), dtype=np.int32)
    rank[[vocabulary[t] for t in terms]] = np.arange(len(terms), dtype=np.int32)
    return _Tokens(
        np.array(terms, dtype=object),
        indptr,
        rank[np.frombuffer(ids, dtype=np.int32)] if len(ids) else np.zeros(0, dtype=np.int32),
        np.frombuffer(counts, dtype=np.int32).copy(),
    )


def _tfidf(tokens: _Tokens, cfg: EmergingConfig) -> tuple[sp.csr_matrix, np.ndarray]:
    """The period's TF-IDF matrix and its terms, array for array what `_vectorizer` gives for the
    same documents: the same terms kept (document frequency within `min_df`..`max_df`), in sorted
    order, and each row's entries in the order the vectorizer stores them (its terms' first
    occurrence in the period), so every sum (the rows' norms) adds in the same order."""
    n_docs = len(tokens.indptr) - 1
    vocab = len(tokens.terms)
    ids = tokens.ids.astype(np.int64)
    df = np.bincount(ids, minlength=vocab)
    high = cfg.max_df if isinstance(cfg.max_df, int) else cfg.max_df * n_docs
    low = cfg.min_df if isinstance(cfg.min_df, int) else cfg.min_df * n_docs
    if high < low:
        raise ValueError("max_df corresponds to < documents than min_df")
    keep = (df > 0) & (df <= high) & (df >= low)
    if not (df > 0).any():
        raise ValueError("empty vocabulary; perhaps the documents only contain stop words")
    if not keep.any():
        raise ValueError("After pruning, no terms remain. Try a lower min_df or a higher max_df.")
    # each term's place in the order the period's documents first use it
    first = np.full(vocab, len(ids), dtype=np.int64)
    np.minimum.at(first, ids, np.arange(len(ids), dtype=np.int64))
    row = np.repeat(np.arange(n_docs, dtype=np.int64), np.diff(tokens.indptr))
    order = np.lexsort((first[ids], row))
    order = order[keep[ids[order]]]
    column = (np.cumsum(keep) - 1).astype(np.int32)
    indptr = np.zeros(n_docs + 1, dtype=np.int32)
    np.cumsum(np.bincount(row[order], minlength=n_docs), out=indptr[1:])
    counts = sp.csr_array(
        (tokens.counts[order].astype(np.float64), column[ids[order]], indptr), shape=(n_docs, int(keep.sum()))
    )
    X = TfidfTransformer(norm="l2", use_idf=True, smooth_idf=True, sublinear_tf=True).fit_transform(counts)
    return X, tokens.terms[keep]


def _fit_tokens(tokens: _Tokens, month_of: np.ndarray, months: list[str], cfg: EmergingConfig) -> tuple[_Topic, ...]:
    """`_fit_period` on the period's documents tokenised (what a worker process is sent)."""
    if len(tokens.indptr) - 1 < max(cfg.topics * 3, cfg.min_df * 2):
        return ()
    X, terms = _tfidf(tokens, cfg)
    return _fit_matrix(X, terms, month_of, months, cfg)


def _fit_matrix(
    X: sp.csr_matrix, terms: np.ndarray, month_of: np.ndarray, months: list[str], cfg: EmergingConfig
) -> tuple[_Topic, ...]:
    """The topics of a period's TF-IDF matrix. Linear algebra runs on one thread: a period is one
    unit of work (periods run side by side in worker processes), and one thread per fit was twice
    as fast as two on a shared two-core machine, with the same results."""
    with threadpool_limits(1):
        return _topics(X, terms, month_of, months, cfg)


def _topics(
    X: sp.csr_matrix, terms: np.ndarray, month_of: np.ndarray, months: list[str], cfg: EmergingConfig
) -> tuple[_Topic, ...]:
    recent = set(months[-cfg.recent :])
    in_recent = np.isin(month_of, list(recent))
    # topics are fitted on the recent months (where a new theme is densest) with the vocabulary
    # and weights of the whole period; the earlier months are projected onto those topics
    k = min(cfg.topics, X.shape[1] - 1, int(in_recent.sum()) - 1)
    if k < 2:
        return ()
    model = NMF(n_components=k, init="nndsvda", random_state=cfg.seed, max_iter=400)
    model.fit(X[in_recent])
    W = model.transform(X)
    dominant = np.where(W.max(axis=1) > 0, W.argmax(axis=1), -1)
    totals = pd.Series(month_of).value_counts()
    n_recent, n_base = int(in_recent.sum()), int((~in_recent).sum())
    topics = []
    for t in range(k):
        mine = dominant == t
        top = tuple(str(x) for x in terms[np.argsort(-model.components_[t])[: cfg.top_terms]])
        base_docs, recent_docs = int((mine & ~in_recent).sum()), int((mine & in_recent).sum())
        base_share = base_docs / n_base if n_base else 0.0
        expected = max(cfg.min_ratio * base_share * n_recent, cfg.floor)
        p = float(stats.poisson.sf(recent_docs - 1, expected)) if recent_docs else 1.0
        counts = pd.Series(month_of[mine]).value_counts()
        month_docs = tuple(int(counts.get(m, 0)) for m in months)
        month_totals = [int(totals.get(m, 0)) for m in months]
        topics.append(
            _Topic(
                top_terms=top,
                documents=int(mine.sum()),
                baseline_documents=base_docs,
                recent_documents=recent_docs,
                baseline_share=round(base_share, 5),
                recent_share=round(recent_docs / n_recent, 5) if n_recent else 0.0,
                p_value=p,
                rising=bool(recent_docs >= cfg.min_docs and p < cfg.p_max),
                month_documents=month_docs,
                month_shares=tuple(
                    round(c / n, 5) if n else 0.0 for c, n in zip(month_docs, month_totals, strict=True)
                ),
            )
        )
    return tuple(topics)


def _rows(months: list[str], topics: Sequence[_Topic]) -> tuple[list[dict[str, object]], list[dict[str, object]]]:
    """The mart rows of one period's topics: (topic rows, topic x month rows)."""
    period_end = months[-1]
    topic_rows, month_rows = [], []
    for t, topic in enumerate(topics):
        topic_id = f"{period_end}/t{t:02d}"
        topic_rows.append(
            {
                "period_end": period_end,
                "period_start": months[0],
                "topic_id": topic_id,
                "top_terms": list(topic.top_terms),
                "documents": topic.documents,
                "baseline_documents": topic.baseline_documents,
                "recent_documents": topic.recent_documents,
                "baseline_share": topic.baseline_share,
                "recent_share": topic.recent_share,
                "p_value": topic.p_value,
                "rising": topic.rising,
            }
        )
        for m, c, share in zip(months, topic.month_documents, topic.month_shares, strict=True):
            month_rows.append(
                {"period_end": period_end, "topic_id": topic_id, "month": m, "documents": c, "share": share}
            )
    return topic_rows, month_rows


@dataclass(frozen=True)
class _Period:
    """One period to fit: its months, its rows of the sorted documents, its stop tokens, its key."""

    months: list[str]
    rows: slice
    stop: frozenset[str]
    key: str


def _periods(docs: pd.DataFrame, stop: frozenset[str], cfg: EmergingConfig) -> tuple[pd.DataFrame, list[_Period]]:
    """The documents in canonical order (month, text) and every period of their months, each keyed
    by a digest of exactly what its fit reads."""
    if docs.empty:
        return docs, []
    # canonical order: the fit sees the same rows in the same order for the same documents, and
    # a period (consecutive months) is a slice of the rows
    docs = docs[["month", "text"]].sort_values(["month", "text"], kind="stable", ignore_index=True)
    all_months = [str(x) for x in pd.period_range(docs["month"].iloc[0], docs["month"].iloc[-1], freq="M")]
    every_stop = ENGLISH_STOP_WORDS | stop | _TRADE_WORDS
    month_digest: dict[str, str] = {}
    month_stop: dict[str, frozenset[str]] = {}
    for m, texts in docs.groupby("month", sort=True)["text"]:
        listed = texts.tolist()
        month_digest[str(m)] = digest(str(m), *listed)
        # the month's distinct texts tokenised as one string: a newline ends a token as the end
        # of a text does, so the tokens are the texts' own, without a call per text
        joined = "\n".join(dict.fromkeys(listed)).lower()
        month_stop[str(m)] = frozenset(set(_TOKEN_RE.findall(joined)) & every_stop)
    salt = digest(
        EMERGING_VERSION,
        settings_text(cfg),
        "\x1f".join(sorted(_TRADE_WORDS)),
        sklearn.__version__,
        np.__version__,
        scipy.__version__,
    )
    # as a NumPy array: an Arrow-backed column is converted again on every searchsorted
    month_col = docs["month"].to_numpy(dtype=object)
    out = []
    for i in range(cfg.min_months - 1, len(all_months)):
        months = all_months[max(0, i - cfg.window + 1) : i + 1]
        # only the stop tokens the period's documents contain can change its vocabulary
        period_stop = frozenset().union(*(month_stop.get(m, frozenset()) for m in months))
        key = digest(
            salt,
            "\x1f".join(months),
            "\x1f".join(month_digest.get(m, "") for m in months),
            "\x1f".join(sorted(period_stop)),
        )
        rows = slice(
            int(np.searchsorted(month_col, months[0], side="left")),
            int(np.searchsorted(month_col, months[-1], side="right")),
        )
        out.append(_Period(months, rows, period_stop, key))
    return docs, out


def _frames(periods: Sequence[_Period], known: dict[str, tuple[_Topic, ...]]) -> tuple[pd.DataFrame, pd.DataFrame]:
    topic_rows: list[dict[str, object]] = []
    month_rows: list[dict[str, object]] = []
    for p in periods:
        t, m = _rows(p.months, known[p.key])
        topic_rows.extend(t)
        month_rows.extend(m)
    return pd.DataFrame(topic_rows), pd.DataFrame(month_rows)


#: Periods are sent to worker processes when several cores are free and at least this many are to be fitted.
PARALLEL_MIN_PERIODS = 2


def _pool(workers: int) -> ProcessPoolExecutor:
    """Forked workers (Python 3.11's default on Linux), as `transforms.networks.build` has them: a
    worker only runs scikit-learn on the texts it is sent, never the warehouse connection it
    inherits."""
    methods = multiprocessing.get_all_start_methods()
    return ProcessPoolExecutor(
        max_workers=workers, mp_context=multiprocessing.get_context("fork" if "fork" in methods else None)
    )


def _complete(
    docs: pd.DataFrame,
    periods: Sequence[_Period],
    known: dict[str, tuple[_Topic, ...]],
    stop: frozenset[str],
    cfg: EmergingConfig,
    workers: int = 1,
) -> int:
    """Fit every period whose key is not in `known` (adding it); returns how many were fitted.

    Periods are independent and each fit is seeded on its own (`cfg.seed`), so with `workers` > 1
    they are fitted in worker processes, one per core: the topics are the same as fitting them
    one by one (a test checks it). A worker that dies leaves its period to this process."""
    # each key once (a key is a digest of everything the fit reads: periods that share one are alike)
    todo = list({p.key: p for p in periods if p.key not in known}.values())
    if not todo:
        return 0
    # each document of the periods to fit is tokenised once, not once per period it falls in (twelve)
    needed = np.zeros(len(docs), dtype=bool)
    for p in todo:
        needed[p.rows] = True
    tokens = tokenise(docs["text"].tolist(), stop, needed)
    month_col = docs["month"].to_numpy(dtype=object)

    def job(p: _Period) -> tuple[_Tokens, np.ndarray, list[str], EmergingConfig]:
        return tokens.rows(p.rows), month_col[p.rows], p.months, cfg

    if workers <= 1 or len(todo) < PARALLEL_MIN_PERIODS:
        for p in todo:
            known[p.key] = _fit_tokens(*job(p))
        return len(todo)
    pending: dict[str, tuple[Future[tuple[_Topic, ...]], _Period]] = {}

    def collect(key: str) -> None:
        future, p = pending.pop(key)
        try:
            known[key] = future.result()
        except BrokenProcessPool:  # a worker was killed (out of memory?): this process fits it
            logger.warning("an emerging-themes worker process died; fitting the period in this process")
            known[key] = _fit_tokens(*job(p))

    pool = _pool(workers)
    try:
        for p in todo:
            try:
                pending[p.key] = (pool.submit(_fit_tokens, *job(p)), p)
            except BrokenProcessPool:
                known[p.key] = _fit_tokens(*job(p))
            while len(pending) > 2 * workers:  # a bounded queue: the oldest period first
                collect(next(iter(pending)))
        while pending:
            collect(next(iter(pending)))
    finally:
        pool.shutdown(cancel_futures=True)
    return len(todo)


def find_emerging(
    docs: pd.DataFrame, stop: frozenset[str], cfg: EmergingConfig = DEFAULT_EMERGING, workers: int = 1
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Fit every period of the documents' months (`month`, `text`); concatenated topics and counts."""
    docs, periods = _periods(docs, stop, cfg)
    known: dict[str, tuple[_Topic, ...]] = {}
    _complete(docs, periods, known, stop, cfg, workers)
    return _frames(periods, known)


def _read_memo(con: duckdb.DuckDBPyConnection, keys: list[str]) -> dict[str, tuple[_Topic, ...]]:
    """The memoised periods among `keys` (two queries, whatever the number of periods)."""
    expected = dict(PERIOD_MEMO.fetch(con, keys))
    found: dict[str, list[_Topic]] = {k: [] for k in expected}
    for (
        key,
        topic,
        terms,
        documents,
        baseline,
        recent,
        baseline_share,
        recent_share,
        p_value,
        rising,
        month_documents,
        month_shares,
    ) in TOPIC_MEMO.fetch(con, expected):  # ordered by key, topic
        if len(found[key]) == topic:
            found[key].append(
                _Topic(
                    tuple(terms),
                    documents,
                    baseline,
                    recent,
                    baseline_share,
                    recent_share,
                    p_value,
                    rising,
                    tuple(month_documents),
                    tuple(month_shares),
                )
            )
    # a period whose topic rows are not all there is refitted
    return {k: tuple(v) for k, v in found.items() if len(v) == expected[k]}


def _memo_frames(keys: Sequence[str], known: dict[str, tuple[_Topic, ...]]) -> tuple[pd.DataFrame, pd.DataFrame]:
    used = sorted(set(keys))
    periods = pd.DataFrame(
        {"key": pd.Series(used, dtype=object), "topics": pd.Series([len(known[k]) for k in used], dtype="int32")}
    )
    rows = [
        (
            k,
            t,
            list(x.top_terms),
            x.documents,
            x.baseline_documents,
            x.recent_documents,
            x.baseline_share,
            x.recent_share,
            x.p_value,
            x.rising,
            list(x.month_documents),
            list(x.month_shares),
        )
        for k in used
        for t, x in enumerate(known[k])
    ]
    topics = pd.DataFrame(rows, columns=["key", *(c for c, _ in _TOPIC_COLUMNS)])
    return periods, topics


def build_emerging_themes(
    con: duckdb.DuckDBPyConnection, cfg: EmergingConfig = DEFAULT_EMERGING, workers: int = 1
) -> dict[str, int]:
    """(Re)build marts.emerging_theme and marts.emerging_theme_monthly from the free text in raw;
    returns counts and the memo's use (`cache_hits`, `cache_misses`: periods read back, fitted).
    `workers` processes fit the periods the memo does not hold (1: all in this process)."""
    docs = con.execute(sql.read("marts/emerging_theme_documents")).df()
    stop = name_tokens(con)
    docs, periods = _periods(docs, stop, cfg)
    PERIOD_MEMO.ensure(con)
    TOPIC_MEMO.ensure(con)
    known = _read_memo(con, [p.key for p in periods])
    hits = len(known)
    misses = _complete(docs, periods, known, stop, cfg, workers)
    del docs
    topics, monthly = _frames(periods, known)
    if topics.empty:
        topics = pd.DataFrame(
            columns=[
                "period_end",
                "period_start",
                "topic_id",
                "top_terms",
                "documents",
                "baseline_documents",
                "recent_documents",
                "baseline_share",
                "recent_share",
                "p_value",
                "rising",
            ]
        )
        monthly = pd.DataFrame(columns=["period_end", "topic_id", "month", "documents", "share"])
    period_rows, topic_rows = _memo_frames([p.key for p in periods], known)
    run_models_with_memos(
        con,
        ("marts/emerging_theme", "marts/emerging_theme_monthly"),
        frames={"_emerging_topics": topics, "_emerging_monthly": monthly},
        memos={PERIOD_MEMO: period_rows, TOPIC_MEMO: topic_rows},
    )
    rising = int(topics["rising"].sum()) if len(topics) else 0
    logger.info(
        "emerging themes: %d topics over %d periods, %d rising; %d periods read from the cache, %d fitted",
        len(topics),
        topics["period_end"].nunique() if len(topics) else 0,
        rising,
        hits,
        misses,
    )
    return {"topics": len(topics), "rising": rising, "cache_hits": hits, "cache_misses": misses}
