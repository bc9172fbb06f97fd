-- marts.theme_monthly: one row per theme x month x ward (ward_code NULL = borough-wide): the count
-- of themed incidents that happened that month, its expected level from the previous months by the
-- improved Farrington method (Noufaily et al. 2013; transforms/themes/farrington.py), the limits
-- and whether the count exceeds the upper limit or falls below the lower limit. Built from the fitted frame `_theme_fit`.
create or replace table marts.theme_monthly as
select theme, month, ward_code, w.ward_name, count, expected, lower, upper, exceedance, below_expected,
       baseline_months, seasonal_levels, trend, dispersion, definitions_version, method
from _theme_fit f left join core.ward w using (ward_code)
order by theme, ward_code nulls first, month;
comment on table marts.theme_monthly is 'One row per theme x month x ward (ward_code NULL on the borough-wide row): count of themed incidents by month of offence, expected level (improved Farrington, Noufaily 2013), limits, exceedance and below-expected flags.';
comment on column marts.theme_monthly.theme is 'Theme code (cse, hsb_peer, syv, cce, gang, online) under definitions_version.';
comment on column marts.theme_monthly.month is 'Month the offences happened (YYYY-MM).';
comment on column marts.theme_monthly.ward_code is 'ONS ward code; NULL on the borough-wide row (which also counts online incidents with no ward).';
comment on column marts.theme_monthly.ward_name is 'Ward name; NULL on the borough-wide row.';
comment on column marts.theme_monthly.count is 'Incidents of the theme that happened in the month and ward (true count, not suppressed); NULL for a month with no delivery (unknown, not zero: no expected level rests on it).';
comment on column marts.theme_monthly.expected is 'Expected count from the previous months (quasi-Poisson GLM with trend and seasonal factor, past excesses down-weighted); NULL while history is too short.';
comment on column marts.theme_monthly.lower is 'Lower limit: the alpha quantile of the negative binomial with the expected mean and estimated overdispersion.';
comment on column marts.theme_monthly.upper is 'Upper limit: the 1 - alpha quantile (alpha = 0.01 by default); counts above it are exceedances.';
comment on column marts.theme_monthly.exceedance is 'True when count > upper and at least 5 incidents happened in the last 4 months; never true without an expected level.';
comment on column marts.theme_monthly.below_expected is 'True when count < lower (significantly below the expected level: a fall, e.g. a gap in recording or in contact); never true without an expected level, false for a month with no delivery.';
comment on column marts.theme_monthly.baseline_months is 'Number of previous months the expected level rests on (0 = none yet; under 36 = provisional: the expected level is a guide, not a test).';
comment on column marts.theme_monthly.seasonal_levels is 'Levels of the seasonal factor used (10 with 3+ years of history, 2 with 1-3 years, 1 with less).';
comment on column marts.theme_monthly.trend is 'True when a significant linear trend was kept in the model.';
comment on column marts.theme_monthly.dispersion is 'Estimated overdispersion (variance / mean, at least 1).';
comment on column marts.theme_monthly.definitions_version is 'Version of the theme definitions the counts rest on (marts.theme_definition).';
comment on column marts.theme_monthly.method is 'The expected-level method and its settings.';
