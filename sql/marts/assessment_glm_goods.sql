-- marts.assessment_glm_goods: one row per context x domain (strengths | planned_actions) x Good
-- Lives Model primary good: how many assessments recorded a strength or a planned action serving
-- that good in that context, so plans can be read for what they build, not only what they manage.
create or replace table marts.assessment_glm_goods as
with g as (
  select assessment_id, person_key, context, domain, unnest(glm_goods) as good
  from core.assessment_cell where domain in ('strengths', 'planned_actions')
), n as (select count(distinct assessment_id) as assessments from core.assessment)
select context, domain, good, count(distinct assessment_id) as assessments,
       count(distinct person_key) as young_people,
       round(count(distinct assessment_id) / any_value(n.assessments), 4) as share_of_assessments
from g cross join n group by context, domain, good order by context, domain, assessments desc;
comment on table marts.assessment_glm_goods is 'One row per context x domain (strengths, planned_actions) x Good Lives Model good: assessments whose strengths or planned actions serve the good.';
comment on column marts.assessment_glm_goods.context is 'Matrix row (individual, family_home, peer_group, school, neighbourhood).';
comment on column marts.assessment_glm_goods.domain is 'strengths or planned_actions.';
comment on column marts.assessment_glm_goods.good is 'Good Lives Model primary good (life, knowledge, excellence_in_play, excellence_in_work, agency, inner_peace, relatedness, community, spirituality, pleasure, creativity).';
comment on column marts.assessment_glm_goods.assessments is 'Assessments with a strength or planned action serving the good in this context.';
comment on column marts.assessment_glm_goods.young_people is 'Distinct young people concerned.';
comment on column marts.assessment_glm_goods.share_of_assessments is 'assessments / all MAP assessments.';
