-- core.person: one row per resolved person; attributes conformed across their records: the most
-- frequent value wins, ties broken by the smaller value so rebuilds give the same answer
-- (self-defined ethnicity preferred over officer-defined).
create or replace table core.person as
with r as (select * from core.person_record),
votes as (
  select person_key, 'birth_year' as attr, cast(birth_year as varchar) as v, count(*) as n from r where birth_year is not null group by all
  union all select person_key, 'sex', sex, count(*) from r where sex is not null group by all
  union all select person_key, 'eth_self', ethnic_group, count(*) from r
    where ethnicity_coding = 'self_defined' and ethnic_group <> 'unknown' group by all
  union all select person_key, 'eth_any', ethnic_group, count(*) from r where ethnic_group <> 'unknown' group by all
),
winner as (
  select person_key, attr, v from (
    select *, row_number() over (partition by person_key, attr order by n desc, v) as rank from votes
  ) where rank = 1
),
wide as (
  select person_key,
         max(v) filter (where attr = 'birth_year') as birth_year,
         max(v) filter (where attr = 'sex') as sex,
         max(v) filter (where attr = 'eth_self') as eth_self,
         max(v) filter (where attr = 'eth_any') as eth_any
  from winner group by person_key
)
select r.person_key,
       cast(any_value(w.birth_year) as integer) as birth_year,
       any_value(w.sex) as sex,
       coalesce(any_value(w.eth_self), any_value(w.eth_any), 'unknown') as ethnic_group,
       cast(null as varchar) as home_ward_code,
       min(r.event_date) as first_seen, max(r.event_date) as last_seen,
       count(distinct r.agency) as source_count,
       count(*) as record_count
from r left join wide w using (person_key)
group by r.person_key;
comment on table core.person is 'One row per resolved person: birth year, sex, broad ethnic group, first and last seen, number of agencies holding records.';
