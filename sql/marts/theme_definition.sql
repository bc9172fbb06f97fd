-- marts.theme_definition: one row per rule of a theme in the definitions version in force, so
-- every page can say which written definition its counts rest on. Rows are inserted from the
-- YAML definitions by transforms.themes.definitions.apply_definitions.
create or replace table marts.theme_definition (
  version varchar, published varchar, theme varchar, label varchar, rule_id varchar,
  rule_text varchar, source varchar, rule_yaml varchar, incidents bigint
);
comment on table marts.theme_definition is 'One row per rule of each theme in the theme definitions version in force: an incident belongs to a theme when any of its rules holds.';
comment on column marts.theme_definition.version is 'Version string of the definitions file (e.g. themes-v1).';
comment on column marts.theme_definition.published is 'Date the definitions version was published.';
comment on column marts.theme_definition.theme is 'Theme code: cse, hsb_peer, syv, cce, gang, online.';
comment on column marts.theme_definition.label is 'Theme name as pages print it.';
comment on column marts.theme_definition.rule_id is 'Identifier of the rule within the theme.';
comment on column marts.theme_definition.rule_text is 'The rule in words (all of its conditions must hold).';
comment on column marts.theme_definition.source is 'Where the definition comes from (the published definition it follows).';
comment on column marts.theme_definition.rule_yaml is 'The rule as data, exactly as applied.';
comment on column marts.theme_definition.incidents is 'Incidents for which this is the first matching rule of the theme.';
