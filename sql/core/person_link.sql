-- core.person_link: one row per person-bearing source record -> the resolved person, rewritten by
-- every linkage run from the frame `_id_links` (transforms/identity/resolve.py).
create or replace table core.person_link as
select source::varchar as source, source_key::varchar as source_key,
       person_key::varchar as person_key, match_probability::double as match_probability,
       cluster_size::integer as cluster_size
from _id_links order by source, source_key;
comment on table core.person_link is 'One row per person-bearing source record: the resolved person_key and the probability of the link that put it there.';
comment on column core.person_link.source is 'Source file stem (police_persons, social_care_referrals, missing_episodes, school_exclusions, map_assessments).';
comment on column core.person_link.source_key is 'The record key in its source, composite keys joined with | (crime_ref|person_seq).';
comment on column core.person_link.person_key is 'Pseudonymous person key: a keyed hash (HMAC-SHA256), stable across refreshes while the person''s cluster persists.';
comment on column core.person_link.match_probability is 'Best model match probability tying the record to the rest of its cluster; 1.0 for singletons and deterministic links (shared agency ID, exact name and date of birth, identical identifiers, analyst-accepted).';
comment on column core.person_link.cluster_size is 'Number of source records resolved to this person_key.';
