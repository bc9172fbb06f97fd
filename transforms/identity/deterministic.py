"""Deterministic identity rules: records sharing an agency person ID, or an exact normalised
name and date of birth, are the same person. These seed the probabilistic model and are the
fallback when it cannot be trained."""

from __future__ import annotations

import unicodedata

import pandas as pd


def normalise_name(value: object) -> str:
    """Lower case, accents stripped, only letters (hyphens and spaces removed)."""
    if not isinstance(value, str):
        return ""
    text = unicodedata.normalize("NFKD", value)
    return "".join(ch for ch in text.lower() if ch.isalpha())


class _UnionFind:
    def __init__(self, n: int) -> None:
        self.parent = list(range(n))

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def deterministic_clusters(records: pd.DataFrame) -> pd.Series:
    """Cluster label (int) per record from exact agency IDs and exact name + DOB."""
    uf = _UnionFind(len(records))
    rec = records.reset_index(drop=True)
    keys = [
        rec["agency"].astype(str) + "|" + rec["agency_id"].fillna("").astype(str),
    ]
    fn = rec["forename"].map(normalise_name)
    sn = rec["surname"].map(normalise_name)
    dob = rec["dob"].astype(str)
    has = (fn != "") & (sn != "") & rec["dob"].notna()
    keys.append((fn + "|" + sn + "|" + dob).where(has, ""))
    for i, key in enumerate(keys):
        valid = (rec["agency_id"].notna() & (rec["agency_id"].astype(str) != "")) if i == 0 else (key != "")
        first: dict[str, int] = {}
        for idx, k in zip(rec.index[valid], key[valid], strict=True):
            if k in first:
                uf.union(first[k], idx)
            else:
                first[k] = idx
    return pd.Series([uf.find(i) for i in range(len(rec))], index=records.index)
