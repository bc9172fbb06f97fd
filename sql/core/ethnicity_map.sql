-- core.ethnicity_map: one row per recorded ethnicity code (officer-defined IC or DfE) with its
-- broad group (asian, black, mixed, white, other, unknown). Values come from transforms.extracts.vocab.
create or replace table core.ethnicity_map (code varchar primary key, ethnic_group varchar, coding varchar);
comment on table core.ethnicity_map is 'Recorded ethnicity codes (IC officer-defined, DfE self-defined) onto five broad groups plus unknown.';
