"""The partners' edition of one month: built into a staging folder, scanned, then made live.

`publish_profile` (what the refresh and `lantern publish` run) and `build_profile` (unscanned, for
tests and previews) write the pages of `partners`, `quality` and `dictionary` with the page frame
of `site`; this module imports them, and none of them imports it (no import circle).
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import uuid
from pathlib import Path

import duckdb

from dashboards import dictionary, partners, quality
from dashboards.disclosure import SUPPRESSED, edition_counts, last_shown, scan_published, small_revisions
from dashboards.site import write_plotly_js

logger = logging.getLogger(__name__)


def build_profile(
    con: duckdb.DuckDBPyConnection, month: str, site: Path, *, small_count: int = 5, commentary: Path | None = None
) -> list[Path]:
    """Build the partners' edition for `month` (profile, theme pages, data quality, dictionary,
    exports) straight into `site/month`, unscanned (tests and previews; the refresh and `lantern
    publish` use `publish_profile`); returns the files written."""
    write_plotly_js(site)
    out = site / month
    written = build_month(con, month, out, small_count=small_count, commentary=commentary)
    logger.info("local profile %s: %d files under %s", month, len(written), out)
    return written


class DisclosureError(RuntimeError):
    """The staged edition failed the disclosure scan: nothing was published."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__(f"disclosure scan failed: {len(problems)} problems, first: {problems[0]}")
        self.problems = problems


def _previous(month: str) -> str:
    y, m = int(month[:4]), int(month[5:7])
    return f"{y - (m == 1):04d}-{(m - 2) % 12 + 1:02d}"


def withdraw(site: Path, month: str) -> None:
    """Remove a month's edition (the live link and its folder), e.g. for a month with no delivery."""
    live = site / month
    if live.is_symlink():
        target = live.resolve()
        live.unlink()
        shutil.rmtree(target, ignore_errors=True)
    elif live.exists():
        shutil.rmtree(live)


def publish_profile(
    con: duckdb.DuckDBPyConnection, month: str, site: Path, *, small_count: int = 5, commentary: Path | None = None
) -> list[Path]:
    """Build the partners' edition for `month` into a staging folder beside the live one, scan it
    (with the previous month's edition beside it, at the same threshold as suppression), and only
    then make it live by swapping one symbolic link (`site/<month>` -> `.<month>.<id>`) with an
    atomic rename. A failed scan, an error or a kill leaves the previous edition whole and live;
    staging folders left by a kill are removed by the next publish. Returns the live files."""
    site.mkdir(parents=True, exist_ok=True)
    write_plotly_js(site)
    live = site / month
    current = live.resolve() if live.is_symlink() else None
    for stale in site.glob(f".{month}.*"):
        if stale != current and stale.is_dir() and not stale.is_symlink():
            shutil.rmtree(stale, ignore_errors=True)  # left by a killed or failed publish
    stage = site / f".{month}.{uuid.uuid4().hex[:12]}"
    stage.mkdir()
    try:
        # a count that late records (or an erasure) changed by 1 to small_count since the last
        # number an earlier edition showed for it is shown as c: the revision is a small count
        # two editions side by side would show (held until it grows, or for good)
        shown = last_shown(_earlier_editions(site, month))
        hide: frozenset[str] = frozenset()
        for _ in range(4):
            written = build_month(con, month, stage, small_count=small_count, commentary=commentary, hide=hide)
            more = small_revisions(stage, shown, small_count) - hide
            if not more:
                break
            hide = hide | more
            shutil.rmtree(stage)
            stage.mkdir()
        prev = site / _previous(month)
        # the names (never the values) of the counts hidden for a revision, so that the next
        # edition may show them again once the revision has grown: that number is not the c's
        revised = set(hide)
        if prev.is_dir() and (prev / REVISED).is_file():
            revised |= set(json.loads((prev / REVISED).read_text(encoding="utf-8")))
        # and a month's count that was c for its own size last month and is a number now: late
        # records took it past the threshold (months are locked: a c there was never secondary)
        if prev.is_dir():
            revised |= {
                n
                for n, seen in edition_counts(prev)[0].items()
                if partners.is_month_count(n) and all(v == SUPPRESSED for v, _ in seen)
            }
        if hide:
            logger.info("local profile %s: %d counts revised by a small count shown as c", month, len(hide))
            (stage / REVISED).write_text(json.dumps(sorted(hide)), encoding="utf-8")
            written.append(stage / REVISED)
        problems = scan_published(stage, small_count, previous=prev if prev.is_dir() else None, revised=revised)
        if problems:
            raise DisclosureError(problems)
        if live.exists() and not live.is_symlink():
            legacy = site / f".{month}.legacy-{uuid.uuid4().hex[:6]}"
            os.rename(live, legacy)  # an edition published before the link: keep it until swapped
            os.symlink(legacy.name, live)
        link = site / f".{month}.link-{uuid.uuid4().hex[:6]}"
        os.symlink(stage.name, link)
        os.replace(link, live)  # the atomic step: readers see the old edition or the new, never a mix
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        raise
    old = current or None
    for leftover in site.glob(f".{month}.legacy-*"):
        shutil.rmtree(leftover, ignore_errors=True)
    if old is not None and old != stage.resolve():
        shutil.rmtree(old, ignore_errors=True)
    logger.info("local profile %s published: %d files", month, len(written))
    return [live / p.relative_to(stage) for p in written]


#: The names of the counts an edition shows as c because they were revised by a small count.
REVISED = "revised-counts.json"


def _earlier_editions(site: Path, month: str) -> list[Path]:
    """The live editions before `month`, oldest first."""
    return sorted(
        (p for p in site.iterdir() if re.fullmatch(r"\d{4}-\d{2}", p.name) and p.name < month and p.is_dir()),
        key=lambda p: p.name,
    )


def build_month(
    con: duckdb.DuckDBPyConnection,
    month: str,
    out: Path,
    *,
    small_count: int = 5,
    commentary: Path | None = None,
    hide: frozenset[str] = frozenset(),
) -> list[Path]:
    """The partners' edition's pages and exports for `month` written into `out` (no scan);
    `hide`: counts shown as `c` whatever their size."""
    out.mkdir(parents=True, exist_ok=True)
    written = partners.build(con, month, out, small_count=small_count, commentary=commentary, hide=hide)
    written += quality.build(con, month, out, small_count=small_count)
    written += dictionary.build(con, month, out)
    return written
