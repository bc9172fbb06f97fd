"""Disclosure control: primary and secondary suppression, rate gating, and the published-folder scan."""

from __future__ import annotations

import json
from pathlib import Path

import plotly.graph_objects as go

from dashboards import exports, figures
from dashboards.disclosure import (
    Ledger,
    rate,
    recoverable,
    scan_published,
    suppress_groups,
    suppress_series,
    suppress_table,
)
from dashboards.site import Page, Table, page


def test_primary_suppression_hides_one_to_five_and_keeps_zero_and_six() -> None:
    assert suppress_series([0, 1, 5, 6, 40], 5, with_total=False) == [0, None, None, 6, 40]


def test_secondary_suppression_hides_a_second_cell_when_a_total_is_published() -> None:
    out = suppress_series([3, 10, 7, 40], 5)
    assert out.count(None) == 2
    assert out[0] is None and out[2] is None  # the smallest other non-zero cell is the partner


def test_secondary_suppression_in_rows_and_columns_leaves_no_lone_cell() -> None:
    rows = [[2, 10, 12], [9, 8, 20], [15, 30, 7]]
    out = suppress_table(rows, 5)
    for line in out + [list(c) for c in zip(*out, strict=True)]:
        assert sum(v is None for v in line) != 1, out


def test_groups_without_totals_only_primary() -> None:
    assert suppress_groups([2, 9], [], 5) == [None, 9]


def test_rates_need_enough_cases_and_an_unsuppressed_numerator() -> None:
    assert rate(3, 100, 5) is None
    assert rate(10, 4, 5) is None
    assert rate(0, 50, 5) == 0.0
    assert rate(10, 40, 5) == 25.0


def _site(tmp_path: Path, *, y: list, cell: object, key: str = "") -> Path:
    p = Page("t")
    p.add_figure(figures.bar_counts(["a", "b"], y, title="t", x_title="x", y_title="y"))
    t = Table("tab", "a table", ["label", "n"], ["label", "count"], rows=[["a " + key, cell]])
    p.add_table(t)
    (tmp_path / "index.html").write_text(page("t", p.html()), encoding="utf-8")
    exports.write_tables([t], tmp_path / "exports")
    return tmp_path


def test_scan_passes_a_clean_folder(tmp_path: Path) -> None:
    assert scan_published(_site(tmp_path, y=[None, 12], cell=None)) == []


def test_scan_finds_small_counts_in_figures_tables_and_exports(tmp_path: Path) -> None:
    problems = scan_published(_site(tmp_path, y=[3, 12], cell=4))
    print("\n".join(problems))
    assert any("trace" in p for p in problems)  # the figure's JSON
    assert any("table cell" in p for p in problems)  # the HTML table
    assert any(p.startswith("tab.csv") for p in problems)
    assert any(p.startswith("tab.xlsx") for p in problems)


def test_scan_finds_person_keys(tmp_path: Path) -> None:
    problems = scan_published(_site(tmp_path, y=[None, 12], cell=None, key="P0123456789abcde"))
    assert any("person key" in p for p in problems)


def test_scan_ignores_rates_but_not_unlabelled_traces(tmp_path: Path) -> None:
    fig = go.Figure(go.Scatter(x=["a"], y=[2.0], meta={"measure": "rate"}))
    fig.add_trace(go.Scatter(x=["a"], y=[2]))
    (tmp_path / "f.json").write_text(json.dumps(json.loads(fig.to_json())), encoding="utf-8")
    problems = scan_published(tmp_path)
    assert len(problems) == 1 and "trace 1" in problems[0]


def test_exports_guard_formulas(tmp_path: Path) -> None:
    from openpyxl import load_workbook

    t = Table("h", "hostile", ["label", "n"], ["label", "count"], rows=[['=HYPERLINK("http://x","y")', 10]])
    exports.write_tables([t], tmp_path)
    assert (tmp_path / "h.csv").read_text(encoding="utf-8").splitlines()[1].startswith("\"'=HYPERLINK")
    cell = load_workbook(tmp_path / "h.xlsx").active["A2"]
    assert cell.value.startswith("'=") and cell.data_type == "s"


def test_embedded_json_cannot_close_its_script_tag() -> None:
    fig = figures.bar_counts(["</script><script>alert(1)</script>"], [10], title="t", x_title="x", y_title="y")
    text = Page("x").figure(fig)
    assert "</script><script>alert" not in text and "<script>alert" not in text


# ---------------------------------------------------------------------------------------------
# Attacks: what a reader could work back from a published edition, and the suppression that
# stops each one (issue 23).


def _publish(folder: Path, tables: list[Table]) -> Path:
    p = Page("t")
    for t in tables:
        p.add_table(t)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "index.html").write_text(page("t", p.html()), encoding="utf-8")
    return folder


def _breakdown(name: str, cats: list[str], values: list[int | None], total: str, prefix: str) -> Table:
    t = Table(name, name, ["cat", "n"], ["label", "count"], rows=[[c, v] for c, v in zip(cats, values, strict=True)])
    t.quantities = {(i, 1): f"{prefix}/{c}" for i, c in enumerate(cats)}
    t.relations = [(total, [f"{prefix}/{c}" for c in cats])]
    return t


def test_attack_linked_breakdowns_sharing_a_total(tmp_path: Path) -> None:
    """Suspects by sex total 10 (all shown); by age band, three c cells beside 7 visible: each is 1."""
    sex = _breakdown("by_sex", ["F", "M"], [6, 6], "suspects", "sex")  # a total of 12, fully visible
    age = _breakdown("by_age", ["10-13", "14-15", "16-17", "18-24"], [None, None, None, 9], "suspects", "age")
    problems = recoverable([_publish(tmp_path, [sex, age])], 5)
    print(problems)
    assert len(problems) == 3 and all("worked back to 1 to 1" in p for p in problems)


def test_ledger_protects_linked_breakdowns() -> None:
    led = Ledger(5)
    led.add("suspects", 12, published=False)
    for c, v in (("F", 6), ("M", 6)):
        led.add(f"sex/{c}", v)
    led.relate("suspects", ["sex/F", "sex/M"])
    ages = {"10-13": 1, "14-15": 1, "16-17": 1, "18-24": 9}
    for c, v in ages.items():
        led.add(f"age/{c}", v)
    led.relate("suspects", [f"age/{c}" for c in ages])
    out = led.solve()
    print(out)
    assert out["age/18-24"] is None  # the only way left to protect the three 1s
    assert led.exposed() == []
    # the old rule (a second cell per published total) would have left them pinned
    assert suppress_series([1, 1, 1, 9], 5) == [None, None, None, 9]


def test_attack_rolling_totals_of_two_editions(tmp_path: Path) -> None:
    """12-month totals 11 and 9 in consecutive editions beside the months they share: the new
    month's c is their difference plus the month that left the window."""

    def edition(month: int, values: dict[int, int | None], total: int | None) -> Path:
        months = sorted(values)
        series = Table("cse_monthly", "m", ["month", "n"], ["label", "count"], rows=[[m, values[m]] for m in months])
        series.quantities = {(i, 1): f"cse/{m}" for i, m in enumerate(months)}
        window = [m for m in months if month - 11 <= m <= month]
        series.relations = [(f"cse/12m/{month}", [f"cse/{m}" for m in window])]
        head = Table("headline", "h", ["theme", "12 months"], ["label", "count"], rows=[["cse", total]])
        head.quantities = {(0, 1): f"cse/12m/{month}"}
        return _publish(tmp_path / str(month), [series, head])

    base: dict[int, int | None] = dict.fromkeys(range(1, 13), 0) | {1: 9, 2: 8}
    first = edition(12, base, 17)
    # month 13 (2) is c with month 2 as its partner: safe alone (c + c = 10) ...
    second = edition(13, base | {2: None, 13: None}, 10)
    alone = recoverable([second], 5)
    both = recoverable([first, second], 5)
    print(alone, both)
    assert alone == []
    # ... but month 2 is 8 in the first edition, so month 13 is 10 - 8 = 2
    assert any("cse/13" in p and "2 to 2" in p for p in both)
    assert any("cse/2 is" in p for p in both)


def test_scanner_reads_the_suppression_threshold(tmp_path: Path) -> None:
    t = Table("tab", "a table", ["label", "n"], ["label", "count"], rows=[["a", 7]])
    folder = _publish(tmp_path, [t])
    assert scan_published(folder, 5) == []
    assert any("count from 1 to 8" in p for p in scan_published(folder, 8))


def test_a_suppressed_count_published_elsewhere_is_found(tmp_path: Path) -> None:
    a = Table("a", "a", ["label", "n"], ["label", "count"], rows=[["x", None]], quantities={(0, 1): "q"})
    b = Table("b", "b", ["label", "n"], ["label", "count"], rows=[["x", 3 + 6]], quantities={(0, 1): "q"})
    assert any("is 9 here but c" in p or "is c here but 9" in p for p in recoverable([_publish(tmp_path, [a, b])], 5))


def _fake_build(cell: object):  # type: ignore[no-untyped-def]
    def build(con, month, out, *, small_count=5, **kw):  # type: ignore[no-untyped-def]
        t = Table("tab", "a table", ["label", "n"], ["label", "count"], rows=[["a", cell]])
        p = Page("t")
        p.add_table(t)
        out.mkdir(parents=True, exist_ok=True)
        (out / "index.html").write_text(page("t", p.html()), encoding="utf-8")
        return [out / "index.html", *exports.write_tables([t], out / "exports")]

    return build


def test_publish_scans_a_staged_edition_and_keeps_the_last_one_when_it_fails(tmp_path: Path, monkeypatch) -> None:
    import pytest

    from dashboards import profile as site_mod

    monkeypatch.setattr(site_mod, "build_month", _fake_build(17))
    files = site_mod.publish_profile(None, "2026-10", tmp_path)  # type: ignore[arg-type]
    live = tmp_path / "2026-10"
    assert live.is_symlink() and (live / "index.html").exists() and files[0] == live / "index.html"
    good = (live / "exports" / "tab.csv").read_text(encoding="utf-8")
    # a build that would publish a 3: the scan fails, nothing is swapped, the staging folder goes
    monkeypatch.setattr(site_mod, "build_month", _fake_build(3))
    with pytest.raises(site_mod.DisclosureError):
        site_mod.publish_profile(None, "2026-10", tmp_path)  # type: ignore[arg-type]
    assert (live / "exports" / "tab.csv").read_text(encoding="utf-8") == good
    # the same threshold as suppression: a 7 passes at 5 and fails at 8
    monkeypatch.setattr(site_mod, "build_month", _fake_build(7))
    with pytest.raises(site_mod.DisclosureError):
        site_mod.publish_profile(None, "2026-10", tmp_path, small_count=8)  # type: ignore[arg-type]
    assert (live / "exports" / "tab.csv").read_text(encoding="utf-8") == good

    # a kill mid-build (here an interrupt) leaves the last edition whole; the next publish tidies up
    def killed(con, month, out, *, small_count=5, **kw):  # type: ignore[no-untyped-def]
        out.mkdir(parents=True, exist_ok=True)
        (out / "index.html").write_text("half", encoding="utf-8")
        raise KeyboardInterrupt

    monkeypatch.setattr(site_mod, "build_month", killed)
    with pytest.raises(KeyboardInterrupt):
        site_mod.publish_profile(None, "2026-10", tmp_path)  # type: ignore[arg-type]
    assert (live / "exports" / "tab.csv").read_text(encoding="utf-8") == good
    monkeypatch.setattr(site_mod, "build_month", _fake_build(7))
    site_mod.publish_profile(None, "2026-10", tmp_path)  # type: ignore[arg-type]
    assert "7" in (live / "exports" / "tab.csv").read_text(encoding="utf-8")
    assert [p.name for p in tmp_path.glob(".2026-10.*")] == [live.resolve().name]
    site_mod.withdraw(tmp_path, "2026-10")
    assert not live.exists() and not list(tmp_path.glob(".2026-10.*"))


def test_ledger_protects_the_rest_of_a_whole() -> None:
    """12 victims, 11 without a referral: showing both tells that 1 was referred."""
    led = Ledger(5)
    whole = led.add("victims", 12)
    led.relate(whole, [led.add("without", 11), led.add("referred", 1, published=False, protect=True)])
    out = led.solve()
    print(out)
    assert out["without"] is None or out["victims"] is None
    assert led.exposed() == []


def test_a_month_is_never_hidden_to_protect_a_breakdown() -> None:
    """A first edition: the 12-month total is one month (14) and its day-and-time cells are all
    small. Hiding the month would protect them, but the next edition shows that month: the
    breakdown is reported unprotectable (the page withdraws it) and the month stays shown."""
    led = Ledger(5)
    month = led.add("m", 14, locked=True)
    total = led.add("T", 14)
    led.relate(total, [month])
    cells = [led.add(f"dh{i}", v) for i, v in enumerate([1] * 10 + [2, 2])]  # each c at most 14 - 11 = 3
    led.relate(total, cells + [led.add("unknown", 0, published=False)])
    led.solve(allow_locked=False)
    print(led.unprotectable)
    assert led.unprotectable and led.get("m") == 14


# ---------------------------------------------------------------------------------------------
# Late records: a month's count revised between editions (session 10). Before, any revision made
# the scan refuse the edition, so a borough whose police record incidents late could not publish.


def _month_edition(folder: Path, values: dict[str, int | None], total: int | None) -> Path:
    months = sorted(values)
    series = Table("cse_monthly", "m", ["month", "n"], ["label", "count"], rows=[[m, values[m]] for m in months])
    series.quantities = {(i, 1): f"cse/{m}" for i, m in enumerate(months)}
    series.relations = [("cse/total", [f"cse/{m}" for m in months])]
    head = Table("headline", "h", ["theme", "total"], ["label", "count"], rows=[["cse", total]])
    head.quantities = {(0, 1): "cse/total"}
    return _publish(folder, [series, head])


def test_attack_a_revision_by_a_small_count_is_found_and_a_larger_one_is_not_a_problem(tmp_path: Path) -> None:
    first = _month_edition(tmp_path / "a", {"08": 128, "09": 40}, 168)
    late = _month_edition(tmp_path / "b", {"08": 135, "09": 40}, 175)  # 7 incidents recorded late
    small = _month_edition(tmp_path / "c", {"08": 130, "09": 40}, 170)  # 2: a small count
    big, tiny = recoverable([first, late], 5), recoverable([first, small], 5)
    print(big, tiny)
    assert big == []  # two quantities, each edition's total holds among its own numbers
    assert any("cse/08" in p and "a revision of 2" in p for p in tiny)
    # a c beside a number is still an unmasked c, unless the publisher declares it revised
    hid = _month_edition(tmp_path / "d", {"08": None, "09": 40}, None)
    assert any("cse/08 is c here but 128" in p for p in recoverable([first, hid], 5))
    assert recoverable([first, hid], 5, revised={"cse/08", "cse/total"}) == []


def _revising_build(values: list[int], name: str = "q"):  # type: ignore[no-untyped-def]
    """Each call publishes the next value for one count, through a ledger with `hide`."""
    calls = iter(values)

    def build(con, month, out, *, small_count=5, commentary=None, hide=frozenset()):  # type: ignore[no-untyped-def]
        value = build.value if hasattr(build, "value") and build.month == month else next(calls)
        build.value, build.month = value, month
        led = Ledger(small_count, hide)
        led.add(name, value)
        t = Table("tab", "a table", ["label", "n"], ["label", "count"], rows=[["a", led.get(name)]])
        t.quantities = {(0, 1): name}
        p = Page("t")
        p.add_table(t)
        out.mkdir(parents=True, exist_ok=True)
        (out / "index.html").write_text(page("t", p.html()), encoding="utf-8")
        return [out / "index.html"]

    return build


def test_publish_shows_a_count_revised_by_a_small_count_as_c_until_the_revision_grows(
    tmp_path: Path, monkeypatch
) -> None:
    from dashboards import profile as site_mod
    from dashboards.disclosure import published_tables

    monkeypatch.setattr(site_mod, "build_month", _revising_build([128, 130, 131, 135]))
    shown = []
    for month in ("2026-08", "2026-09", "2026-10", "2026-11"):
        site_mod.publish_profile(None, month, tmp_path)  # type: ignore[arg-type]
        shown.append(published_tables(tmp_path / month)[0]["rows"][0][1])
    print(shown)
    # 130 and 131 are 2 and 3 more than the 128 last shown: c; 135 is 7 more: shown
    assert shown[0] == 128 and shown[1] in (None, "c") and shown[2] in (None, "c") and shown[3] == 135


def test_a_month_that_late_records_take_past_the_threshold_is_published(tmp_path: Path, monkeypatch) -> None:
    """A month's count (locked: c only for its own size) was 4, shown c; late records make it 9:
    the next edition shows 9 (the c was 1 to 5, so the revision is one of five values). Any other
    count that goes from c to a number is still refused: its c may have been a secondary one."""
    import pytest

    from dashboards import profile as site_mod
    from dashboards.disclosure import published_tables

    monkeypatch.setattr(site_mod, "build_month", _revising_build([4, 9], "cse/2026-08"))
    for month in ("2026-08", "2026-09"):
        site_mod.publish_profile(None, month, tmp_path / "a")  # type: ignore[arg-type]
    shown = [published_tables(tmp_path / "a" / m)[0]["rows"][0][1] for m in ("2026-08", "2026-09")]
    print(shown)
    assert shown[0] in (None, "c") and shown[1] == 9
    monkeypatch.setattr(site_mod, "build_month", _revising_build([4, 9], "sex/F"))
    site_mod.publish_profile(None, "2026-08", tmp_path / "b")  # type: ignore[arg-type]
    with pytest.raises(site_mod.DisclosureError):
        site_mod.publish_profile(None, "2026-09", tmp_path / "b")  # type: ignore[arg-type]


def test_ledger_protects_a_count_hidden_for_a_revision_like_a_small_one() -> None:
    """A month of 177 hidden because late records revised it by 2: the 12-month total beside the
    other months would give it back, so a second count is hidden (found on the city borough)."""
    led = Ledger(5, hide={"m/07"})
    months = {"m/05": 150, "m/06": 160, "m/07": 177}
    for n, v in months.items():
        led.add(n, v, locked=True)
    led.add("m/12m", sum(months.values()))
    led.relate("m/12m", list(months))
    out = led.solve(allow_locked=False)
    print(out)
    assert out["m/07"] is None and out["m/12m"] is None and led.exposed() == []
