-- core.incident_theme: one row per incident x theme. First cut from force flags only; the
-- versioned theme definitions (transforms/themes) replace this model.
create or replace table core.incident_theme as
select incident_key, theme from (
  select incident_key, 'cse' as theme from core.incident where cse_flag
  union all select incident_key, 'cce' from core.incident where cce_flag
  union all select incident_key, 'gang' from core.incident where gang_flag
  union all select incident_key, 'online' from core.incident where online_flag or location_type = 'online'
);
