"""Data checks the orchestration runs after each step: what must never pass, and what an
analyst should look at. Each returns (passed, description, metadata)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import duckdb

from transforms.extracts.contract import SOURCES
from transforms.privacy import find_personal_data
from transforms.sqlrun import has_table


@dataclass(frozen=True)
class CheckOutcome:
    """Result of one data check."""

    passed: bool
    description: str
    metadata: dict[str, Any] = field(default_factory=dict)


def rows_reconcile(con: duckdb.DuckDBPyConnection) -> CheckOutcome:
    """Every loaded file: rows in = loaded + quarantined + withheld by an erasure; raw + history +
    rows a purge or an erasure removed = rows loaded, per source."""
    bad_files = con.execute(
        "SELECT source_file FROM ops.loads WHERE status = 'loaded' "
        "AND rows_in <> rows_loaded + rows_quarantined + coalesce(rows_withheld, 0)"
    ).fetchall()
    removed = dict(
        con.execute(
            "SELECT source, sum(n) FROM (SELECT source, rows_removed AS n FROM ops.rows_removed UNION ALL "
            "SELECT source, rows_removed FROM ops.purges WHERE source <> 'quarantine') GROUP BY 1"
        ).fetchall()
        if has_table(con, "ops", "purges")
        else con.execute("SELECT source, sum(rows_removed) FROM ops.rows_removed GROUP BY 1").fetchall()
    )
    bad_sources = []
    for s in SOURCES:
        held = con.execute(
            f"SELECT (SELECT count(*) FROM raw.{s.name}) + (SELECT count(*) FROM raw.{s.name}_history)"
        ).fetchall()[0][0]
        loaded = con.execute(
            "SELECT coalesce(sum(rows_loaded), 0) FROM ops.loads WHERE source = ? AND status = 'loaded'", [s.name]
        ).fetchall()[0][0]
        if held + int(removed.get(s.name, 0) or 0) != loaded:
            bad_sources.append(f"{s.name}: raw holds {held}, loads say {loaded}")
    ok = not bad_files and not bad_sources
    return CheckOutcome(
        ok,
        "every input row is loaded or quarantined"
        if ok
        else f"rows do not reconcile: {[f for (f,) in bad_files] + bad_sources}",
        {"files_unreconciled": len(bad_files), "sources_unreconciled": len(bad_sources)},
    )


def no_personal_data(con: duckdb.DuckDBPyConnection) -> CheckOutcome:
    """No name, date of birth, postcode or free-text column in `core` or `marts`."""
    hits = find_personal_data(con)
    return CheckOutcome(
        not hits,
        "no personal data in core or marts"
        if not hits
        else "personal data found: " + "; ".join(f"{h.table}.{h.column} ({h.kind})" for h in hits[:10]),
        {"hits": len(hits)},
    )


def no_orphan_keys(con: duckdb.DuckDBPyConnection) -> CheckOutcome:
    """Every person_key and incident_key in the marts points at a row of marts.person / incident."""
    orphans = con.execute("""
        SELECT (SELECT count(*) FROM marts.involvement WHERE person_key NOT IN (SELECT person_key FROM marts.person)),
               (SELECT count(*) FROM marts.involvement WHERE incident_key NOT IN (SELECT incident_key FROM marts.incident)),
               (SELECT count(*) FROM marts.person_link WHERE person_key NOT IN (SELECT person_key FROM marts.person))
    """).fetchall()[0]
    total = int(sum(orphans))
    return CheckOutcome(
        total == 0,
        "no orphan keys in the marts"
        if total == 0
        else f"orphan keys: involvement->person {orphans[0]}, involvement->incident {orphans[1]}, "
        f"person_link->person {orphans[2]}",
        {"orphans": total},
    )


def volume_usual(con: duckdb.DuckDBPyConnection, month: str, tolerance: float = 2.0) -> CheckOutcome:
    """Each source's rows this month within `tolerance`x of its median over the previous 6 months
    (small counts are allowed their Poisson noise; MAP cells vary with the assessments they belong
    to, which are checked themselves)."""
    rows = con.execute(
        """
        WITH m AS (SELECT source, delivery_month, sum(rows_in) AS n FROM ops.loads
                   WHERE status = 'loaded' AND source NOT IN ('police_uk_street', 'map_assessment_cells') GROUP BY ALL),
             base AS (SELECT source, median(n) AS usual FROM m
                      WHERE delivery_month < ? AND delivery_month >= strftime(CAST(? || '-01' AS DATE) - INTERVAL 6 MONTH, '%Y-%m')
                      GROUP BY source)
        SELECT m.source, m.n, b.usual FROM m JOIN base b USING (source) WHERE m.delivery_month = ?
    """,
        [month, month, month],
    ).fetchall()
    # far = off by the factor AND by more than chance allows for a small count (3 sd, 20 rows)
    odd = [
        f"{s}: {n} rows vs usual {u:.0f}"
        for s, n, u in rows
        if u and (n > tolerance * u or n < u / tolerance) and abs(n - u) > max(3 * u**0.5, 20)
    ]
    return CheckOutcome(
        not odd,
        "volumes as usual" if not odd else "volume far from usual: " + "; ".join(odd),
        {"sources_checked": len(rows), "sources_unusual": len(odd)},
    )


def completeness_steady(con: duckdb.DuckDBPyConnection, drop: float = 0.15) -> CheckOutcome:
    """No field's share filled in the latest month more than `drop` below its previous 6-month mean."""
    rows = con.execute(
        """
        WITH r AS (SELECT source, field, month, records, share_filled FROM marts.recording_completeness),
             last AS (SELECT max(month) AS m FROM r)
        SELECT r.source, r.field, r.share_filled, avg(p.share_filled) AS usual
        FROM r JOIN last ON r.month = last.m
        JOIN r p ON p.source = r.source AND p.field = r.field AND p.month < r.month
             AND p.month >= strftime(CAST(r.month || '-01' AS DATE) - INTERVAL 6 MONTH, '%Y-%m')
        WHERE r.records >= 20
        GROUP BY ALL HAVING r.share_filled < avg(p.share_filled) - ?
    """,
        [drop],
    ).fetchall()
    odd = [f"{s}.{f}: {v:.0%} filled vs usual {u:.0%}" for s, f, v, u in rows]
    return CheckOutcome(
        not odd,
        "recording completeness steady" if not odd else "completeness dropping: " + "; ".join(odd[:10]),
        {"fields_dropping": len(odd)},
    )


def review_backlog_steady(con: duckdb.DuckDBPyConnection, growth: float = 1.5) -> CheckOutcome:
    """The link-review backlog (pending pairs) not growing fast from one linkage run to the next."""
    runs = con.execute(
        "SELECT review_pending FROM core.linkage_run WHERE review_pending IS NOT NULL ORDER BY run_id DESC LIMIT 2"
    ).fetchall()  # trained_at repeats when a model is reused
    pending = int(con.execute("SELECT count(*) FROM core.link_review WHERE decision = 'pending'").fetchall()[0][0])
    if len(runs) < 2 or not runs[1][0]:
        return CheckOutcome(True, f"{pending} pairs awaiting review", {"pending": pending})
    now, before = int(runs[0][0]), int(runs[1][0])
    ok = now <= growth * before
    return CheckOutcome(
        ok,
        f"{pending} pairs awaiting review (last run {now}, run before {before})"
        + ("" if ok else ": the backlog is growing; review the pairs in core.link_review"),
        {"pending": pending, "last_run": now, "run_before": before},
    )


def linkage_probabilistic(con: duckdb.DuckDBPyConnection) -> CheckOutcome:
    """The last linkage run used the probabilistic model (it falls back to the deterministic rules
    only when scoring fails, e.g. out of memory, and then links far fewer records)."""
    rows = con.execute("SELECT method, records, clusters FROM core.linkage_run ORDER BY run_id DESC LIMIT 1").fetchall()
    if not rows:
        return CheckOutcome(True, "no linkage run yet", {})
    method, records, clusters = rows[0]
    ok = method == "splink"
    return CheckOutcome(
        ok,
        f"last linkage run: {method}, {records} records into {clusters} persons"
        + (
            ""
            if ok
            else ": the model failed and only exact rules linked records; see the "
            "run's log (memory: LANTERN_LINK_MEMORY_LIMIT) and rerun"
        ),
        {"method": str(method), "records": int(records or 0), "clusters": int(clusters or 0)},
    )
