-- marts.peer_group_profile: one row per peer group x month: who the group is in broad terms
-- (size, ages, sexes, schools and wards spanned), what happened around it over the $window months
-- up to the month (incidents by theme), the share of members with each vulnerability factor
-- ($vulnerability), members recorded as both victim and suspect, and its key places.
create or replace table marts.peer_group_profile as
with months as (
  -- month numbers (year * 12 + month - 1) join faster than 'YYYY-MM' strings made row by row
  select distinct as_of_month,
         year(strptime(as_of_month || '-01', '%Y-%m-%d')) * 12 + month(strptime(as_of_month || '-01', '%Y-%m-%d')) - 1 as month_no,
         strptime(as_of_month || '-01', '%Y-%m-%d')::date - to_months($window - 1) as window_start,
         last_day(strptime(as_of_month || '-01', '%Y-%m-%d')::date) as window_end
  from marts.peer_group
), members as (
  select distinct person_key from marts.peer_group
), g as (
  select g.as_of_month, m.month_no, g.group_id, g.person_key, m.window_start, m.window_end,
         year(m.window_end) - p.birth_year as age, p.sex
  from marts.peer_group g join months m using (as_of_month) left join marts.person p using (person_key)
), spread as not materialized (
  -- an incident counts in the $window months from its own: each involvement is spread over those
  -- months and met by an equi-join on (person, month), not by every membership of the person
  -- filtered by date (at London scale that join spilled tens of gigabytes). Only keys travel:
  -- the incident's themes and ward are joined once per group and incident, after the distinct
  select v.person_key, v.incident_key, v.role = 'victim' as is_victim, v.role in ('suspect', 'accused') as is_suspect,
         year(cast(i.occurred_at as date)) * 12 + month(cast(i.occurred_at as date)) - 1 + k as month_no
  from core.involvement v join marts.incident i using (incident_key), range($window) as r(k)
  where v.role in ('victim', 'suspect', 'accused') and i.occurred_at is not null
    and v.person_key in (select person_key from members)
), group_incidents as (
  -- each incident once per group (themes and ward belong to the incident)
  select distinct g.as_of_month, g.group_id, x.incident_key
  from g join spread x using (person_key, month_no)
), incidents as (
  select gi.as_of_month, gi.group_id,
         count(*) as incidents,
         count(*) filter (where list_contains(i.themes, 'cse')) as cse_incidents,
         count(*) filter (where list_contains(i.themes, 'hsb_peer')) as hsb_peer_incidents,
         count(*) filter (where list_contains(i.themes, 'syv')) as syv_incidents,
         count(*) filter (where list_contains(i.themes, 'cce')) as cce_incidents,
         count(*) filter (where list_contains(i.themes, 'gang')) as gang_incidents,
         count(*) filter (where list_contains(i.themes, 'online')) as online_incidents
  from group_incidents gi join marts.incident i using (incident_key)
  group by all
), overlap as (
  -- a member is in one group a month, so a member's roles are the person's roles in the window
  select g.as_of_month, g.group_id, count(*) as victim_and_suspect_members
  from g join (
    select person_key, month_no from spread group by all having bool_or(is_victim) and bool_or(is_suspect)
  ) x using (person_key, month_no)
  group by all
), wards as (
  select as_of_month, group_id, list_sort(list(ward)) as wards from (
    select gi.as_of_month, gi.group_id, i.ward_code as ward
    from group_incidents gi join marts.incident i using (incident_key) where i.ward_code is not null
    union
    select g.as_of_month, g.group_id, m.found_ward_code from g join (
      select person_key, found_ward_code,
             year(cast(reported_at as date)) * 12 + month(cast(reported_at as date)) - 1 + k as month_no
      from core.missing_episode, range($window) as r(k)
      where found_ward_code is not null and reported_at is not null
        and person_key in (select person_key from members)
    ) m using (person_key, month_no)
  ) group by all
), schools as (
  select g.as_of_month, g.group_id, list_sort(list_distinct(list(x.school_urn))) as schools
  from g join (
    -- a school counts from the member's first exclusion there: one row per person and school
    select person_key, school_urn, min(start_date) as first_start from core.exclusion
    where school_urn is not null group by all
  ) x using (person_key)
  where x.first_start <= g.window_end group by all
), factors as (
  -- vulnerability factors recorded by the month's end (referrals, return interviews, MAP cells)
  select person_key, factor, seen_on from (
    select person_key, unnest(assessment_factors) as factor, referral_date as seen_on from core.referral
    union all select person_key, unnest(concerns), cast(reported_at as date) from core.missing_episode
    union all select c.person_key, unnest(c.factors), s.meeting_date
    from core.assessment_cell c join core.assessment s using (assessment_id) where c.domain = 'vulnerability'
  ) where factor in (select unnest($vulnerability))
), first_factor as (
  -- a factor counts from its first recording: one row per person and factor, not every recording
  select person_key, factor, min(seen_on) as first_seen from factors group by all
), member_factors as (
  select g.as_of_month, g.group_id, f.factor, count(distinct g.person_key) as members
  from g join first_factor f on f.person_key = g.person_key and f.first_seen <= g.window_end group by all
), vuln as (
  -- each group's counts by factor as a map, then one struct per factor of $vulnerability (sorted,
  -- as the factor leads each struct): a list aggregate of a struct for every group x factor
  -- (13.7 million at London scale) took about 20 s
  select b.as_of_month, b.group_id,
         list_transform(list_sort($vulnerability::varchar[]), lambda f: {
           'factor': f, 'members': coalesce(mf.counts[f], 0),
           'share': round(coalesce(mf.counts[f], 0) / b.size, 3)}) as vulnerability
  from (select as_of_month, group_id, count(*) as size from g group by all) b
  left join (select as_of_month, group_id, map(list(factor), list(members)) as counts
             from member_factors group by all) mf using (as_of_month, group_id)
), places as (
  select as_of_month, group_id,
         -- most members seen first, then most records, then by id: sorted after aggregating
         list_transform(list_sort(list({'members': -members_seen,
                                        'records': -(incidents + found_after_missing + named_at_map),
                                        'place_id': place_id}))[1:$key_places], lambda x: x.place_id) as key_places
  from marts.group_place group by all
), base as (
  select as_of_month, group_id, count(*) as size,
         min(age) as age_min, max(age) as age_max, median(age) as age_median,
         count(*) filter (where sex = 'F') as girls, count(*) filter (where sex = 'M') as boys,
         count(*) filter (where sex is null or sex not in ('F', 'M')) as sex_other_or_unknown
  from g group by all
)
select b.as_of_month, b.group_id, b.size, b.age_min, b.age_max, b.age_median,
       b.girls, b.boys, b.sex_other_or_unknown,
       coalesce(s.schools, []::varchar[]) as schools, len(coalesce(s.schools, [])) as school_count,
       coalesce(w.wards, []::varchar[]) as wards, len(coalesce(w.wards, [])) as ward_count,
       coalesce(i.incidents, 0) as incidents,
       coalesce(i.cse_incidents, 0) as cse_incidents, coalesce(i.hsb_peer_incidents, 0) as hsb_peer_incidents,
       coalesce(i.syv_incidents, 0) as syv_incidents, coalesce(i.cce_incidents, 0) as cce_incidents,
       coalesce(i.gang_incidents, 0) as gang_incidents, coalesce(i.online_incidents, 0) as online_incidents,
       v.vulnerability,
       coalesce(o.victim_and_suspect_members, 0) as victim_and_suspect_members,
       round(coalesce(o.victim_and_suspect_members, 0) / b.size, 3) as victim_and_suspect_share,
       coalesce(p.key_places, []::varchar[]) as key_places
from base b
left join incidents i using (as_of_month, group_id)
left join overlap o using (as_of_month, group_id)
left join wards w using (as_of_month, group_id)
left join schools s using (as_of_month, group_id)
left join vuln v using (as_of_month, group_id)
left join places p using (as_of_month, group_id);
comment on table marts.peer_group_profile is 'One row per peer group x month: size, ages, sexes, schools and wards spanned, incidents by theme and key places over the profile window, share of members with each vulnerability factor, members recorded as both victim and suspect. Describes a context to assess; never scores a child.';
comment on column marts.peer_group_profile.as_of_month is 'Month of the peer group (YYYY-MM); incidents, wards and places cover the profile window (default 12 months) ending then.';
comment on column marts.peer_group_profile.group_id is 'Peer group, stable across months while the group persists (marts.peer_group).';
comment on column marts.peer_group_profile.size is 'Members in the month.';
comment on column marts.peer_group_profile.age_min is 'Youngest member''s age at the month''s end (from birth year).';
comment on column marts.peer_group_profile.age_max is 'Oldest member''s age at the month''s end (from birth year).';
comment on column marts.peer_group_profile.age_median is 'Median age of members.';
comment on column marts.peer_group_profile.girls is 'Members recorded as female.';
comment on column marts.peer_group_profile.boys is 'Members recorded as male.';
comment on column marts.peer_group_profile.sex_other_or_unknown is 'Members recorded as other, or not recorded.';
comment on column marts.peer_group_profile.schools is 'Schools (URN) members are known at, from exclusions recorded by the month''s end (the only school-bearing source).';
comment on column marts.peer_group_profile.school_count is 'Number of schools spanned.';
comment on column marts.peer_group_profile.wards is 'Wards of members'' incidents and of where they were found after missing, in the window.';
comment on column marts.peer_group_profile.ward_count is 'Number of wards spanned.';
comment on column marts.peer_group_profile.incidents is 'Distinct incidents with a member as victim or suspect in the window.';
comment on column marts.peer_group_profile.cse_incidents is 'Of those, incidents with theme cse.';
comment on column marts.peer_group_profile.hsb_peer_incidents is 'Of those, incidents with theme hsb_peer.';
comment on column marts.peer_group_profile.syv_incidents is 'Of those, incidents with theme syv.';
comment on column marts.peer_group_profile.cce_incidents is 'Of those, incidents with theme cce.';
comment on column marts.peer_group_profile.gang_incidents is 'Of those, incidents with theme gang.';
comment on column marts.peer_group_profile.online_incidents is 'Of those, incidents with theme online.';
comment on column marts.peer_group_profile.vulnerability is 'For each vulnerability factor: members with it recorded by the month''s end, and their share of the group.';
comment on column marts.peer_group_profile.victim_and_suspect_members is 'Members recorded as a victim in one incident and a suspect in another (or the same) in the window: the peer-on-peer overlap.';
comment on column marts.peer_group_profile.victim_and_suspect_share is 'victim_and_suspect_members / size.';
comment on column marts.peer_group_profile.key_places is 'Places where most members were seen in the window (marts.group_place), most first.';
