-- marts.unaddressed_context: one row per assessment x context where the MAP meeting recorded
-- vulnerability or risk factors but no planned action for that context (no planned_actions cell,
-- or one with neither factors nor goods): the contexts a plan leaves unaddressed.
create or replace table marts.unaddressed_context as
with concern as (
  select assessment_id, person_key, context,
         flatten(list(factors) filter (where domain = 'vulnerability')) as vulnerability_factors,
         flatten(list(factors) filter (where domain = 'risk')) as risk_factors
  from core.assessment_cell where domain in ('vulnerability', 'risk') and len(factors) > 0
  group by all
), planned as (
  select distinct assessment_id, context from core.assessment_cell
  where domain = 'planned_actions' and (len(factors) > 0 or len(glm_goods) > 0)
)
select c.assessment_id, c.person_key, a.month, a.hsb_level, a.status, c.context,
       coalesce(c.vulnerability_factors, []) as vulnerability_factors, coalesce(c.risk_factors, []) as risk_factors
from concern c join core.assessment a using (assessment_id)
where not exists (select 1 from planned p where p.assessment_id = c.assessment_id and p.context = c.context)
order by a.month, c.assessment_id, c.context;
comment on table marts.unaddressed_context is 'One row per MAP assessment x context recorded with vulnerability or risk but with no planned action for that context.';
comment on column marts.unaddressed_context.assessment_id is 'The MAP assessment.';
comment on column marts.unaddressed_context.person_key is 'Pseudonymous key of the young person assessed.';
comment on column marts.unaddressed_context.month is 'Month of the MAP meeting (YYYY-MM).';
comment on column marts.unaddressed_context.hsb_level is 'HSB level recorded (Hackett continuum).';
comment on column marts.unaddressed_context.status is 'Assessment status (open, closed).';
comment on column marts.unaddressed_context.context is 'Context with concerns but no planned action.';
comment on column marts.unaddressed_context.vulnerability_factors is 'Vulnerability factors recorded in the context.';
comment on column marts.unaddressed_context.risk_factors is 'Risk factors recorded in the context.';
