"""The local profile, partners' edition: what the marts say, with disclosure control applied.

`build` writes `index.html` (every theme this month against expected, the MAP assessment matrix,
unaddressed contexts, emerging themes) and one page per theme (`theme-<code>.html`: trend with
exceedances beside recording completeness; victims and suspects by age band, sex and ethnic
group; location types; a ward map; day-by-hour heat map; repeat victimisation and the
victim-and-suspect overlap; disproportionality with intervals), plus every table as CSV and XLSX
under `exports/`. The page carries no person-level data: every number is an aggregate, counts
from 1 to `small_count` are `c` with secondary suppression against published totals, and no rate
rests on fewer than `small_count` cases.
"""

from __future__ import annotations

import html
import logging
import re
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

from dashboards import exports, figures
from dashboards.disclosure import Ledger, is_small, rate, suppress_count
from dashboards.reading import (
    columns,
    definitions_version,
    frame,
    has_table,
    last_load,
    months_back,
    theme_labels,
    wards,
)
from dashboards.site import Page, Table, page
from transforms.extracts import vocab
from transforms.extracts.delivery import no_delivery_months

logger = logging.getLogger(__name__)

AGE_BANDS = [
    ("0-9", 0, 9),
    ("10-13", 10, 13),
    ("14-15", 14, 15),
    ("16-17", 16, 17),
    ("18-24", 18, 24),
    ("25+", 25, 200),
]
DAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
HOUR_BLOCKS = ["00-03", "04-07", "08-11", "12-15", "16-19", "20-23"]
# the matrix's rows and columns, in the extract contract's order (transforms/extracts/vocab.py)
CONTEXTS = list(vocab.CONTEXTS)
DOMAINS = list(vocab.DOMAINS)


# The marts' columns this edition reads, by name (docs/warehouse.md and the marts' column
# comments define them). `check_contract` fails loudly, naming every missing column, before a page
# is written: a renamed column never quietly empties a section.
CONTRACT: dict[str, tuple[str, ...]] = {
    "theme_monthly": (
        "theme",
        "month",
        "ward_code",
        "count",
        "expected",
        "lower",
        "upper",
        "exceedance",
        "below_expected",
        "baseline_months",
    ),
    "place_monthly": (
        "place_name",
        "ward_code",
        "theme",
        "month",
        "count",
        "upper",
        "lower",
        "exceedance",
        "below_expected",
        "place_id",
    ),
    "incident": ("incident_key", "month", "themes", "location_type", "ward_code", "day_of_week", "hour_of_day"),
    "involvement": ("incident_key", "person_key", "role", "age_at_event", "sex", "ethnic_group"),
    "person": ("person_key", "ethnic_group"),
    "theme_definition": ("version", "theme", "label", "rule_id", "rule_text", "source"),
    "repeat_involvement": ("theme", "month", "role", "people", "repeat_people"),
    "victim_suspect_overlap": ("theme", "month", "victims", "victims_also_suspect"),
    "referral_gap": ("theme", "month", "young_victims", "without_referral"),
    "disproportionality": (
        "period",
        "theme",
        "role",
        "dimension",
        "category",
        "young_people",
        "population",
        "self_defined",
        "rate_per_1000",
        "ratio",
        "ratio_lower",
        "ratio_upper",
    ),
    "recording_completeness": ("source", "field", "month", "records", "filled", "share_filled"),
    "assessment_cells": ("month", "context", "domain", "assessments"),
    "context_planning": ("month", "context", "with_concern", "with_planned_action"),
    "emerging_theme": (
        "period_end",
        "topic_id",
        "top_terms",
        "baseline_documents",
        "recent_documents",
        "p_value",
        "rising",
    ),
    "place_profile": (
        "place_id",
        "month",
        "place_name",
        "location_type",
        "ward_code",
        "incidents",
        "young_people",
        "group_count",
    ),
    "peer_group_profile": ("as_of_month", "size"),
    "peer_group_event": ("as_of_month", "event"),
    "school_context": ("month", "missing_episodes", "young_people_missing", "exclusions", "young_people_excluded"),
    "public_crime_monthly": ("month", "lsoa_code", "crime_type", "crimes"),
}


class ContractError(RuntimeError):
    """A mart or column the partners' edition reads is missing."""


def check_contract(con: duckdb.DuckDBPyConnection) -> None:
    """Raise ContractError naming every mart column the edition reads that the warehouse lacks."""
    missing = [
        f"marts.{t}.{c}"
        for t, cols in CONTRACT.items()
        for have in [set(columns(con, "marts", t))]
        for c in cols
        if c not in have
    ]
    if missing:
        raise ContractError("the partners' edition reads columns the warehouse does not have: " + ", ".join(missing))


@dataclass
class Context:
    """What every page of one build shares."""

    con: duckdb.DuckDBPyConnection
    month: str
    small: int
    version: str
    loaded: str
    labels: dict[str, str]
    months: list[str]
    window: list[str]
    undelivered: frozenset[str] = frozenset()  # months with no delivery: counts unknown, not zero
    hide: frozenset[str] = frozenset()  # counts shown as c whatever their size (small revisions)

    @property
    def period(self) -> str:
        return f"{self.window[0]} to {self.window[-1]}"

    def subtitle(self) -> str:
        return (
            f"Month {self.month}. Theme definitions {self.version}; data last loaded {self.loaded}. "
            f"Symbols: c confidential (a count from 1 to {self.small}, or another count hidden so that none can "
            f"be worked back); 0 none; x not recorded by the source; z not applicable; – a rate or share not "
            f"shown (it would rest on a c or on fewer than {self.small} cases)."
            + (
                f" A month shown as c here though earlier editions gave it a number changed by 1 to {self.small} "
                "through late records: the change is held back until it is larger."
                if self.hide
                else ""
            )
        )


def _nav(themes: list[str], ctx: Context | None = None) -> str:
    labels = ctx.labels if ctx is not None else {}
    links = ['<a href="index.html">Profile</a>'] + [
        f'<a href="theme-{html.escape(t)}.html">{html.escape(labels.get(t, t))}</a>' for t in themes
    ]
    links += [
        '<a href="data-quality.html">Data quality</a>',
        '<a href="dictionary.html">Data dictionary</a>',
        '<a href="exports/">Exports</a>',
    ]
    return " ".join(links)


def _themes(ctx: Context) -> list[str]:
    found = [r[0] for r in ctx.con.execute("select distinct theme from marts.theme_monthly order by 1").fetchall()]
    order = list(ctx.labels)
    return sorted(found, key=lambda t: (order.index(t) if t in order else 99, t))


def monthly_series(ctx: Context, theme: str) -> pd.DataFrame:
    """Borough-wide monthly counts of `theme` with expected levels (NaN when not modelled)."""
    base = pd.DataFrame({"month": ctx.months})
    df = frame(
        ctx.con,
        """select month, count, expected, lower, upper, exceedance, below_expected
                           from marts.theme_monthly where theme = ? and ward_code is null and month <= ?""",
        [theme, ctx.month],
    )
    out = base.merge(df, on="month", how="left")
    out["count"] = out["count"].astype(float).fillna(0).where(~out["month"].isin(ctx.undelivered))
    out["exceedance"] = out["exceedance"].fillna(False).astype(bool)
    out["below_expected"] = out["below_expected"].fillna(False).astype(bool)
    return out


NO_DELIVERY = "no delivery"


def _people_query(ctx: Context, theme: str, dimension: str) -> tuple[list[str], dict[str, list[int]]]:
    con = ctx.con
    if dimension == "age band":
        cases = " ".join(f"when v.age_at_event between {lo} and {hi} then '{name}'" for name, lo, hi in AGE_BANDS)
        expr, cats = f"case {cases} else 'unknown' end", [b[0] for b in AGE_BANDS] + ["unknown"]
    elif dimension == "sex":
        expr, cats = "coalesce(v.sex, 'unknown')", ["F", "M", "X", "unknown"]
    else:
        # the resolved person's group (self-defined where any source records one, marts.person),
        # the record's officer-defined code only for a person not resolved
        expr = "coalesce(nullif(p.ethnic_group, 'unknown'), v.ethnic_group, 'unknown')"
        cats = ["asian", "black", "mixed", "white", "other", "unknown"]
    df = frame(
        con,
        f"""
        select case when v.role = 'victim' then 'victims' else 'suspects' end as who, {expr} as cat,
               count(*) as n
        from marts.involvement v join marts.incident i using (incident_key)
        left join marts.person p on p.person_key = v.person_key
        where list_contains(i.themes, ?) and i.month between ? and ? and v.role in ('victim', 'suspect', 'accused')
        group by all""",
        [theme, *_in_window(ctx)],
    )
    cats += sorted(set(df["cat"]) - set(cats))
    return cats, {
        who: [int(df[(df.who == who) & (df.cat == c)]["n"].sum()) for c in cats] for who in ("victims", "suspects")
    }


def _by_query(ctx: Context, theme: str, col: str) -> tuple[list[str], list[int]]:
    df = frame(
        ctx.con,
        f"""select coalesce({col}, 'none recorded') as cat, count(*) as n from marts.incident
        where list_contains(themes, ?) and month between ? and ? group by 1 order by 2 desc, 1""",
        [theme, *_in_window(ctx)],
    )
    return [str(c) for c in df["cat"]], [int(n) for n in df["n"]]


_MONTH_COUNT = re.compile(r"[^/]+/\d{4}-\d{2}")


def is_month_count(name: str) -> bool:
    """A theme's count for one month (`ThemeNumbers.month`): locked, so a `c` there was the
    month's own size (1 to the threshold) in that edition, whatever else it showed."""
    return bool(_MONTH_COUNT.fullmatch(name))


@dataclass
class ThemeNumbers:
    """One theme's published counts, registered in one ledger (every breakdown of the theme's
    12-month total is related to it) and suppressed together before anything is drawn."""

    theme: str
    series: pd.DataFrame
    ledger: Ledger
    total: str  # the name of the 12-month total
    people: dict[str, tuple[list[str], dict[str, list[int]]]]
    places: dict[str, tuple[list[str], list[int]]]
    day_hour: list[list[int]]
    withdrawn: frozenset[str] = frozenset()  # breakdowns not shown (see theme_numbers)

    def month(self, m: str) -> str:
        return f"{self.theme}/{m}"

    def shown(self, name: str) -> int | None:
        return self.ledger.get(name)


def theme_numbers(ctx: Context, theme: str, withdrawn: frozenset[str] = frozenset()) -> ThemeNumbers:
    """Read `theme`'s counts, relate them and suppress them together.

    A month's count is locked (suppressed only for its own size, so every edition shows it the
    same way); the 12-month total is the sum of the window's months and of each breakdown
    (location type, ward, day and time with the incidents of unknown time unpublished), so a
    suppressed month makes the total `c` and the breakdowns then keep it from being worked back.
    Victims and suspects by age band, sex and ethnic group share an unpublished total each.
    A breakdown whose small counts only a month could protect (a first edition whose 12-month
    total is one month, all of it small cells) is withdrawn whole: `withdrawn` names it, and the
    page says it is not shown.
    """
    led = Ledger(ctx.small, ctx.hide)
    s = monthly_series(ctx, theme)
    window: list[str] = []
    for m, v in zip(s["month"], s["count"], strict=True):
        if pd.isna(v):
            continue  # no delivery: unknown, outside every total
        led.add(f"{theme}/{m}", int(v), locked=True)
        if m in ctx.window:
            window.append(f"{theme}/{m}")
    total = f"{theme}/12m/{ctx.window[-1]}"
    led.add(total, sum(led.values[n] for n in window))
    led.relate(total, window)
    per = f"{theme}/{ctx.period}"
    places: dict[str, tuple[list[str], list[int]]] = {}
    for what, col in (("location type", "location_type"), ("ward", "ward_code")):
        cats, vals = _by_query(ctx, theme, col)
        if col in withdrawn:
            places[what] = ([], [])
            continue
        if sum(vals) != led.values[total]:
            logger.warning(
                "%s: incidents by %s (%d) differ from the 12-month total (%d)",
                theme,
                what,
                sum(vals),
                led.values[total],
            )
            led.add(f"{per}/{col}/all", sum(vals), published=False)
            led.relate(f"{per}/{col}/all", [led.add(f"{per}/{col}/{c}", v) for c, v in zip(cats, vals, strict=True)])
        else:
            led.relate(total, [led.add(f"{per}/{col}/{c}", v) for c, v in zip(cats, vals, strict=True)])
        places[what] = (cats, vals)
    df = frame(
        ctx.con,
        """select day_of_week as d, hour_of_day // 4 as h, count(*) as n from marts.incident
        where list_contains(themes, ?) and month between ? and ? and day_of_week is not null group by all""",
        [theme, *_in_window(ctx)],
    )
    z = [[int(df[(df.d == d) & (df.h == h)]["n"].sum()) for h in range(6)] for d in range(7)]
    if "dh" in withdrawn:
        z = []
    cells = [] if not z else [led.add(f"{per}/dh/{d}/{h}", z[d][h]) for d in range(7) for h in range(6)]
    unknown_time = led.values[total] - sum(map(sum, z))
    if z and unknown_time >= 0:
        cells.append(led.add(f"{per}/dh/unknown", unknown_time, published=False))
        led.relate(total, cells)
    people: dict[str, tuple[list[str], dict[str, list[int]]]] = {}
    for dim in ("age band", "sex", "ethnic group"):
        cats, raw = _people_query(ctx, theme, dim)
        people[dim] = (cats, raw)
        for who, vals in raw.items():
            whole = led.add(f"{per}/{who}", sum(vals), published=False)
            led.relate(whole, [led.add(f"{per}/{who}/{dim}/{c}", v) for c, v in zip(cats, vals, strict=True)])
    led.solve(allow_locked=False)
    if led.unprotectable:
        # withdraw the breakdowns holding them (never a month: months are the same in every edition)
        more = {
            part
            for name in led.unprotectable
            for part in ("location_type", "ward_code", "dh")
            if name.startswith(f"{per}/{part}/")
        }
        if not more - withdrawn:
            raise ValueError(f"{theme}: cannot protect {led.unprotectable[:3]}")
        logger.info(
            "%s: %s withdrawn for %s (their small counts could only be protected by a month)",
            theme,
            sorted(more),
            ctx.month,
        )
        return theme_numbers(ctx, theme, withdrawn | more)
    return ThemeNumbers(theme, s, led, total, people, places, z, withdrawn)


def suppressed_series(ctx: Context, nums: ThemeNumbers) -> list[int | str | None]:
    """Monthly counts after suppression; 'no delivery' for a month whose count is unknown."""
    return [
        NO_DELIVERY if pd.isna(v) else nums.shown(nums.month(m))
        for m, v in zip(nums.series["month"], nums.series["count"], strict=True)
    ]


def _num(v: object) -> float | None:
    return None if v is None or pd.isna(v) else round(float(v), 1)  # type: ignore[arg-type]


def _exceeds(flag: object, shown: object, below: object = False) -> str:
    """Where a month stood against its expected range: above, well below (a fall) or within;
    never said of a suppressed count (a flag beside a limit would narrow it): c; z for a month
    with no delivery."""
    if shown is None:
        return "c"
    if isinstance(shown, str):
        return "z"
    return "above" if bool(flag) else "well below" if bool(below) else "within"


def headline(ctx: Context, themes: list[str], numbers: dict[str, ThemeNumbers]) -> Table:
    """Every theme: this month against expected, and the last 12 months."""
    t = Table(
        "headline",
        f"Themed incidents in {ctx.month} against the expected level, and in {ctx.period}",
        [
            "theme",
            f"incidents {ctx.month}",
            "expected",
            "expected range low",
            "expected range high",
            "against the expected range",
            f"incidents {ctx.period}",
        ],
        ["label", "count", "model", "model", "model", "label", "count"],
        note="Expected levels and ranges from the theme model (marts.theme_monthly). A 12-month total is c "
        "when a month in it is c, so that no two editions' totals can be subtracted to give a month.",
    )
    gaps = [m for m in ctx.window if m in ctx.undelivered]
    if gaps:
        t.note += f" No delivery for {', '.join(gaps)}: those months are left out of the {ctx.period} totals."
    for i, theme in enumerate(themes):
        nums = numbers[theme]
        s = nums.series
        last = s.iloc[-1]
        shown = suppressed_series(ctx, nums)[-1]
        t.rows.append(
            [
                ctx.labels.get(theme, theme),
                shown,
                _num(last["expected"]),
                _num(last["lower"]),
                _num(last["upper"]),
                _exceeds(last["exceedance"], shown, last["below_expected"]),
                nums.shown(nums.total),
            ]
        )
        if not isinstance(shown, str):
            t.quantities[(i, 1)] = nums.month(ctx.month)
        t.quantities[(i, 6)] = nums.total
    return t


def _in_window(ctx: Context) -> list[object]:
    return [ctx.window[0], ctx.window[-1]]


def people_by(ctx: Context, nums: ThemeNumbers, dimension: str) -> Table:
    """Victims and suspects of the theme's incidents in the window by age band, sex or ethnic group."""
    theme = nums.theme
    per = f"{theme}/{ctx.period}"
    cats, raw = nums.people[dimension]
    t = Table(
        f"{theme}_people_by_{dimension.replace(' ', '_')}",
        f"Victims and suspects of {ctx.labels.get(theme, theme)} incidents by {dimension}, {ctx.period}",
        [dimension, "victims", "suspects"],
        ["label", "count", "count"],
        note="People counted once per incident (a person in two incidents counts twice); "
        "roles belong to incidents, not to children."
        + (
            " Ethnic group: the person's self-defined group where social care or education records one, "
            "otherwise the police officer-defined code."
            if dimension == "ethnic group"
            else ""
        ),
    )
    for i, c in enumerate(cats):
        t.rows.append([c] + [nums.shown(f"{per}/{who}/{dimension}/{c}") for who in ("victims", "suspects")])
        t.quantities |= {(i, 1): f"{per}/victims/{dimension}/{c}", (i, 2): f"{per}/suspects/{dimension}/{c}"}
    t.relations = [(f"{per}/{who}", [f"{per}/{who}/{dimension}/{c}" for c in cats]) for who in ("victims", "suspects")]
    return t


def incidents_by(ctx: Context, nums: ThemeNumbers, what: str) -> tuple[Table, list[str], list[int | None]]:
    """Incidents of the theme in the window by location type or ward (their total is published)."""
    theme = nums.theme
    col = "location_type" if what == "location type" else "ward_code"
    per = f"{theme}/{ctx.period}"
    cats, _ = nums.places[what]
    names = [f"{per}/{col}/{c}" for c in cats]
    sup = [nums.shown(n) for n in names]
    t = Table(
        f"{theme}_incidents_by_{col}",
        f"{ctx.labels.get(theme, theme)} incidents by {what}, {ctx.period}",
        [what, "incidents"],
        ["label", "count"],
    )
    t.rows = [[c, v] for c, v in zip(cats, sup, strict=True)]
    t.quantities = {(i, 1): n for i, n in enumerate(names)}
    rel = next((tot for tot, parts in nums.ledger.relations if parts == names), nums.total)
    t.relations = [(rel, names)]
    return t, cats, sup


def day_hour(ctx: Context, nums: ThemeNumbers) -> tuple[Table, list[list[int | None]]]:
    """Incidents of the theme in the window by day of week and four-hour block."""
    theme = nums.theme
    per = f"{theme}/{ctx.period}"
    zs = [[nums.shown(f"{per}/dh/{d}/{h}") for h in range(6)] for d in range(7)]
    t = Table(
        f"{theme}_day_hour",
        f"{ctx.labels.get(theme, theme)} incidents by day and time of day, {ctx.period}",
        ["day"] + HOUR_BLOCKS,
        ["label"] + ["count"] * 6,
        note="Time is the start of the window in which the offence happened.",
    )
    t.rows = [[DAYS[d]] + zs[d] for d in range(7)]
    t.quantities = {(d, h + 1): f"{per}/dh/{d}/{h}" for d in range(7) for h in range(6)}
    t.relations = [r for r in nums.ledger.relations if f"{per}/dh/0/0" in r[1]]
    return t, zs


def repeats(ctx: Context, theme: str) -> Table:
    """Repeat victimisation (marts.repeat_involvement) and the victim-and-suspect overlap
    (marts.victim_suspect_overlap) for `theme`, as of this month."""
    rep = frame(
        ctx.con,
        "select role, people, repeat_people from marts.repeat_involvement where theme = ? and month = ?",
        [theme, ctx.month],
    )
    ov = frame(
        ctx.con,
        "select victims, victims_also_suspect from marts.victim_suspect_overlap where theme = ? and month = ?",
        [theme, ctx.month],
    )
    t = Table(
        f"{theme}_repeat_overlap",
        f"Repeat involvement and victims also recorded as suspects, {ctx.labels.get(theme, theme)}: people involved in {ctx.month}",
        ["measure", "people", "of", "share (%)"],
        ["label", "count", "count", "share"],
        note="Repeat: a young person involved in two or more incidents of the theme within 12 months "
        "(marts.repeat_involvement). Overlap: a victim also recorded as a suspect within 12 months either "
        "side (marts.victim_suspect_overlap) — a pattern across incidents, not a label for a child. "
        f"A share is not shown when its count is c or rests on fewer than {ctx.small} people.",
    )
    led = Ledger(ctx.small, ctx.hide)
    rows = []
    for r in rep.itertuples():
        n, d = int(r.repeat_people), int(r.people)
        rows.append((f"{r.role}s involved in 2+ incidents", n, d))
    for r in ov.itertuples():
        rows.append(("victims also recorded as suspects", int(r.victims_also_suspect), int(r.victims)))
    for i, (_name, n, d) in enumerate(rows):
        # the part, the rest and the whole: a whole shown beside a c part would not give it away
        # only if the rest is c as well
        whole = led.add(f"{i}/of", d)
        led.relate(whole, [led.add(f"{i}/n", n), led.add(f"{i}/rest", d - n, published=False)])
    led.solve()
    for i, (name, _n, _d) in enumerate(rows):
        n_s, d_s = led.get(f"{i}/n"), led.get(f"{i}/of")
        t.rows.append([name, n_s, d_s, rate(n_s, d_s, ctx.small)])
    return t


def disproportionality(ctx: Context, theme: str) -> tuple[Table, object]:
    """Young people aged 10-17 per 1,000 children of their group, and the ratio to the borough
    rate with 95% intervals, over the last 12 months (marts.disproportionality). The ethnic group
    is the resolved person's self-defined group where any source (social care, education)
    records one, the police officer-defined code only where nothing else exists; when nobody
    in a role has a self-defined group, 'mixed' (which officer-defined codes cannot record) is x.
    Counts by group and by sex share each role's total: suppressed together."""
    df = frame(
        ctx.con,
        """select role, dimension, category, young_people, self_defined, rate_per_1000, ratio,
                                  ratio_lower, ratio_upper from marts.disproportionality
                           where theme = ? and period = 'last_12_months' and dimension in ('ethnic_group', 'sex')
                           order by role desc, dimension, category""",
        [theme],
    )
    name = ctx.labels.get(theme, theme)
    led = Ledger(ctx.small, ctx.hide)
    notes = []
    for role, g in df.groupby("role", sort=False):
        for dim, gg in g.groupby("dimension"):
            # a person whose records give two officer-defined groups counts in both: a total per dimension
            whole = led.add(f"{role}/{dim}", int(gg["young_people"].sum()), published=False)
            led.relate(
                whole,
                [led.add(f"{role}/{dim}/{c}", int(n)) for c, n in zip(gg["category"], gg["young_people"], strict=True)],
            )
        eth = g[g["dimension"] == "ethnic_group"]
        n_all, n_self = int(eth["young_people"].sum()), int(eth["self_defined"].fillna(0).sum())
        notes.append(
            f"{role}s: "
            + (
                "no self-defined ethnic group recorded; officer-defined codes only, so mixed is x"
                if n_self == 0
                else f"{rate(n_self, n_all, ctx.small) or 'c'}% with a self-defined "
                "ethnic group, the rest officer-defined"
            )
        )
    led.solve()
    t = Table(
        f"{theme}_disproportionality",
        f"Young people aged 10-17 per 1,000 children of the group, and the ratio to the borough rate, {name}, "
        "last 12 months",
        ["role and group", "young people", "rate per 1,000", "ratio to borough", "ratio low", "ratio high"],
        ["label", "count", "rate", "ratio", "ratio", "ratio"],
        note=f"95% confidence intervals (Byar). Not shown beside c or for fewer than {ctx.small} young people. "
        "A ratio whose interval includes 1 is no evidence of a difference. Ethnic group: " + "; ".join(notes) + ".",
    )
    labels, vals, los, his = [], [], [], []
    for r in df.itertuples():
        label = f"{r.role}s, {str(r.dimension).replace('_', ' ')}: {r.category}"
        officer_only = (
            r.dimension == "ethnic_group"
            and r.category == "mixed"
            and int(df[(df.role == r.role) & (df.dimension == "ethnic_group")]["self_defined"].fillna(0).sum()) == 0
        )
        n = led.get(f"{r.role}/{r.dimension}/{r.category}")
        ok = n is not None and n >= ctx.small and not officer_only
        shown = [_num(v) if ok else None for v in (r.rate_per_1000, r.ratio, r.ratio_lower, r.ratio_upper)]
        t.rows.append([label, "x" if officer_only else n] + shown)
        labels.append(label)
        vals.append(shown[1])
        los.append(shown[2])
        his.append(shown[3])
    fig = figures.intervals(
        labels,
        vals,
        los,
        his,
        reference=1.0,
        title=f"{name}: ratio of the group's rate to the borough rate, with 95% intervals",
        x_title="Rate ratio (1 = borough rate)",
        y_title="Role and group",
    )
    return t, fig


def completeness(ctx: Context, theme: str) -> object:
    """Recording completeness by month of the police fields a theme's breakdowns rest on
    (marts.recording_completeness); a share is not drawn where it would rest on fewer than
    `small` records or give back a small count of filled or unfilled records."""
    df = frame(
        ctx.con,
        """select source, field, month, records, filled, share_filled from marts.recording_completeness
                           where month <= ? and (source, field) in (select * from (values
                             ('police_crimes', 'ward_code'), ('police_crimes', 'location'), ('police_persons', 'sex'),
                             ('police_persons', 'ethnicity'), ('police_persons', 'date_of_birth')))""",
        [ctx.month],
    )
    series: dict[str, list[float | None]] = {}
    for (src, fld), g in df.groupby(["source", "field"]):
        by = {r.month: r for r in g.itertuples()}
        vals: list[float | None] = []
        for m in ctx.months:
            r = by.get(m)
            if (
                r is None
                or is_small(int(r.filled), ctx.small)
                or is_small(int(r.records) - int(r.filled), ctx.small)
                or int(r.records) < ctx.small
            ):
                vals.append(None)
            else:
                vals.append(round(float(r.share_filled) * 100, 1))
        series[f"{src.replace('_', ' ')}: {fld.replace('_', ' ')}"] = vals
    return figures.share_lines(
        ctx.months, series, title=f"Recording completeness of police fields by month, {ctx.months[0]} to {ctx.month}"
    )


def theme_page(ctx: Context, nums: ThemeNumbers, themes: list[str], out: Path) -> tuple[Path, list[Table]]:
    """One theme's page."""
    theme = nums.theme
    name = ctx.labels.get(theme, theme)
    p = Page(f"theme-{theme}")
    s = nums.series
    sup = suppressed_series(ctx, nums)
    last = s.iloc[-1]
    exp = _num(last["expected"])
    state = {
        "above": "above the expected range",
        "within": "within the expected range",
        "well below": "well below the expected range (a fall: less harm, or less recording or contact)",
        "c": "where it stood against the expected range is not said of a count shown as c",
        "z": "no delivery",
    }[_exceeds(last["exceedance"], sup[-1], last["below_expected"])]
    p.heading(f"{ctx.month} against expected")
    p.text(
        f"{name} incidents in {ctx.month}: {'c' if sup[-1] is None else sup[-1] if isinstance(sup[-1], str) else f'{sup[-1]:,}'}; expected "
        f"{'not modelled' if exp is None else f'{exp:.1f} (range {_num(last.lower)} to {_num(last.upper)})'}; "
        f"{state}.",
        cls="",
    )
    has_model = not s["expected"].isna().all()
    fig = figures.trend(
        list(s["month"]),
        sup,
        expected=[_num(v) for v in s["expected"]] if has_model else None,
        lower=[_num(v) for v in s["lower"]] if has_model else None,
        upper=[_num(v) for v in s["upper"]] if has_model else None,
        exceedance=[bool(x) and isinstance(c, int) for x, c in zip(s["exceedance"], sup, strict=True)]
        if has_model
        else None,
        title=f"{name}: incidents per month, {s['month'].iloc[0]} to {ctx.month}, against the expected range",
        y_title="Incidents (count per month)",
    )
    p.heading("Trend and recording completeness")
    if not has_model:
        p.missing("Expected levels and exceedances (marts.theme_monthly)")
    p.pair(p.figure(fig), p.figure(completeness(ctx, theme)))
    tables: list[Table] = []
    trend_t = Table(
        f"{theme}_monthly",
        f"{name} incidents per month",
        ["month", "incidents", "expected", "low", "high", "against the expected range"],
        ["label", "count", "model", "model", "model", "label"],
    )
    trend_t.rows = [
        [m, c, _num(e), _num(lo), _num(hi), _exceeds(x, c, b)]
        for m, c, e, lo, hi, x, b in zip(
            s["month"], sup, s["expected"], s["lower"], s["upper"], s["exceedance"], s["below_expected"], strict=True
        )
    ]
    trend_t.quantities = {
        (i, 1): nums.month(m) for i, (m, c) in enumerate(zip(s["month"], sup, strict=True)) if not isinstance(c, str)
    }
    trend_t.relations = [r for r in nums.ledger.relations if r[0] == nums.total][:1]
    tables.append(trend_t)
    p.add(f"<details><summary>Monthly counts as a table</summary>{p.table(trend_t)}</details>")

    p.heading("Who: victims and suspects")
    for dim in ("age band", "sex", "ethnic group"):
        t = people_by(ctx, nums, dim)
        tables.append(t)
        fig = figures.grouped_bars(
            [r[0] for r in t.rows],
            {"victims": [r[1] for r in t.rows], "suspects": [r[2] for r in t.rows]},
            title=f"{name}: victims and suspects by {dim}, {ctx.period}",
            x_title=dim.capitalize(),
            y_title="People per incident (count)",
        )
        p.pair(p.figure(fig), p.table(t))

    p.heading("Where")
    withheld = f"too few incidents in {ctx.period} to show them by {{}} without revealing counts from 1 to {ctx.small}"
    if "location_type" in nums.withdrawn:
        p.text(f"Location types not shown: {withheld.format('location type')}.", cls="na")
    else:
        t, cats, vals = incidents_by(ctx, nums, "location type")
        tables.append(t)
        p.pair(
            p.figure(
                figures.bar_counts(
                    cats,
                    vals,
                    horizontal=True,
                    title=f"{name}: incidents by location type, {ctx.period}",
                    x_title="Incidents (count)",
                    y_title="Location type",
                )
            ),
            p.table(t),
        )
    if "ward_code" in nums.withdrawn:
        p.text(f"Wards not shown: {withheld.format('ward')}.", cls="na")
    else:
        _ward_section(ctx, nums, p, tables, name)

    p.heading("When")
    if "dh" in nums.withdrawn:
        p.text(f"Day and time not shown: {withheld.format('day and time')}.", cls="na")
    else:
        t, z = day_hour(ctx, nums)
        tables.append(t)
        p.add_figure(
            figures.heatmap(
                z,
                HOUR_BLOCKS,
                DAYS,
                title=f"{name}: incidents by day and time of day, {ctx.period}",
                x_title="Time of day (hours, 4-hour blocks)",
                y_title="Day of week",
                colour_title="Incidents (count)",
                small=ctx.small,
            )
        )
    _rest_of_page(ctx, nums, p, tables, name, themes, out)
    target = out / f"theme-{theme}.html"
    target.write_text(
        page(f"{name} — local profile {ctx.month}", p.html(), depth=1, subtitle=ctx.subtitle(), nav=_nav(themes, ctx)),
        encoding="utf-8",
    )
    return target, tables


def _ward_section(ctx: Context, nums: ThemeNumbers, p: Page, tables: list[Table], name: str) -> None:
    t, cats, vals = incidents_by(ctx, nums, "ward")
    names, feats = wards(ctx.con)
    pop = dict(
        ctx.con.execute("""select category, max(population) from marts.disproportionality
                                  where dimension = 'ward' group by 1""").fetchall()
    )
    t.columns = [t.columns[0], t.columns[1], "per 1,000 children aged 10-17 living in the ward"]
    t.kinds = ["label", "count", "rate"]
    t.note = (
        "Incidents in the ward per 1,000 children aged 10-17 of its population (core.population through "
        "marts.disproportionality), not shown beside c."
    )
    t.rows = [[names.get(r[0], r[0]), r[1], rate(r[1], pop.get(r[0]), ctx.small, per=1000.0)] for r in t.rows]
    tables.append(t)
    if feats:
        values = dict.fromkeys(names, 0) | dict(zip(cats, vals, strict=True))
        mp = figures.ward_map(
            feats,
            values,
            names,
            title=f"{name}: incidents by ward, {ctx.period} (c = 1 to {ctx.small})",
            colour_title="Incidents (count)",
        )
        p.pair(p.figure(mp), p.table(t))
    else:
        p.missing("Ward boundaries")
        p.add_table(t)


def _rest_of_page(
    ctx: Context, nums: ThemeNumbers, p: Page, tables: list[Table], name: str, themes: list[str], out: Path
) -> None:
    theme = nums.theme
    p.heading("Repeat victimisation and overlap")
    t = repeats(ctx, theme)
    tables.append(t)
    p.add_table(t)

    p.heading("Disproportionality")
    d = disproportionality(ctx, theme)
    tables.append(d[0])
    p.pair(p.figure(d[1]), p.table(d[0]))


def assessment_matrix(ctx: Context, p: Page) -> list[Table]:
    """The MAP assessment matrix across cases: assessments recording each cell (context by
    domain, marts.assessment_cells), and the share of contexts with vulnerability or risk that
    have a planned action (marts.context_planning)."""
    con = ctx.con
    tables: list[Table] = []
    p.heading("MAP assessments: the contextual matrix across cases", anchor="map")
    # every assessment up to the edition's month (a later edition adds later meetings), each cell
    # rounded up to a multiple of 5 (`_cumulative`): two editions' matrices never differ by an
    # exact count of one month's assessments
    df = frame(
        con,
        "select context, domain, sum(assessments) as assessments from marts.assessment_cells "
        "where month <= ? group by all",
        [ctx.month],
    )
    ctxs = CONTEXTS + sorted(set(df["context"].dropna()) - set(CONTEXTS))
    doms = DOMAINS + sorted(set(df["domain"].dropna()) - set(DOMAINS))
    raw = [[int(df[(df.context == c) & (df.domain == d)]["assessments"].sum()) for d in doms] for c in ctxs]
    z = [[_cumulative(v, ctx.small) for v in row] for row in raw]
    p.add_figure(
        figures.heatmap(
            z,
            [d.replace("_", " ") for d in doms],
            [c.replace("_", " ") for c in ctxs],
            title=f"MAP assessments recording each cell of the matrix, by context and domain, meetings to {ctx.month}",
            x_title="Domain of the assessment matrix",
            y_title="Context",
            colour_title="Assessments (count)",
            small=ctx.small,
        )
    )
    t = Table(
        "assessment_matrix",
        f"MAP assessments recording each cell of the matrix (context by domain), meetings to {ctx.month}",
        ["context"] + [d.replace("_", " ") for d in doms],
        ["label"] + ["count"] * len(doms),
        note="A cell counts when the assessment recorded anything in it: factor codes, Good Lives goods, or text "
        "(which is never published). Counts to date are rounded up to a multiple of 5 (c: 1 to 5), so that "
        "comparing two editions never gives one month's assessments. No totals are shown.",
    )
    t.rows = [[c.replace("_", " ")] + z[i] for i, c in enumerate(ctxs)]
    tables.append(t)
    p.add(f"<details><summary>The matrix as a table</summary>{p.table(t)}</details>")
    plan = frame(
        con,
        "select context, sum(with_concern) as with_concern, sum(with_planned_action) as with_planned_action "
        "from marts.context_planning where month <= ? group by all",
        [ctx.month],
    )
    got = {r.context: (int(r.with_planned_action), int(r.with_concern)) for r in plan.itertuples()}
    rows = [(c, *got.get(c, (0, 0))) for c in ctxs]
    shown = [_cumulative_share(n, d, ctx.small) for _, n, d in rows]
    t2 = Table(
        "context_planning",
        "Contexts recorded with vulnerability or risk, and how many have a planned action",
        [
            "context",
            "assessments with vulnerability or risk in the context",
            "with a planned action for it",
            "share with a planned action (%)",
        ],
        ["label", "count", "count", "share"],
        note="A planned action: a planned_actions cell with factor codes or Good Lives goods for the same context. "
        "Counts to date rounded up to a multiple of 5 (c: 1 to 5); the share is of the rounded counts.",
    )
    t2.rows = [[c.replace("_", " "), d, n, sh] for (c, _, _), (n, d, sh) in zip(rows, shown, strict=True)]
    tables.append(t2)
    p.pair(
        p.figure(
            figures.bar_counts(
                [str(r[0]) for r in t2.rows],
                [r[3] for r in t2.rows],
                measure="share",
                title="Share of contexts with vulnerability or risk that have a planned action (%)",
                x_title="Context",
                y_title="Share with a planned action (%)",
            )
        ),
        p.table(t2),
    )
    return tables


def emerging(ctx: Context, p: Page) -> list[Table]:
    """Emerging topics in crime and MAP text (marts.emerging_theme, the latest period to this
    month): each topic in plain words (its top terms), records in the baseline months and in the
    last two months, and whether it is rising. No shares (a share of a suppressed count gives it
    back from the visible rows) and no total beside its parts; a p-value only where both counts
    are shown."""
    p.heading("Emerging topics in recorded text")
    df = frame(
        ctx.con,
        """select topic_id, top_terms, baseline_documents, recent_documents, p_value, rising
                           from marts.emerging_theme
                           where period_end = (select max(period_end) from marts.emerging_theme where period_end <= ?)
                           order by rising desc, p_value, topic_id""",
        [ctx.month],
    )
    t = Table(
        "emerging_theme",
        f"Topics in crime and MAP text, {ctx.period}: records in the earlier months and in the last two months",
        ["topic (its most telling words)", "records, earlier months", "records, last two months", "rising", "p-value"],
        ["label", "count", "count", "label", "number"],
        note="Topics found by NMF over TF-IDF of the text (docs/themes.md); a topic is rising when its "
        "records in the last two months are far above what its earlier share predicts (Poisson tail "
        "p < 0.001, at least 4 records). The text itself is never published. The p-value is not shown "
        "beside a count shown as c.",
    )
    for r in df.itertuples():
        base, recent = (
            suppress_count(int(r.baseline_documents), ctx.small),
            suppress_count(int(r.recent_documents), ctx.small),
        )
        terms = r.top_terms if isinstance(r.top_terms, str) else ", ".join(map(str, r.top_terms))
        pv = None if base is None or recent is None or pd.isna(r.p_value) else float(f"{float(r.p_value):.3g}")
        t.rows.append([terms, base, recent, "rising" if bool(r.rising) else "not rising", pv])
    rising = [row[0] for row in t.rows if row[3] == "rising"]
    p.text("Rising this month: " + ("; ".join(rising) if rising else "none") + ".", cls="")
    p.add(f"<details><summary>Every topic as a table</summary>{p.table(t)}</details>")
    return [t]


def definitions(ctx: Context, themes: list[str]) -> str:
    """Each theme's definition in words (marts.theme_definition): what an incident must show."""
    df = frame(
        ctx.con,
        "select theme, rule_text, any_value(source) over (partition by theme) as source "
        "from marts.theme_definition where version = ? order by theme, rule_id",
        [ctx.version],
    )
    items = []
    for theme in themes:
        g = df[df["theme"] == theme]
        rules = "; or ".join(str(r) for r in g["rule_text"])
        source = str(g["source"].iloc[0]) if len(g) else ""
        items.append(
            f"<dt>{html.escape(ctx.labels.get(theme, theme))}</dt><dd>An incident counts when it is "
            f"{html.escape(rules or 'not defined in this warehouse')}. "
            f'<span class="note">{html.escape(source)}</span></dd>'
        )
    return (
        "<details><summary>What each theme counts (definitions "
        + html.escape(ctx.version)
        + ")</summary><dl>"
        + "".join(items)
        + "</dl></details>"
    )


def build(
    con: duckdb.DuckDBPyConnection,
    month: str,
    out: Path,
    *,
    small_count: int = 5,
    commentary: Path | None = None,
    hide: frozenset[str] = frozenset(),
) -> list[Path]:
    """Write the partners' edition pages and exports for `month` into `out`; returns the files.
    `commentary`: the analyst's Markdown for the month (inbox `commentary/YYYY-MM.md`); `hide`:
    counts to show as `c` whatever their size (revised by a small count since an earlier edition)."""
    # the series start where the theme model starts (its first delivery month): incidents
    # recorded late from before it would otherwise show as a month of zeros
    check_contract(con)
    first = con.execute("select min(month) from marts.theme_monthly").fetchall()[0][0] or month
    all_months = months_back(month, 600)
    months = [m for m in all_months if m >= first]
    undelivered = frozenset(no_delivery_months(con)) if has_table(con, "ops", "loads") else frozenset()
    ctx = Context(
        con,
        month,
        small_count,
        definitions_version(con),
        last_load(con),
        theme_labels(con),
        months,
        months_back(month, 12),
        undelivered,
        hide,
    )
    themes = _themes(ctx)
    written: list[Path] = []
    tables: list[Table] = []
    numbers = {theme: theme_numbers(ctx, theme) for theme in themes}
    p = Page("index")
    p.heading("Key findings", anchor="findings")
    found = key_findings(ctx, themes, numbers)
    groups: dict[str, list[str]] = {g: [] for g in FINDING_GROUPS}
    for f in found:
        groups[_finding_group(f)].append(f)
    items = "".join(
        f'<h3>{html.escape(g)}</h3><ul class="findings">' + "".join(f"<li>{html.escape(f)}</li>" for f in fs) + "</ul>"
        for g, fs in groups.items()
        if fs
    )
    items = items or '<ul class="findings"><li>No finding met the rules this month.</li></ul>'
    rules = "".join(f"<li>{html.escape(r)}</li>" for r in RULES)
    p.pair(
        f"{items}<details><summary>How these findings are chosen</summary><ol>{rules}</ol></details>",
        f'<div class="commentary"><h3>Analyst\'s commentary and recommendations</h3>{commentary_html(commentary)}</div>',
    )
    p.heading("This month against expected, every theme", anchor="themes")
    if not themes:
        p.missing("Themes (no incident carries a theme yet)")
    head = headline(ctx, themes, numbers)
    tables.append(head)
    p.add_table(head)
    p.add(definitions(ctx, themes))
    p.heading("Trends", anchor="trends")
    charts = []
    for theme in themes:
        s = numbers[theme].series
        sup = suppressed_series(ctx, numbers[theme])
        has_model = not s["expected"].isna().all()
        fig = figures.trend(
            list(s["month"]),
            sup,
            expected=[_num(v) for v in s["expected"]] if has_model else None,
            lower=[_num(v) for v in s["lower"]] if has_model else None,
            upper=[_num(v) for v in s["upper"]] if has_model else None,
            exceedance=[bool(x) and isinstance(c, int) for x, c in zip(s["exceedance"], sup, strict=True)]
            if has_model
            else None,
            title=f"{ctx.labels.get(theme, theme)}: incidents per month, {s['month'].iloc[0]} to {month}",
            y_title="Incidents (count per month)",
        )
        charts.append(
            p.figure(fig) + f'<p><a href="theme-{html.escape(theme)}.html">'
            f"{html.escape(ctx.labels.get(theme, theme))}: who, where, when, repeats and disproportionality</a></p>"
        )
    for i in range(0, len(charts), 2):
        p.pair(charts[i], charts[i + 1] if i + 1 < len(charts) else "")
    tables += overlap_and_referrals(ctx, themes, p)
    tables += places_of_concern(ctx, p)
    tables += peer_groups(ctx, p)
    tables += school_context(ctx, p)
    tables += assessment_matrix(ctx, p)
    tables += emerging(ctx, p)
    index = out / "index.html"
    index.write_text(
        page(f"Local profile — {month}", p.html(), depth=1, subtitle=ctx.subtitle(), nav=_nav(themes, ctx)),
        encoding="utf-8",
    )
    written.append(index)
    for theme in themes:
        target, ts = theme_page(ctx, numbers[theme], themes, out)
        written.append(target)
        tables += ts
    written += exports.write_tables(tables, out / "exports", small=small_count)
    return written


# ---------------------------------------------------------------------------------------------
# Findings first: key findings by stated rules over the marts, and the analyst's commentary.

CHANGE_SHARE = 0.20  # a change is a finding when it is at least 20% ...
CHANGE_MIN = 10  # ... and at least 10 incidents
RULES = [
    f"Year on year: the 12 months to this month against the 12 months before, for every theme; reported when the "
    f"change is at least {CHANGE_SHARE:.0%} and at least {CHANGE_MIN} incidents.",
    "Recent months: the last three months against the same three months a year earlier, by the same rule.",
    "Above the expected range: the borough, a ward or a place whose count in any of the last three months exceeded "
    "the upper limit of the theme model (marts.theme_monthly, marts.place_monthly).",
    "Well below the expected range: the same, below the lower limit (a fall: less harm, or less recording or contact).",
    "Emerging topics: topics in crime and MAP text whose recent records are far above their earlier share.",
    "Victims also recorded as suspects, and young victims with no social-care referral within 30 days: the theme "
    "with the highest share over the 12 months (marts.victim_suspect_overlap, marts.referral_gap).",
    "Read with care: months with no delivery, expected levels resting on fewer than 36 months (provisional), and "
    "fields recorded for under 80% of records this month (marts.recording_completeness).",
    "A number from 1 to the threshold is never written (c); a comparison with a c side is not made.",
]


FINDING_GROUPS = (
    "Changes over the year",
    "Above or below the expected range",
    "Emerging topics",
    "Victims who are also suspects, and the partner response",
    "Read with care",
)


def _finding_group(text: str) -> str:
    if text.startswith("Read with care"):
        return FINDING_GROUPS[4]
    if text.startswith("Emerging topic"):
        return FINDING_GROUPS[2]
    if "expected range in" in text:
        return FINDING_GROUPS[1]
    if "of victims were also" in text or "of young victims had" in text:
        return FINDING_GROUPS[3]
    return FINDING_GROUPS[0]


def _sum_range(nums: ThemeNumbers, months: list[str], small: int) -> tuple[int, int] | None:
    """What a reader of the monthly table knows of the months' sum: (least, most). A month is c
    only for its own size (months are never secondary cells), so each c is 1 to `small`. None
    when a month is undelivered or before the series starts."""
    lo = hi = 0
    for m in months:
        name = nums.month(m)
        if name not in nums.ledger.values:
            return None
        v = nums.shown(name)
        lo, hi = (lo + 1, hi + small) if v is None else (lo + v, hi + v)
    return lo, hi


def _change(
    label: str, now: tuple[int, int] | None, before: tuple[int, int] | None, what: str, before_what: str
) -> str | None:
    """A change worth reporting (RULES). Where months are c, the sums and the change are given
    as the ranges a reader of the monthly table can already work out: a comparison never narrows
    a suppressed count."""
    if now is None or before is None or before[0] <= 0:
        return None
    lo_diff, hi_diff = now[0] - before[1], now[1] - before[0]
    lo_pct, hi_pct = lo_diff / before[1], hi_diff / before[0]
    if lo_diff >= CHANGE_MIN and lo_pct >= CHANGE_SHARE:
        word = "up"
    elif hi_diff <= -CHANGE_MIN and hi_pct <= -CHANGE_SHARE:
        word = "down"
    else:
        return None

    def span(x: tuple[int, int]) -> str:
        return f"{x[0]:,}" if x[0] == x[1] else f"{x[0]:,} to {x[1]:,}"

    pct = f"{lo_pct:+.0%}" if round(lo_pct, 2) == round(hi_pct, 2) else f"{lo_pct:+.0%} to {hi_pct:+.0%}"
    return f"{label}: {span(now)} incidents {what}, {word} from {span(before)} in {before_what} ({pct})."


def _shown_count(v: int, small: int) -> str:
    return "c" if is_small(v, small) else f"{v:,}"


def key_findings(ctx: Context, themes: list[str], numbers: dict[str, ThemeNumbers]) -> list[str]:
    """The month's key findings, by the rules in RULES, from the marts."""
    con = ctx.con
    out: list[str] = []
    year = months_back(ctx.window[0], 13)[:-1]
    last3 = ctx.window[-3:]
    last3_before = [months_back(m, 13)[0] for m in last3]
    for theme in themes:
        nums, label = numbers[theme], ctx.labels.get(theme, theme)
        for text in (
            _change(
                label,
                _sum_range(nums, ctx.window, ctx.small),
                _sum_range(nums, year, ctx.small),
                f"in the 12 months to {ctx.month}",
                "the 12 months before",
            ),
            _change(
                label,
                _sum_range(nums, last3, ctx.small),
                _sum_range(nums, last3_before, ctx.small),
                f"in {last3[0]} to {last3[-1]}",
                "the same months a year earlier",
            ),
        ):
            if text:
                out.append(text)
    wards = (
        dict(con.execute("select ward_code, ward_name from core.ward").fetchall())
        if has_table(con, "core", "ward")
        else {}
    )
    tm = frame(
        con,
        """select theme, ward_code, month, count, upper, lower, exceedance, below_expected
                       from marts.theme_monthly where month between ? and ? and (exceedance or below_expected)
                       order by theme, ward_code nulls first, month""",
        [last3[0], ctx.month],
    )
    pm = frame(
        con,
        """select place_name, ward_code, theme, month, count, upper, lower, exceedance, below_expected
                       from marts.place_monthly where month between ? and ? and (exceedance or below_expected)
                       order by place_name, theme, month""",
        [last3[0], ctx.month],
    )
    for flag, word, limit in (("exceedance", "above", "upper"), ("below_expected", "well below", "lower")):
        for (theme, ward), g in tm[tm[flag]].groupby(["theme", tm["ward_code"].fillna("")], sort=False):
            where = "Borough-wide" if not ward else f"{wards.get(ward, ward)} ward"
            out.append(_flagged(ctx, where, ctx.labels.get(theme, theme), g, word, limit))
        for (place, theme), g in pm[pm[flag]].groupby(["place_name", "theme"], sort=False):
            what = "all recorded incidents (any offence)" if theme == "all" else ctx.labels.get(theme, theme)
            out.append(_flagged(ctx, f"{place} (a place)", what, g, word, limit))
    rising = [
        r[0]
        for r in con.execute(
            """select top_terms from marts.emerging_theme where rising and period_end =
           (select max(period_end) from marts.emerging_theme where period_end <= ?)""",
            [ctx.month],
        ).fetchall()
    ]
    for terms in rising:
        words = terms if isinstance(terms, str) else ", ".join(map(str, terms))
        out.append(f"Emerging topic in recorded text: records using the words “{words}” are rising.")
    for table, part, whole, say in (
        (
            "victim_suspect_overlap",
            "victims_also_suspect",
            "victims",
            "of victims were also recorded as suspects within 12 months either side",
        ),
        (
            "referral_gap",
            "without_referral",
            "young_victims",
            "of young victims had no social-care referral within 30 days of the incident",
        ),
    ):
        best = _top_share(ctx, table, part, whole)
        if best:
            theme, n, d = best
            out.append(
                f"{ctx.labels.get(theme, theme)}: {n:,} of {d:,} ({n / d:.0%}) {say} "
                f"({ctx.period}; a child counted once in each month)."
            )
    out += caveats(ctx, themes)
    return out


def _flagged(ctx: Context, where: str, what: str, g: pd.DataFrame, word: str, limit: str) -> str:
    """One place's flagged months; the count and the limit only when the count is shown (a flag
    beside a limit would narrow a c)."""
    last = g.iloc[-1]
    n = int(last["count"])
    detail = (
        f"{last['month']}: count c"
        if is_small(n, ctx.small)
        else f"{n:,} in {last['month']} against a{'n upper' if limit == 'upper' else ' lower'} limit of {float(last[limit]):.0f}"
    )
    return (
        f"{where}: {what} {word} the expected range in {len(g)} of the last three months "
        f"({', '.join(g['month'])}; {detail})."
    )


def _top_share(ctx: Context, table: str, part: str, whole: str) -> tuple[str, int, int] | None:
    df = frame(
        ctx.con,
        f"select theme, sum({part}) as n, sum({whole}) as d from marts.{table} where month between ? and ? group by 1",
        _in_window(ctx),
    )
    ok = [
        (r.theme, int(r.n), int(r.d))
        for r in df.itertuples()
        if not is_small(int(r.n), ctx.small) and not is_small(int(r.d) - int(r.n), ctx.small) and int(r.d) >= ctx.small
    ]
    return max(ok, key=lambda x: (x[1] / x[2], x[0])) if ok else None


def caveats(ctx: Context, themes: list[str]) -> list[str]:
    """Data-quality caveats that change how a trend is read."""
    con = ctx.con
    out: list[str] = []
    gaps = [m for m in ctx.window if m in ctx.undelivered]
    if gaps:
        out.append(
            f"Read with care: no delivery for {', '.join(gaps)}; those months are unknown, not zero, and left "
            "out of every total."
        )
    prov = frame(
        con,
        """select theme, baseline_months from marts.theme_monthly
                         where ward_code is null and month = ? and baseline_months < 36 order by 1""",
        [ctx.month],
    )
    if len(prov):
        names = ", ".join(
            f"{ctx.labels.get(r.theme, r.theme)} ({int(r.baseline_months)} months)" for r in prov.itertuples()
        )
        out.append(f"Read with care: expected levels are provisional (fewer than 36 months of history): {names}.")
    low = frame(
        con,
        """select source, field, share_filled from marts.recording_completeness
                        where month = ? and share_filled < 0.8 and records >= ? order by share_filled""",
        [ctx.month, ctx.small * 4],
    )
    if len(low):
        items = "; ".join(
            f"{r.source.replace('_', ' ')}: {r.field.replace('_', ' ')} {float(r.share_filled):.0%}"
            for r in low.head(6).itertuples()
        )
        out.append(f"Read with care: fields recorded for under 80% of records this month: {items}.")
    return out


def commentary_html(path: Path | None) -> str:
    """The analyst's commentary for the month (Markdown: headings `#`, bullets `- ` or `* `,
    paragraphs; everything else is text), escaped; or a note that none was written."""
    if path is None or not path.is_file():
        where = f" (expected in the inbox as commentary/{html.escape(path.name)})" if path is not None else ""
        return f'<p class="note">No commentary or recommendations were written for this month{where}.</p>'
    lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    out: list[str] = []
    para: list[str] = []
    items: list[str] = []

    def flush() -> None:
        if para:
            out.append("<p>" + html.escape(" ".join(para)) + "</p>")
            para.clear()
        if items:
            out.append("<ul>" + "".join(f"<li>{html.escape(i)}</li>" for i in items) + "</ul>")
            items.clear()

    for line in lines:
        s = line.strip()
        if not s:
            flush()
        elif s.startswith("#"):
            flush()
            out.append(f"<h3>{html.escape(s.lstrip('#').strip())}</h3>")
        elif s[:2] in ("- ", "* "):
            if para:
                flush()
            items.append(s[2:].strip())
        else:
            if items:
                flush()
            para.append(s)
    flush()
    return "\n".join(out)


# ---------------------------------------------------------------------------------------------
# The contextual picture, in aggregate, with the same disclosure control.


def _cumulative(n: int, small: int) -> int | None:
    """A count to date as published: c (None) from 1 to `small`, else rounded up to a multiple of
    5, so that two consecutive editions never differ by an exact month's count."""
    if 1 <= n <= small:
        return None
    return -(-n // 5) * 5


def _cumulative_share(part: int, whole: int, small: int) -> tuple[int | None, int | None, float | None]:
    """(part, whole, share %) of counts to date, each rounded as `_cumulative`; the share is of the
    rounded counts, and not shown beside a c."""
    p, w = _cumulative(part, small), _cumulative(whole, small)
    share = round(100 * p / w, 0) if isinstance(p, int) and isinstance(w, int) and w else None
    return p, w, share


def _part_of_whole(ctx: Context, rows: list[tuple[str, int, int]]) -> list[tuple[int | None, int | None, float | None]]:
    """(part, whole, share %) per row with the part, the whole and the rest protected together."""
    led = Ledger(ctx.small, ctx.hide)
    for i, (_, n, d) in enumerate(rows):
        led.relate(
            led.add(f"{i}/d", d), [led.add(f"{i}/n", n), led.add(f"{i}/rest", d - n, published=False, protect=True)]
        )
    led.solve()
    out: list[tuple[int | None, int | None, float | None]] = []
    for i in range(len(rows)):
        part, whole = led.get(f"{i}/n"), led.get(f"{i}/d")
        out.append((part, whole, rate(part, whole, ctx.small) if part is not None and whole is not None else None))
    return out


def overlap_and_referrals(ctx: Context, themes: list[str], p: Page) -> list[Table]:
    """Victims also recorded as suspects, and young victims without a social-care referral,
    every theme, over the 12 months (marts.victim_suspect_overlap, marts.referral_gap)."""
    p.heading("Victims who are also suspects, and the partner response", anchor="response")
    tables = []
    for table, part, whole, title, cols, note in (
        (
            "victim_suspect_overlap",
            "victims_also_suspect",
            "victims",
            f"Victims also recorded as a suspect within 12 months either side, {ctx.period}",
            ["theme", "victims", "also recorded as suspects", "share (%)"],
            "A pattern across incidents, not a label for a child: young people harmed are often the young people "
            "drawn into harming. A child is counted once in each month they were a victim.",
        ),
        (
            "referral_gap",
            "without_referral",
            "young_victims",
            f"Young victims with no children's social-care referral within 30 days of the incident, {ctx.period}",
            ["theme", "victims under 18", "no referral within 30 days", "share (%)"],
            "A referral dated from 30 days before to 30 days after the incident counts. A child is counted once in "
            "each month they were a victim.",
        ),
    ):
        df = frame(
            ctx.con,
            f"select theme, sum({part}) as n, sum({whole}) as d from marts.{table} "
            "where month between ? and ? group by 1",
            _in_window(ctx),
        )
        got = {r.theme: (int(r.n), int(r.d)) for r in df.itertuples()}
        rows = [(th, *got.get(th, (0, 0))) for th in themes]
        shown = _part_of_whole(ctx, rows)
        t = Table(
            table, title, cols, ["label", "count", "count", "share"], note=note + " Shares are not shown beside c."
        )
        t.rows = [[ctx.labels.get(th, th), d, n, sh] for (th, _, _), (n, d, sh) in zip(rows, shown, strict=True)]
        tables.append(t)
        fig = figures.bar_counts(
            [r[0] for r in t.rows],
            [r[3] for r in t.rows],
            horizontal=True,
            measure="share",
            title=title + " (%)",
            x_title="Share of victims (%)",
            y_title="Theme",
        )
        p.pair(p.figure(fig), p.table(t))
    return tables


def places_of_concern(ctx: Context, p: Page) -> list[Table]:
    """Places with the most recorded incidents this month, and places above their expected range
    in the last three months (marts.place_profile, marts.place_monthly)."""
    p.heading("Places of concern", anchor="places")
    names, _ = wards(ctx.con)
    last3 = ctx.window[-3:]
    flagged = frame(
        ctx.con,
        """select place_id, count(*) filter (where exceedance) as above,
                                       count(*) filter (where below_expected) as below
                                from marts.place_monthly where theme = 'all' and month between ? and ? group by 1""",
        [last3[0], ctx.month],
    )
    flags = {r.place_id: (int(r.above), int(r.below)) for r in flagged.itertuples()}
    df = frame(
        ctx.con,
        """select place_id, place_name, location_type, ward_code, incidents, young_people, group_count
                           from marts.place_profile where month = ? order by incidents desc, place_name""",
        [ctx.month],
    )
    df = df[(df["incidents"] > ctx.small) | df["place_id"].isin([k for k, v in flags.items() if v[0]])].head(15)
    t = Table(
        "places_of_concern",
        f"Places with the most recorded incidents (any offence) in {ctx.month}, and places above their "
        "expected range in the last three months",
        [
            "place",
            "type",
            "ward",
            f"incidents {ctx.month}",
            "young people involved",
            "peer groups present",
            "months above expected (of last 3)",
        ],
        ["label", "label", "label", "count", "count", "count", "label"],
        note="Places are premises and public spaces recorded by the police, never homes. Peer groups present: "
        "groups with a member involved at the place in the last 12 months. Counts from 1 to "
        f"{ctx.small} are c.",
    )
    for r in df.itertuples():
        t.rows.append(
            [
                r.place_name,
                str(r.location_type or "").replace("_", " "),
                names.get(r.ward_code, r.ward_code),
                suppress_count(int(r.incidents), ctx.small),
                suppress_count(int(r.young_people), ctx.small),
                suppress_count(int(r.group_count), ctx.small),
                f"{flags[r.place_id][0]} of 3" if flags.get(r.place_id, (0, 0))[0] else "none",
            ]
        )
    if not t.rows:
        p.text(f"No place had more than {ctx.small} recorded incidents in {ctx.month} or exceeded its expected range.")
    p.add_table(t)
    return [t, *public_context(ctx, p)]


def public_context(ctx: Context, p: Page) -> list[Table]:
    """The public picture of the area: data.police.uk street-level recorded crime (all ages), 12
    months to the edition's month, by crime type (marts.public_crime_monthly), where loaded."""
    df = frame(
        ctx.con,
        "select crime_type, sum(crimes) as crimes, count(distinct lsoa_code) as areas "
        "from marts.public_crime_monthly where month between ? and ? group by 1 order by 2 desc, 1",
        [ctx.window[0], ctx.month],
    )
    if df.empty:
        p.text(
            "Public context: no data.police.uk street-level files were loaded for these months (drop the "
            "force's *-street.csv files in a month folder to add all-ages recorded crime for the area)."
        )
        return []
    t = Table(
        "public_crime",
        f"Public context: recorded crime of all ages in the area (data.police.uk), {ctx.window[0]} to {ctx.month}",
        ["crime type", "crimes", "neighbourhoods (LSOAs) with any"],
        ["label", "count", "count"],
        note="Published by the police on data.police.uk (all ages, locations approximated by the police); "
        f"counts from 1 to {ctx.small} are c here as everywhere in this profile.",
    )
    t.rows = [
        [str(r.crime_type), suppress_count(int(r.crimes), ctx.small), suppress_count(int(r.areas), ctx.small)]
        for r in df.itertuples()
    ]
    p.add_table(t)
    return [t]


def peer_groups(ctx: Context, p: Page) -> list[Table]:
    """Peer groups in aggregate: how many, how large, and their births, merges, splits and ends
    over the 12 months (marts.peer_group_profile, marts.peer_group_event). Never a member."""
    p.heading("Peer groups", anchor="groups")
    sizes = frame(ctx.con, "select size from marts.peer_group_profile where as_of_month = ?", [ctx.month])
    bands = [("fewer than 5", 0, 4), ("5-9", 5, 9), ("10-19", 10, 19), ("20 or more", 20, 10**6)]
    led = Ledger(ctx.small, ctx.hide)
    parts = [led.add(b, int(((sizes["size"] >= lo) & (sizes["size"] <= hi)).sum())) for b, lo, hi in bands]
    led.relate(led.add("all", len(sizes)), parts)
    t = Table(
        "peer_group_sizes",
        f"Peer groups of young people as of {ctx.month}, by size",
        ["size (young people)", "groups"],
        ["label", "count"],
        note="Groups found in the network of young people seen together (docs/networks.md). Groups are "
        "described in aggregate only: no member, no list.",
    )
    t.rows = [[b, led.get(b)] for b, _, _ in bands] + [["all groups", led.get("all")]]
    t.quantities = {(i, 1): f"groups/{ctx.month}/{b}" for i, (b, _, _) in enumerate(bands)} | {
        (len(bands), 1): f"groups/{ctx.month}/all"
    }
    t.relations = [(f"groups/{ctx.month}/all", [f"groups/{ctx.month}/{b}" for b, _, _ in bands])]
    ev = frame(
        ctx.con,
        """select event, count(*) as n from marts.peer_group_event
                           where as_of_month between ? and ? group by 1""",
        _in_window(ctx),
    )
    got = dict(zip(ev["event"], ev["n"], strict=True))
    t2 = Table(
        "peer_group_events",
        f"Changes in peer groups, {ctx.period}",
        ["change", "groups"],
        ["label", "count"],
        note="Birth: a new group; merge: groups joining; split: a group dividing; end: a group no longer seen.",
    )
    t2.rows = [
        [label, suppress_count(int(got.get(code, 0)), ctx.small)]
        for code, label in (("birth", "births"), ("merge", "merges"), ("split", "splits"), ("death", "ends"))
    ]
    p.pair(p.table(t), p.table(t2))
    return [t, t2]


def school_context(ctx: Context, p: Page) -> list[Table]:
    """Missing episodes and school exclusions by month (marts.school_context)."""
    p.heading("Missing episodes and school exclusions", anchor="school")
    df = frame(ctx.con, "select * from marts.school_context where month between ? and ?", _in_window(ctx))
    by = {r.month: r for r in df.itertuples()}
    cols = ["missing_episodes", "young_people_missing", "exclusions", "young_people_excluded"]
    t = Table(
        "school_context",
        f"Missing episodes and school exclusions by month, {ctx.period}",
        ["month", "missing episodes", "young people missing", "exclusions", "young people excluded"],
        ["label", "count", "count", "count", "count"],
        note="A young person missing twice in a month counts once among young people. No totals are shown.",
    )
    for m in ctx.window:
        if m in ctx.undelivered:
            t.rows.append([m] + ["x"] * 4)
            continue
        r = by.get(m)
        t.rows.append([m] + [suppress_count(int(getattr(r, c)) if r is not None else 0, ctx.small) for c in cols])
    fig = figures.grouped_bars(
        [r[0] for r in t.rows],
        {
            "missing episodes": [r[1] if not isinstance(r[1], str) else None for r in t.rows],
            "exclusions": [r[3] if not isinstance(r[3], str) else None for r in t.rows],
        },
        title=f"Missing episodes and school exclusions by month, {ctx.period}",
        x_title="Month",
        y_title="Episodes or exclusions (count)",
        small=ctx.small,
    )
    p.pair(p.figure(fig), p.table(t))
    return [t]
