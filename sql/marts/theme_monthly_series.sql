-- theme_monthly_series (temporary): one row per theme x month x ward, plus the borough-wide row
-- (ward_code NULL), with the count of themed incidents that happened in that month (zeros kept).
-- Months run over the recording period of core.incident (first to last recorded month), counted
-- on the month the offence happened. A month with no delivery (temp table _undelivered) has a NULL
-- count: a recording gap, left out of the baselines and not tested, not a zero. Input of the
-- expected levels in marts.theme_monthly.
create or replace temp table theme_monthly_series as
with span as (
  select min(strftime(recorded_date, '%Y-%m')) as m0, max(strftime(recorded_date, '%Y-%m')) as m1 from core.incident
), months as (
  select strftime(unnest(generate_series(strptime(m0, '%Y-%m'), strptime(m1, '%Y-%m'), interval 1 month)), '%Y-%m') as month
  from span
), themes as (
  select distinct theme from marts.theme_definition
), areas as (
  select ward_code from core.ward union all select null
), counts as (
  select t.theme, i.month, i.ward_code, grouping(i.ward_code) as borough_wide, count(*) as n
  from core.incident_theme t join core.incident i using (incident_key)
  group by grouping sets ((t.theme, i.month, i.ward_code), (t.theme, i.month))
)
select th.theme, m.month, a.ward_code,
       case when m.month in (select month from _undelivered) then null else coalesce(c.n, 0) end as count
from themes th cross join months m cross join areas a
left join counts c on c.theme = th.theme and c.month = m.month
  and ((a.ward_code is null and c.borough_wide = 1) or (a.ward_code = c.ward_code and c.borough_wide = 0))
order by th.theme, a.ward_code nulls first, m.month;
