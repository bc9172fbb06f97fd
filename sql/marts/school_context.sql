-- marts.school_context: one row per month: missing-from-home-or-care episodes and school
-- exclusions reported in the month, and the young people they concern (the school and community
-- context of the profile, in aggregate; no child is listed).
create or replace table marts.school_context as
with m as (
  select month, count(*) as missing_episodes, count(distinct person_key) as young_people_missing
  from core.missing_episode group by 1
), e as (
  select month, count(*) as exclusions, count(distinct person_key) as young_people_excluded
  from core.exclusion group by 1
)
select coalesce(m.month, e.month) as month, coalesce(m.missing_episodes, 0) as missing_episodes,
       coalesce(m.young_people_missing, 0) as young_people_missing, coalesce(e.exclusions, 0) as exclusions,
       coalesce(e.young_people_excluded, 0) as young_people_excluded
from m full join e using (month) order by 1;
comment on table marts.school_context is 'One row per month: missing episodes and school exclusions, and the young people they concern. Counts only.';
comment on column marts.school_context.month is 'Month the episode was reported or the exclusion started (YYYY-MM).';
comment on column marts.school_context.missing_episodes is 'Missing-from-home-or-care episodes reported in the month.';
comment on column marts.school_context.young_people_missing is 'Distinct young people reported missing in the month.';
comment on column marts.school_context.exclusions is 'School exclusions (suspensions and permanent) starting in the month.';
comment on column marts.school_context.young_people_excluded is 'Distinct young people excluded in the month.';
