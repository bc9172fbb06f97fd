-- marts.emerging_theme_monthly: one row per period x topic x month of the period: documents whose
-- dominant topic it is and their share of the month's documents. Built from `_emerging_monthly`.
create or replace table marts.emerging_theme_monthly as
select period_end, topic_id, month, documents, share from _emerging_monthly order by period_end, topic_id, month;
comment on table marts.emerging_theme_monthly is 'One row per period x topic x month: documents in the topic and their share of the month''s documents.';
comment on column marts.emerging_theme_monthly.period_end is 'Last month of the period the topic model was fitted on.';
comment on column marts.emerging_theme_monthly.topic_id is 'Topic id (marts.emerging_theme).';
comment on column marts.emerging_theme_monthly.month is 'Month of the documents (offence month, MAP meeting month).';
comment on column marts.emerging_theme_monthly.documents is 'Documents of the month whose dominant topic this is.';
comment on column marts.emerging_theme_monthly.share is 'documents / all documents of the month.';
