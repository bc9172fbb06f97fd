-- marts.peer_on_peer: one row per month x scope (a peer group, or the borough when group_id is
-- NULL): "perpetrators or victims?" -- of the young people ($young_min-$young_max) recorded as
-- victim or suspect over the $window months up to the month, how many were recorded as both, and
-- how many incidents had a victim and a suspect from the same group.
create or replace table marts.peer_on_peer as
with months as (
  -- month numbers (year * 12 + month - 1) join faster than 'YYYY-MM' strings made row by row
  select distinct as_of_month,
         year(strptime(as_of_month || '-01', '%Y-%m-%d')) * 12 + month(strptime(as_of_month || '-01', '%Y-%m-%d')) - 1 as month_no
  from marts.peer_group
), pg as (
  select g.person_key, m.month_no, g.group_id from marts.peer_group g join months m using (as_of_month)
), young as (
  select v.incident_key, v.person_key, v.role = 'victim' as is_victim, v.role in ('suspect', 'accused') as is_suspect,
         year(cast(i.occurred_at as date)) * 12 + month(cast(i.occurred_at as date)) - 1 as incident_month
  from core.involvement v join core.incident i using (incident_key)
  where v.role in ('victim', 'suspect', 'accused') and v.age_at_event between $young_min and $young_max
    and i.occurred_at is not null
), people as (
  -- a person's roles in each month, spread over the $window months from it that have groups (an
  -- equi-join on the month, not a range join of every involvement with every month)
  select x.month_no, g.group_id, x.person_key, x.victim, x.suspect
  from (
    select person_key, incident_month + k as month_no, bool_or(victim) as victim, bool_or(suspect) as suspect
    from (select person_key, incident_month, bool_or(is_victim) as victim, bool_or(is_suspect) as suspect
          from young group by all), range($window) as r(k)
    where incident_month + k in (select month_no from months)
    group by all
  ) x left join pg g on g.person_key = x.person_key and g.month_no = x.month_no
), victim_months as materialized (
  -- a victim and a suspect of one incident: the pairs are made once per incident, then spread
  -- over its $window months and met with the victim's group there. Materialised so that the
  -- planner cannot join the groups with themselves first (hundreds of millions of rows when the
  -- groups were written in the same transaction and have no statistics yet)
  select s.incident_key, s.suspect_key, s.month_no, gx.group_id
  from (
    select p.incident_key, p.victim_key, p.suspect_key, p.incident_month + k as month_no
    from (select distinct x.incident_key, x.incident_month, x.person_key as victim_key, y.person_key as suspect_key
          from young x join young y on x.incident_key = y.incident_key
          where x.is_victim and y.is_suspect and x.person_key <> y.person_key) p, range($window) as r(k)
  ) s
  join pg gx on gx.person_key = s.victim_key and gx.month_no = s.month_no
), within as (
  -- ... and the suspect in the same group in that month
  select v.month_no, v.group_id, count(distinct v.incident_key) as within_group_incidents
  from victim_months v
  join pg gy on gy.person_key = v.suspect_key and gy.month_no = v.month_no and gy.group_id = v.group_id
  group by all
), scoped as (
  select month_no, group_id, count(*) as young_people, count(*) filter (where victim) as victims,
         count(*) filter (where suspect) as suspects, count(*) filter (where victim and suspect) as victim_and_suspect
  from people where group_id is not null group by all
  union all
  select month_no, null, count(*), count(*) filter (where victim), count(*) filter (where suspect),
         count(*) filter (where victim and suspect)
  from people group by all
)
select m.as_of_month, s.group_id, s.young_people, s.victims, s.suspects, s.victim_and_suspect,
       round(s.victim_and_suspect / s.young_people, 3) as victim_and_suspect_share,
       coalesce(w.within_group_incidents, b.within_group_incidents, 0) as within_group_incidents
from scoped s
join months m using (month_no)
left join within w on w.month_no = s.month_no and w.group_id = s.group_id
left join (select month_no, sum(within_group_incidents)::bigint as within_group_incidents from within group by all) b
  on b.month_no = s.month_no and s.group_id is null;
comment on table marts.peer_on_peer is 'One row per month x peer group, plus a borough-wide row (group_id NULL): of the young people recorded as victim or suspect in the profile window, how many were recorded as both ("perpetrators or victims?"), and incidents with victim and suspect in one group. Roles belong to incidents, never to children.';
comment on column marts.peer_on_peer.as_of_month is 'Month (YYYY-MM); counts cover the profile window (default 12 months) ending then.';
comment on column marts.peer_on_peer.group_id is 'Peer group; NULL on the borough-wide row (all young people, in a group or not).';
comment on column marts.peer_on_peer.young_people is 'Young people (10-19) recorded as victim or suspect in the window.';
comment on column marts.peer_on_peer.victims is 'Of those, recorded as a victim at least once.';
comment on column marts.peer_on_peer.suspects is 'Of those, recorded as a suspect or accused at least once.';
comment on column marts.peer_on_peer.victim_and_suspect is 'Of those, recorded as both (in different incidents or one).';
comment on column marts.peer_on_peer.victim_and_suspect_share is 'victim_and_suspect / young_people.';
comment on column marts.peer_on_peer.within_group_incidents is 'Incidents in the window with a victim and a suspect from the same peer group (harm within the group).';
