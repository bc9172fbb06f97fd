-- marts.victim_suspect_overlap: one row per theme x month: victims of themed incidents in the
-- month and how many of them were also recorded as a suspect (any incident, any theme) within 12
-- months either side. The overlap profiles must show, because victims and perpetrators are
-- often the same young people (the lesson of the Gangs Matrix).
create or replace table marts.victim_suspect_overlap as
with victims as (
  select distinct t.theme, i.month, v.person_key, i.occurred_at
  from core.incident_theme t join core.incident i using (incident_key)
  join core.involvement v using (incident_key)
  where v.role = 'victim' and v.person_key is not null
), suspected as (
  select v.person_key, i.occurred_at from core.involvement v join core.incident i using (incident_key)
  where v.role in ('suspect', 'accused')
), flagged as (
  select a.theme, a.month, a.person_key,
         exists (select 1 from suspected s where s.person_key = a.person_key
                 and s.occurred_at between a.occurred_at - interval 12 month and a.occurred_at + interval 12 month) as also_suspect
  from victims a
)
select theme, month, count(distinct person_key) as victims,
       count(distinct person_key) filter (where also_suspect) as victims_also_suspect,
       round(count(distinct person_key) filter (where also_suspect) / count(distinct person_key), 4) as share
from flagged group by all order by 1, 2;
comment on table marts.victim_suspect_overlap is 'One row per theme x month: victims of themed incidents and how many were also recorded as a suspect in any incident within 12 months either side.';
comment on column marts.victim_suspect_overlap.theme is 'Theme code.';
comment on column marts.victim_suspect_overlap.month is 'Month the incidents happened (YYYY-MM).';
comment on column marts.victim_suspect_overlap.victims is 'Distinct victims of themed incidents that month.';
comment on column marts.victim_suspect_overlap.victims_also_suspect is 'Of those, people recorded as suspect or accused in any incident within 12 months before or after.';
comment on column marts.victim_suspect_overlap.share is 'victims_also_suspect / victims.';
