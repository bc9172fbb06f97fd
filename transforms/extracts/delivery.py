"""A borough inbox: its month folders, what files each holds, and its `reference/` folder."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Collection
from pathlib import Path

import duckdb

import sql
from transforms.extracts.contract import POLICE_UK_STREET, SOURCES
from transforms.extracts.load import LoadResult, load_file, record_waiting
from transforms.extracts.profiles import Profile
from transforms.extracts.reader import ExtractError
from transforms.sqlrun import execute, transaction

logger = logging.getLogger(__name__)

MONTH_RE = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
REFERENCE_FILES = ("wards.csv", "wards.geojson", "population.csv", "schools.csv", "places.csv")
NO_DELIVERY = "no_delivery"  # the status of a month whose folder holds no extract files


def list_months(inbox: Path) -> list[str]:
    """The delivery months (`YYYY-MM` folders) of an inbox, oldest first."""
    if not inbox.is_dir():
        raise ExtractError(f"{inbox}: the inbox folder does not exist.")
    return sorted(p.name for p in inbox.iterdir() if p.is_dir() and MONTH_RE.match(p.name))


# months with a `no_delivery` row in ops.loads and no file loaded for them (a later delivery of
# the month, once loaded, makes it an ordinary month again)
NO_DELIVERY_MONTHS_SQL = (
    "SELECT DISTINCT n.delivery_month AS month FROM ops.loads n WHERE n.status = 'no_delivery' "
    "AND NOT EXISTS (SELECT 1 FROM ops.loads l WHERE l.delivery_month = n.delivery_month "
    "AND l.status = 'loaded')"
)


def no_delivery_months(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The months reported as 'no delivery' (their folder held no extract files) that have had
    no file loaded since, oldest first."""
    return [m for (m,) in con.execute(NO_DELIVERY_MONTHS_SQL + " ORDER BY 1").fetchall()]


def _known_files(folder: Path, profiles: dict[str, Profile]) -> set[Path]:
    """The files of a month folder that some source's profile (or the public street files) names."""
    found: set[Path] = set()
    for source in (*SOURCES, POLICE_UK_STREET):
        found.update(p for p in folder.glob(profiles[source.name].file) if p.is_file())
    return found


def _record_no_delivery(con: duckdb.DuckDBPyConnection, month: str, run_id: str | None, message: str) -> int:
    """One `no_delivery` row in `ops.loads` for the month (not repeated while it is the month's
    latest row), so that `lantern status` and the marts can tell the month was not delivered."""
    last = con.execute(
        "SELECT load_id, status FROM ops.loads WHERE delivery_month = ? ORDER BY load_id DESC LIMIT 1", [month]
    ).fetchall()
    if last and last[0][1] == NO_DELIVERY:
        return int(last[0][0])
    load_id = int(con.execute("SELECT nextval('ops.load_seq')").fetchall()[0][0])
    con.execute(
        "INSERT INTO ops.loads (load_id, run_id, source, source_file, delivery_month, rows_in, "
        "rows_loaded, rows_quarantined, rows_superseded, status, message, started_at, finished_at) "
        "VALUES (?, ?, 'delivery', ?, ?, 0, 0, 0, 0, ?, ?, now(), now())",
        [load_id, run_id, f"{month}/", month, NO_DELIVERY, message],
    )
    return load_id


def _no_delivery(
    con: duckdb.DuckDBPyConnection, folder: Path, month: str, run_id: str | None, ignored: int
) -> LoadResult:
    """The result (and `ops.loads` row) of a month folder that holds no extract files."""
    unknown = (f" ({ignored} file{'s' if ignored != 1 else ''} not of the extract contract ignored)") if ignored else ""
    message = (
        f"no delivery for {month}: the month folder holds no extract files{unknown}; "
        f"nothing was loaded and no profile is published for {month}. Put the month's "
        "files in the folder (named as the source profiles say) and refresh again."
    )
    logger.warning("%s: %s", folder, message)
    load_id = _record_no_delivery(con, month, run_id, message)
    return LoadResult("delivery", f"{month}/", NO_DELIVERY, load_id=load_id, message=message)


def load_delivery(
    con: duckdb.DuckDBPyConnection,
    inbox: Path,
    month: str,
    profiles: dict[str, Profile],
    run_id: str | None = None,
    only: Collection[str] | None = None,
    secret: str | None = None,
) -> list[LoadResult]:
    """Load every known file of one month's delivery folder (or the sources in `only`),
    references first.

    A folder that holds no file of any source (empty, or only files the extract contract does
    not know) is a month with no delivery: one `no_delivery` result, recorded in `ops.loads`,
    and nothing loaded (whatever `only` asks for)."""
    folder = inbox / month
    if not folder.is_dir():
        raise ExtractError(f"{folder}: no delivery folder for {month}.")
    if not _known_files(folder, profiles):
        unknown = [p for p in sorted(folder.iterdir()) if p.is_file() and not p.name.startswith(".")]
        none = [_no_delivery(con, folder, month, run_id, len(unknown))]
        return none + ([_ignored(month, p) for p in unknown] if only is None else [])
    results: list[LoadResult] = []
    failed_sources: set[str] = set()
    known: set[Path] = set()
    for source in SOURCES:
        if only is not None and source.name not in only:
            continue
        profile = profiles[source.name]
        matches = sorted(folder.glob(profile.file))
        for path in matches:
            known.add(path)
            blocked = [r.target for r in source.references if r.target in failed_sources]
            rel = f"{month}/{path.name}" + (f"#{profile.sheet}" if profile.sheet else "")
            if blocked:
                msg = f"not loaded: {blocked[0]} of this delivery failed; fix that file and refresh again"
                lid = record_waiting(con, source, rel, month, run_id, msg)
                results.append(LoadResult(source.name, rel, "waiting", load_id=lid, message=msg))
                continue
            res = load_file(
                con, path, source, profile, delivery_month=month, source_file=rel, run_id=run_id, secret=secret
            )
            if res.status == "failed":
                failed_sources.add(source.name)
            results.append(res)
    street = profiles[POLICE_UK_STREET.name]
    for path in sorted(folder.glob(street.file)) if only is None else []:
        known.add(path)
        results.append(
            load_file(
                con,
                path,
                POLICE_UK_STREET,
                street,
                delivery_month=month,
                source_file=f"{month}/{path.name}",
                run_id=run_id,
            )
        )
    for path in sorted(folder.iterdir()) if only is None else []:
        if path.is_file() and path not in known and not path.name.startswith("."):
            results.append(_ignored(month, path))
    return results


def _ignored(month: str, path: Path) -> LoadResult:
    logger.warning("%s: not a known source file; ignored", path)
    return LoadResult(
        "unknown", f"{month}/{path.name}", "ignored", message="not a file of the extract contract; ignored"
    )


def load_public_context(
    con: duckdb.DuckDBPyConnection, folder: Path, profiles: dict[str, Profile], run_id: str | None = None
) -> list[LoadResult]:
    """Load data.police.uk street-level CSVs from any folder as public context."""
    profile = profiles[POLICE_UK_STREET.name]
    out = []
    for path in sorted(folder.rglob(profile.file)):
        month = path.name[:7] if MONTH_RE.match(path.name[:7]) else None
        out.append(
            load_file(
                con,
                path,
                POLICE_UK_STREET,
                profile,
                delivery_month=month,
                source_file=f"police-uk/{path.name}",
                run_id=run_id,
            )
        )
    return out


def _ward_geometries(path: Path) -> list[list[str]]:
    """(ward_code, geometry JSON) per feature of a ward GeoJSON file."""
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
        return [[str(f["properties"]["ward_code"]), json.dumps(f["geometry"])] for f in data["features"]]
    except (ValueError, KeyError, TypeError) as exc:
        raise ExtractError(
            f"{path}: not a GeoJSON FeatureCollection with a ward_code property on "
            f"every feature ({exc}); fix the boundaries file."
        ) from exc


def load_reference(con: duckdb.DuckDBPyConnection, reference: Path) -> dict[str, int]:
    """Replace the `core` reference tables (wards, boundaries, population, schools, places)."""
    missing = [f for f in REFERENCE_FILES if not (reference / f).exists()]
    if missing:
        raise ExtractError(
            f"{reference}: reference files missing: {missing}; an inbox needs a "
            "reference/ folder with wards, boundaries, population, schools and places."
        )
    try:
        with transaction(con):
            for stmt in sql.statements("core/reference"):
                execute(con, stmt, {"ref": str(reference)})
            con.executemany(
                "INSERT INTO core.ward_boundary VALUES (?, ?)", _ward_geometries(reference / "wards.geojson")
            )
            counts = {
                t: int(con.execute(f"SELECT count(*) FROM core.{t}").fetchall()[0][0])
                for t in ("ward", "ward_boundary", "population", "school", "place", "place_alias")
            }
    except duckdb.Error as exc:
        raise ExtractError(f"{reference}: reference data could not be loaded: {exc}") from exc
    return counts
