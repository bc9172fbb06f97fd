-- core.missing_episode: one row per missing episode; children missing with them resolved to
-- person_keys through their social care child_id; the found location resolved to a place.
create or replace table core.missing_episode as
with together as (
  select m.episode_id, list(distinct k.person_key order by k.person_key) filter (where k.person_key is not null) as keys
  from (select episode_id, unnest(missing_with) as child_id from raw.missing_episodes) m
  left join raw.child_key k using (child_id)
  group by m.episode_id
)
select m.episode_id, r.person_key, m.missing_from, m.reported_at, m.returned_at,
       strftime(m.reported_at, '%Y-%m') as month,
       date_diff('hour', m.reported_at, m.returned_at) as hours_missing,
       m.found_ward_code, a.place_id as found_place_id,
       m.rhi_offered_date, m.rhi_accepted,
       coalesce(t.keys, []) as missing_with_keys,
       coalesce(m.concerns, []) as concerns, r.age_at_event, r.sex
from raw.missing_episodes m
join core.person_record r on r.source = 'missing_episodes' and r.source_key = m.episode_id
left join together t using (episode_id)
left join (select alias, min(place_id) as place_id from core.place_alias group by alias) a
  on a.alias = lower(trim(m.found_location_name));
comment on table core.missing_episode is 'One row per missing episode: duration, where found (ward, place), return home interview, who they were missing with (person_keys), concerns.';
