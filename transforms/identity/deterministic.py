"""Name normalisation for the deterministic identity rules (records sharing an agency person ID,
or an exact normalised name and date of birth, are the same person: `linkage._deterministic_edges`)."""

from __future__ import annotations

import unicodedata


def normalise_name(value: object) -> str:
    """Lower case, accents stripped, only letters (hyphens and spaces removed)."""
    if not isinstance(value, str):
        return ""
    text = unicodedata.normalize("NFKD", value)
    return "".join(ch for ch in text.lower() if ch.isalpha())
