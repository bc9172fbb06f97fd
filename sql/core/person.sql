-- core.person: one row per resolved person; attributes conformed across their records
-- (self-defined ethnicity preferred over officer-defined; the most frequent value wins).
create or replace table core.person as
with r as (select * from core.person_record)
select person_key,
       mode(birth_year) as birth_year,
       mode(sex) as sex,
       coalesce(mode(ethnic_group) filter (where ethnicity_coding = 'self_defined' and ethnic_group <> 'unknown'),
                mode(ethnic_group) filter (where ethnic_group <> 'unknown'), 'unknown') as ethnic_group,
       cast(null as varchar) as home_ward_code,
       min(event_date) as first_seen, max(event_date) as last_seen,
       count(distinct agency) as source_count,
       count(*) as record_count
from r group by person_key;
comment on table core.person is 'One row per resolved person: birth year, sex, broad ethnic group, first and last seen, number of agencies holding records.';
