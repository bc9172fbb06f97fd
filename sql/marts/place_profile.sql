-- marts.place_profile: one row per known place x month with any activity: incidents there by theme,
-- distinct young people (aged $young_min-$young_max) involved or found there, and the peer groups
-- those young people belonged to that month.
create or replace table marts.place_profile as
with inc as (
  select place_id, month, incident_key, themes from marts.incident where place_id is not null
), young as (
  select i.place_id, i.month, v.person_key
  from marts.incident i join core.involvement v using (incident_key)
  where i.place_id is not null and v.role in ('victim', 'suspect', 'accused')
    and v.age_at_event between $young_min and $young_max
  union
  select m.found_place_id, strftime(coalesce(m.returned_at, m.reported_at), '%Y-%m'), m.person_key
  from core.missing_episode m left join core.person p using (person_key)
  where m.found_place_id is not null
    and coalesce(m.age_at_event, year(m.reported_at) - p.birth_year) between $young_min and $young_max
), incidents as (
  select place_id, month, count(*) as incidents,
         count(*) filter (where list_contains(themes, 'cse')) as cse_incidents,
         count(*) filter (where list_contains(themes, 'hsb_peer')) as hsb_peer_incidents,
         count(*) filter (where list_contains(themes, 'syv')) as syv_incidents,
         count(*) filter (where list_contains(themes, 'cce')) as cce_incidents,
         count(*) filter (where list_contains(themes, 'gang')) as gang_incidents,
         count(*) filter (where list_contains(themes, 'online')) as online_incidents
  from inc group by all
), people as (
  select y.place_id, y.month, count(distinct y.person_key) as young_people,
         list_sort(list_distinct(list(g.group_id) filter (where g.group_id is not null))) as groups_present
  from young y left join marts.peer_group g on g.person_key = y.person_key and g.as_of_month = y.month
  group by all
)
select coalesce(i.place_id, p.place_id) as place_id, coalesce(i.month, p.month) as month,
       pl.name as place_name, pl.location_type, pl.ward_code,
       coalesce(i.incidents, 0) as incidents,
       coalesce(i.cse_incidents, 0) as cse_incidents, coalesce(i.hsb_peer_incidents, 0) as hsb_peer_incidents,
       coalesce(i.syv_incidents, 0) as syv_incidents, coalesce(i.cce_incidents, 0) as cce_incidents,
       coalesce(i.gang_incidents, 0) as gang_incidents, coalesce(i.online_incidents, 0) as online_incidents,
       coalesce(p.young_people, 0) as young_people,
       coalesce(p.groups_present, []::varchar[]) as groups_present,
       len(coalesce(p.groups_present, [])) as group_count
from incidents i full join people p using (place_id, month)
left join core.place pl on pl.place_id = coalesce(i.place_id, p.place_id);
comment on table marts.place_profile is 'One row per known place x month with activity: incidents there by theme, distinct young people involved or found there, and which peer groups they belonged to.';
comment on column marts.place_profile.place_id is 'Known place (core.place).';
comment on column marts.place_profile.month is 'Month (YYYY-MM).';
comment on column marts.place_profile.place_name is 'Name of the place (reference data, not free text).';
comment on column marts.place_profile.location_type is 'Type of place (park_open_space, shop_takeaway ...).';
comment on column marts.place_profile.ward_code is 'Ward of the place.';
comment on column marts.place_profile.incidents is 'Incidents at the place in the month.';
comment on column marts.place_profile.cse_incidents is 'Of those, incidents with theme cse.';
comment on column marts.place_profile.hsb_peer_incidents is 'Of those, incidents with theme hsb_peer.';
comment on column marts.place_profile.syv_incidents is 'Of those, incidents with theme syv.';
comment on column marts.place_profile.cce_incidents is 'Of those, incidents with theme cce.';
comment on column marts.place_profile.gang_incidents is 'Of those, incidents with theme gang.';
comment on column marts.place_profile.online_incidents is 'Of those, incidents with theme online.';
comment on column marts.place_profile.young_people is 'Distinct young people (10-19) involved in an incident there as victim or suspect, or found there after missing, in the month.';
comment on column marts.place_profile.groups_present is 'Peer groups (marts.peer_group, same month) those young people belonged to.';
comment on column marts.place_profile.group_count is 'Number of peer groups present.';
