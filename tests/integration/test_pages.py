"""The published pages against the marts: the refresh built them, numbers match, nothing discloses."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import duckdb
import pytest

from dashboards.disclosure import scan_published, suppress_groups
from dashboards.reading import months_back

MONTH = "2026-10"


def _tables(html: str) -> dict[str, dict]:
    blocks = re.findall(r'<script type="application/json" class="lantern-table">(.*?)</script>', html, re.S)
    return {t["name"]: t for t in map(json.loads, blocks)}


def _figures(html: str) -> list[dict]:
    return [
        json.loads(b)
        for b in re.findall(r'<script type="application/json" class="lantern-figure"[^>]*>(.*?)</script>', html, re.S)
    ]


@pytest.fixture(scope="module")
def site(sample_warehouse: Path, sample_settings) -> Path:
    return sample_settings.build / "profile" / MONTH


def test_refresh_published_the_partners_edition_offline(site: Path) -> None:
    names = {p.name for p in site.glob("*.html")}
    assert {"index.html", "data-quality.html", "dictionary.html"} <= names
    assert any(n.startswith("theme-") for n in names)
    assert (site.parent / "plotly.min.js").exists() and not list(site.rglob("plotly*.js"))
    for p in site.glob("*.html"):
        text = p.read_text(encoding="utf-8")
        assert "../plotly.min.js" in text and not re.search(r'<script[^>]+src="https?:', text)
        assert "Content-Security-Policy" in text
        assert "Theme definitions" in text and "last loaded" in text
    assert list((site / "exports").glob("*.csv")) and list((site / "exports").glob("*.xlsx"))


def test_disclosure_scan_of_the_partners_edition(site: Path) -> None:
    problems = scan_published(site)
    print(f"files scanned: {sum(1 for _ in site.rglob('*') if _.is_file())}, problems: {len(problems)}")
    assert problems == []


def test_every_figure_says_what_it_counts(site: Path) -> None:
    n = 0
    for p in site.glob("*.html"):
        for fig in _figures(p.read_text(encoding="utf-8")):
            n += 1
            lay = fig["layout"]
            assert lay["title"]["text"].strip(), p.name
            if lay.get("xaxis", {}).get("visible", True) is not False:
                assert lay["xaxis"]["title"]["text"] and lay["yaxis"]["title"]["text"], (p.name, lay["title"])
    assert n >= 5


def test_monthly_counts_equal_the_marts(site: Path, sample_con: duckdb.DuckDBPyConnection) -> None:
    checked = 0
    for p in site.glob("theme-*.html"):
        theme = p.stem.removeprefix("theme-")
        table = _tables(p.read_text(encoding="utf-8"))[f"{theme}_monthly"]
        months = [r[0] for r in table["rows"]]
        has_tm = sample_con.execute(
            "select count(*) from duckdb_tables() where schema_name='marts' and table_name='theme_monthly'"
        ).fetchall()[0][0]
        q = (
            "select month, count from marts.theme_monthly where theme = ? and ward_code is null"
            if has_tm
            else "select month, count(*) from marts.incident where list_contains(themes, ?) group by 1"
        )
        got = dict(sample_con.execute(q, [theme]).fetchall())
        raw = [int(got.get(m, 0)) for m in months]
        window = [i for i, m in enumerate(months) if m in months_back(MONTH, 12)]
        # a month is suppressed for its own size only (the same in every edition) ...
        assert [r[1] for r in table["rows"]] == suppress_groups(raw, [], 5)
        # ... and the 12-month total is c when a month in it is c, otherwise their sum
        head = {r[0]: r for r in _tables((site / "index.html").read_text(encoding="utf-8"))["headline"]["rows"]}
        total = head[table["title"].split(" incidents per month")[0]][-1]
        assert total == (None if any(table["rows"][i][1] is None for i in window) else sum(raw[i] for i in window))
        checked += 1
    print(f"themes checked: {checked}")
    assert checked >= 1


def test_breakdowns_equal_the_marts(site: Path, sample_con: duckdb.DuckDBPyConnection) -> None:
    window = months_back(MONTH, 12)
    theme_pages = sorted(site.glob("theme-*.html"))
    assert theme_pages
    p = theme_pages[0]
    theme = p.stem.removeprefix("theme-")
    tables = _tables(p.read_text(encoding="utf-8"))
    by_sex = tables[f"{theme}_people_by_sex"]
    rows = dict(
        ((r[0], r[1]), r[2])
        for r in sample_con.execute(
            """select coalesce(v.sex, 'unknown'), case when v.role = 'victim' then 'victims' else 'suspects' end, count(*)
           from marts.involvement v join marts.incident i using (incident_key)
           where list_contains(i.themes, ?) and i.month between ? and ? and v.role in ('victim', 'suspect', 'accused')
           group by all""",
            [theme, window[0], window[-1]],
        ).fetchall()
    )
    cats = [r[0] for r in by_sex["rows"]]

    def agrees(shown: list, raw: list[int]) -> bool:
        """Every shown number is the mart's; every count from 1 to 5 is c; a c beside it is a partner."""
        return all((v is None) if 1 <= n <= 5 else (v is None or v == n) for v, n in zip(shown, raw, strict=True))

    for col, who in ((1, "victims"), (2, "suspects")):
        assert agrees([r[col] for r in by_sex["rows"]], [int(rows.get((c, who), 0)) for c in cats])
    loc = tables[f"{theme}_incidents_by_location_type"]
    n = dict(
        sample_con.execute(
            """select coalesce(location_type, 'none recorded'), count(*) from marts.incident
        where list_contains(themes, ?) and month between ? and ? group by 1""",
            [theme, window[0], window[-1]],
        ).fetchall()
    )
    assert agrees([r[1] for r in loc["rows"]], [int(n[r[0]]) for r in loc["rows"]])
    assert sum(r[1] is not None for r in loc["rows"]) >= len(loc["rows"]) // 2  # secondary suppression is not wholesale


def test_dictionary_lists_every_marts_column(site: Path, sample_con: duckdb.DuckDBPyConnection) -> None:
    tables = _tables((site / "dictionary.html").read_text(encoding="utf-8"))
    want = sample_con.execute(
        "select table_name, column_name from duckdb_columns() where schema_name = 'marts'"
    ).fetchall()
    have = {(name.removeprefix("dictionary_"), r[0]) for name, t in tables.items() for r in t["rows"]}
    assert set(want) <= have


def test_hostile_text_is_inert(sample_warehouse: Path, tmp_path: Path) -> None:
    from openpyxl import load_workbook

    from dashboards.profile import build_profile
    from tests.browser.fake_marts import fill_missing_marts

    db = tmp_path / "hostile.duckdb"
    shutil.copy(sample_warehouse, db)
    with duckdb.connect(str(db)) as con:
        fill_missing_marts(con, hostile=True)
        build_profile(con, MONTH, tmp_path / "site")
    out = tmp_path / "site" / MONTH
    for p in out.glob("*.html"):
        text = p.read_text(encoding="utf-8")
        assert "<script>document.title" not in text and "<img src=x" not in text, p.name
    hostile = [p for p in (out / "exports").glob("*.csv") if "HYPERLINK" in p.read_text(encoding="utf-8")]
    assert hostile, "the hostile emerging-theme row should be exported"
    for p in hostile:
        assert all(not c.startswith("=") for row in p.read_text(encoding="utf-8").splitlines() for c in row.split(","))
        ws = load_workbook(p.with_suffix(".xlsx")).active
        cells = [c for row in ws.iter_rows() for c in row if isinstance(c.value, str) and "HYPERLINK" in c.value]
        assert cells and all(c.value.startswith("'=") and c.data_type == "s" for c in cells)
    assert scan_published(out) == []


def test_restricted_editions_stay_out_of_the_partners_folder(
    sample_warehouse: Path, sample_settings, tmp_path: Path
) -> None:
    from dashboards import analysts
    from dashboards.pack import build_pack

    with duckdb.connect(str(sample_warehouse), read_only=True) as con:
        key = con.execute("select person_key from core.assessment order by 1 limit 1").fetchall()[0][0]
        pack = build_pack(con, key, tmp_path / "restricted")
        pages = analysts.build(con, MONTH, tmp_path / "restricted")
    text = pack.read_text(encoding="utf-8")
    assert key in text and "Contextual assessment matrix" in text and "RESTRICTED" in text
    assert pages[0].exists() and "RESTRICTED" in pages[0].read_text(encoding="utf-8")
    assert not list((sample_settings.build / "profile").rglob("pack-*")) and not list(
        (sample_settings.build / "profile").rglob("analysts*")
    )


# ---------------------------------------------------------------------------------------------
# Attacks on the published edition (issue 23), written from the tables' names and meanings, not
# from what the pages declare: a reader who knows what each table counts and sees two
# consecutive editions side by side.


def _edition_tables(folder: Path) -> dict[str, dict]:
    out: dict[str, dict] = {}
    for p in folder.glob("*.html"):
        out |= _tables(p.read_text(encoding="utf-8"))
    return out


def _count(v: object) -> int | str | None:
    if v is None or v == "c":
        return "c"
    return int(v) if isinstance(v, int | float) and float(v).is_integer() else None


def attack(folders: list[Path], threshold: int = 5) -> list[str]:
    """Every suppressed count the attacker narrows to fewer than `threshold` values."""
    from dashboards.disclosure import bounds, too_narrow

    known: dict[str, int | str | None] = {}
    relations: list[tuple[str, list[str]]] = []

    def see(name: str, v: object) -> str:
        c = _count(v)
        if c is not None and (name not in known or known[name] == "c"):
            known[name] = c
        return name

    for k, folder in enumerate(folders):
        month = folder.name
        window = months_back(month, 12)
        tables = _edition_tables(folder)
        head = {r[0]: r for r in tables["headline"]["rows"]}
        for name, t in tables.items():
            if not name.endswith("_monthly") or name.startswith("emerging"):
                continue
            theme = name.removesuffix("_monthly")
            label = t["title"].split(" incidents per month")[0]
            total = f"{theme}/12m/{month}"
            row = head.get(label)
            if row is not None:
                see(total, row[-1])
                see(f"{theme}/{month}", row[1])
            months = [see(f"{theme}/{r[0]}", r[1]) for r in t["rows"] if r[0] in window]
            relations.append((total, months))
            for part in ("location_type", "ward_code"):
                b = tables.get(f"{theme}_incidents_by_{part}")
                if b:
                    relations.append((total, [see(f"{k}/{theme}/{part}/{r[0]}", r[1]) for r in b["rows"]]))
            for dim in ("age_band", "sex", "ethnic_group"):
                b = tables.get(f"{theme}_people_by_{dim}")
                if not b:
                    continue
                for col in (1, 2):
                    who = f"{k}/{theme}/people/{col}"
                    known.setdefault(who, None)
                    relations.append((who, [see(f"{k}/{theme}/{dim}/{r[0]}/{col}", r[col]) for r in b["rows"]]))
        loads = tables.get("loads_this_month")
        for r in loads["rows"] if loads else []:
            relations.append(
                (
                    see(f"{k}/loads/{r[0]}/in", r[1]),
                    [see(f"{k}/loads/{r[0]}/loaded", r[2]), see(f"{k}/loads/{r[0]}/q", r[3])],
                )
            )
        for name, t in tables.items():
            if name.startswith("emerging_theme"):
                cols = t["columns"]
                if {"documents", "baseline_documents", "recent_documents"} <= set(cols):
                    d, b, r_ = (cols.index(c) for c in ("documents", "baseline_documents", "recent_documents"))
                    for i, row in enumerate(t["rows"]):
                        relations.append(
                            (
                                see(f"{k}/{name}/{i}/d", row[d]),
                                [see(f"{k}/{name}/{i}/b", row[b]), see(f"{k}/{name}/{i}/r", row[r_])],
                            )
                        )
    iv = bounds(known, relations)
    return [f"{n}: {iv[n]}" for n, v in known.items() if v == "c" and too_narrow(*iv[n], threshold)]


def _shares_of_suppressed(folder: Path) -> list[str]:
    """A share, rate or p-value beside a suppressed count in the same row (the count times its
    base, or the test behind the p-value, gives it back)."""
    found = []
    for name, t in _edition_tables(folder).items():
        for row in t["rows"]:
            counts = [v for v, k in zip(row, t["kinds"], strict=True) if k == "count"]
            derived = [
                v
                for v, k, c in zip(row, t["kinds"], t["columns"], strict=True)
                if k in ("share", "rate", "number") or "share" in c or "p_value" in c
            ]
            if any(v is None or v == "c" for v in counts) and any(v not in (None, "", "–") for v in derived):
                if name.endswith("repeat_overlap") or name.endswith("disproportionality"):
                    continue  # rates there are of visible counts over visible bases (gated per row)
                found.append(f"{name}: {row}")
    return found


@pytest.fixture(scope="module")
def two_editions(sample_warehouse: Path, tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    from dashboards.profile import build_profile

    site = tmp_path_factory.mktemp("editions")
    with duckdb.connect(str(sample_warehouse), read_only=True) as con:
        for m in months_back(MONTH, 2):
            build_profile(con, m, site)
    return [site / m for m in months_back(MONTH, 2)]


def test_attack_recovers_nothing_from_one_edition(site: Path) -> None:
    found = attack([site])
    print(f"suppressed counts worked back: {len(found)}", found[:10])
    assert found == []


def test_attack_recovers_nothing_from_two_consecutive_editions(two_editions: list[Path]) -> None:
    found = attack(two_editions)
    print(f"suppressed counts worked back across {[p.name for p in two_editions]}: {len(found)}", found[:10])
    assert found == []


def test_no_share_or_p_value_of_a_suppressed_count(site: Path) -> None:
    found = _shares_of_suppressed(site)
    print(len(found), found[:5])
    assert found == []


def test_no_exceedance_said_of_a_suppressed_count(site: Path) -> None:
    head = _edition_tables(site)["headline"]
    said = [r for r in head["rows"] if r[1] is None and r[5] != "c"]
    assert said == []
    assert {r[5] for r in head["rows"]} <= {"above", "within", "well below", "c", "z"}


def test_the_scanner_checks_across_editions(two_editions: list[Path]) -> None:
    problems = scan_published(two_editions[1], 5, previous=two_editions[0])
    print(problems[:5])
    assert problems == []


# ---------------------------------------------------------------------------------------------
# Findings first, numbers that are right, readable anywhere, a fixed contract (issue 23).


def test_the_profile_opens_with_key_findings_and_commentary(site: Path) -> None:
    text = (site / "index.html").read_text(encoding="utf-8")
    main = text.split("<main", 1)[1]
    assert re.findall(r"<h2[^>]*>([^<]+)</h2>", main)[0] == "Key findings"
    findings = re.findall(r"<li>([^<]+)</li>", main.split("How these findings are chosen", 1)[0])
    print(f"{len(findings)} key findings:", *findings[:6], sep="\n  ")
    assert findings and "No commentary or recommendations were written for this month" in text
    assert "How these findings are chosen" in text


def test_commentary_is_escaped_and_rendered(tmp_path: Path) -> None:
    from dashboards.partners import commentary_html

    md = tmp_path / "2026-10.md"
    md.write_text(
        "# Recommendations\n\n- Review <script>alert(1)</script> patrols\n* Share with schools\n\nA & B.\n",
        encoding="utf-8",
    )
    out = commentary_html(md)
    assert "<h3>Recommendations</h3>" in out and "<li>Review &lt;script&gt;alert(1)&lt;/script&gt; patrols</li>" in out
    assert "<li>Share with schools</li>" in out and "<p>A &amp; B.</p>" in out and "<script>" not in out
    assert "No commentary or recommendations were written" in commentary_html(tmp_path / "2026-11.md")
    assert "commentary/2026-11.md" in commentary_html(tmp_path / "2026-11.md")  # where to put one


def test_every_page_is_readable_anywhere(site: Path) -> None:
    for p in site.glob("*.html"):
        text = p.read_text(encoding="utf-8")
        assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in text, p.name
        assert 'class="skip" href="#main"' in text and '<main id="main">' in text, p.name
        assert "OFFICIAL-SENSITIVE" in text, p.name
        assert '"sendChartToCloud"' in text and '"plotlyServerURL": ""' in text and '"showSendToCloud": false' in text
        assert '"modeBarButtons": [["toImage", "resetScale2d"]]' in text
        tables = text.count("<table>")
        assert tables == text.count("<caption>"), p.name
        charts = re.findall(r'<div id="[^"]+" class="lantern-chart"([^>]*)>', text)
        assert all('role="img" aria-label="Chart: ' in c for c in charts), p.name
        for root in ("/tmp/", "/work/", "/home/", "/root/", str(site.parent.parent)):
            assert root not in text, (p.name, root)


def test_map_matrix_counts_every_recorded_cell(site: Path, sample_con: duckdb.DuckDBPyConnection) -> None:
    t = _edition_tables(site)["assessment_matrix"]
    want = dict(
        ((c, d), n)
        for c, d, n in sample_con.execute(
            "select replace(context, '_', ' '), replace(domain, '_', ' '), sum(assessments) "
            "from marts.assessment_cells where month <= ? group by all",
            [MONTH],
        ).fetchall()
    )
    checked = 0
    for row in t["rows"]:
        for col, v in zip(t["columns"][1:], row[1:], strict=True):
            n = want.get((row[0], col), 0)
            # counts to date: c from 1 to 5, else rounded up to a multiple of 5
            assert v == (None if 1 <= n <= 5 else -(-n // 5) * 5), (row[0], col)
            assert v is None or (v % 5 == 0 and 0 <= v - n < 5), (row[0], col)
            checked += 1
    cs = [r[t["columns"].index("current situation")] for r in t["rows"]]
    print("current situation by context:", cs)
    assert any(v for v in cs)  # recorded cells without factor codes count too


def test_overlap_and_referral_gap_come_from_their_marts(site: Path, sample_con: duckdb.DuckDBPyConnection) -> None:
    window = months_back(MONTH, 12)
    tables = _edition_tables(site)
    for name, part, whole in (
        ("victim_suspect_overlap", "victims_also_suspect", "victims"),
        ("referral_gap", "without_referral", "young_victims"),
    ):
        got = {r[0]: (r[1], r[2]) for r in tables[name]["rows"]}
        labels = dict(
            sample_con.execute("select theme, any_value(label) from marts.theme_definition group by 1").fetchall()
        )
        for theme, n, d in sample_con.execute(
            f"select theme, sum({part}), sum({whole}) from marts.{name} where month between ? and ? group by 1",
            [window[0], window[-1]],
        ).fetchall():
            shown_d, shown_n = got[labels.get(theme, theme)]
            assert shown_d in (None, int(d)) and shown_n in (None, int(n)), (name, theme)
            assert not (shown_n is None and 6 <= n and 6 <= d - n and shown_d is None)
        print(name, got)


def test_disproportionality_uses_self_defined_ethnicity(site: Path) -> None:
    tables = _edition_tables(site)
    mixed = [
        r
        for name, t in tables.items()
        if name.endswith("_disproportionality")
        for r in t["rows"]
        if r[0].endswith("ethnic group: mixed")
    ]
    print(mixed)
    assert mixed and any(r[1] not in (0, "x") for r in mixed)  # mixed is a group people define themselves


def test_a_missing_column_fails_loudly(sample_warehouse: Path, tmp_path: Path) -> None:
    from dashboards.partners import ContractError
    from dashboards.profile import build_profile

    db = tmp_path / "wh.duckdb"
    shutil.copy(sample_warehouse, db)
    with duckdb.connect(str(db)) as con:
        con.execute("alter table marts.victim_suspect_overlap rename column victims_also_suspect to overlap")
        with pytest.raises(ContractError, match="marts.victim_suspect_overlap.victims_also_suspect"):
            build_profile(con, MONTH, tmp_path / "site")
    assert not list((tmp_path / "site").rglob("index.html"))
