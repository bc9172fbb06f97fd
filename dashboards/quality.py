"""The data-quality page: what was loaded, what was quarantined and why, how complete recording
is, and how many uncertain identity links wait for review.

Reads `ops.loads` and `ops.quarantine` (the load log), `marts.recording_completeness` where built,
and a single count from `core.link_review` (the review queue of the identity step, which has no
marts view: only the number of pending pairs is read, never a pair). Counts of records from 1 to
`small_count` are suppressed like every other published number.
"""

from __future__ import annotations

import logging
from pathlib import Path

import duckdb
import plotly.graph_objects as go

from dashboards import figures
from dashboards.disclosure import Ledger, is_small, suppress_count, suppress_table
from dashboards.reading import columns, definitions_version, frame, has_table, last_load
from dashboards.site import Page, Table, page

logger = logging.getLogger(__name__)


def link_backlog(con: duckdb.DuckDBPyConnection) -> int | None:
    """Pairs waiting for review in `core.link_review` (None when the queue does not exist)."""
    if not has_table(con, "core", "link_review"):
        return None
    cols = columns(con, "core", "link_review")
    where = ""
    if "status" in cols:
        where = " where coalesce(status, 'pending') in ('pending', 'open', 'to_review')"
    elif "decision" in cols:
        where = " where decision is null"
    return int(con.execute(f"select count(*) from core.link_review{where}").fetchall()[0][0])


def build(con: duckdb.DuckDBPyConnection, month: str, out: Path, *, small_count: int = 5) -> list[Path]:
    """Write `data-quality.html` for `month` into `out`; returns the files written."""
    p = Page("quality")
    loads = frame(
        con,
        """select delivery_month, source, sum(rows_in - coalesce(rows_withheld, 0)) as rows_in, sum(rows_loaded) as loaded,
                            sum(rows_quarantined) as quarantined
                          from ops.loads where status = 'loaded' and delivery_month <= ? group by all order by 1, 2""",
        [month],
    )
    p.heading("Loads")
    sources = sorted(set(loads["source"]))
    months = sorted(set(loads["delivery_month"]))
    grid = [
        [int(loads[(loads.source == s) & (loads.delivery_month == m)]["loaded"].sum()) for m in months] for s in sources
    ]
    grid_s = suppress_table(grid, small_count, row_totals=False, column_totals=False)
    last = loads[loads.delivery_month == month]
    t_loads = Table(
        "loads_this_month",
        f"Files loaded for {month}",
        ["source", "rows in", "rows loaded", "rows quarantined"],
        ["label", "count", "count", "count"],
        note="Rows in = rows loaded + rows quarantined: where one of them is c, a second is c too.",
    )
    led = Ledger(small_count)
    for r in last.itertuples():
        led.relate(
            led.add(f"{r.source}/in", int(r.rows_in)),
            [led.add(f"{r.source}/loaded", int(r.loaded)), led.add(f"{r.source}/quarantined", int(r.quarantined or 0))],
        )
    # this month's loaded counts as the loads table shows them (a second cell may be c there)
    # every month's loaded counts as that month's edition showed them in its loads table (rows in =
    # loaded + quarantined suppressed together), so no two editions disagree about a month
    for j, m in enumerate(months):
        past = Ledger(small_count)
        for r in loads[loads.delivery_month == m].itertuples():
            past.relate(
                past.add(f"{r.source}/in", int(r.rows_in)),
                [
                    past.add(f"{r.source}/loaded", int(r.loaded)),
                    past.add(f"{r.source}/quarantined", int(r.quarantined or 0)),
                ],
            )
        for i, src in enumerate(sources):
            if f"{src}/loaded" in past.values:
                grid_s[i][j] = past.get(f"{src}/loaded")
    g = go.Figure()
    for i, s in enumerate(sources):
        g.add_trace(
            go.Scatter(
                x=months,
                y=grid_s[i],
                mode="lines+markers",
                name=figures.esc(s),
                line={"color": figures.OKABE_ITO[i % 8]},
                meta={"measure": "count"},
            )
        )
    g.update_xaxes(type="category")
    g.update_layout(
        title=f"Records loaded per delivery month, by source, {months[0] if months else month} to {month}",
        xaxis_title="Delivery month",
        yaxis_title="Records loaded (count)",
        colorway=figures.OKABE_ITO,
        height=420,
    )
    p.add_figure(g)
    for i, r in enumerate(last.itertuples()):
        t_loads.rows.append([r.source] + [led.get(f"{r.source}/{k}") for k in ("in", "loaded", "quarantined")])
        t_loads.quantities |= {
            (i, 1 + j): f"loads/{month}/{r.source}/{k}" for j, k in enumerate(("in", "loaded", "quarantined"))
        }
        t_loads.relations.append(
            (
                f"loads/{month}/{r.source}/in",
                [f"loads/{month}/{r.source}/loaded", f"loads/{month}/{r.source}/quarantined"],
            )
        )
    p.add_table(t_loads)
    refused = frame(
        con,
        "select source_file, message from ops.loads where status = 'failed' and delivery_month <= ? order by load_id",
        [month],
    )
    t_ref = Table("refused_files", "Files refused (loaded whole or not at all)", ["file", "reason"], ["label", "label"])
    t_ref.rows = [[str(r.source_file).rsplit("/", 1)[-1], str(r.message)[:200]] for r in refused.itertuples()]
    p.add_table(t_ref)

    p.heading("Quarantine by rule")
    q = frame(
        con,
        """select source, rule, count(*) as n from (
                        select source, unnest(rules) as rule from ops.quarantine where delivery_month <= ?)
                      group by all order by 1, 3 desc""",
        [month],
    )
    t_q = Table(
        "quarantine_by_rule",
        f"Rows quarantined by source and rule, to {month}",
        ["source", "rule", "rows"],
        ["label", "label", "count"],
        note="A row breaking several rules counts once under each.",
    )
    t_q.rows = [[r.source, r.rule, suppress_count(int(r.n), small_count)] for r in q.itertuples()]
    if not t_q.rows:
        p.text("No rows were quarantined.")
    p.add_table(t_q)

    p.heading("Recording completeness")
    t_c = None
    if has_table(con, "marts", "recording_completeness"):
        df = frame(con, "select * from marts.recording_completeness where month = ?", [month])
        cols = list(df.columns)
        kinds = [
            "count"
            if str(df[c].dtype).startswith(("int", "Int"))
            else ("share" if str(df[c].dtype).startswith("float") else "label")
            for c in cols
        ]
        words = {"share_filled": "share filled (%)", "filled": "records with the field filled"}
        t_c = Table(
            "recording_completeness",
            f"Recording completeness, {month}",
            [words.get(c, c.replace("_", " ")) for c in cols],
            kinds,
            note="Where the records filled, or the records not filled, number from 1 to "
            f"{small_count}, neither the records filled nor the share is shown (with the records they would "
            "give the small number back).",
        )
        for _, r in df.iterrows():
            records, filled = int(r.get("records", 0) or 0), int(r.get("filled", 0) or 0)
            hide = (
                is_small(filled, small_count)
                or is_small(records - filled, small_count)
                or is_small(records, small_count)
            )
            t_c.rows.append(
                [
                    (None if hide and c == "filled" else suppress_count(int(r[c]), small_count))
                    if k == "count"
                    else (None if r[c] != r[c] or hide else round(100 * float(r[c]), 1))
                    if k == "share"
                    else str(r[c]).replace("_", " ")
                    for c, k in zip(cols, kinds, strict=True)
                ]
            )
        p.add_table(t_c)
    else:
        p.missing(
            "Recording completeness (marts.recording_completeness); each theme page shows completeness computed from the marts"
        )

    p.heading("Identity links waiting for review")
    backlog = link_backlog(con)
    if backlog is None:
        p.missing("The link-review queue (core.link_review)")
    else:
        t_b = Table(
            "link_review_backlog",
            "Uncertain identity links waiting for review",
            ["queue", "pairs"],
            ["label", "count"],
            note="Read as a single count from core.link_review.",
        )
        t_b.rows = [["pending review", suppress_count(backlog, small_count)]]
        p.add_table(t_b)
    sub = (
        f"Month {month}. Theme definitions {definitions_version(con)}; data last loaded {last_load(con)}. "
        f"Counts of records from 1 to {small_count} are shown as c."
    )
    target = out / "data-quality.html"
    target.write_text(
        page(
            f"Data quality — {month}",
            p.html(),
            subtitle=sub,
            nav='<a href="index.html">Profile</a> <a href="dictionary.html">Data dictionary</a>',
        ),
        encoding="utf-8",
    )
    return [target]
