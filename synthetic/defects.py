"""Contract defects, injected into a generated borough so that ingest can be tested.

Every defect is listed in ``truth/defects.csv`` (``month``, ``file``, ``source_key``,
``defect``), so ingest tests know exactly what to expect:

* ``malformed_date``: an impossible or non-UK date (``31/02/2025``, ``2025-13-01``, US order).
* ``unknown_code``: a code outside the vocabulary (role ``offender``, factor ``radicalisation``,
  concern ``county_lines``).
* ``missing_required``: a required non-key field left blank (``child_id``, ``upn``, ``role``).
* ``duplicate_key``: a second row with an existing key in the same file (different content).
* ``orphan_person``: a police person row whose ``crime_ref`` exists in no delivery.
* ``truncated_file``: the file's last line is cut mid-row: month index :data:`TRUNCATED_MONTH`
  (``2025-04`` in the sample), file :data:`TRUNCATED_FILE`.
* ``resend_correction``: not an error: month index :data:`RESEND_MONTH` re-sends records of the
  month before with corrected fields and the same keys (the newest delivery wins).

Positions are fixed month indices (clipped to the borough's length); rows are drawn with ``seed``.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd

logger = logging.getLogger(__name__)

TRUNCATED_MONTH = 5
TRUNCATED_FILE = "missing_episodes.csv"
RESEND_MONTH = 8
KEYS = {
    "police_crimes.csv": ["crime_ref"],
    "police_persons.csv": ["crime_ref", "person_seq"],
    "social_care_referrals.csv": ["referral_id"],
    "missing_episodes.csv": ["episode_id"],
    "school_exclusions.csv": ["exclusion_id"],
}


class _File:
    """A delivered CSV read as text, remembered with its encoding and line terminator."""

    def __init__(self, path: Path) -> None:
        raw = path.read_bytes()
        self.path = path
        self.bom = raw.startswith(b"\xef\xbb\xbf")
        try:
            raw.decode("utf-8")
            self.encoding = "utf-8-sig" if self.bom else "utf-8"
        except UnicodeDecodeError:
            self.encoding = "cp1252"
        self.terminator = "\r\n" if b"\r\n" in raw[:2000] else "\n"
        self.df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding=self.encoding)

    def key(self, i: int) -> str:
        return "|".join(str(self.df[c].iat[i]) for c in KEYS[self.path.name])

    def write(self) -> None:
        self.df.to_csv(self.path, index=False, encoding=self.encoding, lineterminator=self.terminator)


def inject_defects(borough_dir: Path, seed: int) -> pd.DataFrame:
    """Inject the defects above into ``borough_dir`` in place; write and return the manifest.

    Meant for a freshly generated (or copied) borough; injecting twice stacks defects.
    """
    root = Path(borough_dir)
    months = sorted(p.name for p in root.iterdir() if p.is_dir() and len(p.name) == 7 and p.name[4] == "-")
    if len(months) < 2:
        raise ValueError("defect injection needs at least two monthly deliveries")
    rng = np.random.default_rng(seed + 1009)
    n = len(months)
    files: dict[tuple[str, str], _File] = {}
    manifest: list[tuple[str, str, str, str]] = []

    def f(mi: int, name: str) -> _File:
        month = months[min(mi, n - 1)]
        if (month, name) not in files:
            files[(month, name)] = _File(root / month / name)
        return files[(month, name)]

    def rows(file: _File, k: int) -> np.ndarray:
        k = min(k, len(file.df))
        return np.sort(rng.choice(len(file.df), k, replace=False)) if k else np.zeros(0, dtype=int)

    def note(file: _File, i: int, defect: str) -> None:
        manifest.append((file.path.parent.name, file.path.name, file.key(i), defect))

    # malformed dates
    for mi, name, col, bad in (
        (
            2,
            "social_care_referrals.csv",
            "referral_date",
            ("31/02/2025", "2025-13-01", "12/31/2025"),
        ),
        (10, "school_exclusions.csv", "start_date", ("00/01/2025", "15/15/2025")),
    ):
        file = f(mi, name)
        for j, i in enumerate(rows(file, len(bad))):
            file.df.loc[i, col] = bad[j]
            note(file, i, "malformed_date")
    # unknown codes
    for mi, name, col, code in (
        (3, "social_care_referrals.csv", "assessment_factors", "radicalisation"),
        (3, "police_persons.csv", "role", "offender"),
        (12, "missing_episodes.csv", "concerns", "county_lines"),
    ):
        file = f(mi, name)
        for i in rows(file, 2):
            old = file.df.loc[i, col]
            file.df.loc[i, col] = code if not old or col == "role" else f"{old};{code}"
            note(file, i, "unknown_code")
    # missing required fields
    for mi, name, col in (
        (4, "social_care_referrals.csv", "child_id"),
        (4, "school_exclusions.csv", "upn"),
        (7, "police_persons.csv", "role"),
    ):
        file = f(mi, name)
        for i in rows(file, 2):
            file.df.loc[i, col] = ""
            note(file, i, "missing_required")
    # duplicate keys (second row, same key, different content)
    for mi, name, col in (
        (6, "school_exclusions.csv", "sessions"),
        (14, "police_persons.csv", "home_postcode"),
    ):
        file = f(mi, name)
        picked = rows(file, 2)
        dup = file.df.iloc[picked].copy()
        dup[col] = ["3" if col == "sessions" else "" for _ in range(len(dup))]
        file.df = pd.concat([file.df, dup], ignore_index=True)
        for i in picked:
            note(file, int(i), "duplicate_key")
    # orphan person rows: copies of real people under a crime_ref that exists nowhere
    file = f(9, "police_persons.csv")
    picked = rows(file, 3)
    orphan = file.df.iloc[picked].copy()
    orphan["crime_ref"] = [f"{9990001 + j:07d}/{months[min(9, n - 1)][2:4]}" for j in range(len(orphan))]
    orphan["person_seq"] = "1"
    source_keys = [file.key(int(i)) for i in picked]
    file.df = pd.concat([file.df, orphan], ignore_index=True)
    base = len(file.df) - len(orphan)
    for j in range(len(orphan)):
        note(file, base + j, "orphan_person")
    _truth_for_orphans(root, source_keys, [f"{r}|1" for r in orphan["crime_ref"]])
    # corrected re-send of last month's records
    mi = min(RESEND_MONTH, n - 1)
    for name, fix in (
        ("social_care_referrals.csv", _fix_referral),
        ("police_crimes.csv", _fix_crime),
    ):
        prev, cur = f(mi - 1, name), f(mi, name)
        picked = rows(prev, 4)
        clean = [i for i in picked if prev.key(int(i)) not in {k for _, nm, k, _ in manifest if nm == name}]
        sent = prev.df.iloc[clean].copy()
        sent = fix(sent)
        cur.df = pd.concat([cur.df, sent], ignore_index=True)
        base = len(cur.df) - len(sent)
        for j in range(len(sent)):
            note(cur, base + j, "resend_correction")
    for file in files.values():
        file.write()
    # truncated file: last line cut mid-row (done last, on the written bytes)
    tm = TRUNCATED_MONTH  # the documented month, or the next one with rows to cut
    while len(f(tm, TRUNCATED_FILE).df) < 2 and tm < n - 1:
        tm += 1
    tfile = f(tm, TRUNCATED_FILE)
    note(tfile, len(tfile.df) - 1, "truncated_file")
    raw = tfile.path.read_bytes().rstrip(b"\r\n")
    last_start = raw.rfind(b"\n") + 1
    cut = last_start + max(1, (len(raw) - last_start) // 2)
    tfile.path.write_bytes(raw[:cut])
    out = pd.DataFrame(manifest, columns=["month", "file", "source_key", "defect"])
    (root / "truth").mkdir(exist_ok=True)
    out.to_csv(root / "truth" / "defects.csv", index=False, lineterminator="\n")
    logger.info("injected %d defects into %s", len(out), root)
    return out


def _fix_referral(df: pd.DataFrame) -> pd.DataFrame:
    df = df.copy()
    step = {
        "nfa": "assessment",
        "assessment": "child_in_need",
        "s47": "child_protection",
        "child_in_need": "child_protection",
        "child_protection": "looked_after",
        "looked_after": "child_in_need",
    }
    df["outcome"] = [step.get(x, "assessment") for x in df["outcome"]]  # always a real change
    df["assessment_factors"] = [
        ";".join(dict.fromkeys([x for x in f.split(";") if x] + ["missing"])) for f in df["assessment_factors"]
    ]
    return df


def _fix_crime(df: pd.DataFrame) -> pd.DataFrame:
    df = df.copy()
    df["knife_flag"] = "Y"
    df["mo_text"] = df["mo_text"] + " UPDATE: knife recovered."
    return df


def _truth_for_orphans(root: Path, copied_keys: list[str], new_keys: list[str]) -> None:
    path = root / "truth" / "person_records.csv"
    if not path.exists():
        return
    truth = pd.read_csv(path, dtype=str, keep_default_na=False)
    pp = truth[truth["source"] == "police_persons"].set_index("source_key")["true_person_id"]
    add = pd.DataFrame(
        {
            "source": "police_persons",
            "source_key": new_keys,
            "true_person_id": [pp.get(k, "") for k in copied_keys],
        }
    )
    pd.concat([truth, add], ignore_index=True).to_csv(path, index=False, lineterminator="\n")
