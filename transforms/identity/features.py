"""Linkage features of a person record: normalised names, name-variant groups, a consonant
skeleton for transliterations, date-of-birth parts and postcode parts.

Rationale. Fellegi-Sunter models (as splink implements them) compare *prepared* columns; the
preparation decides which kinds of recording noise a comparison level can see. Names are
normalised as in `deterministic.normalise_name` (accents, case, hyphens and spaces removed), the
parts of a double-barrelled surname are kept as a list, nicknames and romanisation variants map
to groups from `name_variants.yaml`, and a consonant skeleton (first letter plus the remaining
consonants, doubled letters collapsed, then vowels and the semi-vowels h, w, y dropped: a simplified cousin of
Soundex, Russell & Odell 1918) lets "Mohamed"/"Muhammad" or "Chowdhury"/"Choudhury" meet even
when the table does not list them. Dates of birth are kept as text (`yyyymmdd`) and as parts, so
a day/month swap or a `01/01` estimate can be recognised; invalid dates are kept as parts only.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Callable
from functools import lru_cache
from importlib import resources

import numpy as np
import pandas as pd
import yaml

from transforms.identity.deterministic import normalise_name

logger = logging.getLogger(__name__)

FEATURE_COLUMNS = [
    "fn",
    "sn",
    "sn_parts",
    "fn_groups",
    "sn_groups",
    "fn_canon",
    "fn_sk",
    "sn_sk",
    "dob_s",
    "by",
    "bm",
    "bd",
    "dob_est",
    "sex",
    "pc",
    "pc_out",
]

_SKELETON_DROP = set("aeiouyhw")
_PC_RE = re.compile(r"[^A-Z0-9]")


@lru_cache(maxsize=1)
def name_variants() -> dict[str, dict[str, list[str]]]:
    """The name-variant table: {'forenames'|'surnames': {group: [normalised names]}}."""
    text = resources.files("transforms.identity").joinpath("name_variants.yaml").read_text("utf-8")
    raw = yaml.safe_load(text)
    return {
        kind: {
            group: sorted({normalise_name(n) for n in names} | {normalise_name(group)})
            for group, names in (raw.get(kind) or {}).items()
        }
        for kind in ("forenames", "surnames")
    }


@lru_cache(maxsize=2)
def _group_index(kind: str) -> dict[str, tuple[str, ...]]:
    index: dict[str, set[str]] = {}
    for group, names in name_variants()[kind].items():
        for n in names:
            index.setdefault(n, set()).add(group)
    return {n: tuple(sorted(g)) for n, g in index.items()}


def name_groups(name: str, kind: str = "forenames") -> list[str]:
    """Variant groups of a normalised name (the name itself when it is in none)."""
    if not name:
        return []
    return list(_group_index(kind).get(name, (name,)))


def skeleton(name: str) -> str:
    """Consonant skeleton of a normalised name: first letter, then the consonants but h, w, y."""
    if not name:
        return ""
    dedup = [name[0]]
    for ch in name[1:]:
        if ch != dedup[-1]:
            dedup.append(ch)
    return dedup[0] + "".join(ch for ch in dedup[1:] if ch not in _SKELETON_DROP)


def surname_parts(value: object) -> list[str]:
    """Normalised parts of a (possibly double-barrelled) surname."""
    if not isinstance(value, str):
        return []
    text = unicodedata.normalize("NFKD", value).lower()
    parts = re.split(r"[\s\-]+", text)
    return [p for p in (normalise_name(x) for x in parts) if p]


def _dob_parts(dob: pd.Series) -> pd.DataFrame:
    """yyyymmdd text and integer parts from dates, datetimes or yyyymmdd / yyyy-mm-dd strings."""
    s = dob.astype("string") if not pd.api.types.is_datetime64_any_dtype(dob) else dob.dt.strftime("%Y%m%d")
    digits = s.str.replace(r"[^0-9]", "", regex=True)
    digits = digits.where(digits.str.len() == 8)
    by = pd.to_numeric(digits.str[0:4], errors="coerce").astype("Int64")
    bm = pd.to_numeric(digits.str[4:6], errors="coerce").astype("Int64")
    bd = pd.to_numeric(digits.str[6:8], errors="coerce").astype("Int64")
    return pd.DataFrame(
        {
            "dob_s": digits.astype(object).where(digits.notna(), None),
            "by": by,
            "bm": bm,
            "bd": bd,
            "dob_est": (bm == 1) & (bd == 1),
        },
        index=dob.index,
    )


def _postcode(pc: pd.Series) -> pd.DataFrame:
    """Full postcode (compact) when it has an inward code, and its outward code (district)."""
    compact = pc.astype("string").str.upper().str.replace(_PC_RE, "", regex=True)
    full = compact.where(compact.str.len() >= 5)
    outward = full.str[:-3].fillna(compact)
    outward = outward.where(outward.str.len() >= 2)
    return pd.DataFrame(
        {
            "pc": full.astype(object).where(full.notna(), None),
            "pc_out": outward.astype(object).where(outward.notna(), None),
        },
        index=pc.index,
    )


def _norm_or_none(series: pd.Series) -> pd.Series:
    # names repeat: normalise each distinct value once, then look up (not a call per row)
    lookup = {v: normalise_name(v) for v in series.dropna().unique()}
    out = _lookup(series, lookup, None).fillna("").astype("str")
    return out.where(out != "", None)


def _per_distinct(values: pd.Series, parts: Callable[[pd.Series], pd.DataFrame]) -> pd.DataFrame:
    """`parts(values)`, computed once per distinct value (and once for a null) and broadcast:
    dates of birth and postcodes repeat, and their string work was most of the features' time."""
    codes, uniques = pd.factorize(values)  # a null is -1: the extra last row
    distinct = pd.Series(uniques).reindex(range(len(uniques) + 1))
    out = parts(distinct).iloc[np.where(codes < 0, len(uniques), codes)]
    return out.set_axis(values.index)


def _lookup(keys: pd.Series, table: dict, default: object) -> pd.Series:
    """`table[key]` for each key (`default` for a null key or one not in the table), with one dict
    lookup per distinct key: a Python call per row was most of the features' time at London scale."""
    if not len(keys):
        return keys.map(lambda key: table.get(key, default))  # the dtype an empty map gives
    codes, uniques = pd.factorize(keys)  # a null key is -1: the default, last
    values = np.empty(len(uniques) + 1, dtype=object)
    for i, key in enumerate(uniques):
        values[i] = table.get(key, default)
    values[-1] = default
    return pd.Series(values[codes], index=keys.index).infer_objects()


def prepare_features(records: pd.DataFrame) -> pd.DataFrame:
    """Feature columns (FEATURE_COLUMNS) for records with forename, surname, dob, gender, postcode."""
    fn = _norm_or_none(records["forename"])
    sn = _norm_or_none(records["surname"])
    # distinct names are few: compute per distinct value, then look up
    fn_u = fn.dropna().unique()
    sn_u = sn.dropna().unique()
    fg = {n: name_groups(n, "forenames") for n in fn_u}
    sg = {n: name_groups(n, "surnames") for n in sn_u}
    raw_sn = records["surname"]
    parts_u = {v: surname_parts(v) for v in raw_sn.dropna().unique()}
    out = pd.DataFrame(index=records.index)
    out["fn"] = fn
    out["sn"] = sn
    out["sn_parts"] = _lookup(raw_sn, parts_u, [])
    out["fn_groups"] = _lookup(fn, fg, [])
    out["sn_groups"] = _lookup(sn, sg, [])
    out["fn_canon"] = _lookup(fn, {n: g[0] if g else None for n, g in fg.items()}, None)
    out["fn_sk"] = _lookup(fn, {n: skeleton(n) for n in fn_u}, None)
    out["sn_sk"] = _lookup(sn, {n: skeleton(n) for n in sn_u}, None)
    out = out.join(_per_distinct(records["dob"], _dob_parts))
    g = records["gender"].astype("string").str.upper().str[:1] if "gender" in records else None
    out["sex"] = g.where(g.isin(["M", "F"])).astype(object) if g is not None else None
    if "postcode" in records:
        out = out.join(_per_distinct(records["postcode"], _postcode))
    else:
        out["pc"] = None
        out["pc_out"] = None
    return out[FEATURE_COLUMNS]
