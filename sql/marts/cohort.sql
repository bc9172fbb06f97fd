-- marts.cohort: one row per cohort of need: a group of young people whose recorded
-- vulnerabilities and risks co-occur (k-means over factor profiles, transforms/themes/cohorts.py).
-- Describes groups; membership is never stored and nobody is scored. Built from `_cohorts`.
create or replace table marts.cohort as
select cast(cohort_id as integer) as cohort_id, cast(young_people as bigint) as young_people, label,
       cast(mean_factors as double) as mean_factors, cast(silhouette as double) as silhouette
from _cohorts order by cohort_id;
comment on table marts.cohort is 'One row per cohort of need: a group of co-occurring vulnerabilities and risks among young people (k-means over factor profiles). No membership is stored; no one is scored.';
comment on column marts.cohort.cohort_id is 'Cohort number (1 = largest).';
comment on column marts.cohort.young_people is 'Young people in the cohort (true count).';
comment on column marts.cohort.label is 'The factors most characteristic of the cohort (share >= 30% and over-represented).';
comment on column marts.cohort.mean_factors is 'Mean number of recorded factors per member.';
comment on column marts.cohort.silhouette is 'Mean Jaccard silhouette of the clustering (how distinct the cohorts are; same for every row).';
