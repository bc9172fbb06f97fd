"""Controlled vocabularies of the source extracts (`shared/spec/extracts.md`).

Unknown codes are quarantined with their row, never dropped and never guessed.
"""

from __future__ import annotations

OFFENCE_GROUPS = (
    "violence_against_the_person",
    "sexual_offences",
    "robbery",
    "drug_offences",
    "possession_of_weapons",
    "public_order",
    "theft",
    "criminal_damage",
    "misc_against_society",
)
LOCATION_TYPES = (
    "street",
    "park_open_space",
    "school_college",
    "public_transport",
    "dwelling",
    "shop_takeaway",
    "hostel_supported_housing",
    "youth_club_leisure",
    "online",
    "other",
)
ROLES = ("victim", "suspect", "accused", "witness", "informant")
GENDERS = ("M", "F", "X", "U")
IC_CODES = ("IC1", "IC2", "IC3", "IC4", "IC5", "IC6", "IC9")
DFE_ETHNICITY = (
    "WBRI",
    "WIRI",
    "WIRT",
    "WOTH",
    "WROM",
    "MWBC",
    "MWBA",
    "MWAS",
    "MOTH",
    "AIND",
    "APKN",
    "ABAN",
    "AOTH",
    "BCRB",
    "BAFR",
    "BOTH",
    "CHNE",
    "OOTH",
    "REFU",
    "NOBT",
)
REFERRAL_SOURCES = ("police", "school", "health", "la_services", "family_self", "anonymous", "other")
REFERRAL_OUTCOMES = ("nfa", "assessment", "s47", "child_in_need", "child_protection", "looked_after")
MISSING_FROM = ("home", "care")
EXCLUSION_CATEGORIES = ("suspension", "permanent")
EXCLUSION_REASONS = ("PP", "PA", "VP", "VA", "BU", "RA", "SM", "DA", "DM", "TH", "MT", "PD", "OT")
HSB_LEVELS = ("normal", "inappropriate", "problematic", "abusive", "violent")
ASSESSMENT_STATUS = ("open", "closed")
CONTEXTS = ("individual", "family_home", "peer_group", "school", "neighbourhood")
DOMAINS = (
    "current_situation",
    "hsb",
    "vulnerability",
    "risk",
    "resilience",
    "strengths",
    "professional_involvement",
    "planned_actions",
)
GLM_GOODS = (
    "life",
    "knowledge",
    "excellence_in_play",
    "excellence_in_work",
    "agency",
    "inner_peace",
    "relatedness",
    "community",
    "spirituality",
    "pleasure",
    "creativity",
)
VULNERABILITY_FACTORS = (
    "domestic_abuse",
    "parental_substance_misuse",
    "parental_mental_health",
    "parental_learning_difficulty",
    "absent_father",
    "sexual_abuse_history",
    "victim_of_crime",
    "exploitation_vulnerability",
    "bereavement",
    "learning_disability",
    "mental_health",
    "looked_after",
)
RISK_FACTORS = (
    "offending",
    "gang_affected",
    "substance_misuse",
    "youth_violence",
    "school_exclusion",
    "fragmented_care",
    "missing",
    "cse",
    "cce_county_lines",
    "online_harm",
    "hsb",
    "trafficking",
    "weapon_carrying",
)
STRENGTH_FACTORS = (
    "trusted_adult",
    "school_engagement",
    "positive_activity",
    "supportive_family",
    "stable_placement",
)
# optional on `planned_actions` cells: who owns the action and where it stands
ACTION_OWNERS = ("police", "social_care", "education", "health", "youth_justice", "voluntary", "other")
ACTION_STATUS = ("planned", "in_progress", "done", "not_done")
FACTORS = VULNERABILITY_FACTORS + RISK_FACTORS + STRENGTH_FACTORS
SEXES = ("M", "F")
ETHNIC_GROUPS = ("asian", "black", "mixed", "white", "other")

# Officer-defined (IC) and DfE self-defined codes onto the five broad groups (+ unknown).
ETHNIC_GROUP_OF: dict[str, str] = {
    "IC1": "white",
    "IC2": "white",
    "IC3": "black",
    "IC4": "asian",
    "IC5": "asian",
    "IC6": "other",
    "IC9": "unknown",
    "WBRI": "white",
    "WIRI": "white",
    "WIRT": "white",
    "WOTH": "white",
    "WROM": "white",
    "MWBC": "mixed",
    "MWBA": "mixed",
    "MWAS": "mixed",
    "MOTH": "mixed",
    "AIND": "asian",
    "APKN": "asian",
    "ABAN": "asian",
    "AOTH": "asian",
    "CHNE": "asian",
    "BCRB": "black",
    "BAFR": "black",
    "BOTH": "black",
    "OOTH": "other",
    "REFU": "unknown",
    "NOBT": "unknown",
}

VOCABULARIES: dict[str, tuple[str, ...]] = {
    "offence_group": OFFENCE_GROUPS,
    "location_type": LOCATION_TYPES,
    "role": ROLES,
    "gender": GENDERS,
    "ic_ethnicity": IC_CODES,
    "dfe_ethnicity": DFE_ETHNICITY,
    "referral_source": REFERRAL_SOURCES,
    "referral_outcome": REFERRAL_OUTCOMES,
    "missing_from": MISSING_FROM,
    "exclusion_category": EXCLUSION_CATEGORIES,
    "exclusion_reason": EXCLUSION_REASONS,
    "hsb_level": HSB_LEVELS,
    "assessment_status": ASSESSMENT_STATUS,
    "context": CONTEXTS,
    "domain": DOMAINS,
    "glm_good": GLM_GOODS,
    "action_owner": ACTION_OWNERS,
    "action_status": ACTION_STATUS,
    "factor": FACTORS,
    "sex": SEXES,
    "ethnic_group": ETHNIC_GROUPS,
}
