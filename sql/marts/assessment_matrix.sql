-- marts.assessment_matrix: one row per context x domain x factor across all MAP assessments:
-- how many assessments and young people had the factor recorded in that cell of the
-- contextual-safeguarding matrix, its share of the assessments and its rank within the context
-- and domain (most frequent first). Which contexts carry vulnerability and risk.
create or replace table marts.assessment_matrix as
with cells as (
  select assessment_id, person_key, context, domain, unnest(factors) as factor from core.assessment_cell
), n as (
  select count(distinct assessment_id) as assessments from core.assessment
), agg as (
  select context, domain, factor, count(distinct assessment_id) as assessments,
         count(distinct person_key) as young_people
  from cells group by all
)
select a.context, a.domain, a.factor, a.assessments, a.young_people,
       round(a.assessments / n.assessments, 4) as share_of_assessments,
       rank() over (partition by a.context, a.domain order by a.assessments desc, a.factor) as rank_in_context
from agg a cross join n order by context, domain, rank_in_context;
comment on table marts.assessment_matrix is 'One row per context x domain x factor across all MAP assessments: assessments and young people with the factor recorded in that cell, share and rank within the context and domain.';
comment on column marts.assessment_matrix.context is 'Matrix row: individual, family_home, peer_group, school, neighbourhood.';
comment on column marts.assessment_matrix.domain is 'Matrix column: current_situation, hsb, vulnerability, risk, resilience, strengths, professional_involvement, planned_actions.';
comment on column marts.assessment_matrix.factor is 'Factor code recorded in the cell.';
comment on column marts.assessment_matrix.assessments is 'Assessments recording the factor in this context and domain.';
comment on column marts.assessment_matrix.young_people is 'Distinct young people assessed with the factor in this context and domain.';
comment on column marts.assessment_matrix.share_of_assessments is 'assessments / all MAP assessments.';
comment on column marts.assessment_matrix.rank_in_context is 'Rank of the factor within the context and domain (1 = most frequent).';
