-- marts.place_monthly: one row per known place x theme ('all' or a theme) x month: incidents
-- resolved to the place in the month they happened, the expected level by the improved Farrington
-- method, the limits and the exceedance and below-expected flags, so an emerging hotspot is seen at the place level.
-- Built from the fitted frame `_place_fit`.
create or replace table marts.place_monthly as
select place_id, place_name, ward_code, theme, month, count, expected, lower, upper, exceedance, below_expected,
       baseline_months, definitions_version, method
from _place_fit order by place_id, theme, month;
comment on table marts.place_monthly is 'One row per known place x theme (all = every incident) x month: incidents at the place, expected level (improved Farrington), limits, exceedance and below-expected flags.';
comment on column marts.place_monthly.place_id is 'Known place (core.place).';
comment on column marts.place_monthly.place_name is 'Name of the place as in the reference list of places.';
comment on column marts.place_monthly.ward_code is 'Ward the place lies in.';
comment on column marts.place_monthly.theme is 'all (every incident resolved to the place) or a theme code.';
comment on column marts.place_monthly.month is 'Month the offences happened (YYYY-MM).';
comment on column marts.place_monthly.count is 'Incidents at the place in the month (true count, not suppressed); NULL for a month with no delivery.';
comment on column marts.place_monthly.expected is 'Expected count from the previous months; NULL while history is too short.';
comment on column marts.place_monthly.lower is 'Lower limit of the expected count.';
comment on column marts.place_monthly.upper is 'Upper limit of the expected count; counts above it are exceedances.';
comment on column marts.place_monthly.exceedance is 'True when count > upper and at least 5 incidents happened at the place in the last 4 months.';
comment on column marts.place_monthly.below_expected is 'True when count < lower (significantly below the expected level); never true without an expected level, false for a month with no delivery.';
comment on column marts.place_monthly.baseline_months is 'Number of previous months the expected level rests on (0 = none yet; under 36 = provisional: the expected level is a guide, not a test).';
comment on column marts.place_monthly.definitions_version is 'Version of the theme definitions (marts.theme_definition).';
comment on column marts.place_monthly.method is 'The expected-level method and its settings.';
