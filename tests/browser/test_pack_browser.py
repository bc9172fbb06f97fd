"""The MAP meeting pack and the analysts' edition opened in headless Chromium (Debian's, over the
DevTools protocol): sections in meeting order, labels a chair can read (no 16-character key in
the running text), A4 print layout with the marking and page numbers, no modebar, page weight."""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
from pathlib import Path

import duckdb
import pytest

from tests.browser.chromium import CHROMIUM

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (scripts/test installs it as root)")

MONTH = "2026-10"
MEETING = dt.date(2026, 11, 12)
KEY = re.compile(r"\bP[0-9a-f]{15}\b")
A4_CONTENT_PX = 688
MB = 1_000_000
SECTIONS = [
    "Since the last MAP",
    "Contextual assessment matrix",
    "How the matrix changed across assessments",
    "Timeline",
    "The young person's own network",
    "Places",
]

# the page's running text without the small print (class "key") that carries keys for the analyst
VISIBLE_TEXT = """(function () {
  var b = document.body.cloneNode(true);
  b.querySelectorAll('.key, script, style, .js-plotly-plot').forEach(function (n) { n.remove(); });
  return b.innerText;
})()"""
WIDEST = """(function () {
  var out = [];
  document.querySelectorAll('body *').forEach(function (n) {
    if (n.ownerSVGElement) return;  // inside an inline svg, which clips its content
    var r = n.getBoundingClientRect();
    if (r.width > 0 && r.right > %d + 1) out.push(n.tagName + '.' + n.className + ' ' + Math.round(r.right));
  });
  return [document.documentElement.scrollWidth, out.slice(0, 10)];
})()"""


@pytest.fixture(scope="module")
def built(sample_warehouse: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    from dashboards import analysts
    from dashboards.pack import build_pack

    tmp = tmp_path_factory.mktemp("pack")
    db = tmp / "wh.duckdb"
    shutil.copy(sample_warehouse, db)
    with duckdb.connect(str(db), read_only=True) as con:
        # the child with most incidents since their last MAP, and one with more than one assessment
        busy = con.execute("""with la as (select person_key, max(meeting_date) as d from core.assessment group by 1)
            select la.person_key from la join marts.involvement v using (person_key) join marts.incident i using (incident_key)
            where i.occurred_at > la.d group by 1 order by count(*) desc, 1 limit 1""").fetchall()[0][0]
        twice = con.execute("""select person_key from core.assessment group by 1 having count(*) > 1
                               order by 1 limit 1""").fetchall()[0][0]
        out = {
            "busy": build_pack(con, busy, tmp / "restricted", meeting_date=MEETING),
            "twice": build_pack(con, twice, tmp / "restricted", meeting_date=MEETING),
            "analysts": analysts.build(con, MONTH, tmp / "restricted")[0],
        }
    return out


@pytest.fixture(scope="module")
def tab():  # noqa: ANN201
    from tests.browser.cdp import chromium

    with chromium() as t:
        yield t


def _headings(tab) -> list[str]:  # noqa: ANN001
    return tab.js("Array.from(document.querySelectorAll('h2')).map(function (h) { return h.textContent; })")


def test_pack_sections_labels_and_weight(built: dict[str, Path], tab) -> None:  # noqa: ANN001
    for name in ("busy", "twice"):
        page = built[name]
        tab.open(page, width=1400)
        heads = _headings(tab)
        found = [next((i for i, h in enumerate(heads) if h.startswith(s)), -1) for s in SECTIONS]
        text = tab.js(VISIBLE_TEXT)
        keys = KEY.findall(text)
        charts = tab.js(
            "[document.querySelectorAll('.lantern-chart').length, document.querySelectorAll('.lantern-chart .main-svg').length > 0,"
            " document.querySelectorAll('.modebar-btn').length]"
        )
        size = page.stat().st_size
        print(
            f"{name}: sections at {found}, keys in running text {len(keys)}, charts {charts[0]} (modebar buttons {charts[2]}), "
            f"{size / MB:.2f} MB (limit 1 MB)"
        )
        assert -1 not in found and found == sorted(found), heads
        assert not keys, keys[:3]
        assert "Peer A" in text and "OFFICIAL-SENSITIVE" in text and MEETING.strftime("%d/%m/%Y") in text
        assert not re.search(r"\b\d\.\d{3,}\b", text), "a decimal weight is printed"
        assert not re.search(r"perpetrator|harmed|victim_suspect|same_place|co_suspect", text, re.I)
        assert charts[0] >= 2 and charts[1] and charts[2] == 0
        assert size < MB


def test_pack_roles_are_this_childs_per_incident(built: dict[str, Path], tab) -> None:  # noqa: ANN001
    tab.open(built["busy"], width=1400)
    roles = tab.js(
        "Array.from(document.querySelectorAll('table.ties tbody tr')).map(function (r) { return r.cells[3].innerText; })"
    )
    print(
        f"ties listed: {len(roles)}; with a role stated per incident: {sum(r.startswith('this child: recorded as') for r in roles)}"
    )
    assert roles and all(r.startswith("this child: recorded as") or r == "—" for r in roles)
    assert any(re.search(r"in incident \S+ \(\d\d/\d\d/\d{4}\)", r) for r in roles)


def test_pack_prints_on_a4_within_the_content_box(built: dict[str, Path], tab) -> None:  # noqa: ANN001
    page = built["busy"]
    tab.open(page, width=1400)  # drawn on a wide screen, then printed
    tab.media("print", width=A4_CONTENT_PX)
    scroll, wide = tab.js(WIDEST % A4_CONTENT_PX)
    print(
        f"print media at the A4 content width ({A4_CONTENT_PX} px): document {scroll} px wide, elements beyond it: {wide}"
    )
    assert scroll <= A4_CONTENT_PX + 1 and not wide
    pdf = tab.pdf()
    boxes = re.findall(rb"/MediaBox\s*\[\s*0\s+0\s+([\d.]+)\s+([\d.]+)\s*\]", pdf)
    sizes = {(round(float(w)), round(float(h))) for w, h in boxes}
    print(f"printed pages: {len(boxes)}, sizes (pt): {sizes} (A4 portrait is 595 x 842)")
    assert len(boxes) >= 2 and all(abs(float(w) - 595.3) < 1.5 and abs(float(h) - 841.9) < 1.5 for w, h in boxes)
    css = page.read_text(encoding="utf-8")
    marking = f"OFFICIAL-SENSITIVE — restricted: for the MAP meeting on {MEETING.strftime('%d/%m/%Y')}"
    page_rule = css[css.index("@page") : css.index("@media print")]
    assert (
        "size:A4 portrait" in page_rule and marking in page_rule and 'counter(page) " of " counter(pages)' in page_rule
    )


def test_pack_fits_a_phone(built: dict[str, Path], tab) -> None:  # noqa: ANN001
    tab.open(built["busy"], width=400)
    scroll, wide = tab.js(WIDEST % 400)
    print(f"at 400 px: document {scroll} px wide; elements beyond: {wide[:3]}")
    assert scroll <= 401


def test_record_symbols_and_colours_are_the_same_in_every_pack(built: dict[str, Path]) -> None:
    from dashboards.pack_figures import RECORD_STYLE

    def styles(page: Path) -> list[tuple[str, str, str]]:
        text = page.read_text(encoding="utf-8")
        figs = [
            json.loads(m) for m in re.findall(r'class="lantern-figure" data-target="[^"]+">(.*?)</script>', text, re.S)
        ]
        timeline = next(f for f in figs if any(t.get("meta", {}).get("measure") == "record" for t in f["data"]))
        return [(t["name"], t["marker"]["color"], t["marker"]["symbol"]) for t in timeline["data"]]

    a, b = styles(built["busy"]), styles(built["twice"])
    print(f"timeline styles: {a}")
    assert a == b == list(RECORD_STYLE.values())


def test_analysts_edition_fits_and_shows_one_group_at_a_time(built: dict[str, Path], tab) -> None:  # noqa: ANN001
    page = built["analysts"]
    size = page.stat().st_size
    tab.open(page, width=1400)
    text = tab.js(VISIBLE_TEXT)
    options = tab.js(
        "Array.from(document.querySelectorAll('#group-select option')).map(function (o) { return o.value; })"
    )
    first = tab.js("document.querySelector('#group-network .gtitle').textContent")
    tab.js(
        f"(function () {{ var s = document.getElementById('group-select'); s.value = {json.dumps(options[-1])};"
        " s.dispatchEvent(new Event('change')); })()"
    )
    second = tab.js("document.querySelector('#group-network .gtitle').textContent")
    height = tab.js("document.documentElement.scrollHeight")
    print(
        f"analysts' edition: {size / MB:.2f} MB (limit 1 MB), {len(options)} groups in the selector, "
        f"page {height} px tall; first view '{first[:40]}', after selecting '{second[:40]}'"
    )
    assert size < MB
    assert options == sorted(options) and len(options) > 1
    assert options[0] in first and options[-1] in second
    assert tab.js("document.querySelectorAll('.modebar-btn').length") == 0
    assert not KEY.findall(text)
    assert not re.search(r"\[\s*'|\{'|'\w+': |E05\d{6}|\bPL\d{4}\b", text), "a raw list, struct or code is printed"
    assert "30 busiest" not in text
    assert "MAP planned actions" in text and "Overdue" in text
