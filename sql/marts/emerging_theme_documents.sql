-- Query (no table): the free-text documents of the emerging-theme models, one row per crime MO
-- text and per distinct MAP assessment note, with the month it belongs to (offence month,
-- meeting month). Read only inside transforms.themes.emerging; the text never leaves raw.
select 'police_crimes' as source, strftime(committed_from, '%Y-%m') as month, mo_text as text
from raw.police_crimes
where mo_text is not null and committed_from is not null
union all
select distinct 'map_assessment_cells', strftime(a.meeting_date, '%Y-%m'), c.note
from raw.map_assessment_cells c join raw.map_assessments a using (assessment_id)
where c.note is not null and a.meeting_date is not null
