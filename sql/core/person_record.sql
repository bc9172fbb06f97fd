-- core.person_record: one row per person-bearing source record, pseudonymised: the resolved
-- person_key, age at the event, birth year, sex and broad ethnic group; no name, date of birth,
-- postcode or agency person ID.
create or replace table core.person_record as
select r.source, r.source_key, l.person_key, r.agency, r.event_date,
       case when r.dob is not null and r.event_date is not null
            then date_part('year', age(r.event_date, r.dob))::integer end as age_at_event,
       year(r.dob) as birth_year,
       case when r.gender in ('M', 'F', 'X') then r.gender end as sex,
       coalesce(e.ethnic_group, 'unknown') as ethnic_group,
       e.coding as ethnicity_coding,
       r.role
from raw.person_record r
join core.person_link l using (source, source_key)
left join core.ethnicity_map e on e.code = r.ethnicity_code;
comment on table core.person_record is 'Every person-bearing source record with its person_key, age at the event, birth year, sex and broad ethnic group. Pseudonymised.';
