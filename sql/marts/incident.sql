-- marts.incident: one row per crime, with its themes and who was involved (counts only).
create or replace table marts.incident as
with inv as (
  select incident_key,
         count(distinct person_key) filter (where role = 'victim') as victim_count,
         count(distinct person_key) filter (where role in ('suspect', 'accused')) as suspect_count,
         min(age_at_event) filter (where role = 'victim') as min_victim_age,
         min(age_at_event) filter (where role in ('suspect', 'accused')) as min_suspect_age
  from core.involvement group by incident_key
), th as (
  select incident_key, list(theme order by theme) as themes from core.incident_theme group by incident_key
)
select i.incident_key, i.occurred_at, i.month, i.offence_group, i.offence,
       coalesce(th.themes, []::varchar[]) as themes,
       i.location_type, i.place_id, i.ward_code,
       coalesce(inv.victim_count, 0) as victim_count, coalesce(inv.suspect_count, 0) as suspect_count,
       inv.min_victim_age, inv.min_suspect_age,
       i.cse_flag, i.cce_flag, i.gang_flag, i.knife_flag, i.firearm_flag, i.dv_flag, i.online_flag,
       dayofweek(i.occurred_at) as day_of_week, hour(i.occurred_at) as hour_of_day
from core.incident i left join inv using (incident_key) left join th using (incident_key);
comment on table marts.incident is 'One row per crime: when, what, where, its themes (cse, hsb_peer, syv, cce, gang, online) and how many victims and suspects.';
comment on column marts.incident.incident_key is 'The crime record key (crime_ref).';
comment on column marts.incident.occurred_at is 'Start of the window in which the offence happened.';
comment on column marts.incident.month is 'Month the offence happened (YYYY-MM).';
comment on column marts.incident.offence_group is 'Offence group code.';
comment on column marts.incident.offence is 'Offence as recorded (a Home Office classification, not free text).';
comment on column marts.incident.themes is 'Themes the incident belongs to under the current theme definitions.';
comment on column marts.incident.location_type is 'Type of location (street, park_open_space, online ...).';
comment on column marts.incident.place_id is 'Known place the location resolved to (core.place), if any.';
comment on column marts.incident.ward_code is 'ONS ward code; NULL for online.';
comment on column marts.incident.victim_count is 'Distinct people recorded as victims.';
comment on column marts.incident.suspect_count is 'Distinct people recorded as suspects or accused.';
comment on column marts.incident.min_victim_age is 'Age of the youngest victim at the time.';
comment on column marts.incident.min_suspect_age is 'Age of the youngest suspect at the time.';
comment on column marts.incident.day_of_week is 'Day of week of occurred_at (0 = Sunday).';
comment on column marts.incident.hour_of_day is 'Hour of occurred_at (0-23).';
