-- marts.cohort_factor: one row per cohort x factor: the share of the cohort with the factor
-- recorded, the share among all young people profiled, and the lift. Built from `_cohort_factors`.
create or replace table marts.cohort_factor as
select cast(cohort_id as integer) as cohort_id, factor, kind, cast(share as double) as share,
       cast(all_share as double) as all_share, cast(lift as double) as lift
from _cohort_factors order by cohort_id, share desc;
comment on table marts.cohort_factor is 'One row per cohort x factor: share of the cohort with the factor, share among all young people profiled, and lift.';
comment on column marts.cohort_factor.cohort_id is 'Cohort (marts.cohort).';
comment on column marts.cohort_factor.factor is 'Vulnerability or risk factor code.';
comment on column marts.cohort_factor.kind is 'vulnerability or risk.';
comment on column marts.cohort_factor.share is 'Share of the cohort with the factor recorded by any agency.';
comment on column marts.cohort_factor.all_share is 'Share of all young people profiled with the factor.';
comment on column marts.cohort_factor.lift is 'share / all_share (above 1: characteristic of the cohort).';
