-- marts.peer_bridge: one row per young person x month whose ties that month reach two or more
-- peer groups. RESTRICTED: analysts' edition only, never published or shared with partners.
-- No score, no ranking: the groups linked, nothing more. Rows from the registered frame
-- peer_bridge_rows (transforms/networks).
create or replace table marts.peer_bridge as
select as_of_month::varchar as as_of_month, person_key::varchar as person_key, group_id::varchar as group_id,
       linked_group_ids::varchar[] as linked_group_ids
from peer_bridge_rows order by as_of_month, person_key;
comment on table marts.peer_bridge is 'restricted: analysts'' edition only. One row per young person x month whose ties reach two or more peer groups (a bridge between contexts). No score and no ranking of children; never published, exported or shared with partners.';
comment on column marts.peer_bridge.as_of_month is 'Month (YYYY-MM).';
comment on column marts.peer_bridge.person_key is 'Pseudonymous person key.';
comment on column marts.peer_bridge.group_id is 'Their own peer group that month, if any.';
comment on column marts.peer_bridge.linked_group_ids is 'Other peer groups their ties that month reach (sorted by id, not by any measure).';
