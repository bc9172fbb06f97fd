-- core.incident_theme: one row per incident x theme under one version of the theme definitions
-- (transforms/themes/definitions/themes_vN.yaml). The rows are inserted by
-- transforms.themes.definitions.apply_definitions, which compiles the rules (kept as data) into a
-- parameterised query over core.incident and core.involvement; this file holds the table.
create or replace table core.incident_theme (
  incident_key varchar not null,
  theme varchar not null,
  definitions_version varchar not null,
  rule_id varchar not null,
  rules varchar[]
);
comment on table core.incident_theme is 'One row per incident x theme: the incident meets at least one rule of the theme in the definitions version stated.';
comment on column core.incident_theme.incident_key is 'The crime record key (core.incident).';
comment on column core.incident_theme.theme is 'Theme: cse, hsb_peer, syv, cce, gang or online.';
comment on column core.incident_theme.definitions_version is 'Version of the theme definitions applied (marts.theme_definition).';
comment on column core.incident_theme.rule_id is 'First rule (by id) of the theme that the incident meets.';
comment on column core.incident_theme.rules is 'Every rule of the theme that the incident meets.';
