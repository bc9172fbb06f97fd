"""Every built page opened from disk in headless Chromium (Debian's, no driver, no network):
no console errors, every chart drawn, hostile text inert; a screenshot of each under build/."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from tests.browser.chromium import CHROMIUM, charts, render
from tests.conftest import ROOT

MONTH = "2026-10"
SHOTS = ROOT / "build" / "screenshots"


@pytest.fixture(scope="module")
def built(sample_warehouse: Path, tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """Partners' edition (with hostile text planted), analysts' edition and one MAP pack."""
    from dashboards import analysts
    from dashboards.pack import build_pack
    from dashboards.site import build_profile
    from tests.browser.fake_marts import fill_missing_marts

    tmp = tmp_path_factory.mktemp("browser")
    db = tmp / "wh.duckdb"
    shutil.copy(sample_warehouse, db)
    with duckdb.connect(str(db)) as con:
        fill_missing_marts(con, hostile=True)
        pages = [p for p in build_profile(con, MONTH, tmp / "profile") if p.suffix == ".html"]
        pages += analysts.build(con, MONTH, tmp / "restricted")
        key = con.execute("select person_key from core.assessment order by 1 limit 1").fetchall()[0][0]
        pages.append(build_pack(con, key, tmp / "restricted"))
    return pages


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (scripts/test installs it as root)")
def test_pages_render_in_headless_chromium(built: list[Path]) -> None:
    failures = []
    total = drawn_total = 0
    for page in built:
        shot = SHOTS / ("pack.png" if page.name.startswith("pack-") else f"{page.stem}.png")
        r = render(page, shot)
        n, drawn = charts(r.dom)
        total, drawn_total = total + n, drawn_total + drawn
        errors = [m for m in r.console if "error" in m.lower() or "uncaught" in m.lower()]
        if errors or drawn != n or "pwned" in r.dom.split("</title>")[0] or "<title>" not in r.dom:
            failures.append(f"{page.name}: charts {drawn}/{n}, console {errors[:3]}")
        assert r.screenshot is not None, page.name
    print(f"pages: {len(built)}, charts drawn: {drawn_total}/{total}, screenshots in {SHOTS}")
    assert not failures, failures
    assert total >= 10
