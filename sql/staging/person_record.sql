-- raw.person_record: one row per person-bearing source record, with the identifiers linkage
-- needs (names, date of birth, postcode: personal data, so it lives in raw, pipeline only).
-- source/source_key are spelled as in extracts.md's truth section; delivery_month is the month
-- whose extract delivered the record (identity's training months and key rule read it).
create or replace view raw.person_record as
select 'police_persons' as source, crime_ref || '|' || person_seq as source_key,
       'police' as agency, police_nominal_id as agency_id,
       forename, surname, dob, gender, ethnicity as ethnicity_code, home_postcode as postcode,
       cast(c.committed_from as date) as event_date, role, p.delivery_month
from raw.police_persons p left join raw.police_crimes c using (crime_ref)
union all
select 'social_care_referrals', referral_id, 'social_care', child_id,
       forename, surname, dob, gender, ethnicity, postcode, referral_date, null, delivery_month
from raw.social_care_referrals
union all
select 'missing_episodes', episode_id, 'social_care', child_id,
       null, null, null, null, null, null, cast(reported_at as date), null, delivery_month
from raw.missing_episodes
union all
select 'school_exclusions', exclusion_id, 'education', upn,
       forename, surname, dob, gender, null, null, start_date, null, delivery_month
from raw.school_exclusions
union all
select 'map_assessments', assessment_id, 'social_care', child_id,
       null, null, null, null, null, null, meeting_date, null, delivery_month
from raw.map_assessments;
