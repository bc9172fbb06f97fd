"""The network marts on the sample borough, scored against its planted peer groups."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

from tests.conftest import SAMPLE
from transforms.networks.params import NetworkParams

NETWORK_TABLES = (
    "peer_evidence",
    "peer_edge",
    "peer_edge_undecayed",
    "peer_edge_decay",
    "peer_group",
    "peer_group_event",
    "group_place",
    "peer_group_profile",
    "place_profile",
    "peer_on_peer",
    "peer_bridge",
)


#: A borough generated with other settings than the sample's (seed, group sizes and share, offending,
#: missing and exclusion rates), to check that the defaults were not tuned to the sample.
OTHER_BOROUGH = dict(seed=2024, people=2000, months=18, start_month="2024-11")
OTHER_SETTINGS = dict(
    group_size_min=4,
    group_size_max=9,
    group_share=0.25,
    group_incident_rate=1.0,
    missing_group_per_group=0.30,
    missing_individual_per_1000=12.0,
    exclusion_per_1000=10.0,
)


@pytest.fixture(scope="module")
def other_borough(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(inbox, warehouse) of the other borough, generated and refreshed end to end."""
    from pipelines.runs import refresh
    from pipelines.settings import load_settings
    from synthetic.config import GeneratorConfig
    from synthetic.generator import generate_borough
    from transforms.extracts.delivery import list_months

    tmp = tmp_path_factory.mktemp("other_borough")
    inbox = tmp / "inbox"
    generate_borough(inbox, config=GeneratorConfig(**OTHER_SETTINGS), **OTHER_BOROUGH)  # type: ignore[arg-type]
    settings = load_settings(
        inbox=str(inbox), warehouse=str(tmp / "warehouse.duckdb"), build=str(tmp / "build"), pseudonym_key="test-key"
    )
    months = list_months(inbox)
    refresh(settings, months, months[-1], progress=lambda m: None)
    return inbox, settings.warehouse


def _truth_by_person_key(con: duckdb.DuckDBPyConnection, inbox: Path = SAMPLE) -> pd.DataFrame:
    """Planted (month, person_key, true_group_id): each true person on their majority person_key."""
    truth = pd.read_csv(inbox / "truth" / "peer_groups.csv")
    records = pd.read_csv(inbox / "truth" / "person_records.csv", dtype=str)
    links = con.execute("select source, source_key, person_key from marts.person_link").df()
    votes = (
        records.merge(links, on=["source", "source_key"])
        .groupby(["true_person_id", "person_key"])
        .size()
        .reset_index(name="n")
        .sort_values(["true_person_id", "n", "person_key"], ascending=[True, False, True])
        .drop_duplicates("true_person_id")
    )
    return truth.merge(votes[["true_person_id", "person_key"]], on="true_person_id")


def _tied_members(con: duckdb.DuckDBPyConnection, truth: pd.DataFrame) -> pd.DataFrame:
    """The planted members of each month that the extracts tie to a fellow member of their planted
    group by the end of that month: any relation, recorded or reported, whatever the ages."""
    evidence = con.execute("select person_key_a as a, person_key_b as b, month from marts.peer_evidence").df()
    tied = []
    for month, members in truth.groupby("month"):
        group_of = members.drop_duplicates("person_key").set_index("person_key")["true_group_id"]
        seen = evidence[evidence.month <= month]
        ga, gb = seen.a.map(group_of), seen.b.map(group_of)
        fellows = seen[ga.notna() & (ga == gb)]
        tied.append(members[members.person_key.isin(set(fellows.a) | set(fellows.b))])
    return pd.concat(tied).drop_duplicates(["month", "person_key"])


def _agreement(con: duckdb.DuckDBPyConnection, inbox: Path, name: str) -> pd.DataFrame:
    """Per month: ARI and NMI of the peer groups against the planted groups over the tied members,
    a member in no group counting as a group of one, and coverage (the share of them in a group).
    Printed with the means."""
    tied = _tied_members(con, _truth_by_person_key(con, inbox))
    found = con.execute("select as_of_month as month, person_key, group_id from marts.peer_group").df()
    both = tied.merge(found, on=["month", "person_key"], how="left")
    both["placed"] = both.group_id.notna()
    both["group_id"] = both.group_id.where(both.placed, "alone:" + both.person_key)
    rows = [
        (
            month,
            adjusted_rand_score(d.true_group_id, d.group_id),
            normalized_mutual_info_score(d.true_group_id, d.group_id),
            d.placed.mean(),
            len(d),
        )
        for month, d in both.groupby("month")
    ]
    scores = pd.DataFrame(rows, columns=["month", "ari", "nmi", "coverage", "tied_members"])
    print(
        f"\n{name}: planted members tied to a fellow member, scored with the unplaced as groups of one\n"
        + scores.to_string(index=False, float_format="%.3f")
    )
    print(
        f"{name}: mean ARI {scores.ari.mean():.3f} (bar 0.80), mean NMI {scores.nmi.mean():.3f}, mean coverage "
        f"{scores.coverage.mean():.3f} (lowest {scores.coverage.min():.3f} in {scores.month[scores.coverage.idxmin()]})"
    )
    return scores


def test_peer_groups_match_the_planted_groups(sample_con: duckdb.DuckDBPyConnection) -> None:
    scores = _agreement(sample_con, SAMPLE, "sample")
    assert len(scores) >= 20
    assert scores.ari.mean() >= 0.8
    assert scores.coverage.mean() >= 0.85


def test_peer_groups_match_on_a_borough_generated_otherwise(other_borough: tuple[Path, Path]) -> None:
    inbox, warehouse = other_borough
    with duckdb.connect(str(warehouse), read_only=True) as con:
        print(f"\nother borough: {OTHER_BOROUGH} {OTHER_SETTINGS}")
        scores = _agreement(con, inbox, "other borough")
    assert len(scores) >= 15
    assert scores.ari.mean() >= 0.8
    assert scores.coverage.mean() >= 0.85


def test_children_from_childrens_sources_are_young(sample_warehouse: Path, tmp_path: Path) -> None:
    """A person known only from children's sources with no recorded age makes young evidence; one
    with a police record and no recorded age does not. The sample's children all have a date of
    birth somewhere, so on a copy of its warehouse the ages of the children's-sources-only people
    and of some police-known people are wiped, as a borough recording no dates of birth would have
    them, and the network marts rebuilt."""
    from transforms.networks import build_peer_network

    copy = tmp_path / "warehouse.duckdb"
    shutil.copy(sample_warehouse, copy)
    with duckdb.connect(str(copy)) as con:
        con.execute("""
            create temp table ageless as
            select person_key, bool_and(source in ('social_care_referrals', 'missing_episodes', 'school_exclusions',
                                                   'map_assessments')) as child_only
            from core.person_record group by person_key
            having bool_and(source <> 'police_persons') or hash(person_key) % 10 = 0""")
        con.execute("update core.person set birth_year = null where person_key in (select person_key from ageless)")
        for table in ("core.person_record", "core.involvement", "core.missing_episode", "core.assessment"):
            con.execute(f"update {table} set age_at_event = null where person_key in (select person_key from ageless)")
        build_peer_network(con)
        counts = con.execute("""
            with ev as (
              select person_key_a as person_key, young_people from marts.peer_evidence
              union all select person_key_b, young_people from marts.peer_evidence
            )
            select a.child_only, count(distinct a.person_key), count(*) filter (where ev.young_people),
                   count(*) filter (where not ev.young_people)
            from ageless a join ev using (person_key) group by 1 order by 1""").fetchall()
        groups = con.execute(
            "select count(distinct p.person_key) from marts.peer_group p "
            "join ageless a using (person_key) where a.child_only"
        ).fetchall()[0][0]
    print(
        f"\npeople with no recorded age and evidence: (known only from children's sources, people, "
        f"young rows, other rows) {counts}; in a peer group some month: {groups}"
    )
    by_kind = {row[0]: row[1:] for row in counts}
    assert by_kind[True][0] > 0 and by_kind[True][1] > 0 and groups > 0
    assert by_kind[False][0] > 0 and by_kind[False][1] == 0  # a police record and no age: not young


def test_every_edge_traces_to_source_records(sample_con: duckdb.DuckDBPyConnection) -> None:
    bad = sample_con.execute("""
        select count(*) filter (where len(evidence) = 0
                                or not list_bool_and(list_transform(evidence, lambda e: regexp_matches(e, '^(police_crimes|missing_episodes|map_assessments):.+')))),
               count(*) filter (where reliability <> case when relation in ('missing_together', 'named_peer')
                                                          then 'reported' else 'recorded' end),
               count(*) filter (where person_key_a >= person_key_b or weight <= 0 or first_seen > last_seen),
               count(distinct relation),
               count(*) filter (where evidence <> list_sort(list_distinct(evidence)))
        from marts.peer_edge""").fetchall()[0]
    assert bad[:3] == (0, 0, 0)
    assert bad[3] >= 4
    assert bad[4] == 0  # each edge's source records listed once, in order
    # what peer_edge relies on for an edge with one piece of evidence: its refs are in order already
    unordered, two_records = sample_con.execute(
        "select count(*) filter (where refs <> list_sort(list_distinct(refs))), "
        "count(*) filter (where len(refs) = 2) from marts.peer_evidence"
    ).fetchall()[0]
    assert unordered == 0 and two_records > 0


#: marts.peer_edge as a table, decayed when written (until session 10): the weight of each edge at
#: the end of $as_of_month, summed over its evidence in one step.
_EDGE_DECAYED_WHEN_WRITTEN = """
    select person_key_a, person_key_b, relation,
           round(sum(pow(0.5, date_diff('day', seen_on, last_day(strptime($as_of_month || '-01', '%Y-%m-%d')::date))
                         / $days_per_month / $half_life)), 9) as weight,
           count(*) as evidence_count, min(seen_on) as first_seen, max(seen_on) as last_seen,
           list_sort(list_distinct(flatten(list(refs)))) as evidence, any_value(reliability) as reliability,
           bool_or(young_people) as young_people,
           list_sort(list_distinct(list(place_id) filter (where place_id is not null))) as place_ids
    from marts.peer_evidence group by person_key_a, person_key_b, relation"""


def test_peer_edge_decayed_when_read_equals_decayed_when_written(sample_con: duckdb.DuckDBPyConnection) -> None:
    """marts.peer_edge is a view that decays the stored edges (marts.peer_edge_undecayed) to
    as_of_month when read: its columns are the table's, and its weights are those the table held
    (decayed in one step at the end of as_of_month) to floating-point tolerance, at the month of
    measure and at a month a year later."""
    from transforms.networks.params import DAYS_PER_MONTH

    kind = sample_con.execute(
        "select count(*) from duckdb_views() where schema_name = 'marts' and view_name = 'peer_edge'"
    ).fetchall()[0][0]
    cols = sample_con.execute("describe marts.peer_edge").fetchall()
    assert kind == 1
    assert [(c[0], c[1]) for c in cols] == [
        ("person_key_a", "VARCHAR"),
        ("person_key_b", "VARCHAR"),
        ("relation", "VARCHAR"),
        ("weight", "DOUBLE"),
        ("evidence_count", "BIGINT"),
        ("first_seen", "DATE"),
        ("last_seen", "DATE"),
        ("evidence", "VARCHAR[]"),
        ("reliability", "VARCHAR"),
        ("young_people", "BOOLEAN"),
        ("place_ids", cols[10][1]),
        ("as_of_month", "VARCHAR"),
    ]
    as_of, half_life = sample_con.execute("select as_of_month, half_life_months from marts.peer_edge_decay").fetchall()[
        0
    ]
    assert as_of == sample_con.execute("select max(month) from marts.peer_evidence where young_people").fetchall()[0][0]
    later = f"{int(as_of[:4]) + 1}{as_of[4:]}"
    keys = "person_key_a, person_key_b, relation"
    for month, view in (
        (as_of, "select * from marts.peer_edge"),
        # the same view's arithmetic with the month of measure a year on
        (
            later,
            "select e.* replace (round(e.weight_at_last_seen * pow(0.5, date_diff('day', e.last_seen, "
            f"last_day(date '{later}-01')) / {DAYS_PER_MONTH} / {half_life}), 9) as weight_at_last_seen) "
            "from marts.peer_edge_undecayed e",
        ),
    ):
        params = {"as_of_month": month, "days_per_month": DAYS_PER_MONTH, "half_life": half_life}
        sample_con.execute(f"create or replace temp table _old as {_EDGE_DECAYED_WHEN_WRITTEN}", params)
        sample_con.execute(f"create or replace temp table _new as {view}")
        weight = "weight" if month == as_of else "weight_at_last_seen"
        n_old, n_new, joined, worst, exact, same_rest = sample_con.execute(f"""
            select (select count(*) from _old), (select count(*) from _new), count(*),
                   max(abs(o.weight - n.{weight})), count(*) filter (where o.weight = n.{weight}),
                   count(*) filter (where o.evidence_count = n.evidence_count and o.first_seen = n.first_seen
                                    and o.last_seen = n.last_seen and o.evidence = n.evidence
                                    and o.reliability = n.reliability and o.young_people = n.young_people
                                    and o.place_ids is not distinct from n.place_ids)
            from _old o join _new n using ({keys})""").fetchall()[0]
        print(
            f"\npeer_edge at the end of {month}: {joined} edges, weights equal to the last bit in {exact}, "
            f"largest difference {worst:.2e} (tolerance 1e-9: the 9th decimal of a sum rounded twice)"
        )
        assert n_old == n_new == joined > 100
        assert same_rest == joined
        assert worst <= 1.0000001e-9
        assert exact >= 0.99 * joined
    sample_con.execute("drop table _old")
    sample_con.execute("drop table _new")


def test_analyst_copy_holds_peer_edge_as_a_table(sample_warehouse: Path, tmp_path: Path) -> None:
    """The analyst copy stands alone: the view marts.peer_edge is copied as a table of its rows."""
    from transforms.governance import publish_analyst_copy

    copy = tmp_path / "pipeline.duckdb"
    shutil.copy(sample_warehouse, copy)
    target = tmp_path / "analyst" / "lantern.duckdb"
    with duckdb.connect(str(copy)) as con:
        counts = publish_analyst_copy(con, target)
        rows = con.execute("select * from marts.peer_edge order by all").fetchall()
    with duckdb.connect(str(target), read_only=True) as con:
        kind = con.execute(
            "select count(*) from duckdb_tables() where schema_name = 'marts' and table_name = 'peer_edge'"
        ).fetchall()[0][0]
        copied = con.execute("select * from marts.peer_edge order by all").fetchall()
        comment = con.execute(
            "select comment from duckdb_columns() where schema_name = 'marts' and table_name = 'peer_edge' "
            "and column_name = 'weight'"
        ).fetchall()[0][0]
    print(f"\nanalyst copy: marts.peer_edge {len(copied)} rows, a table")
    assert kind == 1 and counts["marts.peer_edge"] == len(rows) > 0
    assert copied == rows
    assert comment.startswith("Sum over the evidence")
    assert (target.parent / "parquet" / "marts.peer_edge.parquet").exists()


def test_groups_are_stable_and_events_consistent(sample_con: duckdb.DuckDBPyConnection) -> None:
    dupes, small = sample_con.execute("""
        select (select count(*) from (select as_of_month, person_key from marts.peer_group group by all having count(*) > 1)),
               (select count(*) from marts.peer_group_profile where size < 3)""").fetchall()[0]
    assert dupes == 0 and small == 0
    events = dict(sample_con.execute("select event, count(*) from marts.peer_group_event group by 1").fetchall())
    print(f"\ngroup events: {events}")
    assert events.get("continue", 0) > 5 * events.get("birth", 0) > 0
    orphans = sample_con.execute("""
        select count(*) from marts.peer_group_event e
        where e.event <> 'death' and not exists (select 1 from marts.peer_group g
              where g.as_of_month = e.as_of_month and g.group_id = e.group_id)""").fetchall()[0][0]
    assert orphans == 0


def test_profiles_and_peer_on_peer(sample_con: duckdb.DuckDBPyConnection) -> None:
    n_groups, with_places, vs = sample_con.execute("""
        select count(*), count(*) filter (where len(key_places) > 0), sum(victim_and_suspect_members)
        from marts.peer_group_profile""").fetchall()[0]
    assert n_groups > 0 and with_places > 0.5 * n_groups and vs > 0
    borough = sample_con.execute("""
        select as_of_month, young_people, victim_and_suspect, victim_and_suspect_share
        from marts.peer_on_peer where group_id is null order by as_of_month""").df()
    print(f"\nborough-wide victim-and-suspect share, last month: {borough.iloc[-1].to_dict()}")
    assert (borough.victim_and_suspect <= borough.young_people).all() and borough.victim_and_suspect.sum() > 0
    places = sample_con.execute("select count(*), max(group_count) from marts.place_profile").fetchall()[0]
    assert places[0] > 0 and places[1] >= 2


def test_bridging_view_is_restricted_and_unranked(sample_con: duckdb.DuckDBPyConnection) -> None:
    cols = [r[0] for r in sample_con.execute("describe marts.peer_bridge").fetchall()]
    assert cols == ["as_of_month", "person_key", "group_id", "linked_group_ids"]
    comment = sample_con.execute(
        "select comment from duckdb_tables() where schema_name = 'marts' and table_name = 'peer_bridge'"
    ).fetchall()[0][0]
    assert comment.startswith("restricted")
    assert sample_con.execute("select count(*) from marts.peer_bridge").fetchall()[0][0] > 0


def test_network_tables_carry_comments(sample_con: duckdb.DuckDBPyConnection) -> None:
    missing = sample_con.execute(
        """
        select table_name, column_name from duckdb_columns()
        where schema_name = 'marts' and table_name in (select unnest($t)) and (comment is null or comment = '')""",
        {"t": list(NETWORK_TABLES)},
    ).fetchall()
    assert missing == []


def _window_rows(con: duckdb.DuckDBPyConnection, young_only: bool) -> pd.DataFrame:
    """Every (group month, group, member, incident, role) where the member was victim or suspect
    in the incident within the profile window (12 months) up to the group's month: the marts' windows, read
    plainly in pandas (a cross product per person, filtered by date)."""
    p = NetworkParams()
    inv = con.execute(f"""
        select v.person_key, v.incident_key, v.role, cast(i.occurred_at as date) as day
        from core.involvement v join core.incident i using (incident_key)
        where v.role in ('victim', 'suspect', 'accused') and i.occurred_at is not null
        {f"and v.age_at_event between {p.young_min_age} and {p.young_max_age}" if young_only else ""}""").df()
    groups = con.execute("select as_of_month, group_id, person_key from marts.peer_group").df()
    rows = groups.merge(inv, on="person_key")
    month = pd.PeriodIndex(rows["as_of_month"], freq="M")
    incident_month = pd.PeriodIndex(pd.to_datetime(rows["day"]), freq="M")
    age = (month.year - incident_month.year) * 12 + (month.month - incident_month.month)
    return rows[(age >= 0) & (age < p.profile_window_months)]


def test_profile_and_peer_on_peer_counts_equal_a_plain_reading(sample_con: duckdb.DuckDBPyConnection) -> None:
    """The window counts of peer_group_profile and peer_on_peer (SQL written for London scale:
    month numbers, pairs made once per incident, lists sorted after aggregating) equal the same
    definitions computed the plain way in pandas."""
    rows = _window_rows(sample_con, young_only=False)
    incidents = rows.groupby(["as_of_month", "group_id"])["incident_key"].nunique()
    roles = (
        rows.assign(v=rows.role == "victim", s=rows.role != "victim")
        .groupby(["as_of_month", "group_id", "person_key"])[["v", "s"]]
        .any()
    )
    both = (roles.v & roles.s).groupby(level=[0, 1]).sum()
    profile = sample_con.execute("""select as_of_month, group_id, incidents, victim_and_suspect_members,
                                    vulnerability, key_places from marts.peer_group_profile""").df()
    profile = profile.set_index(["as_of_month", "group_id"])
    assert (profile.incidents == incidents.reindex(profile.index, fill_value=0)).all()
    assert (profile.victim_and_suspect_members == both.reindex(profile.index, fill_value=0)).all()
    factors = [[f["factor"] for f in v] for v in profile.vulnerability]
    assert all(f == sorted(f) and len(f) == len(factors[0]) for f in factors)
    places = sample_con.execute("""select as_of_month, group_id, place_id, members_seen,
                                   incidents + found_after_missing + named_at_map as records from marts.group_place""").df()
    places = places.sort_values(
        ["as_of_month", "group_id", "members_seen", "records", "place_id"], ascending=[True, True, False, False, True]
    )
    top = places.groupby(["as_of_month", "group_id"])["place_id"].agg(lambda s: list(s)[: NetworkParams().key_places])
    assert profile.key_places.map(list).equals(
        top.reindex(profile.index).map(lambda v: v if isinstance(v, list) else [])
    )

    young = _window_rows(sample_con, young_only=True)
    victims = young[young.role == "victim"][["as_of_month", "group_id", "incident_key", "person_key"]]
    suspects = young[young.role != "victim"][["as_of_month", "group_id", "incident_key", "person_key"]]
    pairs = victims.merge(suspects, on=["as_of_month", "group_id", "incident_key"])
    within = (
        pairs[pairs.person_key_x != pairs.person_key_y].groupby(["as_of_month", "group_id"])["incident_key"].nunique()
    )
    people = (
        young.assign(v=young.role == "victim", s=young.role != "victim")
        .groupby(["as_of_month", "group_id", "person_key"])[["v", "s"]]
        .any()
    )
    counts = (
        pd.DataFrame(
            {
                "young_people": people.groupby(level=[0, 1]).size(),
                "victim_and_suspect": (people.v & people.s).groupby(level=[0, 1]).sum(),
                "within_group_incidents": within,
            }
        )
        .fillna(0)
        .astype(int)
    )
    mart = sample_con.execute("""select as_of_month, group_id, young_people, victim_and_suspect, within_group_incidents
                                 from marts.peer_on_peer where group_id is not null""").df()
    mart = mart.set_index(["as_of_month", "group_id"]).sort_index()
    print(
        f"\n{len(mart)} group-months; incidents with a victim and a suspect of one group: "
        f"{int(mart.within_group_incidents.sum())} (plain reading {int(counts.within_group_incidents.sum())})"
    )
    assert mart.index.equals(counts.sort_index().index)
    assert (mart == counts.sort_index()[mart.columns]).all().all() and mart.within_group_incidents.sum() > 0
