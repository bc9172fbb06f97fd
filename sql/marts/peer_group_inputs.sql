-- _peer_group_inputs (temporary): what each person's part of the group-keyed marts
-- (marts.group_place, marts.peer_group_profile) is computed from, as one digest per person x
-- month (month_no = year * 12 + month - 1 of the row's date; 0 for rows without one and for the
-- person's own attributes). Every input of those marts can only change a group's rows from its own
-- month on (an incident counts in the $window months from its own, a school or a vulnerability
-- factor from its first recording), so a person whose digests differ from the last run's from month
-- m on makes every group they are in from m on be recomputed (transforms/networks/build.py).
-- A superset of the columns the marts read is hashed: a column added to a mart must be added here.
create or replace temp table _peer_group_inputs as
with rows_ as (
  select v.person_key, least(i.occurred_at, mi.occurred_at) as seen_at,
         hash(v.incident_key, v.role, i.occurred_at, i.place_id, mi.occurred_at, mi.themes, mi.ward_code) as h
  from core.involvement v left join core.incident i using (incident_key) left join marts.incident mi using (incident_key)
  union all
  select person_key, least(reported_at, coalesce(returned_at, reported_at)),
         hash(episode_id, reported_at, returned_at, found_place_id, found_ward_code, concerns)
  from core.missing_episode
  union all
  select c.person_key, s.meeting_date, hash(c.assessment_id, c.domain, c.factors, c.named_place_ids, s.meeting_date)
  from core.assessment_cell c left join core.assessment s using (assessment_id)
  union all
  select person_key, start_date, hash(school_urn, start_date) from core.exclusion
  union all
  select person_key, referral_date, hash(referral_id, referral_date, assessment_factors) from core.referral
  union all
  select person_key, null, hash(birth_year, sex) from marts.person
)
select person_key, coalesce(year(seen_at) * 12 + month(seen_at) - 1, 0)::bigint as month_no,
       count(*) as rows_in, sum(h)::hugeint as hash_sum, bit_xor(h) as hash_xor
from rows_ where person_key is not null
group by all
