-- raw.child_key: social care child_id -> resolved person_key, to resolve the child_ids named in
-- missing_with and named_peers. Agency IDs stay in raw (pipeline only).
create or replace table raw.child_key as
select child_id, any_value(l.person_key) as person_key
from (select child_id, referral_id as k, 'social_care_referrals' as s from raw.social_care_referrals
      union all select child_id, episode_id, 'missing_episodes' from raw.missing_episodes
      union all select child_id, assessment_id, 'map_assessments' from raw.map_assessments) x
join core.person_link l on l.source = x.s and l.source_key = x.k
group by child_id;
