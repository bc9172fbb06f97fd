-- marts.peer_group: one row per person x month: the peer group a young person was found in that
-- month (communities of the decayed peer graph, ids matched month to month). Rows come from the
-- registered frame peer_group_rows (transforms/networks).
create or replace table marts.peer_group as
select as_of_month::varchar as as_of_month, person_key::varchar as person_key, group_id::varchar as group_id
from peer_group_rows order by as_of_month, group_id, person_key;
comment on table marts.peer_group is 'One row per young person x month: the peer group they were found in from the ties recorded up to that month (old ties fade). Being in a group describes a context, it is not an allegation: "linked to a gang member" is not "in a gang".';
comment on column marts.peer_group.as_of_month is 'Month (YYYY-MM): the graph holds evidence up to the end of this month, decayed by age.';
comment on column marts.peer_group.person_key is 'Pseudonymous person key.';
comment on column marts.peer_group.group_id is 'Peer group id, kept across months while the group persists (Jaccard matching to the previous month): PG, the year and month it was first found (yymm) and 8 hex digits of a digest of that month and its lowest person_key, so it does not depend on other groups (PG1903-4f2a9c1d).';
