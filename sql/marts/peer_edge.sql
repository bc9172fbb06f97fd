-- marts.peer_edge: one row per undirected pair of people x relation (person_key_a < person_key_b),
-- with its evidence, reliability and a weight that decays with time (half-life $half_life months,
-- measured at the end of $as_of_month, the last month of data).
-- A view: the edges are stored undecayed (marts.peer_edge_undecayed, weight at each edge's latest
-- evidence) and decayed here, when read, to the month of measure kept in marts.peer_edge_decay, so a
-- month that moves as_of_month rewrites one row, not every edge. The weight is the one decayed in
-- one step (sum over the evidence of 0.5 ^ (age at the end of as_of_month / half-life), rounded to
-- 9 decimals) to floating-point tolerance: 0.5 ^ (a + b) = 0.5 ^ a x 0.5 ^ b.
create or replace table marts.peer_edge_decay as
select $as_of_month::varchar as as_of_month,
       last_day(strptime($as_of_month || '-01', '%Y-%m-%d')::date) as as_of_day,
       $half_life::double as half_life_months,
       $days_per_month::double as days_per_month;
create or replace view marts.peer_edge as
select e.person_key_a, e.person_key_b, e.relation,
       round(e.weight_at_last_seen
             * pow(0.5, date_diff('day', e.last_seen, d.as_of_day) / d.days_per_month / d.half_life_months), 9) as weight,
       e.evidence_count, e.first_seen, e.last_seen, e.evidence, e.reliability, e.young_people, e.place_ids,
       d.as_of_month
from marts.peer_edge_undecayed e cross join marts.peer_edge_decay d;
comment on table marts.peer_edge_decay is 'How marts.peer_edge decays its weights when read: one row, the month at whose end they are measured (the last month with evidence between young people), that day, the half-life and the days in a month.';
comment on column marts.peer_edge_decay.as_of_month is 'The month at whose end marts.peer_edge measures its weights (YYYY-MM).';
comment on column marts.peer_edge_decay.as_of_day is 'The last day of as_of_month.';
comment on column marts.peer_edge_decay.half_life_months is 'An edge''s evidence counts half as much after this many months.';
comment on column marts.peer_edge_decay.days_per_month is 'The mean length of a month in days (365.25 / 12), the unit of every decay.';
comment on view marts.peer_edge is 'One row per pair of people x relation: how they are linked, how strongly now (decayed weight), since when, on what evidence and how reliable. A link is not membership of anything. A view over marts.peer_edge_undecayed, decayed when read (marts.peer_edge_decay); the analyst copy holds it as a table.';
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
