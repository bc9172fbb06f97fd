-- core reference tables: not monthly; replaced whole from the inbox's reference/ folder.
-- $ref is the reference folder path.
create or replace table core.ward as
select trim(ward_code) as ward_code, trim(ward_name) as ward_name
from read_csv($ref || '/wards.csv', header = true, all_varchar = true);
comment on table core.ward is 'One row per ward of the borough (ONS ward code and name).';
create or replace table core.ward_boundary (ward_code varchar, geometry varchar);
comment on table core.ward_boundary is 'One row per ward: its boundary as GeoJSON geometry (WGS84).';
create or replace table core.population as
select trim(ward_code) as ward_code, trim(sex) as sex, trim(ethnic_group) as ethnic_group,
       cast(age as integer) as age, cast(population as integer) as population
from read_csv($ref || '/population.csv', header = true, all_varchar = true);
comment on table core.population is 'Child population denominators: ward x sex x ethnic group x single year of age 10-19.';
create or replace table core.school as
select trim(urn) as urn, trim(name) as name, trim(phase) as phase, trim(ward_code) as ward_code
from read_csv($ref || '/schools.csv', header = true, all_varchar = true);
comment on table core.school is 'One row per school (URN, name, phase, ward).';
create or replace table core.place as
select trim(place_id) as place_id, trim(name) as name, trim(location_type) as location_type,
       trim(ward_code) as ward_code, try_cast(latitude as double) as latitude,
       try_cast(longitude as double) as longitude
from read_csv($ref || '/places.csv', header = true, all_varchar = true);
comment on table core.place is 'Known neighbourhood spaces (parks, estates, takeaways, stations, youth clubs).';
create or replace table core.place_alias as
select distinct place_id, lower(trim(alias)) as alias from (
  select trim(place_id) as place_id, trim(name) as alias from read_csv($ref || '/places.csv', header = true, all_varchar = true)
  union all
  select trim(place_id), unnest(string_split(coalesce(aliases, ''), ';'))
  from read_csv($ref || '/places.csv', header = true, all_varchar = true)
) where trim(alias) <> '';
comment on table core.place_alias is 'Every lower-cased name and alias of a place, to resolve free-text location names.';
