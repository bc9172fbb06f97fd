-- marts.peer_edge_undecayed: what marts.peer_edge shows, stored as it stands at each edge's latest
-- evidence, so that it does not move when the month of measure (as_of_month) does. Its weight is
-- measured at last_seen; the view marts.peer_edge decays it to the end of as_of_month when read
-- (0.5 ^ (age / half-life) splits: the sum at last_seen times one factor from last_seen on). A month
-- added changes only the rows of edges with new evidence (or of re-keyed persons).
create or replace table marts.peer_edge_undecayed as
with multi as (
  select person_key_a, person_key_b, relation from marts.peer_evidence group by all having count(*) > 1
), multi_evidence as (
  select e.*, pow(0.5, date_diff('day', seen_on, max(seen_on) over (partition by person_key_a, person_key_b, relation))
                       / $days_per_month / $half_life) as term
  from marts.peer_evidence e semi join multi m using (person_key_a, person_key_b, relation)
)
-- most pairs rest on one piece of evidence: their edge is that row, with no list aggregation and
-- no sort (its refs are one source record, or a same_place pair's two with the least first)
select person_key_a, person_key_b, relation,
       1.0::double as weight_at_last_seen,
       1::bigint as evidence_count, seen_on as first_seen, seen_on as last_seen,
       refs as evidence, reliability, young_people,
       case when place_id is not null then [place_id] end as place_ids
from marts.peer_evidence e anti join multi m using (person_key_a, person_key_b, relation)
union all
select person_key_a, person_key_b, relation,
       -- summed in one order (smallest term first), as a float sum's last bits depend on the order
       -- rows arrive in and this table must come out the same from every build of the same data,
       -- then rounded to 12 decimals, so that the view's weight (rounded to 9) is the one decayed in one step
       round(list_sum(list(term order by term)), 12) as weight_at_last_seen,
       count(*) as evidence_count,
       min(seen_on) as first_seen, max(seen_on) as last_seen,
       list_sort(list_distinct(flatten(list(refs)))) as evidence,
       any_value(reliability) as reliability,
       bool_or(young_people) as young_people,
       list_sort(list_distinct(list(place_id) filter (where place_id is not null))) as place_ids
from multi_evidence
group by person_key_a, person_key_b, relation;
comment on table marts.peer_edge_undecayed is 'marts.peer_edge as stored: one row per pair of people x relation, its weight measured at its latest evidence (last_seen). Read marts.peer_edge for the weight now; this table changes only where evidence does.';
comment on column marts.peer_edge_undecayed.person_key_a is 'The lower person_key of the pair.';
comment on column marts.peer_edge_undecayed.person_key_b is 'The higher person_key of the pair.';
comment on column marts.peer_edge_undecayed.relation is 'co_suspect, victim_suspect, co_victim (named in one crime), missing_together (told at the return home interview), named_peer (named at a MAP meeting), same_place (two records at one place within the window).';
comment on column marts.peer_edge_undecayed.weight_at_last_seen is 'Sum over the evidence of 0.5 ^ (months from the evidence to last_seen / half-life): the weight at the date of the latest evidence (1 for one piece of evidence). marts.peer_edge.weight is this times 0.5 ^ (months from last_seen to the end of as_of_month / half-life).';
comment on column marts.peer_edge_undecayed.evidence_count is 'Pieces of evidence (source records or record pairs) behind the edge.';
comment on column marts.peer_edge_undecayed.first_seen is 'Date of the earliest evidence.';
comment on column marts.peer_edge_undecayed.last_seen is 'Date of the latest evidence.';
comment on column marts.peer_edge_undecayed.evidence is 'The source records, as source:key (police_crimes:<crime_ref>, missing_episodes:<episode_id>, map_assessments:<assessment_id>), so every link can be traced.';
comment on column marts.peer_edge_undecayed.reliability is 'recorded (by an agency; same_place is inferred from agency records) or reported (told at a return interview or said at a MAP meeting).';
comment on column marts.peer_edge_undecayed.young_people is 'Both were aged 10-19 at the time of some evidence. Edges to adults (e.g. adult suspects in CSE) are kept here but never make peer groups.';
comment on column marts.peer_edge_undecayed.place_ids is 'Places where the evidence put them together, when known.';
