-- marts.peer_on_peer: one row per month x scope (a peer group, or the borough when group_id is
-- NULL): "perpetrators or victims?" -- of the young people ($young_min-$young_max) recorded as
-- victim or suspect over the $window months up to the month, how many were recorded as both, and
-- how many incidents had a victim and a suspect from the same group.
create or replace table marts.peer_on_peer as
with months as (
  select distinct as_of_month from marts.peer_group
), inv as (
  -- an involvement counts in the $window months from its incident's month that have groups: an
  -- equi-join on the month, not a range join of every involvement with every month
  select x.as_of_month, x.incident_key, x.person_key, x.is_victim, x.is_suspect
  from (
    select strftime(date_trunc('month', cast(i.occurred_at as date)) + to_months(k), '%Y-%m') as as_of_month,
           v.incident_key, v.person_key,
           v.role = 'victim' as is_victim, v.role in ('suspect', 'accused') as is_suspect
    from core.involvement v join core.incident i using (incident_key), range($window) as r(k)
    where v.role in ('victim', 'suspect', 'accused') and v.age_at_event between $young_min and $young_max
      and i.occurred_at is not null
  ) x semi join months m using (as_of_month)
), people as (
  select i.as_of_month, g.group_id, i.person_key, bool_or(i.is_victim) as victim, bool_or(i.is_suspect) as suspect
  from inv i left join marts.peer_group g on g.person_key = i.person_key and g.as_of_month = i.as_of_month
  group by all
), within as (
  select x.as_of_month, gx.group_id, count(distinct x.incident_key) as within_group_incidents
  from inv x join inv y on x.as_of_month = y.as_of_month and x.incident_key = y.incident_key
   and x.is_victim and y.is_suspect and x.person_key <> y.person_key
  join marts.peer_group gx on gx.person_key = x.person_key and gx.as_of_month = x.as_of_month
  join marts.peer_group gy on gy.person_key = y.person_key and gy.as_of_month = y.as_of_month
  where gx.group_id = gy.group_id
  group by all
), scoped as (
  select as_of_month, group_id, count(*) as young_people, count(*) filter (where victim) as victims,
         count(*) filter (where suspect) as suspects, count(*) filter (where victim and suspect) as victim_and_suspect
  from people where group_id is not null group by all
  union all
  select as_of_month, null, count(*), count(*) filter (where victim), count(*) filter (where suspect),
         count(*) filter (where victim and suspect)
  from people group by all
)
select s.as_of_month, s.group_id, s.young_people, s.victims, s.suspects, s.victim_and_suspect,
       round(s.victim_and_suspect / s.young_people, 3) as victim_and_suspect_share,
       coalesce(w.within_group_incidents, b.within_group_incidents, 0) as within_group_incidents
from scoped s
left join within w on w.as_of_month = s.as_of_month and w.group_id = s.group_id
left join (select as_of_month, sum(within_group_incidents)::bigint as within_group_incidents from within group by all) b
  on b.as_of_month = s.as_of_month and s.group_id is null;
comment on table marts.peer_on_peer is 'One row per month x peer group, plus a borough-wide row (group_id NULL): of the young people recorded as victim or suspect in the profile window, how many were recorded as both ("perpetrators or victims?"), and incidents with victim and suspect in one group. Roles belong to incidents, never to children.';
comment on column marts.peer_on_peer.as_of_month is 'Month (YYYY-MM); counts cover the profile window (default 12 months) ending then.';
comment on column marts.peer_on_peer.group_id is 'Peer group; NULL on the borough-wide row (all young people, in a group or not).';
comment on column marts.peer_on_peer.young_people is 'Young people (10-19) recorded as victim or suspect in the window.';
comment on column marts.peer_on_peer.victims is 'Of those, recorded as a victim at least once.';
comment on column marts.peer_on_peer.suspects is 'Of those, recorded as a suspect or accused at least once.';
comment on column marts.peer_on_peer.victim_and_suspect is 'Of those, recorded as both (in different incidents or one).';
comment on column marts.peer_on_peer.victim_and_suspect_share is 'victim_and_suspect / young_people.';
comment on column marts.peer_on_peer.within_group_incidents is 'Incidents in the window with a victim and a suspect from the same peer group (harm within the group).';
