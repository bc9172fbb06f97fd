"""Plain-language words for the codes a MAP chair reads in the pack (and an analyst on screen).

Codes come from the extract contract (`shared/spec/extracts.md`); a code with no entry here is
shown with its underscores turned to spaces, never dropped.
"""

from __future__ import annotations

import datetime as dt

CONTEXT = {
    "individual": "The young person",
    "family_home": "Family and home",
    "peer_group": "Peer group",
    "school": "School",
    "neighbourhood": "Neighbourhood",
}
DOMAIN = {
    "current_situation": "Current situation",
    "hsb": "Harmful sexual behaviour",
    "vulnerability": "Vulnerability",
    "risk": "Risk",
    "resilience": "Resilience",
    "strengths": "Strengths",
    "professional_involvement": "Professional involvement",
    "planned_actions": "Planned actions",
}
DOMAIN_SHORT = {
    "current_situation": "Now",
    "hsb": "HSB",
    "vulnerability": "Vuln.",
    "risk": "Risk",
    "resilience": "Resil.",
    "strengths": "Str.",
    "professional_involvement": "Prof.",
    "planned_actions": "Actions",
}
FACTOR = {
    "domestic_abuse": "domestic abuse at home",
    "parental_substance_misuse": "parental substance misuse",
    "parental_mental_health": "parental mental ill health",
    "parental_learning_difficulty": "parental learning difficulty",
    "absent_father": "father absent",
    "sexual_abuse_history": "history of sexual abuse",
    "victim_of_crime": "victim of crime",
    "exploitation_vulnerability": "vulnerable to exploitation",
    "bereavement": "bereavement",
    "learning_disability": "learning disability",
    "mental_health": "mental ill health",
    "looked_after": "looked after (in care)",
    "offending": "offending",
    "gang_affected": "gang-affected",
    "substance_misuse": "substance misuse",
    "youth_violence": "serious youth violence",
    "school_exclusion": "excluded from school",
    "fragmented_care": "fragmented care (placement moves)",
    "missing": "going missing",
    "cse": "child sexual exploitation",
    "cce_county_lines": "criminal exploitation / county lines",
    "online_harm": "online harm",
    "hsb": "harmful sexual behaviour",
    "trafficking": "trafficking",
    "weapon_carrying": "carrying a weapon",
    "trusted_adult": "has a trusted adult",
    "school_engagement": "engaged with school",
    "positive_activity": "takes part in a positive activity",
    "supportive_family": "supportive family",
    "stable_placement": "stable placement",
}
GOOD = {
    "life": "healthy living",
    "knowledge": "knowledge",
    "excellence_in_play": "play and leisure",
    "excellence_in_work": "work and learning",
    "agency": "agency (making own choices)",
    "inner_peace": "inner peace (managing feelings)",
    "relatedness": "relationships",
    "community": "community",
    "spirituality": "meaning and purpose",
    "pleasure": "pleasure and enjoyment",
    "creativity": "creativity",
}
OWNER = {
    "police": "Police",
    "social_care": "Children's social care",
    "education": "Education",
    "health": "Health",
    "youth_justice": "Youth justice",
    "voluntary": "Voluntary sector",
    "other": "Other agency",
}
STATUS = {"planned": "planned", "in_progress": "in progress", "done": "done", "not_done": "not done"}
ROLE = {"victim": "victim", "suspect": "suspect", "accused": "accused", "witness": "witness", "informant": "informant"}
REFERRAL_SOURCE = {
    "police": "police",
    "school": "school",
    "health": "health",
    "la_services": "council services",
    "family_self": "family or self",
    "anonymous": "anonymous",
    "other": "other",
}
REFERRAL_OUTCOME = {
    "nfa": "no further action",
    "assessment": "assessment",
    "s47": "section 47 enquiry",
    "child_in_need": "child in need plan",
    "child_protection": "child protection plan",
    "looked_after": "became looked after",
}
EXCLUSION_REASON = {
    "PP": "physical assault against a pupil",
    "PA": "physical assault against an adult",
    "VP": "verbal abuse or threats against a pupil",
    "VA": "verbal abuse or threats against an adult",
    "BU": "bullying",
    "RA": "racist abuse",
    "SM": "sexual misconduct",
    "DA": "drug and alcohol related",
    "DM": "damage",
    "TH": "theft",
    "MT": "offensive weapon or prohibited item",
    "PD": "persistent disruptive behaviour",
    "OT": "other",
}
RELATION = {
    "co_suspect": "recorded together as suspects",
    "co_victim": "recorded together as victims",
    "victim_suspect": "recorded in the same incident in different roles",
    "missing_together": "missing together (told at interview)",
    "named_peer": "named together at a MAP meeting",
    "same_place": "recorded at the same place within a few days",
}


def word(mapping: dict[str, str], code: object) -> str:
    """The plain word for `code` (underscores to spaces where there is none)."""
    text = "" if code is None else str(code)
    return mapping.get(text, text.replace("_", " "))


def words(mapping: dict[str, str], codes: object) -> list[str]:
    return [word(mapping, c) for c in ([] if codes is None else list(codes))]  # type: ignore[call-overload]


def day(value: object) -> str:
    """A date as a chair writes it: 12/03/2026."""
    if value is None or (isinstance(value, float) and value != value):
        return ""
    try:
        d = value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])
    except ValueError:
        return str(value)
    return d.strftime("%d/%m/%Y")


def peer_label(n: int, kind: str = "Peer") -> str:
    """Peer A ... Peer Z, Peer AA ... (or `kind` A ..., e.g. Adult A): stable within one pack (by
    first evidence, then key)."""
    letters = ""
    n += 1
    while n:
        n, r = divmod(n - 1, 26)
        letters = chr(65 + r) + letters
    return f"{kind} {letters}"
