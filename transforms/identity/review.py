"""Clerical review of near-threshold links: the pair table and an analyst's decision on it.

An analyst looks both records up in `raw` (with the access that needs), then records a decision:

    record_decision(con, pair_id, "accept", user="j.smith")   # same person: forced together
    record_decision(con, pair_id, "reject", user="j.smith")   # different people: kept apart

The next linkage run honours every decision; decided rows are never dropped.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import datetime

import duckdb
import pandas as pd

logger = logging.getLogger(__name__)

DECISIONS = ("pending", "accept", "reject")


def pair_id(ref_a: str, ref_b: str) -> str:
    """Stable identifier of a record pair (`source|source_key` refs, order-free)."""
    lo, hi = sorted((ref_a, ref_b))
    return "L" + hashlib.sha256(f"{lo}\x1f{hi}".encode()).hexdigest()[:15]


def record_decision(
    con: duckdb.DuckDBPyConnection, pair_id: str, decision: str, user: str, *, at: datetime | None = None
) -> None:
    """Set an analyst's decision ('accept'|'reject'|'pending') on one pair of core.link_review."""
    if decision not in DECISIONS:
        raise ValueError(f"decision must be one of {DECISIONS}, not {decision!r}")
    found = con.execute("select count(*) from core.link_review where pair_id = ?", [pair_id]).fetchall()
    if not found or found[0][0] == 0:
        raise KeyError(f"no pair {pair_id!r} in core.link_review")
    when = at or datetime.now()
    con.execute(
        "update core.link_review set decision = ?, decided_by = ?, decided_at = ? where pair_id = ?",
        [decision, None if decision == "pending" else user, None if decision == "pending" else when, pair_id],
    )
    logger.info("pair %s: %s by %s", pair_id, decision, user)


def decided_pairs(con: duckdb.DuckDBPyConnection) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(accepted, rejected) pairs of record refs from core.link_review (empty when absent)."""
    exists = con.execute(
        "select count(*) from information_schema.tables where table_schema = 'core' and table_name = 'link_review'"
    ).fetchall()[0][0]
    if not exists:
        return [], []
    rows = con.execute(
        "select source_l || '|' || source_key_l, source_r || '|' || source_key_r, decision "
        "from core.link_review where decision in ('accept', 'reject')"
    ).fetchall()
    accepted = [(a, b) for a, b, d in rows if d == "accept"]
    rejected = [(a, b) for a, b, d in rows if d == "reject"]
    return accepted, rejected


def review_rows(review: pd.DataFrame) -> pd.DataFrame:
    """Review pairs from the linkage with their stable pair_id. The columns are read as Python
    lists first: iterating the Arrow-backed columns element by element took most of the time."""
    out = review.copy()
    refs = [out[c].tolist() for c in ("source_l", "source_key_l", "source_r", "source_key_r")]
    out["pair_id"] = pd.Series(
        [pair_id(f"{a}|{b}", f"{c}|{d}") for a, b, c, d in zip(*refs, strict=True)], index=out.index, dtype=object
    )
    return out
