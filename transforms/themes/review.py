"""Period reviews: the incidents of a theme in a window and what agencies knew beforehand.

A review answers the question serious-case and thematic reviews ask: of the young people involved
in (say) serious youth violence between two months, how many were already known — referred to
children's social care, reported missing, excluded from school or assessed at a MAP meeting in
the 12 months before their first incident of the window — and which peer groups and places were
involved. Everything is aggregate (counts and shares by role); `suppress` turns the true counts
into published ones (counts 1 to 5 shown as `c`), and `review_page` renders the suppressed
tables as a self-contained HTML page.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Callable

import duckdb
import pandas as pd

logger = logging.getLogger(__name__)

PRIOR_SOURCES = (
    ("referred to social care", "select person_key, referral_date::timestamp as at from core.referral"),
    ("reported missing", "select person_key, reported_at::timestamp as at from core.missing_episode"),
    ("excluded from school", "select person_key, start_date::timestamp as at from core.exclusion"),
    ("assessed at a MAP meeting", "select person_key, meeting_date::timestamp as at from core.assessment"),
)


def _people(con: duckdb.DuckDBPyConnection, theme: str, first: str, last: str) -> str:
    con.execute(
        """create or replace temp table review_people as
        select case when v.role = 'victim' then 'victim' else 'suspect' end as role, v.person_key,
               min(i.occurred_at) as first_at, min(v.age_at_event) as age
        from core.incident_theme t join core.incident i using (incident_key)
        join core.involvement v using (incident_key)
        where t.theme = ? and i.month between ? and ? and v.role in ('victim', 'suspect', 'accused')
          and v.person_key is not null
        group by all""",
        [theme, first, last],
    )
    return "review_people"


def review_tables(con: duckdb.DuckDBPyConnection, theme: str, first: str, last: str) -> dict[str, pd.DataFrame]:
    """True-count tables of the review of `theme` from month `first` to `last` (YYYY-MM)."""
    args = [theme, first, last]
    base = (
        "from core.incident_theme t join core.incident i using (incident_key) "
        "where t.theme = ? and i.month between ? and ?"
    )
    tables: dict[str, pd.DataFrame] = {}
    tables["summary"] = con.execute(
        f"""
        select count(distinct i.incident_key) as incidents,
               count(distinct i.ward_code) as wards, count(distinct i.place_id) as known_places,
               (select count(distinct person_key) from core.involvement v where v.role = 'victim' and v.incident_key in
                  (select i2.incident_key from core.incident_theme t2 join core.incident i2 using (incident_key)
                   where t2.theme = ? and i2.month between ? and ?)) as victims,
               (select count(distinct person_key) from core.involvement v where v.role in ('suspect', 'accused') and v.incident_key in
                  (select i2.incident_key from core.incident_theme t2 join core.incident i2 using (incident_key)
                   where t2.theme = ? and i2.month between ? and ?)) as suspects
        {base}""",
        args * 3,
    ).df()
    tables["by_month"] = con.execute(f"select i.month, count(*) as incidents {base} group by 1 order by 1", args).df()
    people = _people(con, theme, first, last)
    prior = []
    for label, query in PRIOR_SOURCES:
        prior.append(
            con.execute(
                f"""
            select p.role, ? as known_to, count(*) as people,
                   count(*) filter (where exists (select 1 from ({query}) s where s.person_key = p.person_key
                       and s.at < p.first_at and s.at >= p.first_at - interval 12 month)) as known_before
            from {people} p where p.age < 18 group by p.role""",
                [label],
            ).df()
        )
    any_known = " or ".join(
        f"exists (select 1 from ({q}) s where s.person_key = p.person_key and s.at < p.first_at "
        f"and s.at >= p.first_at - interval 12 month)"
        for _, q in PRIOR_SOURCES
    )
    prior.append(
        con.execute(f"""select p.role, 'known to any of these' as known_to, count(*) as people,
        count(*) filter (where {any_known}) as known_before from {people} p where p.age < 18 group by p.role""").df()
    )
    known = pd.concat(prior, ignore_index=True).sort_values(["role", "known_to"]).reset_index(drop=True)
    known["share"] = (known["known_before"] / known["people"]).round(3)
    tables["known_before"] = known
    tables["places"] = con.execute(
        f"""
        select coalesce(p.name, 'unresolved or online') as place, coalesce(p.location_type, i.location_type) as location_type,
               count(*) as incidents
        {base.replace("where", "left join core.place p on p.place_id = i.place_id where")}
        group by all order by incidents desc, place limit 15""",
        args,
    ).df()
    tables["wards"] = con.execute(
        f"""
        select coalesce(w.ward_name, 'none (online or out of borough)') as ward, count(*) as incidents
        {base.replace("where", "left join core.ward w on w.ward_code = i.ward_code where")}
        group by all order by incidents desc, ward""",
        args,
    ).df()
    has_groups = con.execute(
        "select count(*) from duckdb_tables() where schema_name = 'marts' and table_name = 'peer_group'"
    ).fetchall()[0][0]
    if has_groups:
        tables["peer_groups"] = con.execute(f"""
            with g as (
              select p.role, p.person_key, g.group_id from {people} p
              join marts.peer_group g on g.person_key = p.person_key
               and g.as_of_month = strftime(p.first_at, '%Y-%m'))
            select role, count(distinct group_id) as peer_groups_involved,
                   count(distinct person_key) as people_in_a_group
            from g group by role order by role""").df()
    con.execute(f"drop table if exists {people}")
    return tables


def suppress(tables: dict[str, pd.DataFrame], threshold: int = 5) -> dict[str, pd.DataFrame]:
    """Published copies: counts from 1 to `threshold` become 'c', shares resting on them go too."""
    out: dict[str, pd.DataFrame] = {}
    for name, df in tables.items():
        f = df.copy().astype(object)
        small = pd.DataFrame(False, index=df.index, columns=df.columns)
        for c in df.columns:
            if pd.api.types.is_integer_dtype(df[c]):
                small[c] = df[c].between(1, threshold)
                f.loc[small[c], c] = "c"
        if "share" in df.columns:
            hide = small.get("known_before", False) | (df.get("people", threshold + 1) <= threshold)
            f.loc[hide, "share"] = "c"
            f.loc[~hide, "share"] = (df.loc[~hide, "share"] * 100).round(0).astype(int).astype(str) + "%"
        out[name] = f
    return out


def review_page(
    published: dict[str, pd.DataFrame],
    theme: str,
    first: str,
    last: str,
    version: str,
    threshold: int = 5,
    label: Callable[[str], str] = lambda s: s.replace("_", " "),
) -> str:
    """A self-contained HTML page of the (already suppressed) review tables."""
    parts = [
        f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>Review: {html.escape(theme)} "
        f"{first} to {last}</title><style>body{{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;}}"
        "table{border-collapse:collapse;margin:1rem 0}td,th{border:1px solid #ccc;padding:.25rem .6rem;text-align:left}"
        "</style></head><body>",
        f"<h1>Period review: {html.escape(theme)}, {first} to {last}</h1>",
        f"<p>Theme definitions {html.escape(version)}. Counts from 1 to {threshold} are shown as <b>c</b>; "
        "shares resting on them are not shown. 'Known before' means a record in the 12 months before the "
        "young person's first incident of the window (young people under 18 only). Roles belong to incidents, "
        "not to children.</p>",
    ]
    for name, df in published.items():
        parts.append(
            f"<h2>{html.escape(label(name))}</h2><table><thead><tr>"
            + "".join(f"<th>{html.escape(label(str(c)))}</th>" for c in df.columns)
            + "</tr></thead><tbody>"
        )
        for row in df.itertuples(index=False):
            parts.append("<tr>" + "".join(f"<td>{html.escape(str(v))}</td>" for v in row) + "</tr>")
        parts.append("</tbody></table>")
    parts.append("</body></html>")
    return "\n".join(parts)
