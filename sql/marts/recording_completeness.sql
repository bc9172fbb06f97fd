-- marts.recording_completeness: one row per source x field x month (month the record was
-- delivered): how many records had the field filled, so gaps in recording are seen before they
-- are read as trends. Reads raw (presence only; no value leaves raw). Unknown codes (IC9, U,
-- REFU, NOBT) count as not filled.
create or replace table marts.recording_completeness as
with f as (
  select 'police_crimes' as source, delivery_month as month, 'ward_code' as field, ward_code is not null or location_type = 'online' as filled from raw.police_crimes
  union all select 'police_crimes', delivery_month, 'location', location_name is not null or latitude is not null from raw.police_crimes
  union all select 'police_crimes', delivery_month, 'coordinates', latitude is not null and longitude is not null or location_type = 'online' from raw.police_crimes
  union all select 'police_crimes', delivery_month, 'cse_flag', cse_flag is not null from raw.police_crimes
  union all select 'police_crimes', delivery_month, 'cce_flag', cce_flag is not null from raw.police_crimes
  union all select 'police_crimes', delivery_month, 'gang_flag', gang_flag is not null from raw.police_crimes
  union all select 'police_crimes', delivery_month, 'online_flag', online_flag is not null from raw.police_crimes
  union all select 'police_crimes', delivery_month, 'knife_flag', knife_flag is not null from raw.police_crimes
  union all select 'police_crimes', delivery_month, 'mo_text', mo_text is not null and trim(mo_text) <> '' from raw.police_crimes
  union all select 'police_persons', delivery_month, 'date_of_birth', dob is not null from raw.police_persons
  union all select 'police_persons', delivery_month, 'date_of_birth_exact', dob is not null and not (day(dob) = 1 and month(dob) = 1) from raw.police_persons
  union all select 'police_persons', delivery_month, 'ethnicity', ethnicity is not null and ethnicity <> 'IC9' from raw.police_persons
  union all select 'police_persons', delivery_month, 'sex', gender is not null and gender <> 'U' from raw.police_persons
  union all select 'police_persons', delivery_month, 'postcode', home_postcode is not null and length(trim(home_postcode)) >= 5 from raw.police_persons
  union all select 'police_persons', delivery_month, 'police_nominal_id', police_nominal_id is not null from raw.police_persons
  union all select 'social_care_referrals', delivery_month, 'date_of_birth', dob is not null from raw.social_care_referrals
  union all select 'social_care_referrals', delivery_month, 'ethnicity', ethnicity is not null and ethnicity not in ('REFU', 'NOBT') from raw.social_care_referrals
  union all select 'social_care_referrals', delivery_month, 'sex', gender is not null and gender <> 'U' from raw.social_care_referrals
  union all select 'social_care_referrals', delivery_month, 'postcode', postcode is not null and length(trim(postcode)) >= 5 from raw.social_care_referrals
  union all select 'social_care_referrals', delivery_month, 'assessment_factors', len(coalesce(assessment_factors, [])) > 0 from raw.social_care_referrals
  union all select 'missing_episodes', delivery_month, 'returned_at', returned_at is not null from raw.missing_episodes
  union all select 'missing_episodes', delivery_month, 'found_location', found_ward_code is not null or found_location_name is not null from raw.missing_episodes
  union all select 'missing_episodes', delivery_month, 'rhi_offered_date', rhi_offered_date is not null from raw.missing_episodes
  union all select 'missing_episodes', delivery_month, 'missing_with', len(coalesce(missing_with, [])) > 0 from raw.missing_episodes
  union all select 'school_exclusions', delivery_month, 'date_of_birth', dob is not null from raw.school_exclusions
  union all select 'school_exclusions', delivery_month, 'reason', reason is not null from raw.school_exclusions
  union all select 'map_assessment_cells', delivery_month, 'factors', len(coalesce(factors, [])) > 0 from raw.map_assessment_cells
  union all select 'map_assessment_cells', delivery_month, 'glm_goods', len(coalesce(glm_goods, [])) > 0 from raw.map_assessment_cells where domain in ('strengths', 'planned_actions')
)
select source, field, month, count(*) as records, count(*) filter (where filled) as filled,
       round(count(*) filter (where filled) / count(*), 4) as share_filled
from f group by all order by 1, 2, 3;
comment on table marts.recording_completeness is 'One row per source x field x delivery month: records and the share with the field filled (unknown codes count as not filled), so recording gaps are seen before they are read as trends.';
comment on column marts.recording_completeness.source is 'Source extract (police_crimes, police_persons, social_care_referrals, missing_episodes, school_exclusions, map_assessment_cells).';
comment on column marts.recording_completeness.field is 'Field checked (ethnicity, date_of_birth, location, flags, ...).';
comment on column marts.recording_completeness.month is 'Delivery month of the records (YYYY-MM).';
comment on column marts.recording_completeness.records is 'Records delivered that month (current versions).';
comment on column marts.recording_completeness.filled is 'Records with the field filled with a known value.';
comment on column marts.recording_completeness.share_filled is 'filled / records.';
