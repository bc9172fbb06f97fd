-- marts.breakdown_person: one row per theme x month x role (victim | suspect) x dimension
-- (age_band | sex | ethnic_group) x category: the people involved in themed incidents that
-- happened in the month, as the local profile breaks them down. True counts (disclosure control
-- is applied where they are published).
create or replace table marts.breakdown_person as
with inv as (
  select t.theme, i.month, case when v.role = 'victim' then 'victim' else 'suspect' end as role,
         v.person_key, v.incident_key,
         case when v.age_at_event is null then 'unknown'
              when v.age_at_event < 10 then 'under 10'
              when v.age_at_event <= 13 then '10-13'
              when v.age_at_event <= 15 then '14-15'
              when v.age_at_event <= 17 then '16-17'
              when v.age_at_event <= 19 then '18-19'
              when v.age_at_event <= 24 then '20-24'
              else '25 and over' end as age_band,
         coalesce(v.sex, 'unknown') as sex, coalesce(v.ethnic_group, 'unknown') as ethnic_group
  from core.incident_theme t
  join core.incident i using (incident_key)
  join core.involvement v using (incident_key)
  where v.role in ('victim', 'suspect', 'accused')
), long as (
  select theme, month, role, person_key, incident_key, 'age_band' as dimension, age_band as category from inv
  union all select theme, month, role, person_key, incident_key, 'sex', sex from inv
  union all select theme, month, role, person_key, incident_key, 'ethnic_group', ethnic_group from inv
)
select theme, month, role, dimension, category,
       count(distinct person_key) as people, count(distinct incident_key) as incidents
from long group by all order by theme, month, role, dimension, category;
comment on table marts.breakdown_person is 'One row per theme x month x role x dimension (age_band, sex, ethnic_group) x category: people involved in themed incidents that happened in the month. True counts; suppression is applied on publishing.';
comment on column marts.breakdown_person.theme is 'Theme code (marts.theme_definition).';
comment on column marts.breakdown_person.month is 'Month the incidents happened (YYYY-MM).';
comment on column marts.breakdown_person.role is 'victim, or suspect (suspect or accused) in those incidents: a role in an incident, never a label on a person.';
comment on column marts.breakdown_person.dimension is 'age_band (age at the incident), sex or ethnic_group.';
comment on column marts.breakdown_person.category is 'The band, sex or broad ethnic group (unknown where not recorded).';
comment on column marts.breakdown_person.people is 'Distinct people in the role in the month (people are not additive across months).';
comment on column marts.breakdown_person.incidents is 'Distinct incidents with such a person in the role.';
