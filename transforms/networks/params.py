"""The settings of Lantern's network layer and their defaults (docs/networks.md says what each
default was measured on).

Everything that shapes the peer graph is here so that a borough can change it in configuration
(the Dagster asset config passes a `NetworkParams` down) and the documentation can state it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

#: Relations between two young people, as `marts.peer_edge.relation` spells them.
RELATIONS = ("co_suspect", "victim_suspect", "co_victim", "missing_together", "named_peer", "same_place")

#: Objectives of the group finding (`transforms.networks.groups`): `part_potts` (the default, a
#: constant Potts model within each connected part) and global Newman `modularity`.
OBJECTIVES = ("part_potts", "modularity")

#: How each relation is known: `recorded` by an agency, or `reported` at interview or meeting.
RELIABILITY = {
    "co_suspect": "recorded",
    "victim_suspect": "recorded",
    "co_victim": "recorded",
    "missing_together": "reported",  # told at the return home interview
    "named_peer": "reported",  # said at the MAP meeting
    "same_place": "recorded",  # inferred from two agency records at one place
}


def _default_relation_weights() -> dict[str, float]:
    # Co-offending, going missing together and being named as a peer are strong signs of one
    # group. Being victim and suspect in one incident is as often harm *between* groups, and
    # turning up at one place within a fortnight mixes groups that share a park: on the sample,
    # giving same_place 0.15 dropped the mean ARI from 0.82 to 0.45 and victim_suspect 0.3 to
    # 0.59. Both stay in marts.peer_edge for the analyst but do not shape the groups (weight 0).
    return {
        "co_suspect": 1.0,
        "victim_suspect": 0.0,
        "co_victim": 0.5,
        "missing_together": 1.0,
        "named_peer": 1.0,
        "same_place": 0.0,
    }


#: The mean length of a month in days (365.25 / 12): the one month length of every decay.
DAYS_PER_MONTH = 30.4375


@dataclass(frozen=True)
class NetworkParams:
    """Settings of the peer graph, the monthly groups and their tracking."""

    half_life_months: float = 6.0
    """An edge's evidence counts half as much after this many months (exponential decay)."""
    min_weight: float = 0.1
    """Pairs whose decayed, relation-weighted tie falls below this are left out of the month's graph."""
    same_place_window_days: int = 14
    """Two young people at one place within this many days make a `same_place` edge."""
    same_place_crowd_max: int = 30
    """A crowd is not a tie: where more young people than this were at one place within one window,
    their presences there make no pairwise `same_place` evidence (the place profile still counts
    them). This bounds the pairs, which otherwise grow with the square of a busy place's visitors
    (hundreds of millions at London scale)."""
    relation_weights: dict[str, float] = field(default_factory=_default_relation_weights)
    """How much one piece of evidence of each relation adds to the tie used to find groups."""
    young_min_age: int = 10
    young_max_age: int = 19
    """Young people are those aged 10-19 at the event; ties to adults stay out of peer groups. With
    no recorded age, a person known only from sources that hold children (social care referrals,
    missing episodes, school exclusions, MAP assessments) is young; anyone else is not."""
    min_group_size: int = 3
    """Communities smaller than this are not reported as peer groups (planted groups are 3-15)."""
    objective: str = "part_potts"
    """What the Leiden algorithm optimises (`groups.OBJECTIVES`): `part_potts`, a constant Potts model
    kept within each connected part of a month's graph, its penalty measured against the part's mean
    tie strength (no global term, no resolution limit; see `groups`), or Newman's `modularity`."""
    resolution: float = 0.025
    """The objective's resolution. For `part_potts`: two people of the part's mean strength s̄ cost
    0.025 x s̄ to put in one group (equivalently, modularity within the part at resolution
    0.025 x the part's size). Chosen on four graphs (docs/networks.md): London gang (coverage 1.00,
    modularity 0.99 of the best at 0.02-0.03), Montreal (0.99 at 0.025-0.03), the sample (mean ARI
    0.84 at 0.02, 0.83 at 0.025, 0.82 at 0.03) and a borough generated with other settings (0.84,
    0.86, 0.86). The former default, modularity at 4.0, left 35% of the London gang out of any group."""
    seed: int = 42
    """Seed of the community detection, so that a rebuild gives the same groups."""
    match_threshold: float = 0.3
    """Jaccard overlap at which a month's group is matched to last month's (Greene et al. 2010)."""
    profile_window_months: int = 12
    """Group profiles count incidents, places and wards over this many months up to the month."""
    key_places: int = 5
    """How many places a group profile lists as its key places."""

    def __post_init__(self) -> None:
        if self.objective not in OBJECTIVES:
            raise ValueError(f"unknown network objective {self.objective!r}: use one of {', '.join(OBJECTIVES)}")
        if not self.resolution >= 0:
            raise ValueError(f"network resolution must be 0 or more, not {self.resolution!r}")
