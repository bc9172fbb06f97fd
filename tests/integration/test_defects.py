"""Defect-injected deliveries (from the generator): each defect is quarantined or refused with a
clear message, nothing else changes, and every input row is accounted for."""

from __future__ import annotations

import json
import shutil

import duckdb
import pandas as pd
import pytest

from synthetic import inject_defects
from tests.conftest import SAMPLE
from transforms.extracts.delivery import list_months
from transforms.extracts.ingest import ingest_months

KEYS = {
    "police_crimes": ["crime_ref"],
    "police_persons": ["crime_ref", "person_seq"],
    "social_care_referrals": ["referral_id"],
    "missing_episodes": ["episode_id"],
    "school_exclusions": ["exclusion_id"],
}
EXPECTED_RULE = {
    "malformed_date": "type:",
    "unknown_code": "code:",
    "missing_required": "required:",
    "duplicate_key": "duplicate_key",
    "orphan_person": "orphan:crime_ref",
}


@pytest.fixture(scope="module")
def defective(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("defects")
    inbox = root / "inbox"
    months = list_months(SAMPLE)[:16]
    for m in months:
        shutil.copytree(SAMPLE / m, inbox / m)
    shutil.copytree(SAMPLE / "reference", inbox / "reference")
    manifest = inject_defects(inbox, seed=11)
    con = duckdb.connect(str(root / "wh.duckdb"))
    results = ingest_months(con, inbox, months, None)
    yield inbox, manifest, con, results, months
    con.close()


def _quarantined_keys(con, source: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for record, rules in con.execute("SELECT record, rules FROM ops.quarantine WHERE source = ?", [source]).fetchall():
        rec = json.loads(record)
        key = "|".join(str(rec[k]) for k in KEYS[source])
        out.setdefault(key, []).extend(rules)
    return out


def test_each_row_defect_is_quarantined_with_its_rule(defective) -> None:
    _, manifest, con, _, _ = defective
    rows = manifest[manifest["defect"].isin(EXPECTED_RULE)]
    assert len(rows) >= 15
    found = 0
    for _, d in rows.iterrows():
        source = d["file"].removesuffix(".csv")
        q = _quarantined_keys(con, source)
        assert d["source_key"] in q, f"{d['defect']} in {d['month']}/{d['file']} key {d['source_key']} not quarantined"
        # a 'duplicate' whose changed field was blank already is an exact repeat: duplicate_row
        accepted = (
            ("duplicate_key", "duplicate_row") if d["defect"] == "duplicate_key" else (EXPECTED_RULE[d["defect"]],)
        )
        assert any(r.startswith(accepted) for r in q[d["source_key"]]), (d.to_dict(), q[d["source_key"]])
        found += 1
    print(f"\n{found} injected row defects, all quarantined with the expected rule")


def test_truncated_file_refused_whole_with_a_clear_message(defective) -> None:
    _, manifest, con, results, _ = defective
    t = manifest[manifest["defect"] == "truncated_file"].iloc[0]
    rel = f"{t['month']}/{t['file']}"
    (res,) = [r for r in results if r.source_file == rel]
    assert res.status == "failed"
    assert "truncated at line" in res.message and t["file"] in res.message and "re-send" in res.message
    assert con.execute("SELECT count(*) FROM raw.missing_episodes WHERE source_file = ?", [rel]).fetchall() == [(0,)]


def test_corrected_resend_wins_and_history_kept(defective) -> None:
    _, manifest, con, _, _ = defective
    resent = manifest[(manifest["defect"] == "resend_correction") & (manifest["file"] == "police_crimes.csv")]
    assert len(resent) > 0
    for _, d in resent.iterrows():
        cur = con.execute(
            "SELECT delivery_month FROM raw.police_crimes WHERE crime_ref = ?", [d["source_key"]]
        ).fetchall()
        hist = con.execute(
            "SELECT delivery_month FROM raw.police_crimes_history WHERE crime_ref = ?", [d["source_key"]]
        ).fetchall()
        assert cur == [(d["month"],)] and len(hist) == 1 and hist[0][0] < d["month"]


def test_everything_else_loads_and_reconciles(defective) -> None:
    inbox, manifest, con, results, months = defective
    failed = [r for r in results if r.status == "failed"]
    assert len(failed) == 1
    for r in results:
        if r.status == "loaded":
            assert r.rows_in == r.rows_loaded + r.rows_quarantined
    # quarantine holds exactly the injected rows (and the second copy of each duplicate key)
    # both copies of a conflicting key are held; of an exact repeat only the second
    conflicting = con.execute(
        "SELECT count(*) FROM ops.quarantine WHERE list_contains(rules, 'duplicate_key')"
    ).fetchall()[0][0]
    n_dup = int((manifest["defect"] == "duplicate_key").sum())
    expected = len(manifest[manifest["defect"].isin(EXPECTED_RULE)]) + conflicting // 2
    assert conflicting // 2 <= n_dup
    assert con.execute("SELECT count(*) FROM ops.quarantine").fetchall()[0][0] == expected
    # the sender re-sends the whole file: it loads, and nothing else changes
    t = manifest[manifest["defect"] == "truncated_file"].iloc[0]
    before = con.execute("SELECT count(*) FROM raw.police_crimes").fetchall()
    shutil.copy(SAMPLE / t["month"] / t["file"], inbox / t["month"] / t["file"])
    again = ingest_months(con, inbox, months, None)
    changed = [r for r in again if r.status != "unchanged"]
    assert [(r.source_file, r.status) for r in changed] == [(f"{t['month']}/{t['file']}", "loaded")]
    assert con.execute("SELECT count(*) FROM raw.police_crimes").fetchall() == before
    n_rows = len(pd.read_csv(SAMPLE / t["month"] / t["file"], dtype=str))
    assert changed[0].rows_in == n_rows
