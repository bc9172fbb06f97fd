"""Emerging themes in free text: TF-IDF + NMF topics of crime MO text and MAP assessment notes.

Method: for each period (the `window` months up to and including month m) the documents of the
period are weighted by TF-IDF; the documents of the last `recent` months are factorised by
non-negative matrix factorisation into `topics` topics (Lee DD, Seung HS. Learning the parts of
objects by non-negative matrix factorization. Nature 1999; 401:788-791; scikit-learn's `NMF` with
the Frobenius loss) and the earlier documents of the period are projected onto those topics. Each
document belongs to its dominant topic. Fitting on the recent months is what lets a theme that is
new (a few documents a month) get a topic of its own rather than dissolve into older ones. A topic is *rising* when its documents in the last `recent` months are far
more than its share of the earlier months of the period predicts: P(X >= observed) under a
Poisson with the expected count (floored at `floor`) below `p_max`, with at least `min_docs`
documents. Fitting per period lets a new vocabulary (a new app, a new place) form its own topic
as soon as it is frequent enough.

Privacy: the text is read from `raw` inside this step and never written anywhere; only topic
ids, top terms and counts leave. Terms exclude every token that occurs as a forename or surname
in `raw.person_record`, tokens with digits, and tokens in fewer than `min_df` documents.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

import duckdb
import numpy as np
import pandas as pd
from scipy import stats
from sklearn.decomposition import NMF
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, TfidfVectorizer

import sql
from transforms.warehouse import run_models

logger = logging.getLogger(__name__)

_TOKEN = r"(?u)\b[^\W\d_]{3,}\b"
# words of the recording trade that say nothing about a theme
_TRADE_WORDS = frozenset({"reported", "reports", "states", "stated", "believed", "location", "suspect",
                          "victim", "aged", "known", "named", "seen", "told", "says", "said"})


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


DEFAULT_EMERGING = EmergingConfig()


def name_tokens(con: duckdb.DuckDBPyConnection) -> frozenset[str]:
    """Lower-case tokens that occur in any forename or surname of raw.person_record."""
    rows = con.execute("select distinct lower(forename) from raw.person_record where forename is not null "
                       "union select distinct lower(surname) from raw.person_record where surname is not null").fetchall()
    out: set[str] = set()
    for (name,) in rows:
        out.update(t for t in re.split(r"[^\w]+", str(name)) if t)
    return frozenset(out)


def topics_for_period(docs: pd.DataFrame, months: list[str], stop: frozenset[str],
                      cfg: EmergingConfig = DEFAULT_EMERGING) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Fit one period: (topics frame, monthly counts frame). `docs` has `month`, `text`."""
    period_end = months[-1]
    if len(docs) < max(cfg.topics * 3, cfg.min_df * 2):
        return pd.DataFrame(), pd.DataFrame()
    vec = TfidfVectorizer(lowercase=True, token_pattern=_TOKEN, stop_words=sorted(ENGLISH_STOP_WORDS | stop | _TRADE_WORDS),
                          min_df=cfg.min_df, max_df=cfg.max_df, sublinear_tf=True)
    X = vec.fit_transform(docs["text"].tolist())
    month_of = docs["month"].to_numpy()
    recent = set(months[-cfg.recent:])
    in_recent = np.isin(month_of, list(recent))
    # topics are fitted on the recent months (where a new theme is densest) with the vocabulary
    # and weights of the whole period; the earlier months are projected onto those topics
    k = min(cfg.topics, X.shape[1] - 1, int(in_recent.sum()) - 1)
    if k < 2:
        return pd.DataFrame(), pd.DataFrame()
    model = NMF(n_components=k, init="nndsvda", random_state=cfg.seed, max_iter=400)
    model.fit(X[in_recent])
    W = model.transform(X)
    terms = np.array(vec.get_feature_names_out())
    dominant = np.where(W.max(axis=1) > 0, W.argmax(axis=1), -1)
    totals = pd.Series(month_of).value_counts()
    n_recent, n_base = int(in_recent.sum()), int((~in_recent).sum())
    topic_rows, month_rows = [], []
    for t in range(k):
        mine = dominant == t
        top = [str(x) for x in terms[np.argsort(-model.components_[t])[: cfg.top_terms]]]
        base_docs, recent_docs = int((mine & ~in_recent).sum()), int((mine & in_recent).sum())
        base_share = base_docs / n_base if n_base else 0.0
        expected = max(base_share * n_recent, cfg.floor)
        p = float(stats.poisson.sf(recent_docs - 1, expected)) if recent_docs else 1.0
        topic_rows.append({
            "period_end": period_end, "period_start": months[0], "topic_id": f"{period_end}/t{t:02d}",
            "top_terms": top, "documents": int(mine.sum()), "baseline_documents": base_docs,
            "recent_documents": recent_docs, "baseline_share": round(base_share, 5),
            "recent_share": round(recent_docs / n_recent, 5) if n_recent else 0.0,
            "p_value": p, "rising": bool(recent_docs >= cfg.min_docs and p < cfg.p_max),
        })
        counts = pd.Series(month_of[mine]).value_counts()
        for m in months:
            c = int(counts.get(m, 0))
            total = int(totals.get(m, 0))
            month_rows.append({"period_end": period_end, "topic_id": f"{period_end}/t{t:02d}", "month": m,
                               "documents": c, "share": round(c / total, 5) if total else 0.0})
    return pd.DataFrame(topic_rows), pd.DataFrame(month_rows)


def find_emerging(docs: pd.DataFrame, stop: frozenset[str], cfg: EmergingConfig = DEFAULT_EMERGING
                  ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Fit every period of the documents' months (`month`, `text`); concatenated topics and counts."""
    if docs.empty:
        return pd.DataFrame(), pd.DataFrame()
    all_months = [str(x) for x in pd.period_range(docs["month"].min(), docs["month"].max(), freq="M")]
    topics, monthly = [], []
    for i in range(cfg.min_months - 1, len(all_months)):
        months = all_months[max(0, i - cfg.window + 1): i + 1]
        period = docs[docs["month"].isin(months)]
        t, m = topics_for_period(period, months, stop, cfg)
        topics.append(t)
        monthly.append(m)
    if not topics:  # fewer months than one period needs: no topics yet
        return pd.DataFrame(), pd.DataFrame()
    return pd.concat(topics, ignore_index=True), pd.concat(monthly, ignore_index=True)


def build_emerging_themes(con: duckdb.DuckDBPyConnection, cfg: EmergingConfig = DEFAULT_EMERGING) -> dict[str, int]:
    """(Re)build marts.emerging_theme and marts.emerging_theme_monthly from the free text in raw."""
    docs = con.execute(sql.read("marts/emerging_theme_documents")).df()
    stop = name_tokens(con)
    topics, monthly = find_emerging(docs, stop, cfg)
    del docs
    if topics.empty:
        topics = pd.DataFrame(columns=["period_end", "period_start", "topic_id", "top_terms", "documents",
                                       "baseline_documents", "recent_documents", "baseline_share",
                                       "recent_share", "p_value", "rising"])
        monthly = pd.DataFrame(columns=["period_end", "topic_id", "month", "documents", "share"])
    run_models(con, ("marts/emerging_theme", "marts/emerging_theme_monthly"),
               frames={"_emerging_topics": topics, "_emerging_monthly": monthly})
    rising = int(topics["rising"].sum()) if len(topics) else 0
    logger.info("emerging themes: %d topics over %d periods, %d rising", len(topics),
                topics["period_end"].nunique() if len(topics) else 0, rising)
    return {"topics": len(topics), "rising": rising}
