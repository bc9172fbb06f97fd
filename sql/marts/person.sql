-- marts.person: one row per resolved person: who (in broad terms), when seen, which roles in
-- which incidents (counts, never a label), and the factors agencies recorded.
create or replace table marts.person as
with inv as (
  select person_key,
         count(distinct incident_key) filter (where role = 'victim') as incidents_as_victim,
         count(distinct incident_key) filter (where role in ('suspect', 'accused')) as incidents_as_suspect
  from core.involvement group by person_key
), f as (
  select person_key, unnest(assessment_factors) as factor from core.referral
  union select person_key, unnest(concerns) from core.missing_episode
  union select person_key, unnest(factors) from core.assessment_cell where domain in ('vulnerability', 'risk')
)
select p.person_key, p.birth_year, p.sex, p.ethnic_group, p.home_ward_code, p.first_seen, p.last_seen,
       p.source_count,
       coalesce(inv.incidents_as_victim, 0) as incidents_as_victim,
       coalesce(inv.incidents_as_suspect, 0) as incidents_as_suspect,
       coalesce(inv.incidents_as_victim, 0) > 0 and coalesce(inv.incidents_as_suspect, 0) > 0 as victim_and_suspect,
       coalesce((select list(distinct factor order by factor) from f where f.person_key = p.person_key
                 and factor in (select unnest($vulnerability))), []::varchar[]) as vulnerability_factors,
       coalesce((select list(distinct factor order by factor) from f where f.person_key = p.person_key
                 and factor in (select unnest($risk))), []::varchar[]) as risk_factors
from core.person p left join inv using (person_key);
comment on table marts.person is 'One row per resolved person: birth year, sex, broad ethnic group, when seen, counts of incidents as victim and as suspect, and recorded vulnerability and risk factors. Describes, never scores.';
comment on column marts.person.person_key is 'Pseudonymous person key (keyed hash; stable across refreshes while the cluster persists).';
comment on column marts.person.birth_year is 'Year of birth (never the full date).';
comment on column marts.person.sex is 'Sex (M, F, X), most frequent across records.';
comment on column marts.person.ethnic_group is 'Broad ethnic group; self-defined preferred over officer-defined.';
comment on column marts.person.home_ward_code is 'Home ward where a postcode lookup is available (NULL otherwise).';
comment on column marts.person.first_seen is 'Date of the earliest record of the person in any source.';
comment on column marts.person.last_seen is 'Date of the latest record.';
comment on column marts.person.source_count is 'Number of agencies (police, social care, education) holding records of the person.';
comment on column marts.person.incidents_as_victim is 'Incidents in which the person was recorded as a victim.';
comment on column marts.person.incidents_as_suspect is 'Incidents in which the person was recorded as a suspect or accused.';
comment on column marts.person.victim_and_suspect is 'Recorded as a victim in one incident and a suspect in another (or the same): the overlap, not a label.';
comment on column marts.person.vulnerability_factors is 'Vulnerability factors recorded by any agency.';
comment on column marts.person.risk_factors is 'Risk factors recorded by any agency.';
