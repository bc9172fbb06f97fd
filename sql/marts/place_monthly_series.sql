-- place_monthly_series (temporary): one row per known place x month x theme ('all' = every
-- incident at the place, then each theme), with the count of incidents resolved to that place in
-- the month the offence happened (zeros kept). Only places with at least one incident appear.
-- A month with no delivery (temp table _undelivered) has a NULL count, not zero.
-- Input of the expected levels in marts.place_monthly.
create or replace temp table place_monthly_series as
with span as (
  select min(strftime(recorded_date, '%Y-%m')) as m0, max(strftime(recorded_date, '%Y-%m')) as m1 from core.incident
), months as (
  select strftime(unnest(generate_series(strptime(m0, '%Y-%m'), strptime(m1, '%Y-%m'), interval 1 month)), '%Y-%m') as month
  from span
), tagged as (
  select i.place_id, i.month, 'all' as theme from core.incident i where i.place_id is not null
  union all
  select i.place_id, i.month, t.theme from core.incident i join core.incident_theme t using (incident_key)
  where i.place_id is not null
), series as (
  select distinct place_id, theme from tagged
), counts as (
  select place_id, theme, month, count(*) as n from tagged group by all
)
select s.place_id, p.name as place_name, p.ward_code, s.theme, m.month, case when m.month in (select month from _undelivered) then null else coalesce(c.n, 0) end as count
from series s cross join months m
join core.place p on p.place_id = s.place_id
left join counts c on c.place_id = s.place_id and c.theme = s.theme and c.month = m.month
order by s.place_id, s.theme, m.month;
