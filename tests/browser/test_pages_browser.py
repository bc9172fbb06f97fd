"""Every built page opened from disk in headless Chromium (Debian's, no driver, no network):
no console errors, every chart drawn, hostile text inert; the partners' pages laid out 400 px
wide without horizontal scrolling and printed to A4; screenshots at 1400 px and 400 px of each
under the system's temporary folder (never in the repository)."""

from __future__ import annotations

import re
import shutil
import tempfile
from pathlib import Path

import duckdb
import pytest

from tests.browser.chromium import CHROMIUM, charts, page_width, print_pdf, render

MONTH = "2026-10"
SHOTS = Path(tempfile.gettempdir()) / "lantern-screenshots"


@pytest.fixture(scope="module")
def built(sample_warehouse: Path, tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """Partners' edition (with hostile text planted), analysts' edition and one MAP pack."""
    from dashboards import analysts
    from dashboards.pack import build_pack
    from dashboards.profile import build_profile
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


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (scripts/test installs it as root)")
def test_partners_pages_fit_400_px_and_render_at_1400(built: list[Path]) -> None:
    partners = [p for p in built if p.parent.name == MONTH and "restricted" not in p.parts]
    assert any(p.name == "index.html" for p in partners)
    widths = {}
    for page in partners:
        widths[page.name] = page_width(page, 400)
        render(page, SHOTS / f"{page.stem}-400.png", width=400, height=2400)
        render(page, SHOTS / f"{page.stem}-1400.png", width=1400, height=2400)
    print(f"scroll widths at 400 px: {widths}; screenshots in {SHOTS}")
    assert all(w <= 400 for w in widths.values()), widths


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (scripts/test installs it as root)")
def test_partners_pages_print_to_a4_with_the_marking(built: list[Path]) -> None:
    index = next(p for p in built if p.name == "index.html" and p.parent.name == MONTH)
    text = index.read_text(encoding="utf-8")
    # the marking and page numbers on every printed page, the modebar and navigation hidden
    assert '@top-center{content:"OFFICIAL-SENSITIVE"' in text and 'counter(page) " of " counter(pages)' in text
    printing = text.split("@media print", 1)[1].split("</style>", 1)[0]
    assert ".modebar" in printing.split("display:none", 1)[0] and "nav," in printing
    assert "beforeprint" in text  # folded tables are opened for print
    pdf = print_pdf(index, SHOTS / "index.pdf")
    assert pdf is not None
    data = pdf.read_bytes()
    pages = data.count(b"/Type /Page") - data.count(b"/Type /Pages")
    print(f"printed pages: {pages}, {len(data):,} bytes, in {pdf}")
    assert re.search(rb"MediaBox \[0 0 59[45][.0-9]* 84[12]", data)  # A4: 595 x 842 points
    assert pages >= 3
