"""The canonical shape of every source (`shared/spec/extracts.md`) as data.

Each `Source` lists its columns in the spec's order with a kind (how the text is typed), whether
it is required, the vocabulary a code or list must come from, and whether the column is personal
data that must never leave `raw` (names, dates of birth, postcodes, free text).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Kind = Literal["text", "date", "datetime", "int", "decimal", "flag", "code", "list"]

SQL_TYPES: dict[str, str] = {
    "text": "VARCHAR",
    "date": "DATE",
    "datetime": "TIMESTAMP",
    "int": "INTEGER",
    "decimal": "DOUBLE",
    "flag": "BOOLEAN",
    "code": "VARCHAR",
    "list": "VARCHAR[]",
}


@dataclass(frozen=True)
class Column:
    """One canonical column of a source."""

    name: str
    kind: Kind = "text"
    required: bool = False
    vocab: str | None = None
    personal: bool = False
    comment: str = ""

    @property
    def sql_type(self) -> str:
        """DuckDB type of the column once typed."""
        return SQL_TYPES[self.kind]


@dataclass(frozen=True)
class Reference:
    """A referential-integrity rule: `column` must exist as `target_column` of `target`."""

    column: str
    target: str
    target_column: str


@dataclass(frozen=True)
class Source:
    """A source extract: file, key, columns and integrity rules."""

    name: str
    file: str
    key: tuple[str, ...]
    columns: tuple[Column, ...]
    sheet: str | None = None
    references: tuple[Reference, ...] = field(default_factory=tuple)
    person_bearing: bool = False
    description: str = ""
    #: for keyless public files: a column whose value, where present, identifies a record across
    #: files (a re-sent record replaces the earlier one wherever it was delivered)
    record_id: str | None = None

    @property
    def column_names(self) -> list[str]:
        """Canonical column names in spec order."""
        return [c.name for c in self.columns]

    def column(self, name: str) -> Column:
        """The column called `name`."""
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)


def _c(name: str, kind: Kind = "text", **kw: object) -> Column:
    return Column(name, kind, **kw)  # type: ignore[arg-type]


_PERSON = (
    _c("forename", personal=True, comment="forename as recorded"),
    _c("surname", personal=True, comment="surname as recorded"),
    _c("dob", "date", personal=True, comment="date of birth; may be blank or estimated"),
    _c("gender", "code", vocab="gender"),
)

POLICE_CRIMES = Source(
    "police_crimes",
    "police_crimes.csv",
    ("crime_ref",),
    (
        _c("crime_ref", required=True),
        _c("recorded_date", "date", required=True),
        _c("committed_from", "datetime", required=True),
        _c("committed_to", "datetime"),
        _c("offence_group", "code", required=True, vocab="offence_group"),
        _c("offence", required=True),
        _c("location_type", "code", required=True, vocab="location_type"),
        _c("location_name", personal=True, comment="free text as recorded"),
        _c("ward_code"),
        _c("latitude", "decimal"),
        _c("longitude", "decimal"),
        _c("cse_flag", "flag"),
        _c("cce_flag", "flag"),
        _c("gang_flag", "flag"),
        _c("knife_flag", "flag"),
        _c("firearm_flag", "flag"),
        _c("dv_flag", "flag"),
        _c("online_flag", "flag"),
        _c("mo_text", personal=True, comment="free-text summary; never published"),
    ),
    description="one row per crime record",
)

POLICE_PERSONS = Source(
    "police_persons",
    "police_persons.csv",
    ("crime_ref", "person_seq"),
    (
        _c("crime_ref", required=True),
        _c("person_seq", "int", required=True),
        _c("role", "code", required=True, vocab="role"),
        _c("police_nominal_id", personal=True, comment="the police's own person identifier"),
        *_PERSON[:3],
        _c("gender", "code", vocab="gender"),
        _c("ethnicity", "code", vocab="ic_ethnicity"),
        _c("home_postcode", personal=True),
    ),
    references=(Reference("crime_ref", "police_crimes", "crime_ref"),),
    person_bearing=True,
    description="one row per person linked to a crime",
)

SOCIAL_CARE_REFERRALS = Source(
    "social_care_referrals",
    "social_care_referrals.csv",
    ("referral_id",),
    (
        _c("referral_id", required=True),
        _c("child_id", required=True, personal=True, comment="children's social care identifier"),
        *_PERSON,
        _c("ethnicity", "code", vocab="dfe_ethnicity"),
        _c("postcode", personal=True),
        _c("referral_date", "date", required=True),
        _c("referral_source", "code", vocab="referral_source"),
        _c("outcome", "code", vocab="referral_outcome"),
        _c("assessment_factors", "list", vocab="factor"),
        _c("looked_after", "flag"),
        _c("placement_moves_12m", "int"),
    ),
    person_bearing=True,
    description="children's social care referrals",
)

MISSING_EPISODES = Source(
    "missing_episodes",
    "missing_episodes.csv",
    ("episode_id",),
    (
        _c("episode_id", required=True),
        _c("child_id", required=True, personal=True, comment="children's social care identifier"),
        _c("missing_from", "code", vocab="missing_from"),
        _c("reported_at", "datetime", required=True),
        _c("returned_at", "datetime"),
        _c("found_ward_code"),
        _c("found_location_name", personal=True, comment="free text"),
        _c("rhi_offered_date", "date"),
        _c("rhi_accepted", "flag"),
        _c(
            "missing_with",
            "list",
            personal=True,
            comment="children's social care identifiers of those missing with the child",
        ),
        _c("concerns", "list", vocab="factor"),
    ),
    person_bearing=True,
    description="missing from home or care",
)

SCHOOL_EXCLUSIONS = Source(
    "school_exclusions",
    "school_exclusions.csv",
    ("exclusion_id",),
    (
        _c("exclusion_id", required=True),
        _c("upn", required=True, personal=True, comment="unique pupil number"),
        *_PERSON,
        _c("school_urn"),
        _c("school_name"),
        _c("category", "code", required=True, vocab="exclusion_category"),
        _c("start_date", "date", required=True),
        _c("sessions", "int"),
        _c("reason", "code", vocab="exclusion_reason"),
    ),
    person_bearing=True,
    description="suspensions and permanent exclusions",
)

MAP_ASSESSMENTS = Source(
    "map_assessments",
    "map_assessments.xlsx",
    ("assessment_id",),
    (
        _c("assessment_id", required=True),
        _c("child_id", required=True, personal=True, comment="children's social care identifier"),
        _c("meeting_date", "date", required=True),
        _c("hsb_level", "code", vocab="hsb_level"),
        _c("lead_agency"),
        _c("status", "code", vocab="assessment_status"),
    ),
    sheet="assessments",
    person_bearing=True,
    description="HSB MAP meeting assessments",
)

MAP_ASSESSMENT_CELLS = Source(
    "map_assessment_cells",
    "map_assessments.xlsx",
    ("assessment_id", "context", "domain"),
    (
        _c("assessment_id", required=True),
        _c("context", "code", required=True, vocab="context"),
        _c("context_detail", personal=True, comment="which school, space or group; free text"),
        _c("domain", "code", required=True, vocab="domain"),
        _c("factors", "list", vocab="factor"),
        _c("named_peers", "list", personal=True, comment="children's social care identifiers of named peers"),
        _c("named_locations", "list", personal=True),
        _c("glm_goods", "list", vocab="glm_good"),
        _c(
            "action_owner",
            "code",
            vocab="action_owner",
            comment="optional, planned_actions cells: the agency that owns the action",
        ),
        _c("action_due", "date", comment="optional, planned_actions cells: when the action is due"),
        _c(
            "action_status",
            "code",
            vocab="action_status",
            comment="optional, planned_actions cells: planned, in_progress, done or not_done",
        ),
        _c("note", personal=True, comment="free text; never published"),
    ),
    sheet="cells",
    references=(Reference("assessment_id", "map_assessments", "assessment_id"),),
    description="filled cells of the contextual assessment matrix",
)

POLICE_UK_STREET = Source(
    "police_uk_street",
    "*-street.csv",
    (),
    (
        _c("crime_id"),
        _c("month", required=True),
        _c("reported_by"),
        _c("falls_within"),
        _c("longitude", "decimal"),
        _c("latitude", "decimal"),
        _c("location"),
        _c("lsoa_code"),
        _c("lsoa_name"),
        _c("crime_type", required=True),
        _c("last_outcome_category"),
        _c("context"),
    ),
    description="data.police.uk street-level crime: public neighbourhood context",
    record_id="crime_id",
)

# Load order within a delivery: targets of references first.
SOURCES: tuple[Source, ...] = (
    POLICE_CRIMES,
    POLICE_PERSONS,
    SOCIAL_CARE_REFERRALS,
    MISSING_EPISODES,
    SCHOOL_EXCLUSIONS,
    MAP_ASSESSMENTS,
    MAP_ASSESSMENT_CELLS,
)
SOURCE_BY_NAME: dict[str, Source] = {s.name: s for s in (*SOURCES, POLICE_UK_STREET)}
