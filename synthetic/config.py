"""Configuration and summary dataclasses of the synthetic-borough generator.

Every rate the generator plants lives in :class:`GeneratorConfig`, so that tests can check that
the planted rates come out in the ranges the generator was asked for.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class NoiseRates:
    """Identity-recording noise of one agency, as probabilities per person record."""

    typo: float
    nickname: float
    variant: float
    swap_names: float
    hyphen_one_part: float
    dob_missing: float
    dob_estimated: float
    dob_day_month_swap: float  # applies to dates whose day is <= 12 (else it would not parse)
    postcode_blank: float
    postcode_partial: float
    gender_unknown: float
    ethnicity_unknown: float


POLICE_NOISE = NoiseRates(
    typo=0.08,
    nickname=0.05,
    variant=0.10,
    swap_names=0.02,
    hyphen_one_part=0.03,
    dob_missing=0.05,
    dob_estimated=0.03,
    dob_day_month_swap=0.05,  # of dates that can be swapped (day <= 12): ~2% of all records
    postcode_blank=0.10,
    postcode_partial=0.08,
    gender_unknown=0.02,
    ethnicity_unknown=0.08,
)

SOCIAL_CARE_NOISE = NoiseRates(
    typo=0.03,
    nickname=0.02,
    variant=0.05,
    swap_names=0.005,
    hyphen_one_part=0.03,
    dob_missing=0.01,
    dob_estimated=0.01,
    dob_day_month_swap=0.025,
    postcode_blank=0.03,
    postcode_partial=0.02,
    gender_unknown=0.005,
    ethnicity_unknown=0.05,
)

EDUCATION_NOISE = NoiseRates(
    typo=0.02,
    nickname=0.01,
    variant=0.02,
    swap_names=0.0,
    hyphen_one_part=0.03,
    dob_missing=0.0,
    dob_estimated=0.0,
    dob_day_month_swap=0.005,
    postcode_blank=0.0,
    postcode_partial=0.0,
    gender_unknown=0.0,
    ethnicity_unknown=0.0,
)


@dataclass(frozen=True)
class GeneratorConfig:
    """All sizes and rates of a synthetic borough.

    ``people`` is the number of young people aged 10-19 alive in the borough at any one time; the
    cohort is dynamic (children turn 10 and 20 during the run), so more distinct people appear.
    Rates named ``*_per_1000`` are per 1,000 young people per month.
    """

    people: int = 3000
    months: int = 24
    start_month: str = "2024-11"
    seed: int = 7
    defects: bool = False

    # Families and vulnerability
    twin_rate: float = 0.04  # chance a younger sibling is the twin of the one before
    hyphenated_surname_rate: float = 0.06
    looked_after_base: float = 0.04

    # Peer groups
    group_share: float = 0.20  # share of 12-19 year olds in a main group at any time
    group_size_min: int = 3
    group_size_max: int = 15
    group_mean_life_months: float = 30.0
    second_group_share: float = 0.12  # members who also hold a weaker second group
    two_school_group_share: float = 0.2
    merge_rate: float = 0.012  # per group per month (only when the merged group stays <= max)
    split_rate: float = 0.006  # per group (size >= 8) per month

    # Crimes
    group_incident_rate: float = 1.7  # per group per month, before seasonality
    background_victim_per_1000: float = 12.0
    cse_adult_per_1000: float = 1.6
    summer_uplift: float = 1.4  # Jun-Aug multiplier on violence
    accused_share: float = 0.25  # suspects recorded as accused
    witness_prob: float = 0.18
    child_witness_prob: float = 0.05
    informant_prob: float = 0.08

    # Identity noise (per agency)
    police_noise: NoiseRates = field(default=POLICE_NOISE)
    social_care_noise: NoiseRates = field(default=SOCIAL_CARE_NOISE)
    education_noise: NoiseRates = field(default=EDUCATION_NOISE)
    nominal_blank_rate: float = 0.40
    second_nominal_rate: float = 0.10  # share of police-recorded children with two nominal IDs
    sc_ethnicity_disagree: float = 0.0  # placeholder: disagreement comes from IC coding

    # Social care, missing, exclusions, MAP
    referral_background_per_1000: float = 5.0
    police_referral_prob: float = 0.12  # per child-in-crime, a police referral follows
    child_in_police_known_to_sc: float = 0.85  # at least this share get >= 1 referral
    missing_group_per_group: float = 0.12  # joint missing events per group per month
    missing_individual_per_1000: float = 8.0
    exclusion_per_1000: float = 14.0
    exclusion_group_multiplier: float = 3.0
    map_per_1000: float = 1.2  # MAP assessments per 1,000 young people per month
    unaddressed_context_rate: float = 0.3
    # share of planned_actions cells whose owner, due date and status are recorded (the optional
    # action_* columns); drawn from their own random stream so the rest of a borough is unchanged
    map_action_share: float = 0.7

    # Planted events
    theme_app: str = "Blinkr"
    theme_monthly_incidents_per_1000: float = 3.0
    hotspot_monthly_incidents_per_1000: float = 6.0
    exceedance_multiplier: float = 2.0  # on the violence of groups based in the ward
    exceedance_extra_per_1000: float = 5.0  # plus this many extra SYV incidents a month there

    # Output encodings
    cp1252_every: int = 4  # every n-th month's social care file is Windows-1252

    @property
    def scale(self) -> float:
        """Volume multiplier against a 1,000-person borough."""
        return self.people / 1000.0


@dataclass
class BoroughSummary:
    """Counts of what :func:`synthetic.generate_borough` wrote."""

    out_dir: str
    months: list[str]
    people: int
    adults: int
    peer_groups: int
    crimes: int
    police_persons: int
    referrals: int
    missing_episodes: int
    exclusions: int
    map_assessments: int
    map_cells: int
    defects: int = 0
    seconds: float = 0.0
    extra: dict[str, float] = field(default_factory=dict)
