-- marts.peer_evidence: one row per piece of evidence that two people were together: a pair
-- (person_key_a < person_key_b) x relation x the source records that show it. The grain below
-- marts.peer_edge, kept so that every edge can be traced and its weight decayed over time.
-- Parameters: $window_days (same_place window), $crowd_max (larger gatherings make no pairs),
-- $young_min, $young_max (ages of young people).
-- Who is young: aged $young_min-$young_max at the event by a recorded age (the record's, else from
-- the person's birth year); where no age is recorded, a person known only from sources that hold
-- children (social care referrals, missing episodes, school exclusions, MAP assessments) is young,
-- anyone else (e.g. a police record without a date of birth) is not.
-- Two statements: the pairs are written to a temporary table first, then grouped. In one
-- statement the joins' hash tables and the aggregate's were held at once, and at London scale
-- (14.5M pairs) that did not fit a 4GB memory limit; each on its own spills and fits.
create or replace temp table _peer_pairs as
with age_of as (
  select p.person_key, p.birth_year,
         coalesce(bool_and(r.source in ('social_care_referrals', 'missing_episodes', 'school_exclusions',
                                        'map_assessments')), false) as child_only
  from core.person p left join core.person_record r using (person_key)
  group by p.person_key, p.birth_year
), inv as (
  -- people involved in an incident as victim or suspect, with their age at the time
  select v.incident_key, v.person_key, v.role in ('suspect', 'accused') as is_suspect,
         v.role = 'victim' as is_victim, cast(i.occurred_at as date) as seen_on, i.place_id,
         coalesce(v.age_at_event, year(i.occurred_at) - a.birth_year) as age,
         coalesce(a.child_only, false) as child_only
  from core.involvement v join core.incident i using (incident_key)
  left join age_of a using (person_key)
  where v.role in ('victim', 'suspect', 'accused') and v.person_key is not null
), incident_pairs as (
  select case when x.is_suspect and y.is_suspect then 'co_suspect'
              when x.is_victim and y.is_victim then 'co_victim'
              else 'victim_suspect' end as relation,
         x.person_key as a, y.person_key as b, x.seen_on,
         'police_crimes:' || x.incident_key as ref1, cast(null as varchar) as ref2, x.place_id,
         x.age as age_a, y.age as age_b, x.child_only as child_a, y.child_only as child_b
  from inv x join inv y on x.incident_key = y.incident_key and x.person_key < y.person_key
  where (x.is_suspect or x.is_victim) and (y.is_suspect or y.is_victim)
), missing_pairs as (
  select 'missing_together' as relation, m.person_key as a, w.peer as b,
         cast(m.reported_at as date) as seen_on, 'missing_episodes:' || m.episode_id as ref1,
         cast(null as varchar) as ref2,
         m.found_place_id as place_id,
         coalesce(m.age_at_event, year(m.reported_at) - o.birth_year) as age_a,
         year(m.reported_at) - p.birth_year as age_b,
         coalesce(o.child_only, false) as child_a, coalesce(p.child_only, false) as child_b
  from core.missing_episode m, unnest(m.missing_with_keys) as w(peer)
  left join age_of o on o.person_key = m.person_key
  left join age_of p on p.person_key = w.peer
  where m.person_key <> w.peer
), named_pairs as (
  select 'named_peer' as relation, c.person_key as a, n.peer as b, s.meeting_date as seen_on,
         'map_assessments:' || c.assessment_id as ref1, cast(null as varchar) as ref2,
         cast(null as varchar) as place_id,
         coalesce(s.age_at_event, year(s.meeting_date) - o.birth_year) as age_a,
         year(s.meeting_date) - p.birth_year as age_b,
         coalesce(o.child_only, false) as child_a, coalesce(p.child_only, false) as child_b
  from core.assessment_cell c join core.assessment s using (assessment_id),
       unnest(c.named_peer_keys) as n(peer)
  left join age_of o on o.person_key = c.person_key
  left join age_of p on p.person_key = n.peer
  where c.person_key <> n.peer
), presence as (
  -- a young person at a known place: involved in an incident there, or found there after missing
  select person_key, place_id, seen_on, 'police_crimes:' || incident_key as ref
  from inv where place_id is not null and coalesce(age between $young_min and $young_max, child_only)
  union
  select m.person_key, m.found_place_id, cast(coalesce(m.returned_at, m.reported_at) as date),
         'missing_episodes:' || m.episode_id
  from core.missing_episode m left join age_of o using (person_key)
  where m.found_place_id is not null
    and coalesce(coalesce(m.age_at_event, year(m.reported_at) - o.birth_year) between $young_min and $young_max,
                 o.child_only, false)
), presence_bucket as (
  -- time cut into buckets one window plus a day long: two presences within the window fall in
  -- the same or neighbouring buckets, so each y below stands in its own bucket and both
  -- neighbours and meets each x within the window exactly once (an equi-join, not place x place)
  select *, floor(date_diff('day', date '1970-01-01', seen_on) / ($window_days + 1))::bigint as bucket
  from presence
), small_gathering as (
  -- a crowd (more than $crowd_max young people at the place in the bucket) makes no pairs
  select p.* from presence_bucket p
  join (select place_id, bucket from presence_bucket group by all
        having count(distinct person_key) <= $crowd_max) c using (place_id, bucket)
), place_pairs as (
  select 'same_place' as relation, x.person_key as a, y.person_key as b,
         greatest(x.seen_on, y.seen_on) as seen_on, least(x.ref, y.ref) as ref1, greatest(x.ref, y.ref) as ref2,
         x.place_id, $young_min as age_a, $young_min as age_b, true as child_a, true as child_b
  from small_gathering x
  join (select person_key, place_id, seen_on, ref, unnest([bucket - 1, bucket, bucket + 1]) as bucket
        from small_gathering) y
    on x.place_id = y.place_id and x.bucket = y.bucket and x.person_key < y.person_key and x.ref <> y.ref
   and abs(date_diff('day', x.seen_on, y.seen_on)) <= $window_days
), all_pairs as (
  select * from incident_pairs
  union all select * from missing_pairs
  union all select * from named_pairs
  union all select * from place_pairs
)
select * from all_pairs;
create or replace table marts.peer_evidence as
-- grouped on the source records as two strings (the second NULL but for same_place), not on a
-- list: a hash aggregate keyed on strings spills to disk under the memory limit (London scale:
-- 14 million pieces of evidence), one keyed on lists did not
with grouped as (
  select least(a, b) as person_key_a, greatest(a, b) as person_key_b, relation, ref1, ref2,
         min(seen_on) as seen_on, any_value(place_id) as place_id,
         bool_or(coalesce(age_a between $young_min and $young_max, child_a, false)
                 and coalesce(age_b between $young_min and $young_max, child_b, false)) as young_people
  from _peer_pairs
  where a <> b and seen_on is not null
  group by all
)
select person_key_a, person_key_b, relation, seen_on, strftime(seen_on, '%Y-%m') as month,
       case when ref2 is null then [ref1] else [ref1, ref2] end as refs, place_id,
       case when relation in ('missing_together', 'named_peer') then 'reported' else 'recorded' end as reliability,
       young_people
from grouped;
drop table _peer_pairs;
comment on table marts.peer_evidence is 'One row per piece of evidence that two people were together (pair x relation x source records): the trace behind every peer edge.';
comment on column marts.peer_evidence.person_key_a is 'The lower person_key of the pair.';
comment on column marts.peer_evidence.person_key_b is 'The higher person_key of the pair.';
comment on column marts.peer_evidence.relation is 'co_suspect, victim_suspect, co_victim (one crime), missing_together (return interview), named_peer (MAP meeting), same_place (two records at one place within the window).';
comment on column marts.peer_evidence.seen_on is 'Date of the evidence (offence, missing report, meeting, or the later of two place records).';
comment on column marts.peer_evidence.month is 'Month of seen_on (YYYY-MM).';
comment on column marts.peer_evidence.refs is 'Source records, as source:key (police_crimes:4201234/25, missing_episodes:ME0001234, map_assessments:MAP00123).';
comment on column marts.peer_evidence.place_id is 'The place where the two were seen, when known (always for same_place).';
comment on column marts.peer_evidence.reliability is 'recorded (by an agency, or inferred from agency records) or reported (told at interview or said at a meeting).';
comment on column marts.peer_evidence.young_people is 'Both were young at the time: aged 10-19 by a recorded age (from the record, else from birth year), or, with no age recorded, known only from sources that hold children (social care, missing episodes, school exclusions, MAP); only such evidence makes peer groups.';
