-- marts.disproportionality: one row per period x theme x role x dimension (ethnic_group | sex |
-- ward) x category: young people aged 10-17 involved in themed incidents per 1,000 children aged
-- 10-17 in the population (core.population), the ratio to the borough rate, and 95% confidence
-- intervals by Byar's approximation to the exact Poisson interval, so that a difference small
-- numbers can produce is not read as a finding. For wards the numerator counts children
-- involved in incidents that happened in the ward (residence is not known for everyone).
-- Parameter $z: the normal quantile of the interval (1.96 for 95%).
create or replace table marts.disproportionality as
with last_month as (select max(month) as m1 from core.incident),
periods as (
  select 'all_months' as period, '0000-00' as m0, m1 from last_month
  union all
  select 'last_12_months', strftime(strptime(m1, '%Y-%m') - interval 11 month, '%Y-%m'), m1 from last_month
), self_defined as (
  -- people whom any source records with a self-defined (DfE) ethnic group
  select distinct person_key from core.person_record
  where ethnicity_coding = 'self_defined' and ethnic_group <> 'unknown'
), inv as (
  select p.period, t.theme, case when v.role = 'victim' then 'victim' else 'suspect' end as role,
         v.person_key,
         case when sd.person_key is not null then pe.ethnic_group else coalesce(v.ethnic_group, 'unknown') end as ethnic_group,
         sd.person_key is not null as self_defined, coalesce(v.sex, 'unknown') as sex,
         i.ward_code
  from core.incident_theme t join core.incident i using (incident_key)
  join core.involvement v using (incident_key)
  left join core.person pe on pe.person_key = v.person_key
  left join self_defined sd on sd.person_key = v.person_key
  cross join periods p
  where v.role in ('victim', 'suspect', 'accused') and v.age_at_event between 10 and 17
    and v.person_key is not null and i.month between p.m0 and p.m1
), people as (
  select period, theme, role, 'ethnic_group' as dimension, ethnic_group as category, count(distinct person_key) as n,
         count(distinct person_key) filter (where self_defined) as n_self from inv group by all
  union all select period, theme, role, 'sex', sex, count(distinct person_key), null from inv group by all
  union all select period, theme, role, 'ward', ward_code, count(distinct person_key), null from inv where ward_code is not null group by all
), borough as (
  select period, theme, role, count(distinct person_key) as n from inv group by all
), pop as (
  select 'ethnic_group' as dimension, ethnic_group as category, sum(population) as population from core.population where age between 10 and 17 group by all
  union all select 'sex', sex, sum(population) from core.population where age between 10 and 17 group by all
  union all select 'ward', ward_code, sum(population) from core.population where age between 10 and 17 group by all
), borough_pop as (
  select sum(population) as population from core.population where age between 10 and 17
), grid as (
  select distinct b.period, b.theme, b.role, pop.dimension, pop.category from borough b cross join pop
  union select period, theme, role, dimension, category from people
), rates as (
  select g.period, g.theme, g.role, g.dimension, g.category,
         coalesce(p.n, 0) as young_people, pop.population,
         case when g.dimension = 'ethnic_group' then coalesce(p.n_self, 0) end as self_defined,
         b.n as borough_young_people, bp.population as borough_population,
         1000.0 * b.n / nullif(bp.population, 0) as borough_rate_per_1000
  from grid g
  join borough b using (period, theme, role)
  cross join borough_pop bp
  left join people p using (period, theme, role, dimension, category)
  left join pop using (dimension, category)
), ci as (
  select *,
         case when young_people = 0 then 0.0
              else young_people * pow(1 - 1 / (9.0 * young_people) - $z / (3 * sqrt(young_people)), 3) end as n_lower,
         (young_people + 1) * pow(1 - 1 / (9.0 * (young_people + 1)) + $z / (3 * sqrt(young_people + 1)), 3) as n_upper
  from rates
)
select period, theme, role, dimension, category, young_people, population,
       round(1000.0 * young_people / nullif(population, 0), 3) as rate_per_1000,
       round(1000.0 * n_lower / nullif(population, 0), 3) as rate_lower,
       round(1000.0 * n_upper / nullif(population, 0), 3) as rate_upper,
       round(borough_rate_per_1000, 3) as borough_rate_per_1000,
       round((1000.0 * young_people / nullif(population, 0)) / nullif(borough_rate_per_1000, 0), 3) as ratio,
       round((1000.0 * n_lower / nullif(population, 0)) / nullif(borough_rate_per_1000, 0), 3) as ratio_lower,
       round((1000.0 * n_upper / nullif(population, 0)) / nullif(borough_rate_per_1000, 0), 3) as ratio_upper,
       case when population is null or population = 0 then null
            else (1000.0 * n_lower / population) > borough_rate_per_1000
              or (1000.0 * n_upper / population) < borough_rate_per_1000 end as differs_from_borough,
       self_defined
from ci order by period, theme, role, dimension, category;
comment on column marts.disproportionality.self_defined is 'Ethnic group rows: of young_people, those whose group is self-defined (a DfE code from social care or education); the rest carry the police officer-defined code (IC codes, which have no mixed group). NULL on other dimensions.';
comment on table marts.disproportionality is 'One row per period x theme x role x dimension (ethnic_group, sex, ward) x category: young people aged 10-17 involved per 1,000 children aged 10-17, ratio to the borough rate, 95% confidence intervals (Byar).';
comment on column marts.disproportionality.period is 'all_months, or last_12_months (the 12 months up to the latest month).';
comment on column marts.disproportionality.theme is 'Theme code.';
comment on column marts.disproportionality.role is 'victim, or suspect (suspect or accused).';
comment on column marts.disproportionality.dimension is 'ethnic_group, sex or ward.';
comment on column marts.disproportionality.category is 'The group (ward code for wards; unknown where not recorded, with no population).';
comment on column marts.disproportionality.young_people is 'Distinct young people aged 10-17 in the role in themed incidents of the period (true count).';
comment on column marts.disproportionality.population is 'Children aged 10-17 in the group (reference population).';
comment on column marts.disproportionality.rate_per_1000 is 'young_people per 1,000 children of the group.';
comment on column marts.disproportionality.rate_lower is 'Lower 95% limit of the rate (Byar approximation to the exact Poisson interval).';
comment on column marts.disproportionality.rate_upper is 'Upper 95% limit of the rate.';
comment on column marts.disproportionality.borough_rate_per_1000 is 'Rate for all children of the borough (all groups, unknown included).';
comment on column marts.disproportionality.ratio is 'rate_per_1000 / borough_rate_per_1000 (1 = as the borough).';
comment on column marts.disproportionality.ratio_lower is 'Lower 95% limit of the ratio (borough rate taken as known).';
comment on column marts.disproportionality.ratio_upper is 'Upper 95% limit of the ratio.';
comment on column marts.disproportionality.differs_from_borough is 'True only when the whole interval lies above or below the borough rate; NULL without a population.';
