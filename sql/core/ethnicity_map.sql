-- core.ethnicity_map: one row per recorded ethnicity code (officer-defined IC or DfE) with its
-- broad group (asian, black, mixed, white, other, unknown). The values come from
-- transforms.extracts.vocab, registered by the runner as the frame _ethnicity_map.
create or replace table core.ethnicity_map as
select cast(code as varchar) as code, cast(ethnic_group as varchar) as ethnic_group,
       cast(coding as varchar) as coding
from _ethnicity_map;
comment on table core.ethnicity_map is 'Recorded ethnicity codes (IC officer-defined, DfE self-defined) onto five broad groups plus unknown.';
