-- marts.assessment_cells: one row per context x domain of the contextual-safeguarding matrix:
-- how many MAP assessments recorded that cell at all (whether it holds factor codes, Good Lives
-- goods or only text, which stays in raw), and how many young people. The matrix of what was
-- recorded, where marts.assessment_matrix counts factor codes only.
create or replace table marts.assessment_cells as
select a.month, c.context, c.domain, count(distinct c.assessment_id) as assessments,
       count(distinct c.person_key) as young_people,
       count(distinct c.assessment_id) filter (where len(c.factors) > 0) as with_factors
from core.assessment_cell c join core.assessment a using (assessment_id) group by all order by 1, 2, 3;
comment on table marts.assessment_cells is 'One row per meeting month x context x domain of the MAP matrix: assessments recording the cell at all (factor codes, goods or text), young people, and assessments with factor codes in it.';
comment on column marts.assessment_cells.month is 'Month of the MAP meeting (YYYY-MM): a page sums the months up to its own.';
comment on column marts.assessment_cells.context is 'Matrix row: individual, family_home, peer_group, school, neighbourhood.';
comment on column marts.assessment_cells.domain is 'Matrix column: current_situation, hsb, vulnerability, risk, resilience, strengths, professional_involvement, planned_actions.';
comment on column marts.assessment_cells.assessments is 'Assessments with this cell recorded.';
comment on column marts.assessment_cells.young_people is 'Distinct young people whose assessment recorded this cell.';
comment on column marts.assessment_cells.with_factors is 'Assessments recording factor codes in this cell.';
-- marts.context_planning: per context, the assessments recording vulnerability or risk factors in
-- it and how many of those also record a planned action for it (a planned_actions cell with
-- factors or goods): the share of contexts with concerns that a plan addresses.
create or replace table marts.context_planning as
with concern as (
  select distinct assessment_id, context from core.assessment_cell
  where domain in ('vulnerability', 'risk') and len(factors) > 0
), planned as (
  select distinct assessment_id, context from core.assessment_cell
  where domain = 'planned_actions' and (len(factors) > 0 or len(glm_goods) > 0)
)
select a.month, c.context, count(*) as with_concern,
       count(*) filter (where p.assessment_id is not null) as with_planned_action
from concern c join core.assessment a using (assessment_id)
left join planned p using (assessment_id, context) group by 1, 2 order by 1, 2;
comment on table marts.context_planning is 'Per context: MAP assessments recording vulnerability or risk factors in it, and those of them with a planned action for the context.';
comment on column marts.context_planning.month is 'Month of the MAP meeting (YYYY-MM).';
comment on column marts.context_planning.context is 'Matrix row: individual, family_home, peer_group, school, neighbourhood.';
comment on column marts.context_planning.with_concern is 'Assessments with vulnerability or risk factors recorded in the context.';
comment on column marts.context_planning.with_planned_action is 'Of those, assessments with a planned action (factors or goods) for the context.';
