-- marts.breakdown_time: one row per theme x month x day of week x hour of day with themed
-- incidents: when in the week themed incidents happen (the day-by-hour heat map of profiles).
create or replace table marts.breakdown_time as
select t.theme, i.month, dayofweek(i.occurred_at) as day_of_week, hour(i.occurred_at) as hour_of_day,
       count(*) as incidents
from core.incident_theme t join core.incident i using (incident_key)
where i.occurred_at is not null
group by all order by 1, 2, 3, 4;
comment on table marts.breakdown_time is 'One row per theme x month x day of week x hour with themed incidents (start of the offence window).';
comment on column marts.breakdown_time.theme is 'Theme code.';
comment on column marts.breakdown_time.month is 'Month the incidents happened (YYYY-MM).';
comment on column marts.breakdown_time.day_of_week is 'Day of week (0 = Sunday).';
comment on column marts.breakdown_time.hour_of_day is 'Hour of day (0-23).';
comment on column marts.breakdown_time.incidents is 'Themed incidents starting in that hour.';
