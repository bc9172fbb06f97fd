-- marts.group_place: one row per peer group x month x place: how a group's members were seen at a
-- place over the $window months up to the month (incidents, found after missing, named at MAP).
-- The bipartite group-place view from which an analyst chooses the contexts to assess.
create or replace table marts.group_place as
with seen as (
  select v.person_key, i.place_id, cast(i.occurred_at as date) as seen_on, 'incident' as how, i.incident_key as ref
  from core.involvement v join core.incident i using (incident_key)
  where i.place_id is not null and v.role in ('victim', 'suspect', 'accused')
  union all
  select person_key, found_place_id, cast(coalesce(returned_at, reported_at) as date), 'missing', episode_id
  from core.missing_episode where found_place_id is not null
  union all
  select c.person_key, p.place_id, s.meeting_date, 'named', c.assessment_id
  from core.assessment_cell c join core.assessment s using (assessment_id), unnest(c.named_place_ids) as p(place_id)
), seen_months as (
  -- each sighting counts in the $window months from its own: an equi-join on (person, month)
  select person_key, place_id, how, ref,
         strftime(date_trunc('month', seen_on) + to_months(k), '%Y-%m') as as_of_month
  from seen, range($window) as r(k)
  where seen_on is not null and person_key in (select distinct person_key from marts.peer_group)
), hits as (
  select g.as_of_month, g.group_id, s.place_id, s.how, s.ref, g.person_key
  from marts.peer_group g
  join seen_months s using (person_key, as_of_month)
), refs as (
  -- each record once per group and place: one distinct for the three counts
  select as_of_month, group_id, place_id,
         count(ref) filter (where how = 'incident') as incidents,
         count(ref) filter (where how = 'missing') as found_after_missing,
         count(ref) filter (where how = 'named') as named_at_map
  from (select distinct as_of_month, group_id, place_id, how, ref from hits)
  group by all
), members as (
  select as_of_month, group_id, place_id, count(distinct person_key) as members_seen from hits group by all
)
select as_of_month, group_id, place_id, r.incidents, r.found_after_missing, r.named_at_map, m.members_seen
from refs r join members m using (as_of_month, group_id, place_id);
comment on table marts.group_place is 'One row per peer group x month x place: where the group''s members were seen over the profile window (incidents, found after missing, named at a MAP meeting). The group-place view of contexts to assess.';
comment on column marts.group_place.as_of_month is 'Month of the peer groups (YYYY-MM); counts cover the profile window ending then.';
comment on column marts.group_place.group_id is 'Peer group (marts.peer_group).';
comment on column marts.group_place.place_id is 'Known place (core.place).';
comment on column marts.group_place.incidents is 'Incidents at the place involving a member as victim or suspect.';
comment on column marts.group_place.found_after_missing is 'Missing episodes of members that ended with the child found at the place.';
comment on column marts.group_place.named_at_map is 'MAP assessments of members that named the place.';
comment on column marts.group_place.members_seen is 'Distinct members seen at the place in any of these ways.';
