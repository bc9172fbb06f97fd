"""Disclosure control: primary and secondary suppression, rate gating, and the published-folder scan."""

from __future__ import annotations

import json
from pathlib import Path

import plotly.graph_objects as go

from dashboards import exports, figures
from dashboards.disclosure import (
    rate,
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
