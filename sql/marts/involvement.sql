-- marts.involvement: one row per person x incident x role. Roles belong to the incident.
create or replace table marts.involvement as
select incident_key, person_key, role, age_at_event, sex, ethnic_group from core.involvement;
comment on table marts.involvement is 'One row per person linked to an incident, with their role in that incident and age at the time. A role describes an incident, never a child.';
comment on column marts.involvement.incident_key is 'The incident (marts.incident).';
comment on column marts.involvement.person_key is 'Pseudonymous person key (keyed hash).';
comment on column marts.involvement.role is 'victim, suspect, accused, witness or informant in this incident.';
comment on column marts.involvement.age_at_event is 'Age in whole years when the incident happened.';
comment on column marts.involvement.sex is 'Sex as recorded on this record (M, F, X).';
comment on column marts.involvement.ethnic_group is 'Broad ethnic group from this record.';
