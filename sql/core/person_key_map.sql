-- core.person_key_map: one row per person-bearing source record -> the person_key it held at the
-- latest run, with that run (the columns the table had before the run stamp moved to
-- core.person_key_run). A view: a refresh rewrites neither the records it did not re-key nor a
-- stamp on each of them. Created after transforms.identity.resolve has moved an older warehouse's
-- table into core.person_key_record.
create or replace view core.person_key_map as
select r.source, r.source_key, r.person_key, r.first_run, s.run_id
from core.person_key_record r
left join core.person_key_run s on true;
comment on view core.person_key_map is 'Source record to person_key as of the latest linkage run; carries keys across refreshes. A view of core.person_key_record and core.person_key_run.';
comment on column core.person_key_map.source is 'Source file stem.';
comment on column core.person_key_map.source_key is 'Record key in its source.';
comment on column core.person_key_map.person_key is 'Pseudonymous person key held at the latest run.';
comment on column core.person_key_map.first_run is 'Linkage run that first saw the record.';
comment on column core.person_key_map.run_id is 'Latest linkage run that mapped the record.';
