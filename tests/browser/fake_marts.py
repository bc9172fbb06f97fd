"""Stand-ins for marts that other steps build (themes, networks, assessments), shaped as
`/work/shared/spec/warehouse.md` says, so that every section of every page can be built and
browser-tested before those steps land. Only missing tables are created; test-only code.
"""

from __future__ import annotations

import duckdb
import networkx as nx


def _has(con: duckdb.DuckDBPyConnection, table: str) -> bool:
    """True when marts.`table` exists, as a table or a view (marts.peer_edge is a view)."""
    return bool(
        con.execute(
            "select count(*) from duckdb_columns() where schema_name = 'marts' and table_name = ?", [table]
        ).fetchall()[0][0]
    )


def fill_missing_marts(con: duckdb.DuckDBPyConnection, hostile: bool = False) -> list[str]:
    """Create plausible versions of the marts that are not built yet; returns their names."""
    made: list[str] = []
    themed = con.execute("select count(*) from marts.incident where len(themes) > 0").fetchall()[0][0]
    if not themed:
        con.execute("""update marts.incident i set themes = list_filter([
            case when cse_flag then 'cse' end, case when cce_flag then 'cce' end, case when gang_flag then 'gang' end,
            case when online_flag then 'online' end,
            case when (knife_flag or firearm_flag or offence_group in ('robbery')) and min_victim_age <= 19 then 'syv' end,
            case when offence_group = 'sexual_offences' and min_victim_age < 18 and min_suspect_age < 18 then 'hsb_peer' end],
            lambda t: t is not null)""")
    if not _has(con, "theme_monthly"):
        con.execute("""create table marts.theme_monthly as
          with months as (select distinct month from marts.incident),
          themes as (select distinct unnest(themes) as theme from marts.incident),
          areas as (select distinct ward_code from marts.incident where ward_code is not null union all select null),
          u as (select unnest(themes) as theme, month, ward_code from marts.incident),
          c as (select theme, month, ward_code, count(*) as n from u
                group by grouping sets ((theme, month, ward_code), (theme, month))),
          s as (select t.theme, m.month, a.ward_code, coalesce(c.n, 0) as count
                from themes t cross join months m cross join areas a
                left join c on c.theme = t.theme and c.month = m.month and c.ward_code is not distinct from a.ward_code),
          e as (select *, avg(count) over (partition by theme, ward_code order by month rows between 12 preceding and 1 preceding) as expected
                from s)
          select theme, month, ward_code, count, expected, greatest(expected - 2 * sqrt(expected), 0) as lower,
                 expected + 2 * sqrt(expected) + 1 as upper,
                 coalesce(count > expected + 2 * sqrt(expected) + 1 and count >= 5, false) as exceedance,
                 'themes-v1' as definitions_version
          from e""")
        made.append("theme_monthly")
    if not _has(con, "disproportionality"):
        con.execute("""create table marts.disproportionality as
          with t as (select i.incident_key, unnest(i.themes) as theme from marts.incident i),
          v as (select t.theme, v.ethnic_group, count(distinct v.person_key) as children
                     from marts.involvement v join t using (incident_key)
                     where v.role = 'victim' and v.age_at_event between 10 and 17 group by all),
          pop as (select ethnic_group, sum(population) as population from core.population where age between 10 and 17 group by 1),
          b as (select theme, sum(children) as n from v group by 1)
          select v.theme, 'ethnic_group' as group_type, v.ethnic_group as group_value, v.children, pop.population,
                 1000.0 * v.children / pop.population as rate_per_1000,
                 (v.children / pop.population) / (b.n / (select sum(population) from pop)) as ratio,
                 (v.children / pop.population) / (b.n / (select sum(population) from pop)) * exp(-1.96 / sqrt(v.children)) as ratio_lower,
                 (v.children / pop.population) / (b.n / (select sum(population) from pop)) * exp(1.96 / sqrt(v.children)) as ratio_upper
          from v join pop using (ethnic_group) join b using (theme)""")
        made.append("disproportionality")
    if not _has(con, "assessment_matrix"):
        con.execute("""create table marts.assessment_matrix as
          select context, domain, f.factor, count(distinct assessment_id) as assessments, count(distinct person_key) as young_people
          from core.assessment_cell, unnest(case when len(factors) = 0 then ['(none)'] else factors end) as f(factor)
          group by all""")
        made.append("assessment_matrix")
    if not _has(con, "unaddressed_context"):
        con.execute("""create table marts.unaddressed_context as
          select c.assessment_id, c.person_key, c.context from core.assessment_cell c
          where c.domain in ('vulnerability', 'risk') and len(c.factors) > 0
            and not exists (select 1 from core.assessment_cell p where p.assessment_id = c.assessment_id
                            and p.context = c.context and p.domain = 'planned_actions')
          group by all""")
        made.append("unaddressed_context")
    if (
        hostile
        and _has(con, "emerging_theme")
        and con.execute(
            "select count(*) from duckdb_columns() where schema_name = 'marts' and table_name = 'emerging_theme' "
            "and column_name = 'top_terms'"
        ).fetchall()[0][0]
    ):
        con.execute("""insert into marts.emerging_theme (period_start, period_end, topic_id, top_terms, documents,
                         baseline_documents, recent_documents, baseline_share, recent_share, p_value, rising)
                       select min(period_start), max(period_end), 'hostile', '=HYPERLINK("http://evil.example","x") '
                              || '<script>document.title="pwned"</script><img src=x onerror=alert(1)>', 40, 20, 20,
                              0.01, 0.02, 0.0001, true from marts.emerging_theme""")
    if not _has(con, "emerging_theme"):
        con.execute("""create table marts.emerging_theme as
          select offence as term, month, count(*) as incidents, 1.5::double as ratio_to_baseline
          from marts.incident group by all having count(*) >= 3 order by incidents desc limit 15""")
        if hostile:
            con.execute(
                "insert into marts.emerging_theme values ('=HYPERLINK(\"http://evil.example\",\"x\")', '2026-10', 40, 2.0)"
            )
        made.append("emerging_theme")
    if not _has(con, "peer_edge") and not _has(con, "peer_evidence"):
        con.execute("""create table marts.peer_edge as
          select least(x.person_key, y.person_key) as person_key_a, greatest(x.person_key, y.person_key) as person_key_b,
                 case when x.role = 'victim' and y.role = 'victim' then 'co_victim' when x.role <> 'victim' and y.role <> 'victim'
                      then 'co_suspect' else 'victim_suspect' end as relation,
                 count(*)::double as weight, min(cast(i.occurred_at as date)) as first_seen, max(cast(i.occurred_at as date)) as last_seen,
                 list(distinct 'police_crimes:' || i.incident_key) as evidence,
                 case when hash(least(x.person_key, y.person_key)) % 4 = 0 then 'reported' else 'recorded' end as reliability
          from marts.involvement x join marts.involvement y on x.incident_key = y.incident_key and x.person_key < y.person_key
          join marts.incident i on i.incident_key = x.incident_key
          where x.age_at_event between 10 and 19 and y.age_at_event between 10 and 19 and x.role in ('victim', 'suspect', 'accused')
            and y.role in ('victim', 'suspect', 'accused')
          group by all""")
        made.append("peer_edge")
    if not _has(con, "peer_edge") and _has(con, "peer_evidence"):
        con.execute("""create table marts.peer_edge as
          select person_key_a, person_key_b, relation, count(*)::double as weight, min(seen_on) as first_seen,
                 max(seen_on) as last_seen, flatten(list(refs)) as evidence, any_value(reliability) as reliability
          from marts.peer_evidence where young_people group by all""")
        made.append("peer_edge")
    if not _has(con, "peer_group") and _has(con, "peer_edge"):
        last = con.execute("select max(month) from marts.incident").fetchall()[0][0]
        rows = []
        months = [
            r[0]
            for r in con.execute(
                "select distinct month from marts.incident where month > strftime(cast(? || '-01' as date) - interval 6 month, '%Y-%m') order by 1",
                [last],
            ).fetchall()
        ]
        for m in months:
            edges = con.execute(
                "select person_key_a, person_key_b from marts.peer_edge where strftime(first_seen, '%Y-%m') <= ?", [m]
            ).fetchall()
            g = nx.Graph(edges)
            for comp in nx.connected_components(g):
                if 3 <= len(comp) <= 30:
                    gid = "G" + min(comp)[1:7]
                    rows += [(m, k, gid) for k in sorted(comp)]
        con.execute("create table marts.peer_group (as_of_month varchar, person_key varchar, group_id varchar)")
        con.executemany("insert into marts.peer_group values (?, ?, ?)", rows)
        con.execute("""create table marts.peer_group_profile as
          select g.as_of_month, g.group_id, count(*) as size, min(year(current_date) - p.birth_year) as min_age,
                 max(year(current_date) - p.birth_year) as max_age, count(*) filter (where p.victim_and_suspect) as victim_and_suspect
          from marts.peer_group g join marts.person p using (person_key) group by all""")
        con.execute("""create table marts.place_profile as
          select place_id, month, count(*) as incidents, sum(victim_count + suspect_count) as young_people, 0 as peer_groups
          from marts.incident where place_id is not null group by all""")
        made += ["peer_group", "peer_group_profile", "place_profile"]
    if hostile:
        con.execute(
            "update marts.incident set offence = '<script>document.title=\"pwned\"</script><img src=x onerror=\"document.title=''pwned''\">' "
            "where incident_key in (select incident_key from marts.incident order by incident_key limit 40)"
        )
        con.execute(
            "update marts.incident set location_type = '<img src=x onerror=alert(1)>' "
            "where incident_key in (select incident_key from marts.incident where list_contains(themes, 'cse') order by incident_key limit 30)"
        )
        con.execute(
            'update marts.incident set location_type = \'=HYPERLINK("http://evil.example","x")\' '
            "where incident_key in (select incident_key from marts.incident where list_contains(themes, 'cse') order by incident_key desc limit 30)"
        )
    return made
