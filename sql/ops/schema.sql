-- ops: the pipeline's own bookkeeping. One statement per table; all idempotent.
create schema if not exists ops;
create schema if not exists raw;
create schema if not exists core;
create schema if not exists marts;
-- cache: content-addressed memos of expensive per-unit computations (a month's peer groups, a
-- series prefix's expected level); rebuildable, dropped by purge and erasure, never published.
create schema if not exists cache;
create sequence if not exists ops.load_seq start 1;
create table if not exists ops.loads (
  load_id bigint primary key,
  run_id varchar,
  source varchar not null,
  source_file varchar not null,
  delivery_month varchar,
  checksum varchar,
  encoding varchar,
  rows_in bigint,
  rows_loaded bigint,
  rows_quarantined bigint,
  rows_superseded bigint,
  status varchar not null,
  message varchar,
  started_at timestamp,
  finished_at timestamp
);
comment on table ops.loads is 'One row per delivered file load attempt: checksum, rows in = rows loaded + rows quarantined, status (loaded or failed) and timings.';
comment on column ops.loads.load_id is 'Load identifier, also stamped on every raw and quarantined row of the file.';
comment on column ops.loads.run_id is 'The refresh run (ops.runs) the load belonged to.';
comment on column ops.loads.source is 'Canonical source name (file stem, e.g. police_crimes).';
comment on column ops.loads.source_file is 'File path relative to the inbox, e.g. 2025-03/police_crimes.csv.';
comment on column ops.loads.delivery_month is 'Month the delivery folder covers (YYYY-MM).';
comment on column ops.loads.checksum is 'SHA-256 of the file bytes; a file already loaded with the same checksum is skipped.';
comment on column ops.loads.encoding is 'Encoding the file was read in (utf-8, windows-1252 or xlsx).';
comment on column ops.loads.rows_in is 'Data rows in the file.';
comment on column ops.loads.rows_loaded is 'Rows accepted into raw (current or history).';
comment on column ops.loads.rows_quarantined is 'Rows refused to ops.quarantine with the rules they broke.';
comment on column ops.loads.rows_superseded is 'Earlier versions of records moved to history because this file re-sent them.';
comment on column ops.loads.status is 'loaded, or failed (the file was refused whole; see message).';
comment on column ops.loads.message is 'Why a file failed: which file, which column or line, what to do.';
comment on column ops.loads.started_at is 'When the load started.';
comment on column ops.loads.finished_at is 'When the load finished.';
create table if not exists ops.quarantine (
  load_id bigint not null,
  source varchar not null,
  source_file varchar not null,
  delivery_month varchar,
  row_number bigint not null,
  rules varchar[] not null,
  record json,
  quarantined_at timestamp default current_timestamp
);
comment on table ops.quarantine is 'Rejected rows, verbatim as delivered (record, keyed by the export''s own column names), with every named rule they broke.';
comment on column ops.quarantine.load_id is 'The load (ops.loads) that refused the row.';
comment on column ops.quarantine.source is 'Canonical source name.';
comment on column ops.quarantine.source_file is 'File path relative to the inbox.';
comment on column ops.quarantine.delivery_month is 'Delivery month (YYYY-MM).';
comment on column ops.quarantine.row_number is 'Data row number within the file (1 = first row after the header).';
comment on column ops.quarantine.rules is 'Names of the broken rules, e.g. type:dob, code:role, orphan:crime_ref, duplicate_key.';
comment on column ops.quarantine.record is 'The row exactly as delivered (text), as JSON. Personal data: restricted like raw.';
comment on column ops.quarantine.quarantined_at is 'When the row was quarantined.';
create table if not exists ops.runs (
  run_id varchar primary key,
  kind varchar,
  months varchar,
  started_at timestamp,
  finished_at timestamp,
  status varchar,
  message varchar
);
comment on table ops.runs is 'One row per refresh run: what it covered, when, and how it ended.';
create table if not exists ops.access_log (
  accessed_at timestamp default current_timestamp,
  user_name varchar,
  kind varchar,
  query varchar,
  row_count bigint,
  target varchar
);
comment on table ops.access_log is 'Who ran which ad-hoc query or export, when, and how many rows it returned; refused and failed queries too. Collected by each refresh from the spool readers write to (build/access/), never written by readers themselves.';
alter table ops.access_log add column if not exists query_id varchar;
alter table ops.access_log add column if not exists outcome varchar;
alter table ops.access_log add column if not exists message varchar;
comment on column ops.access_log.accessed_at is 'When the query was received (before it ran).';
comment on column ops.access_log.user_name is 'The operating-system user who ran it.';
comment on column ops.access_log.kind is 'sql (lantern sql), map_pack (lantern pack) or review (lantern review).';
comment on column ops.access_log.query is 'The query text as given (a MAP pack: the person key; an erasure redacts the person from it).';
comment on column ops.access_log.row_count is 'Rows returned (NULL when refused or failed).';
comment on column ops.access_log.target is 'Where the result went: stdout or the export file.';
comment on column ops.access_log.query_id is 'Identifier of the request (one spool entry); a re-collected entry is not added twice.';
comment on column ops.access_log.outcome is 'ok, refused (not a single SELECT, or no analyst copy), failed (the engine refused or erred), or interrupted (the process ended before it reported).';
comment on column ops.access_log.message is 'Why it was refused or failed.';
alter table ops.loads add column if not exists rows_withheld bigint default 0;
comment on column ops.loads.rows_withheld is 'Rows not loaded because an erasure withheld them (their record key matches an erasure tombstone). rows in = loaded + quarantined + withheld.';
create table if not exists ops.erasure_tombstone (
  record_hash varchar primary key,
  erased_at timestamp
);
comment on table ops.erasure_tombstone is 'Keyed hashes (HMAC with the pseudonym key) of the source keys of erased records, and of the erased persons'' agency IDs: ingest withholds any delivered row that matches, so a re-sent file never brings an erased person back. Holds no identity in clear.';
create table if not exists ops.erasure_name_tombstone (
  token_hash varchar primary key,
  erased_at timestamp
);
comment on table ops.erasure_name_tombstone is 'Keyed hashes of the erased persons'' name words: ingest redacts matching words in other records'' free text, so a re-sent file does not bring their name back. Holds no name in clear.';
create table if not exists ops.rows_removed (
  removed_at timestamp,
  reason varchar,
  source varchar,
  rows_removed bigint
);
comment on table ops.rows_removed is 'Rows of raw (current and history) that an erasure removed, by source: counts only, so that every row loaded is still accounted for (held in raw, or removed by a purge or an erasure).';
create table if not exists ops.erasure_pending (
  erasure_id varchar primary key,
  started_at timestamp,
  stage varchar
);
comment on table ops.erasure_pending is 'Erasures started and not yet complete (rebuild, files, warehouse rewrite); the next lantern erase completes them. Holds no identity.';
alter table ops.loads add column if not exists replaced_by_load bigint;
comment on column ops.loads.replaced_by_load is 'Set when the same file (same source, same place in the inbox) was delivered again with other bytes and loaded: the later load. Counts of a month read only loads not replaced; the earlier load''s rows are kept (raw history, quarantine).';
alter table ops.quarantine add column if not exists replaced_by_load bigint;
comment on column ops.quarantine.replaced_by_load is 'Set when the file that brought the row was re-sent and loaded again (the later load): the row is kept, and no longer counted as this month''s quarantine.';
