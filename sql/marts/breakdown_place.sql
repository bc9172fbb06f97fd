-- marts.breakdown_place: one row per theme x month x dimension (ward | location_type) x category:
-- themed incidents that happened in the month, by where they happened.
create or replace table marts.breakdown_place as
with th as (
  select t.theme, i.month, i.incident_key, coalesce(i.ward_code, 'none (online or out of borough)') as ward_code,
         coalesce(i.location_type, 'unknown') as location_type
  from core.incident_theme t join core.incident i using (incident_key)
)
select theme, month, 'ward' as dimension, ward_code as category, count(*) as incidents from th group by all
union all
select theme, month, 'location_type', location_type, count(*) from th group by all
order by 1, 2, 3, 4;
comment on table marts.breakdown_place is 'One row per theme x month x dimension (ward, location_type) x category: themed incidents by where they happened.';
comment on column marts.breakdown_place.theme is 'Theme code.';
comment on column marts.breakdown_place.month is 'Month the incidents happened (YYYY-MM).';
comment on column marts.breakdown_place.dimension is 'ward (ONS ward code) or location_type.';
comment on column marts.breakdown_place.category is 'Ward code or location type; incidents with no ward are counted under none.';
comment on column marts.breakdown_place.incidents is 'Themed incidents (true count).';
