-- core.assessment_cell: one row per filled cell of a MAP assessment matrix (context x domain);
-- named peers resolved to person_keys, named locations to place_ids; notes and free text left in raw.
create or replace table core.assessment_cell as
with peers as (
  select c.assessment_id, c.context, c.domain,
         list(distinct k.person_key order by k.person_key) filter (where k.person_key is not null) as keys
  from (select assessment_id, context, domain, unnest(named_peers) as child_id from raw.map_assessment_cells) c
  left join raw.child_key k using (child_id)
  group by all
), places as (
  select c.assessment_id, c.context, c.domain,
         list(distinct a.place_id order by a.place_id) filter (where a.place_id is not null) as ids,
         count(*) filter (where a.place_id is null) as unresolved
  from (select assessment_id, context, domain, unnest(named_locations) as loc from raw.map_assessment_cells) c
  left join (select alias, min(place_id) as place_id from core.place_alias group by alias) a on a.alias = lower(trim(c.loc))
  group by all
)
select c.assessment_id, s.person_key, c.context, c.domain,
       coalesce(c.factors, []) as factors, coalesce(p.keys, []) as named_peer_keys,
       coalesce(l.ids, []) as named_place_ids, coalesce(l.unresolved, 0) as unresolved_locations,
       coalesce(c.glm_goods, []) as glm_goods,
       -- optional on planned_actions cells (NULL where the borough does not record them)
       case when c.domain = 'planned_actions' then c.action_owner end as action_owner,
       case when c.domain = 'planned_actions' then c.action_due end as action_due,
       case when c.domain = 'planned_actions' then c.action_status end as action_status
from raw.map_assessment_cells c
join core.assessment s using (assessment_id)
left join peers p using (assessment_id, context, domain)
left join places l using (assessment_id, context, domain);
comment on table core.assessment_cell is 'One row per filled cell of the assessment matrix: factors, peers named (person_keys), places named (place_ids), Good Lives goods served; on planned_actions cells the action''s owner agency, due date and status where recorded.';
