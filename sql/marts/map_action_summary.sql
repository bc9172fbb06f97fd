-- marts.map_action_summary: MAP planned actions by owner agency and status (the cross-case view):
-- actions, overdue actions, assessments and young people. 'not recorded' where a workbook has no
-- action_* columns or leaves them blank. True counts: disclosure control belongs to publishing.
create or replace table marts.map_action_summary as
select coalesce(action_owner, 'not recorded') as action_owner,
       coalesce(action_status, 'not recorded') as action_status,
       count(*) as actions, count(*) filter (where overdue) as overdue,
       count(distinct assessment_id) as assessments, count(distinct person_key) as young_people,
       max(as_of) as as_of
from marts.map_action
group by all
order by 1, 2;
comment on table marts.map_action_summary is 'MAP planned actions by owner agency and status: actions, overdue, assessments, young people (true counts).';
comment on column marts.map_action_summary.action_owner is 'Agency that owns the action, or not recorded.';
comment on column marts.map_action_summary.action_status is 'planned, in_progress, done, not_done, or not recorded.';
comment on column marts.map_action_summary.actions is 'Planned actions (count).';
comment on column marts.map_action_summary.overdue is 'Of which overdue at as_of (count).';
comment on column marts.map_action_summary.assessments is 'MAP assessments with such an action (count).';
comment on column marts.map_action_summary.young_people is 'Young people with such an action (count).';
comment on column marts.map_action_summary.as_of is 'End of the latest delivery month.';
