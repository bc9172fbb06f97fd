-- marts.person_link: one row per person-bearing source record -> resolved person.
create or replace table marts.person_link as
select source, source_key, person_key, match_probability from core.person_link;
comment on table marts.person_link is 'Source record to resolved person, with the probability of the link that put it there.';
comment on column marts.person_link.source is 'Source file stem (police_persons, social_care_referrals, missing_episodes, school_exclusions, map_assessments).';
comment on column marts.person_link.source_key is 'The record key, composite keys joined with | (crime_ref|person_seq).';
comment on column marts.person_link.person_key is 'Pseudonymous person key.';
comment on column marts.person_link.match_probability is 'Probability that this record belongs with the rest of its cluster (1.0 for deterministic links).';
