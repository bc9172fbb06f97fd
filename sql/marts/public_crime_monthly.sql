-- marts.public_crime_monthly: public neighbourhood context from data.police.uk street-level files
-- (all ages, all recorded crime): crimes by month, LSOA and crime type. Each record counted once:
-- a re-sent file or record replaces the earlier one at load (transforms/extracts/load.py).
create or replace table marts.public_crime_monthly as
select month, lsoa_code, any_value(lsoa_name) as lsoa_name, crime_type, count(*) as crimes
from raw.police_uk_street
where month is not null and crime_type is not null
group by month, lsoa_code, crime_type
order by month, lsoa_code nulls last, crime_type;
comment on table marts.public_crime_monthly is 'Public context (data.police.uk street-level crime, all ages): recorded crimes by month, LSOA and crime type, each police.uk record counted once. Empty when no street files were delivered.';
comment on column marts.public_crime_monthly.month is 'Month of the crime as published by data.police.uk (YYYY-MM).';
comment on column marts.public_crime_monthly.lsoa_code is 'LSOA (2021) the crime was mapped to by police.uk; NULL where police.uk gives no location.';
comment on column marts.public_crime_monthly.lsoa_name is 'LSOA name as published by police.uk.';
comment on column marts.public_crime_monthly.crime_type is 'police.uk crime type (e.g. Violence and sexual offences, Anti-social behaviour).';
comment on column marts.public_crime_monthly.crimes is 'Records published by police.uk (public data, already anonymised by the police; not suppressed).';
