"""Code lists of the extract contract (``/work/shared/spec/extracts.md``) and offence catalogue."""

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
DFE_CODES = (
    "WBRI",
    "WOTH",
    "MWBC",
    "MOTH",
    "ABAN",
    "AOTH",
    "BAFR",
    "BCRB",
    "BOTH",
    "CHNE",
    "OOTH",
    "REFU",
    "NOBT",
)
REFERRAL_SOURCES = (
    "police",
    "school",
    "health",
    "la_services",
    "family_self",
    "anonymous",
    "other",
)
OUTCOMES = ("nfa", "assessment", "s47", "child_in_need", "child_protection", "looked_after")
EXCLUSION_REASONS = (
    "PP",
    "PA",
    "VP",
    "VA",
    "BU",
    "RA",
    "SM",
    "DA",
    "DM",
    "TH",
    "MT",
    "PD",
    "OT",
)
HSB_LEVELS = ("normal", "inappropriate", "problematic", "abusive", "violent")
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
RESILIENCE_FACTORS = (
    "trusted_adult",
    "school_engagement",
    "positive_activity",
    "supportive_family",
    "stable_placement",
)
FACTORS = VULNERABILITY_FACTORS + RISK_FACTORS + RESILIENCE_FACTORS

#: DfE code -> broad ethnic group of population.csv
DFE_TO_GROUP = {
    "WBRI": "white",
    "WOTH": "white",
    "MWBC": "mixed",
    "MOTH": "mixed",
    "ABAN": "asian",
    "AOTH": "asian",
    "BAFR": "black",
    "BCRB": "black",
    "BOTH": "black",
    "CHNE": "other",
    "OOTH": "other",
    "REFU": "unknown",
    "NOBT": "unknown",
}
ETHNIC_GROUPS = ("asian", "black", "mixed", "white", "other")

#: Incident kinds: (offence_group, offence descriptions). The generator picks one description.
OFFENCES: dict[str, tuple[str, tuple[str, ...]]] = {
    "violence": (
        "violence_against_the_person",
        (
            "GBH with intent",
            "Wounding with intent",
            "Assault occasioning actual bodily harm",
            "Common assault",
            "Threats to kill",
        ),
    ),
    "robbery": ("robbery", ("Robbery of personal property",)),
    "weapons": (
        "possession_of_weapons",
        ("Possession of article with blade or point", "Possession of offensive weapon"),
    ),
    "drugs": (
        "drug_offences",
        (
            "Possession with intent to supply class A",
            "Possession with intent to supply class B",
            "Being concerned in the supply of class A",
        ),
    ),
    "cce_victim": ("misc_against_society", ("Modern slavery - criminal exploitation",)),
    "peer_sexual": (
        "sexual_offences",
        (
            "Sexual assault on a female aged 13 and over",
            "Sexual activity involving a child under 16",
            "Rape of a female aged under 16",
            "Sexual communication with a child",
        ),
    ),
    "images": (
        "misc_against_society",
        ("Taking, making or distributing indecent images of children",),
    ),
    "cse": (
        "sexual_offences",
        (
            "Sexual activity involving a child under 16",
            "Rape of a female aged under 16",
            "Rape of a female aged 16 or over",
            "Arranging or facilitating commission of a child sex offence",
            "Meeting a child following sexual grooming",
        ),
    ),
    "theft": ("theft", ("Theft from the person", "Shoplifting", "Theft of pedal cycle")),
    "damage": (
        "criminal_damage",
        ("Criminal damage to a dwelling", "Criminal damage to a vehicle"),
    ),
    "public_order": ("public_order", ("Public fear, alarm or distress", "Affray")),
    "assault_adult": (
        "violence_against_the_person",
        ("Assault occasioning actual bodily harm", "Common assault"),
    ),
    "domestic": (
        "violence_against_the_person",
        ("Common assault", "Assault occasioning actual bodily harm"),
    ),
    "online_cse": (
        "sexual_offences",
        (
            "Sexual communication with a child",
            "Causing or inciting a child to engage in sexual activity",
        ),
    ),
}

#: Incident kinds that count as serious youth violence (theme ``syv``) when the victim is 1-19.
SYV_KINDS = ("violence", "robbery", "weapons")

OUT_OF_BOROUGH = (
    ("Southend-on-Sea", 51.5383, 0.7119),
    ("Norwich", 52.6278, 1.2983),
    ("Ipswich", 52.0567, 1.1482),
    ("Margate", 51.3813, 1.3862),
    ("Kings Lynn", 52.7517, 0.4022),
    ("Aylesbury", 51.8156, -0.8084),
    ("Luton", 51.8787, -0.4200),
    ("Colchester", 51.8959, 0.8919),
)
