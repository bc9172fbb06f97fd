-- Persistent identity tables (created once, kept across refreshes; never hold names, dates of
-- birth or postcodes). core.person_link itself is rewritten by every linkage run.

-- core.link_review: one row per pair of records the model left near its threshold (or a strong
-- pair a constraint refused), for an analyst to accept or reject.
create table if not exists core.link_review (
    pair_id varchar primary key,
    source_l varchar,
    source_key_l varchar,
    source_key_r varchar,
    source_r varchar,
    match_probability double,
    reason varchar,
    decision varchar default 'pending',
    decided_by varchar,
    decided_at timestamp,
    first_seen_run varchar,
    last_seen_run varchar
);
comment on table core.link_review is 'Record pairs for clerical review: near the match threshold, or strong pairs refused by a constraint. Analysts set decision to accept (forced together on the next run) or reject (kept apart); decisions are never dropped.';
comment on column core.link_review.pair_id is 'Stable identifier of the pair (hash of the two record references, smaller first).';
comment on column core.link_review.source_l is 'Source file stem of the first record.';
comment on column core.link_review.source_key_l is 'Key of the first record in its source (look it up in raw with proper access).';
comment on column core.link_review.source_key_r is 'Key of the second record in its source.';
comment on column core.link_review.source_r is 'Source file stem of the second record.';
comment on column core.link_review.match_probability is 'Model match probability of the pair at the last run that scored it.';
comment on column core.link_review.reason is 'Why the pair is here: near threshold (with "; the agency records two people" when the two persons hold different social-care IDs or UPNs), or refused by a constraint (agency IDs, dates of birth, an analyst''s decision).';
comment on column core.link_review.decision is 'pending, accept or reject.';
comment on column core.link_review.decided_by is 'Who decided (user name), NULL while pending.';
comment on column core.link_review.decided_at is 'When the decision was recorded.';
comment on column core.link_review.first_seen_run is 'Linkage run that first put the pair up for review.';
comment on column core.link_review.last_seen_run is 'Latest linkage run in which the pair was still up for review.';

-- core.person_key_record: one row per person-bearing source record -> the person_key it held at
-- the latest run; read at the next run so keys stay stable. Written as a delta: a run deletes the
-- records no longer delivered or re-keyed and inserts the new and re-keyed ones, so a row that did
-- not change is not rewritten. The run that wrote it is in core.person_key_run, not on every row;
-- core.person_key_map (sql/core/person_key_map.sql) joins the two as the table used to be.
create table if not exists core.person_key_record (
    source varchar,
    source_key varchar,
    person_key varchar,
    first_run varchar
);
comment on table core.person_key_record is 'Source record to person_key as of the latest linkage run; carries keys across refreshes. The run that wrote it is core.person_key_run; core.person_key_map shows both.';
comment on column core.person_key_record.source is 'Source file stem.';
comment on column core.person_key_record.source_key is 'Record key in its source.';
comment on column core.person_key_record.person_key is 'Pseudonymous person key held at the latest run.';
comment on column core.person_key_record.first_run is 'Linkage run that first saw the record.';

-- core.person_key_run: the run stamp of core.person_key_record, one row (every record is mapped by
-- every run, so the stamp is the same for all of them and lives here, not on 338,000 rows).
create table if not exists core.person_key_run (
    run_id varchar
);
comment on table core.person_key_run is 'The latest linkage run, which mapped every record of core.person_key_record (one row).';
comment on column core.person_key_run.run_id is 'Latest linkage run that mapped the records.';

-- core.person_key_event: one row per person_key that merged or split at a linkage run.
create table if not exists core.person_key_event (
    run_id varchar,
    event varchar,
    person_key varchar,
    related_person_keys varchar[],
    records integer
);
comment on table core.person_key_event is 'Merges (one key now holds records of several earlier keys) and splits (an earlier key''s records now hold several keys), per linkage run.';
comment on column core.person_key_event.run_id is 'Linkage run at which the change happened.';
comment on column core.person_key_event.event is 'merge or split.';
comment on column core.person_key_event.person_key is 'For a merge the resulting key; for a split the earlier key.';
comment on column core.person_key_event.related_person_keys is 'For a merge the earlier keys merged; for a split the keys now holding the records.';
comment on column core.person_key_event.records is 'Records involved.';

-- core.linkage_run: one row per linkage run, with the trained model.
create table if not exists core.linkage_run (
    run_id varchar primary key,
    trained_at timestamp,
    method varchar,
    model_json varchar,
    threshold double,
    review_lower double,
    records integer,
    nodes integer,
    pairs_scored bigint,
    clusters integer,
    review_pending integer,
    merges integer,
    splits integer,
    seconds double
);
comment on table core.linkage_run is 'One row per identity linkage run with the trained splink model (settings JSON with m and u parameters), thresholds and counts.';
comment on column core.linkage_run.run_id is 'Linkage run identifier.';
comment on column core.linkage_run.trained_at is 'When the model was trained.';
comment on column core.linkage_run.method is 'splink (probabilistic, seeded by deterministic rules) or deterministic (fallback).';
comment on column core.linkage_run.model_json is 'The trained splink settings (comparisons, m and u probabilities, blocking rules) as JSON; contains no personal data.';
comment on column core.linkage_run.threshold is 'Match probability at or above which a pair links.';
comment on column core.linkage_run.review_lower is 'Lower edge of the clerical-review band.';
comment on column core.linkage_run.records is 'Person-bearing records linked.';
comment on column core.linkage_run.nodes is 'Distinct identities (records with identical identifiers collapsed).';
comment on column core.linkage_run.pairs_scored is 'Candidate pairs scored by the model after blocking; NULL when a large run scored in chunks and kept only the pairs at or above the review band.';
comment on column core.linkage_run.clusters is 'Resolved persons.';
alter table core.linkage_run add column if not exists model_run_id varchar;
alter table core.linkage_run add column if not exists trained_nodes integer;
comment on column core.linkage_run.model_run_id is 'The run whose training produced the model used (this run when it trained; an earlier run when its model was reused).';
alter table core.linkage_run add column if not exists training_month varchar;
alter table core.linkage_run add column if not exists training_key varchar;
comment on column core.linkage_run.trained_nodes is 'Identity nodes the model was trained on: those of the records delivered up to training_month.';
comment on column core.linkage_run.training_month is 'The last training month: the model is trained on the records delivered up to it. A month is a training month when the records delivered so far exceed those of the training month before by more than the retrain margin (25%), or 12 months after it; the first month is one. A function of raw alone, so a rebuild from scratch trains the same model.';
comment on column core.linkage_run.training_key is 'Digest of the records delivered up to training_month and of the comparisons: the stored model is reused while it is unchanged (a re-sent or erased record of those months trains again).';
comment on column core.linkage_run.review_pending is 'Pairs pending clerical review after the run.';
comment on column core.linkage_run.merges is 'Merge events recorded.';
comment on column core.linkage_run.splits is 'Split events recorded.';
comment on column core.linkage_run.seconds is 'Wall time of the run.';
