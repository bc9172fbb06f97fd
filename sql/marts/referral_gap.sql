-- marts.referral_gap: one row per theme x month: young victims (under 18) of themed incidents in
-- the month, and how many had no children's social-care referral from 30 days before to 30 days
-- after the incident. Counts only: this mart never lists the children.
create or replace table marts.referral_gap as
with victims as (
  select distinct t.theme, i.month, v.person_key, cast(i.occurred_at as date) as day
  from core.incident_theme t join core.incident i using (incident_key)
  join core.involvement v using (incident_key)
  where v.role = 'victim' and v.age_at_event < 18 and v.person_key is not null
), flagged as (
  select a.theme, a.month, a.person_key,
         exists (select 1 from core.referral r where r.person_key = a.person_key
                 and r.referral_date between a.day - interval 30 day and a.day + interval 30 day) as referred
  from victims a
)
select theme, month, count(distinct person_key) as young_victims,
       count(distinct person_key) filter (where not referred) as without_referral,
       round(count(distinct person_key) filter (where not referred) / count(distinct person_key), 4) as share_without_referral
from flagged group by all order by 1, 2;
comment on table marts.referral_gap is 'One row per theme x month: young victims of themed incidents and how many had no social-care referral within 30 days of the incident. Counts only; no child is listed.';
comment on column marts.referral_gap.theme is 'Theme code.';
comment on column marts.referral_gap.month is 'Month the incidents happened (YYYY-MM).';
comment on column marts.referral_gap.young_victims is 'Distinct victims under 18 of themed incidents that month.';
comment on column marts.referral_gap.without_referral is 'Of those, children with no social-care referral dated from 30 days before to 30 days after the incident.';
comment on column marts.referral_gap.share_without_referral is 'without_referral / young_victims.';
