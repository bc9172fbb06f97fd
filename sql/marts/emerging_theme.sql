-- marts.emerging_theme: one row per period x topic of the free-text topic models (TF-IDF + NMF
-- over crime MO text and MAP notes, fitted per 12-month period): the topic's top terms (person
-- names removed), its documents, and whether it is rising in the last months of the period.
-- Built from the frame `_emerging_topics`; no text leaves raw.
create or replace table marts.emerging_theme as
select period_start, period_end, topic_id, array_to_string(cast(top_terms as varchar[]), ', ') as top_terms,
       documents, baseline_documents, recent_documents, baseline_share, recent_share, p_value, rising
from _emerging_topics order by period_end, topic_id;
comment on table marts.emerging_theme is 'One row per period x topic of the free-text topic models (TF-IDF + NMF, fitted per 12-month period): top terms, documents, and whether the topic is rising in the last two months.';
comment on column marts.emerging_theme.period_start is 'First month of the period the model was fitted on.';
comment on column marts.emerging_theme.period_end is 'Last month of the period (the month the topic is assessed for).';
comment on column marts.emerging_theme.topic_id is 'Topic id within the period (period_end/tNN); topics are refitted each period.';
comment on column marts.emerging_theme.top_terms is 'Highest-weighted terms of the topic, comma-separated, most weight first (no person names, no rare tokens).';
comment on column marts.emerging_theme.documents is 'Documents (crime MO texts and MAP notes) whose dominant topic this is.';
comment on column marts.emerging_theme.baseline_documents is 'Of those, documents from the earlier months of the period.';
comment on column marts.emerging_theme.recent_documents is 'Of those, documents from the last two months of the period.';
comment on column marts.emerging_theme.baseline_share is 'Share of the earlier months'' documents in this topic.';
comment on column marts.emerging_theme.recent_share is 'Share of the last two months'' documents in this topic.';
comment on column marts.emerging_theme.p_value is 'Probability of at least recent_documents under a Poisson with 1.5 times the count the baseline share predicts (min_ratio: a topic must grow by more than half to be read as emerging, not merely busier).';
comment on column marts.emerging_theme.rising is 'True when the topic has at least 4 recent documents and p_value < 0.001: an emerging theme to read.';
