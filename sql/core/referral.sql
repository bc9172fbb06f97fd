-- core.referral: one row per children's social care referral, pseudonymised.
create or replace table core.referral as
select s.referral_id, r.person_key, s.referral_date, strftime(s.referral_date, '%Y-%m') as month,
       s.referral_source, s.outcome, coalesce(s.assessment_factors, []) as assessment_factors,
       s.looked_after, s.placement_moves_12m, r.age_at_event, r.sex, r.ethnic_group
from raw.social_care_referrals s
join core.person_record r on r.source = 'social_care_referrals' and r.source_key = s.referral_id;
comment on table core.referral is 'One row per social care referral: when, from whom, outcome, factors assessed. Pseudonymised.';
