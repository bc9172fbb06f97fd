-- marts.peer_group_event: one row per peer group x month x change: how each month's groups relate
-- to last month's (birth, death, merge, split, continue). Rows from the registered frame
-- peer_group_event_rows (transforms/networks/tracking.py).
create or replace table marts.peer_group_event as
select as_of_month::varchar as as_of_month, event::varchar as event, group_id::varchar as group_id,
       related_group_ids::varchar[] as related_group_ids
from peer_group_event_rows order by as_of_month, group_id, event;
comment on table marts.peer_group_event is 'One row per group change in a month: birth (new group), death (no successor), merge (this group formed from several), split (this group divided; the parts are related), continue (the same group carried on).';
comment on column marts.peer_group_event.as_of_month is 'Month of the change (YYYY-MM).';
comment on column marts.peer_group_event.event is 'birth, death, merge, split or continue.';
comment on column marts.peer_group_event.group_id is 'The group: for merge the merged group, for split the group that divided (which keeps its id in its largest-overlap part), for death the group that ended.';
comment on column marts.peer_group_event.related_group_ids is 'For merge: the other groups absorbed; for split: the new groups split off; otherwise empty.';
