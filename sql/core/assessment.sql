-- core.assessment: one row per HSB MAP contextual assessment, pseudonymised.
create or replace table core.assessment as
select a.assessment_id, r.person_key, a.meeting_date, strftime(a.meeting_date, '%Y-%m') as month,
       a.hsb_level, a.lead_agency, a.status, r.age_at_event, r.sex
from raw.map_assessments a
join core.person_record r on r.source = 'map_assessments' and r.source_key = a.assessment_id;
comment on table core.assessment is 'One row per HSB MAP assessment: meeting date, HSB continuum level, lead agency, status.';
