-- core.incident: one row per crime record (current version), conformed; no free text.
-- location_name is resolved to a known place (alias match, else nearest place within 150 m in
-- the same ward) and then left behind.
create or replace table core.incident as
with alias_match as (
  select c.crime_ref, min(a.place_id) as place_id
  from raw.police_crimes c join core.place_alias a on lower(trim(c.location_name)) = a.alias
  group by all
), near_match as (
  select crime_ref, arg_min(place_id, d) as place_id from (
    select c.crime_ref, p.place_id,
           6371000 * 2 * asin(sqrt(pow(sin(radians(p.latitude - c.latitude) / 2), 2)
             + cos(radians(c.latitude)) * cos(radians(p.latitude)) * pow(sin(radians(p.longitude - c.longitude) / 2), 2))) as d
    from raw.police_crimes c join core.place p on p.ward_code = c.ward_code
    where c.latitude is not null and c.crime_ref not in (select crime_ref from alias_match)
  ) where d <= 150 group by all
)
select c.crime_ref as incident_key,
       c.committed_from as occurred_at,
       c.recorded_date,
       strftime(c.committed_from, '%Y-%m') as month,
       c.offence_group, c.offence, c.location_type,
       coalesce(a.place_id, n.place_id) as place_id,
       c.ward_code, c.latitude, c.longitude,
       coalesce(c.cse_flag, false) as cse_flag, coalesce(c.cce_flag, false) as cce_flag,
       coalesce(c.gang_flag, false) as gang_flag, coalesce(c.knife_flag, false) as knife_flag,
       coalesce(c.firearm_flag, false) as firearm_flag, coalesce(c.dv_flag, false) as dv_flag,
       coalesce(c.online_flag, false) as online_flag,
       c.cse_flag is null as cse_flag_missing
from raw.police_crimes c
left join alias_match a using (crime_ref)
left join near_match n using (crime_ref);
comment on table core.incident is 'One row per crime record (current version): when, what, where (ward, resolved place), force flags. No free text.';
