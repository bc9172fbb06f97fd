"""Ingest entry points used by the orchestration: a month's delivery, the reference data."""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path

import duckdb

from transforms.extracts.delivery import NO_DELIVERY, load_delivery, load_reference
from transforms.extracts.load import LoadResult
from transforms.extracts.profiles import load_profiles
from transforms.warehouse import bootstrap


def ingest_months(
    con: duckdb.DuckDBPyConnection,
    inbox: Path,
    months: list[str],
    profiles_dir: Path | None,
    run_id: str | None = None,
    only: Collection[str] | None = None,
    secret: str | None = None,
) -> list[LoadResult]:
    """Load the deliveries of `months` (oldest first; only the sources in `only`, if given) into
    `raw`; returns one result per file, and one `no_delivery` result per month whose folder holds
    no extract files (months with no folder at all are skipped). With `secret` (the pseudonym
    key) rows of erased persons are withheld (`load_file`)."""
    bootstrap(con)
    profiles = load_profiles(profiles_dir)
    results: list[LoadResult] = []
    for month in sorted(months):
        if (inbox / month).is_dir():
            results.extend(load_delivery(con, inbox, month, profiles, run_id, only, secret=secret))
    return results


def ingest_reference(con: duckdb.DuckDBPyConnection, inbox: Path) -> dict[str, int]:
    """Replace the reference tables from `<inbox>/reference/`."""
    bootstrap(con)
    return load_reference(con, inbox / "reference")


def summarise(results: list[LoadResult]) -> dict[str, int]:
    """Files and rows by outcome, and months with no delivery (a month folder holding no extract
    files), for run metadata and the command line."""
    out = {
        "files_loaded": 0,
        "files_unchanged": 0,
        "files_failed": 0,
        "files_waiting": 0,
        "months_no_delivery": 0,
        "rows_in": 0,
        "rows_loaded": 0,
        "rows_quarantined": 0,
        "rows_superseded": 0,
        "rows_withheld": 0,
    }
    for r in results:
        key = "months_no_delivery" if r.status == NO_DELIVERY else f"files_{r.status}"
        if key in out:
            out[key] += 1
        out["rows_in"] += r.rows_in
        out["rows_loaded"] += r.rows_loaded
        out["rows_quarantined"] += r.rows_quarantined
        out["rows_superseded"] += r.rows_superseded
        out["rows_withheld"] += r.rows_withheld
    return out
