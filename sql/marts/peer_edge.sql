-- marts.peer_edge: one row per undirected pair of people x relation (person_key_a < person_key_b),
-- with its evidence, reliability and a weight that decays with time (half-life $half_life months,
-- measured at the end of $as_of_month, the last month of data).
create or replace table marts.peer_edge as
with multi as (
  select person_key_a, person_key_b, relation from marts.peer_evidence group by all having count(*) > 1
)
-- most pairs rest on one piece of evidence: their edge is that row, with no list aggregation and
-- no sort (its refs are one source record, or a same_place pair's two with the least first)
select person_key_a, person_key_b, relation,
       round(pow(0.5, date_diff('day', seen_on, last_day(strptime($as_of_month || '-01', '%Y-%m-%d')::date))
                 / $days_per_month / $half_life), 9) as weight,
       1::bigint as evidence_count, seen_on as first_seen, seen_on as last_seen,
       refs as evidence, reliability, young_people,
       case when place_id is not null then [place_id] end as place_ids,
       $as_of_month as as_of_month
from marts.peer_evidence e anti join multi m using (person_key_a, person_key_b, relation)
union all
select person_key_a, person_key_b, relation,
       -- rounded: a float sum's last bits depend on the order rows arrive in
       round(sum(pow(0.5, date_diff('day', seen_on, last_day(strptime($as_of_month || '-01', '%Y-%m-%d')::date))
                    / $days_per_month / $half_life)), 9) as weight,
       count(*) as evidence_count,
       min(seen_on) as first_seen, max(seen_on) as last_seen,
       list_sort(list_distinct(flatten(list(refs)))) as evidence,
       any_value(reliability) as reliability,
       bool_or(young_people) as young_people,
       list_sort(list_distinct(list(place_id) filter (where place_id is not null))) as place_ids,
       $as_of_month as as_of_month
from marts.peer_evidence e semi join multi m using (person_key_a, person_key_b, relation)
group by person_key_a, person_key_b, relation;
comment on table marts.peer_edge is 'One row per pair of people x relation: how they are linked, how strongly now (decayed weight), since when, on what evidence and how reliable. A link is not membership of anything.';
comment on column marts.peer_edge.person_key_a is 'The lower person_key of the pair.';
comment on column marts.peer_edge.person_key_b is 'The higher person_key of the pair.';
comment on column marts.peer_edge.relation is 'co_suspect, victim_suspect, co_victim (named in one crime), missing_together (told at the return home interview), named_peer (named at a MAP meeting), same_place (two records at one place within the window).';
comment on column marts.peer_edge.weight is 'Sum over the evidence of 0.5 ^ (age in months / half-life) at the end of as_of_month: old ties fade.';
comment on column marts.peer_edge.evidence_count is 'Pieces of evidence (source records or record pairs) behind the edge.';
comment on column marts.peer_edge.first_seen is 'Date of the earliest evidence.';
comment on column marts.peer_edge.last_seen is 'Date of the latest evidence.';
comment on column marts.peer_edge.evidence is 'The source records, as source:key (police_crimes:<crime_ref>, missing_episodes:<episode_id>, map_assessments:<assessment_id>), so every link can be traced.';
comment on column marts.peer_edge.reliability is 'recorded (by an agency; same_place is inferred from agency records) or reported (told at a return interview or said at a MAP meeting).';
comment on column marts.peer_edge.young_people is 'Both were aged 10-19 at the time of some evidence. Edges to adults (e.g. adult suspects in CSE) are kept here but never make peer groups.';
comment on column marts.peer_edge.place_ids is 'Places where the evidence put them together, when known.';
comment on column marts.peer_edge.as_of_month is 'The month at whose end the weight was measured.';
