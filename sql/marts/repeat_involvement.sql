-- marts.repeat_involvement: one row per theme x month x role (victim | suspect): people involved
-- in themed incidents in the month, and how many of them were in the same role in another
-- incident of the theme within the 12 months before (repeat victims, repeat suspects).
create or replace table marts.repeat_involvement as
with inv as (
  select distinct t.theme, case when v.role = 'victim' then 'victim' else 'suspect' end as role,
         v.person_key, i.incident_key, i.month, i.occurred_at
  from core.incident_theme t join core.incident i using (incident_key)
  join core.involvement v using (incident_key)
  where v.role in ('victim', 'suspect', 'accused') and v.person_key is not null
), flagged as (
  select a.theme, a.role, a.month, a.person_key,
         exists (select 1 from inv b where b.theme = a.theme and b.role = a.role and b.person_key = a.person_key
                 and b.incident_key <> a.incident_key
                 and b.occurred_at >= a.occurred_at - interval 12 month and b.occurred_at <= a.occurred_at) as repeat
  from inv a
)
select theme, month, role, count(distinct person_key) as people,
       count(distinct person_key) filter (where repeat) as repeat_people,
       round(count(distinct person_key) filter (where repeat) / count(distinct person_key), 4) as repeat_share
from flagged group by all order by 1, 2, 3;
comment on table marts.repeat_involvement is 'One row per theme x month x role: people in the role in themed incidents that month, and how many were in the same role in another incident of the theme in the 12 months before.';
comment on column marts.repeat_involvement.theme is 'Theme code.';
comment on column marts.repeat_involvement.month is 'Month the incidents happened (YYYY-MM).';
comment on column marts.repeat_involvement.role is 'victim or suspect (suspect or accused): roles in incidents.';
comment on column marts.repeat_involvement.people is 'Distinct people in the role that month.';
comment on column marts.repeat_involvement.repeat_people is 'Of those, people with another incident of the theme in the same role within the previous 12 months.';
comment on column marts.repeat_involvement.repeat_share is 'repeat_people / people.';
