-- core.involvement: one row per person linked to a crime (person x incident x role).
create or replace table core.involvement as
select p.crime_ref as incident_key, p.person_seq, r.person_key, p.role, r.age_at_event,
       r.sex, r.ethnic_group
from raw.police_persons p
join core.person_record r on r.source = 'police_persons' and r.source_key = p.crime_ref || '|' || p.person_seq;
comment on table core.involvement is 'One row per person linked to a crime: their role in that incident (roles belong to incidents, never to children) and age at the time.';
