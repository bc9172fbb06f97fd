-- marts.map_action: one row per planned action of a MAP assessment (a planned_actions cell), with
-- its owner agency, due date and status where the borough records them (the optional action_*
-- columns of the MAP workbook), and whether it is overdue as at the end of the latest delivery
-- month: due before then and neither done nor closed as not done. Pseudonymised; no free text.
create or replace table marts.map_action as
with as_at as (
  select coalesce(last_day(strptime(max(delivery_month) || '-01', '%Y-%m-%d')),
                  (select max(meeting_date) from core.assessment)) as as_of
  from ops.loads where status = 'loaded' and delivery_month is not null
)
select c.assessment_id, c.person_key, a.month, a.meeting_date, a.status as assessment_status, c.context,
       c.glm_goods, c.action_owner, c.action_due, c.action_status,
       (c.action_due is not null and c.action_due < x.as_of
        and coalesce(c.action_status, '') not in ('done', 'not_done')) as overdue,
       cast(x.as_of as date) as as_of
from core.assessment_cell c join core.assessment a using (assessment_id) cross join as_at x
where c.domain = 'planned_actions'
order by a.meeting_date, c.assessment_id, c.context;
comment on table marts.map_action is 'One row per planned action of a MAP assessment: owner agency, due date and status where recorded, overdue as at the latest delivery.';
comment on column marts.map_action.assessment_id is 'The MAP assessment.';
comment on column marts.map_action.person_key is 'Pseudonymous key of the young person assessed.';
comment on column marts.map_action.month is 'Month of the MAP meeting (YYYY-MM).';
comment on column marts.map_action.meeting_date is 'Date of the MAP meeting that planned the action.';
comment on column marts.map_action.assessment_status is 'Assessment status (open, closed).';
comment on column marts.map_action.context is 'Context the action addresses (individual, family_home, peer_group, school, neighbourhood).';
comment on column marts.map_action.glm_goods is 'Good Lives Model primary goods the action serves.';
comment on column marts.map_action.action_owner is 'Agency that owns the action (NULL where not recorded).';
comment on column marts.map_action.action_due is 'When the action is due (NULL where not recorded).';
comment on column marts.map_action.action_status is 'planned, in_progress, done or not_done (NULL where not recorded).';
comment on column marts.map_action.overdue is 'Due before as_of and neither done nor closed as not done.';
comment on column marts.map_action.as_of is 'End of the latest delivery month: the date overdue is judged at.';
