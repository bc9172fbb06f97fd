-- core.exclusion: one row per suspension or permanent exclusion, pseudonymised.
create or replace table core.exclusion as
select x.exclusion_id, r.person_key, x.school_urn, x.category, x.start_date,
       strftime(x.start_date, '%Y-%m') as month, x.sessions, x.reason, r.age_at_event, r.sex
from raw.school_exclusions x
join core.person_record r on r.source = 'school_exclusions' and r.source_key = x.exclusion_id;
comment on table core.exclusion is 'One row per suspension or permanent exclusion: school, category, reason code, sessions. Pseudonymised.';
