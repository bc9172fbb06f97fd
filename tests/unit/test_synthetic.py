"""The synthetic-borough generator: file contract, determinism, planted rates, truth and defects.

Checks on the committed sample only read ``data/sample``; generation checks use small boroughs.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import shutil
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

import synthetic
from synthetic import GeneratorConfig, generate_borough, inject_defects
from synthetic.__main__ import main as cli_main
from synthetic.names import NICKNAMES, VARIANTS
from transforms.extracts.contract import MAP_ASSESSMENT_CELLS, SOURCES
from transforms.extracts.contract import MAP_ASSESSMENTS as MAP_ASSESSMENTS_SOURCE
from transforms.extracts.vocab import VOCABULARIES

ROOT = Path(__file__).resolve().parents[2]
# LANTERN_SYNTHETIC_SAMPLE points the sample checks at another generated borough (other seeds)
SAMPLE = Path(os.environ.get("LANTERN_SYNTHETIC_SAMPLE", ROOT / "data" / "sample"))
CFG = GeneratorConfig()

# The contract as Lantern's own loader holds it (transforms.extracts.contract, written from
# shared/spec/extracts.md): the generator is checked against what the product will read.
_CSV = [s for s in SOURCES if s.file.endswith(".csv")]
SPEC_COLUMNS = {s.name: s.column_names for s in _CSV}
MAP_ASSESSMENTS = MAP_ASSESSMENTS_SOURCE.column_names
MAP_CELLS = MAP_ASSESSMENT_CELLS.column_names
FACTORS = set(VOCABULARIES["factor"])
GLM = set(VOCABULARIES["glm_good"])
CODES = {(s.name, c.name): set(VOCABULARIES[c.vocab]) for s in _CSV for c in s.columns if c.kind == "code" and c.vocab}
FLAGS = {
    s.name: [c.name for c in s.columns if c.kind == "flag"] for s in _CSV if any(c.kind == "flag" for c in s.columns)
}
DATES = {
    s.name: [c.name for c in s.columns if c.kind == "date"] for s in _CSV if any(c.kind == "date" for c in s.columns)
}
DATETIMES = {
    s.name: [c.name for c in s.columns if c.kind == "datetime"]
    for s in _CSV
    if any(c.kind == "datetime" for c in s.columns)
}

ID_PATTERNS = {
    ("police_crimes", "crime_ref"): r"\d{7}/\d{2}",
    ("police_persons", "police_nominal_id"): r"(PN\d{7})?",
    ("social_care_referrals", "referral_id"): r"R\d{7}",
    ("social_care_referrals", "child_id"): r"SC\d{6}",
    ("missing_episodes", "episode_id"): r"ME\d{7}",
    ("missing_episodes", "child_id"): r"SC\d{6}",
    ("school_exclusions", "exclusion_id"): r"EX\d{7}",
    ("school_exclusions", "upn"): r"[A-Z]\d{12}",
    ("school_exclusions", "school_urn"): r"\d{6}",
}


def read_delivery(path: Path) -> pd.DataFrame:
    """Read a delivered CSV the way ingest must: UTF-8 (BOM or not), else Windows-1252."""
    raw = path.read_bytes()
    try:
        raw.decode("utf-8")
        enc = "utf-8-sig"
    except UnicodeDecodeError:
        enc = "cp1252"
    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding=enc)


def load_all(root: Path, stem: str) -> pd.DataFrame:
    parts = []
    for f in sorted(root.glob(f"*/{stem}.csv")):
        df = read_delivery(f)
        df["_month"] = f.parent.name
        parts.append(df)
    return pd.concat(parts, ignore_index=True)


@pytest.fixture(scope="module")
def sample() -> dict[str, pd.DataFrame]:
    """All monthly CSVs of the committed sample, concatenated per file."""
    return {stem: load_all(SAMPLE, stem) for stem in SPEC_COLUMNS}


@pytest.fixture(scope="module")
def truth() -> pd.DataFrame:
    return pd.read_csv(SAMPLE / "truth" / "person_records.csv", dtype=str, keep_default_na=False)


@pytest.fixture(scope="module")
def police(sample: dict[str, pd.DataFrame], truth: pd.DataFrame) -> pd.DataFrame:
    """Police person rows joined to their true person and their crime."""
    p = sample["police_persons"].copy()
    tid = truth[truth["source"] == "police_persons"].set_index("source_key")["true_person_id"]
    p["tid"] = tid.reindex(p["crime_ref"] + "|" + p["person_seq"]).to_numpy()
    return p.merge(sample["police_crimes"].drop(columns="_month"), on="crime_ref", how="left")


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("small") / "borough"
    generate_borough(out, people=300, months=6, seed=11)
    return out


def digest(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


# ---- layout and file contract ------------------------------------------------------------------


def test_sample_layout_has_24_monthly_deliveries_reference_and_truth() -> None:
    months = sorted(p.name for p in SAMPLE.iterdir() if re.fullmatch(r"\d{4}-\d{2}", p.name))
    assert months[0] == "2024-11" and months[-1] == "2026-10" and len(months) == 24
    for m in months:
        names = {p.name for p in (SAMPLE / m).iterdir()}
        assert names == {f"{s}.csv" for s in SPEC_COLUMNS} | {"map_assessments.xlsx"}, m
    assert {p.name for p in (SAMPLE / "reference").iterdir()} >= {
        "wards.csv",
        "wards.geojson",
        "population.csv",
        "schools.csv",
        "places.csv",
    }
    assert {p.name for p in (SAMPLE / "truth").iterdir()} >= {
        "person_records.csv",
        "peer_groups.csv",
        "events.csv",
    }


def test_sample_is_under_10_mb() -> None:
    total = sum(p.stat().st_size for p in SAMPLE.rglob("*") if p.is_file())
    assert total < 10 * 1024 * 1024, total


@pytest.mark.parametrize("stem", list(SPEC_COLUMNS))
def test_columns_exactly_as_spec(stem: str) -> None:
    for f in sorted(SAMPLE.glob(f"*/{stem}.csv")):
        assert list(read_delivery(f).columns) == SPEC_COLUMNS[stem], f


def test_dates_and_datetimes_parse_uk_style(sample: dict[str, pd.DataFrame]) -> None:
    for spec, fmt in ((DATES, "%d/%m/%Y"), (DATETIMES, "%d/%m/%Y %H:%M")):
        for stem, cols in spec.items():
            for c in cols:
                v = sample[stem][c]
                v = v[v != ""]
                assert len(v) > 0, (stem, c)
                parsed = pd.to_datetime(v, format=fmt, errors="coerce")
                assert parsed.notna().all(), (stem, c, v[parsed.isna()].head().tolist())


def test_flags_are_y_or_n(sample: dict[str, pd.DataFrame]) -> None:
    for stem, cols in FLAGS.items():
        for c in cols:
            if c == "rhi_accepted":  # blank (unknown) while no return interview was offered
                continue
            assert set(sample[stem][c]) <= {"Y", "N"}, (stem, c)
            assert "Y" in set(sample[stem][c]), (stem, c)
    rhi = sample["missing_episodes"]["rhi_accepted"]
    assert set(rhi) <= {"Y", "N", ""}


def test_codes_come_from_the_vocabularies(sample: dict[str, pd.DataFrame]) -> None:
    for (stem, col), allowed in CODES.items():
        seen = set(sample[stem][col]) - {""}
        assert seen <= allowed, (stem, col, seen - allowed)
        assert len(seen) >= min(2 if col == "gender" else 3, len(allowed)), (stem, col)


def test_online_crimes_have_no_place_and_places_have_coordinates(
    sample: dict[str, pd.DataFrame],
) -> None:
    c = sample["police_crimes"]
    online = c[c["location_type"] == "online"]
    assert len(online) > 20
    assert (online[["ward_code", "latitude", "longitude"]] == "").all().all()
    placed = c[(c["ward_code"] != "") & (c["latitude"] != "")]
    lat = placed["latitude"].astype(float)
    lon = placed["longitude"].astype(float)
    assert lat.between(51.50, 51.60).all() and lon.between(-0.15, -0.01).all()


def test_lists_split_to_known_codes(sample: dict[str, pd.DataFrame]) -> None:
    for stem, col in (
        ("social_care_referrals", "assessment_factors"),
        ("missing_episodes", "concerns"),
    ):
        codes = {c for v in sample[stem][col] for c in v.split(";") if v}
        assert codes and codes <= FACTORS, (stem, codes - FACTORS)
    child_ids = set(sample["social_care_referrals"]["child_id"])
    with_ = [c for v in sample["missing_episodes"]["missing_with"] for c in v.split(";") if v]
    assert with_ and all(re.fullmatch(r"SC\d{6}", c) for c in with_)
    assert np.mean([c in child_ids for c in with_]) > 0.95


def test_identifier_formats(sample: dict[str, pd.DataFrame]) -> None:
    for (stem, col), pattern in ID_PATTERNS.items():
        bad = sample[stem][col][~sample[stem][col].str.fullmatch(pattern)]
        assert bad.empty, (stem, col, bad.head().tolist())
    for stem, key in (
        ("police_crimes", ["crime_ref"]),
        ("social_care_referrals", ["referral_id"]),
        ("missing_episodes", ["episode_id"]),
        ("school_exclusions", ["exclusion_id"]),
        ("police_persons", ["crime_ref", "person_seq"]),
    ):
        assert not sample[stem].duplicated(key).any(), stem


def test_every_person_row_references_a_crime(sample: dict[str, pd.DataFrame]) -> None:
    crimes = set(sample["police_crimes"]["crime_ref"])
    assert set(sample["police_persons"]["crime_ref"]) <= crimes
    seq = sample["police_persons"].groupby("crime_ref")["person_seq"].apply(lambda s: sorted(map(int, s)))
    assert all(v == list(range(1, len(v) + 1)) for v in seq)


def test_some_social_care_files_are_windows_1252_with_accents() -> None:
    cp = []
    for f in sorted(SAMPLE.glob("*/social_care_referrals.csv")):
        try:
            f.read_bytes().decode("utf-8")
        except UnicodeDecodeError:
            cp.append(f)
    assert len(cp) == 24 // CFG.cp1252_every
    text = "".join(f.read_bytes().decode("cp1252") for f in cp)
    assert re.search(r"[àáâãäçèéêëìíîïñòóôõöùúûüÀ-ÖØ-Ýß]", text)
    utf8 = "".join(f.read_text(encoding="utf-8-sig") for f in SAMPLE.glob("*/police_persons.csv"))
    assert re.search(r"[^\x00-\x7f]", utf8)  # accented names survive in UTF-8 files


def test_map_workbook_has_both_sheets_and_links_to_social_care(
    sample: dict[str, pd.DataFrame],
) -> None:
    child_ids = set(sample["social_care_referrals"]["child_id"])
    n_assess = n_cells = 0
    for f in sorted(SAMPLE.glob("*/map_assessments.xlsx")):
        wb = openpyxl.load_workbook(f, read_only=True)
        assert wb.sheetnames == ["assessments", "cells"]
        a = list(wb["assessments"].iter_rows(values_only=True))
        c = list(wb["cells"].iter_rows(values_only=True))
        assert list(a[0]) == MAP_ASSESSMENTS and list(c[0]) == MAP_CELLS
        ids = {r[0] for r in a[1:]}
        for r in a[1:]:
            assert r[1] in child_ids and isinstance(r[2], dt.datetime)
            assert r[3] in VOCABULARIES["hsb_level"]
            assert r[5] in VOCABULARIES["assessment_status"]
        for r in c[1:]:
            assert r[0] in ids
            assert r[1] in VOCABULARIES["context"]
            assert r[3] in VOCABULARIES["domain"]
            assert not r[4] or set(r[4].split(";")) <= FACTORS
            assert not r[7] or (set(r[7].split(";")) <= GLM and r[3] in ("strengths", "planned_actions"))
        n_assess += len(a) - 1
        n_cells += len(c) - 1
    assert 24 * 2 <= n_assess <= 24 * 6
    assert 15 <= n_cells / n_assess <= 30


def test_map_named_peers_are_real_group_mates() -> None:
    truth = pd.read_csv(SAMPLE / "truth" / "person_records.csv", dtype=str)
    groups = pd.read_csv(SAMPLE / "truth" / "peer_groups.csv", dtype=str)
    people = pd.read_csv(SAMPLE / "truth" / "people.csv", dtype=str)
    sc = load_all(SAMPLE, "social_care_referrals")
    tid_of_ref = truth[truth["source"] == "social_care_referrals"].set_index("source_key")["true_person_id"]
    tid_of_child = dict(zip(sc["child_id"], tid_of_ref.reindex(sc["referral_id"]).to_numpy(), strict=False))
    tid_of_map = truth[truth["source"] == "map_assessments"].set_index("source_key")["true_person_id"]
    ever = groups.groupby("true_person_id")["true_group_id"].apply(set).to_dict()
    assert len(people) > 0
    hits = total = 0
    unaddressed = 0
    for f in sorted(SAMPLE.glob("*/map_assessments.xlsx")):
        cells = pd.read_excel(f, sheet_name="cells", dtype=str).fillna("")
        for aid, cc in cells.groupby("assessment_id"):
            me = tid_of_map[aid]
            risk = set(cc.loc[cc["domain"] == "risk", "context"])
            planned = set(cc.loc[cc["domain"] == "planned_actions", "context"])
            unaddressed += bool(risk - planned)
            for peers in cc["named_peers"]:
                for cid in [x for x in peers.split(";") if x]:
                    total += 1
                    hits += bool(ever.get(tid_of_child.get(cid, ""), set()) & ever.get(me, set()))
    assert total > 20 and hits / total > 0.9, (hits, total)
    assert unaddressed > 5


def test_reference_data() -> None:
    wards = pd.read_csv(SAMPLE / "reference" / "wards.csv", dtype=str)
    assert list(wards.columns) == ["ward_code", "ward_name"] and len(wards) == 20
    assert wards["ward_code"].str.fullmatch(r"E05\d{6}").all()
    gj = json.loads((SAMPLE / "reference" / "wards.geojson").read_text())
    assert {f["properties"]["ward_code"] for f in gj["features"]} == set(wards["ward_code"])
    for feat in gj["features"]:
        ring = feat["geometry"]["coordinates"][0]
        assert ring[0] == ring[-1] and len(ring) >= 4 and feat["properties"]["ward_name"]
        assert all(abs(x + 0.08) < 0.1 and abs(y - 51.55) < 0.1 for x, y in ring)
    pop = pd.read_csv(SAMPLE / "reference" / "population.csv")
    assert list(pop.columns) == ["ward_code", "sex", "ethnic_group", "age", "population"]
    assert set(pop["sex"]) == {"M", "F"} and set(pop["age"]) == set(range(10, 20))
    assert set(pop["ethnic_group"]) == {"asian", "black", "mixed", "white", "other"}
    assert 2500 <= pop["population"].sum() <= 3500
    schools = pd.read_csv(SAMPLE / "reference" / "schools.csv", dtype=str)
    assert list(schools.columns) == ["urn", "name", "phase", "ward_code"]
    assert (schools["phase"] == "secondary").sum() >= 12 and schools["urn"].str.fullmatch(r"\d{6}").all()
    places = pd.read_csv(SAMPLE / "reference" / "places.csv", dtype=str, keep_default_na=False)
    assert list(places.columns) == [
        "place_id",
        "name",
        "aliases",
        "location_type",
        "ward_code",
        "latitude",
        "longitude",
    ]
    assert len(places) >= 40 and set(places["ward_code"]) <= set(wards["ward_code"])
    assert set(places["location_type"]) >= {
        "park_open_space",
        "dwelling",
        "shop_takeaway",
        "public_transport",
        "youth_club_leisure",
        "hostel_supported_housing",
    }


# ---- determinism and CLI -------------------------------------------------------------------------


def test_same_seed_same_bytes_different_seed_different(small: Path, tmp_path: Path) -> None:
    again = tmp_path / "again"
    generate_borough(again, people=300, months=6, seed=11)
    assert digest(small) == digest(again)
    other = tmp_path / "other"
    generate_borough(other, people=300, months=6, seed=12)
    d1, d2 = digest(small), digest(other)
    assert d1.keys() == d2.keys()
    assert sum(d1[k] != d2[k] for k in d1) > len(d1) // 2


def test_cli_writes_a_borough(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rc = cli_main(
        [
            "--out",
            str(tmp_path / "b"),
            "--people",
            "200",
            "--months",
            "3",
            "--start",
            "2025-01",
            "--seed",
            "3",
        ]
    )
    assert rc == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["crimes"] > 0 and summary["people"] >= 150
    assert sorted(p.name for p in (tmp_path / "b").iterdir()) == [
        "2025-01",
        "2025-02",
        "2025-03",
        "reference",
        "truth",
    ]


def test_generate_returns_summary_matching_files(small: Path) -> None:
    crimes = load_all(small, "police_crimes")
    persons = load_all(small, "police_persons")
    assert len(crimes) > 20 and len(persons) > 2 * len(crimes) * 0.8
    assert isinstance(synthetic.BoroughSummary, type)


# ---- truth ----------------------------------------------------------------------------------------


def test_truth_covers_every_person_record(sample: dict[str, pd.DataFrame], truth: pd.DataFrame) -> None:
    want = {
        "police_persons": set(sample["police_persons"]["crime_ref"] + "|" + sample["police_persons"]["person_seq"]),
        "social_care_referrals": set(sample["social_care_referrals"]["referral_id"]),
        "missing_episodes": set(sample["missing_episodes"]["episode_id"]),
        "school_exclusions": set(sample["school_exclusions"]["exclusion_id"]),
    }
    maps = set()
    for f in SAMPLE.glob("*/map_assessments.xlsx"):
        maps |= set(pd.read_excel(f, sheet_name="assessments", dtype=str)["assessment_id"])
    want["map_assessments"] = maps
    assert list(truth.columns) == ["source", "source_key", "true_person_id"]
    assert (truth["true_person_id"] != "").all() and not truth.duplicated(["source", "source_key"]).any()
    for source, keys in want.items():
        assert set(truth.loc[truth["source"] == source, "source_key"]) == keys, source
    # adults have their own ids; one child_id / upn is one true person
    assert truth["true_person_id"].str.fullmatch(r"[PA]\d{6,7}").all()
    sc = sample["social_care_referrals"].merge(truth, left_on="referral_id", right_on="source_key")
    assert (sc.groupby("child_id")["true_person_id"].nunique() == 1).all()


def test_peer_groups_and_events_truth() -> None:
    pg = pd.read_csv(SAMPLE / "truth" / "peer_groups.csv", dtype=str)
    assert list(pg.columns) == ["month", "true_person_id", "true_group_id"]
    assert not pg.duplicated(["month", "true_person_id"]).any()  # one main group a month
    sizes = pg.groupby(["month", "true_group_id"]).size()
    assert sizes.min() >= CFG.group_size_min and sizes.max() <= CFG.group_size_max
    assert sizes.median() >= 4
    changes = pd.read_csv(SAMPLE / "truth" / "group_changes.csv", dtype=str)
    assert {"form", "merge", "split"} <= set(changes["change"])
    ev = pd.read_csv(SAMPLE / "truth" / "events.csv", dtype=str, keep_default_na=False)
    assert list(ev.columns) == [
        "event_type",
        "theme",
        "start_month",
        "end_month",
        "ward_code",
        "place_name",
        "description",
    ]
    assert set(ev["event_type"]) == {"emerging_theme", "hotspot", "exceedance"}
    places = pd.read_csv(SAMPLE / "reference" / "places.csv", dtype=str)
    assert ev.loc[ev["event_type"] == "hotspot", "place_name"].iloc[0] in set(places["name"])


def test_planted_events_are_visible_in_the_data(sample: dict[str, pd.DataFrame]) -> None:
    ev = pd.read_csv(SAMPLE / "truth" / "events.csv", dtype=str, keep_default_na=False).set_index("event_type")
    c = sample["police_crimes"]
    # emerging theme: the app is never mentioned before its start month, often after
    theme = ev.loc["emerging_theme"]
    app = c[c["mo_text"].str.contains(CFG.theme_app)]
    assert (app["_month"] >= theme["start_month"]).all() and len(app) >= 30
    assert (app["online_flag"] == "Y").mean() > 0.9
    assert (app["location_type"] == "online").mean() > 0.3
    in_ward = app[app["ward_code"] != ""]
    assert (in_ward["ward_code"] == theme["ward_code"]).mean() > 0.6
    # hotspot: the place's incidents jump in its months
    hot = ev.loc["hotspot"]
    places = pd.read_csv(SAMPLE / "reference" / "places.csv", dtype=str).set_index("name")
    names = {hot["place_name"], *places.loc[hot["place_name"], "aliases"].split(";")}
    at = c[c["location_name"].isin(names)].groupby("_month").size()
    months = sorted(c["_month"].unique())
    during = at.reindex([m for m in months if m >= hot["start_month"]], fill_value=0).mean()
    before = at.reindex([m for m in months if m < hot["start_month"]], fill_value=0).mean()
    assert during > 4 * max(before, 1)
    # exceedance: SYV in the ward in its months well above the ward's usual level
    ex = ev.loc["exceedance"]
    syv = (
        c[
            c["offence_group"].isin(["violence_against_the_person", "robbery", "possession_of_weapons"])
            & (c["ward_code"] == ex["ward_code"])
        ]
        .groupby("_month")
        .size()
        .reindex(months, fill_value=0)
    )
    inside = syv[(syv.index >= ex["start_month"]) & (syv.index <= ex["end_month"])]
    outside = syv[(syv.index < ex["start_month"]) | (syv.index > ex["end_month"])]
    assert inside.min() > outside.median() * 2
    # outside the planted events, monthly youth-crime totals stay near their seasonal baseline
    totals = c.groupby("_month").size()
    assert totals.std() / totals.mean() < 0.25


# ---- planted rates -----------------------------------------------------------------------------


def test_victim_suspect_overlap(police: pd.DataFrame) -> None:
    young = police[police["tid"].str.startswith("P")]
    sus = set(young.loc[young["role"].isin(["suspect", "accused"]), "tid"])
    vic = set(young.loc[young["role"] == "victim", "tid"])
    assert 0.20 <= len(sus & vic) / len(sus) <= 0.35


def test_nominal_ids_blank_and_doubled(police: pd.DataFrame) -> None:
    blank = (police["police_nominal_id"] == "").mean()
    assert abs(blank - CFG.nominal_blank_rate) < 0.03
    young = police[police["tid"].str.startswith("P") & (police["police_nominal_id"] != "")]
    two = (young.groupby("tid")["police_nominal_id"].nunique() > 1).mean()
    assert 0.02 <= two <= 0.09
    # a nominal id never spans two true people
    assert (police[police["police_nominal_id"] != ""].groupby("police_nominal_id")["tid"].nunique() == 1).all()


def _lev1(a: str, b: str) -> bool:
    """True when a and b are exactly one insertion, deletion or substitution apart."""
    if abs(len(a) - len(b)) > 1 or a == b:
        return False
    if len(a) == len(b):
        return sum(x != y for x, y in zip(a, b, strict=False)) == 1
    if len(a) > len(b):
        a, b = b, a
    return any(b[:i] + b[i + 1 :] == a for i in range(len(b)))


def test_identity_noise_rates_against_truth(police: pd.DataFrame) -> None:
    people = pd.read_csv(SAMPLE / "truth" / "people.csv", dtype=str, keep_default_na=False).set_index("true_person_id")
    fn = people["forename"].reindex(police["tid"]).to_numpy()
    sn = people["surname"].reindex(police["tid"]).to_numpy()
    rec_f = police["forename"].to_numpy()
    rec_s = police["surname"].str.lower().to_numpy()
    typo = np.array(
        [
            (_lev1(a, b) and c.lower() == d) or (_lev1(c.lower(), d) and a == b)
            for a, b, c, d in zip(rec_f, fn, sn, rec_s, strict=False)
        ]
    )
    # only names that no other noise (variants, nicknames, dropped accents, one part of a
    # double-barrelled surname) can move by one character
    plain = np.array(
        [
            b.isascii()
            and c.isascii()
            and "-" not in c
            and b not in VARIANTS
            and c not in VARIANTS
            and b not in NICKNAMES
            for b, c in zip(fn, sn, strict=False)
        ]
    )
    assert plain.sum() > 3000
    assert abs(typo[plain].mean() - CFG.police_noise.typo) < 0.02, typo[plain].mean()
    swapped = np.array(
        [a == c.lower() and b.lower() == d.lower() for a, b, c, d in zip(rec_s, rec_f, fn, sn, strict=False)]
    )
    assert 0.01 <= swapped.mean() <= 0.04
    dob = police["dob"]
    assert abs((dob == "").mean() - CFG.police_noise.dob_missing) < 0.015
    true_dob = people["dob"].reindex(police["tid"]).to_numpy()  # ISO yyyy-mm-dd
    est = dob.str.startswith("01/01/") & ~pd.Series(true_dob).str.endswith("-01-01").to_numpy()
    assert abs(est.mean() - CFG.police_noise.dob_estimated) < 0.015
    iso = pd.Series(true_dob)
    swapped_dob = dob.to_numpy() == (iso.str[5:7] + "/" + iso.str[8:10] + "/" + iso.str[:4]).to_numpy()
    swapped_dob &= (iso.str[5:7] != iso.str[8:10]).to_numpy()
    assert 0.01 <= swapped_dob.mean() <= 0.03, swapped_dob.mean()
    # siblings who are twins share surname, dob and postcode but never a forename
    young = people[people["young_person"] == "True"]
    twins = young[young.duplicated(["surname", "dob", "postcode"], keep=False)]
    assert len(twins) >= 10
    assert not twins.duplicated(["surname", "dob", "postcode", "forename"]).any()
    # name collisions happen: same name, different people
    assert young.duplicated(["forename", "surname"]).sum() > 20


def test_summer_uplift_of_violence(sample: dict[str, pd.DataFrame]) -> None:
    c = sample["police_crimes"]
    viol = c[c["offence_group"].isin(["violence_against_the_person", "robbery", "possession_of_weapons"])]
    ev = pd.read_csv(SAMPLE / "truth" / "events.csv", dtype=str).set_index("event_type")
    places = pd.read_csv(SAMPLE / "reference" / "places.csv", dtype=str).set_index("name")
    hot = ev.loc["hotspot", "place_name"]
    # the planted surge and hotspot are not season
    viol = viol[
        (viol["ward_code"] != ev.loc["exceedance", "ward_code"])
        & ~viol["location_name"].isin({hot, *places.loc[hot, "aliases"].split(";")})
    ]
    per = viol.groupby(viol["committed_from"].str[3:10]).size()
    summer = per[[k for k in per.index if k[:2] in ("06", "07", "08")]].mean()
    other = per[[k for k in per.index if k[:2] not in ("06", "07", "08")]].mean()
    assert 1.2 <= summer / other <= 1.7, summer / other
    assert CFG.summer_uplift == 1.4


def test_disparities_and_cross_agency_overlap(
    police: pd.DataFrame, sample: dict[str, pd.DataFrame], truth: pd.DataFrame
) -> None:
    viol = police[police["offence_group"] == "violence_against_the_person"]
    sus = viol[viol["role"].isin(["suspect", "accused"]) & viol["tid"].str.startswith("P")]
    pop = pd.read_csv(SAMPLE / "reference" / "population.csv")
    black_share = pop.loc[pop["ethnic_group"] == "black", "population"].sum() / pop["population"].sum()
    assert (sus["ethnicity"] == "IC3").mean() > 1.2 * black_share
    assert (sus["gender"] == "M").mean() > 0.65
    cse_v = police[(police["cse_flag"] == "Y") & (police["role"] == "victim")]
    assert (cse_v["gender"] == "F").mean() > 0.85
    cse_s = police[(police["cse_flag"] == "Y") & police["role"].isin(["suspect", "accused"])]
    assert cse_s["tid"].str.startswith("A").mean() > 0.5  # mostly adults
    # most children known to police are known to social care
    sc = set(truth.loc[truth["source"] == "social_care_referrals", "true_person_id"])
    kids = police[police["tid"].str.startswith("P") & police["role"].isin(["victim", "suspect", "accused"])]
    dob = pd.to_datetime(kids["dob"], format="%d/%m/%Y", errors="coerce")
    rec = pd.to_datetime(kids["recorded_date"], format="%d/%m/%Y")
    under18 = set(kids.loc[(rec - dob).dt.days < 17.5 * 365, "tid"])
    assert len(under18 & sc) / len(under18) > 0.75
    # every child in a missing episode or MAP assessment is in social care
    assert set(sample["missing_episodes"]["child_id"]) <= set(sample["social_care_referrals"]["child_id"])


def test_joint_missing_episodes_list_each_other(sample: dict[str, pd.DataFrame]) -> None:
    me = sample["missing_episodes"]
    joint = me[me["missing_with"] != ""]
    assert len(joint) > 50
    t = pd.to_datetime(me["reported_at"], format="%d/%m/%Y %H:%M")
    by_child = me.assign(t=t).groupby("child_id")["t"].apply(list).to_dict()
    # each child listed also has an episode reported within two hours (they went missing together)
    ok = [
        any(abs((x - t0).total_seconds()) <= 7200 for x in by_child.get(c, []))
        for v, t0 in zip(joint["missing_with"], t[joint.index], strict=False)
        for c in v.split(";")
    ]
    assert np.mean(ok) > 0.97


def test_exclusions_concentrate_on_group_members(sample: dict[str, pd.DataFrame]) -> None:
    ex = sample["school_exclusions"]
    truth = pd.read_csv(SAMPLE / "truth" / "person_records.csv", dtype=str)
    tid = truth[truth["source"] == "school_exclusions"].set_index("source_key")["true_person_id"]
    ex = ex.assign(tid=tid.reindex(ex["exclusion_id"]).to_numpy())
    members = set(pd.read_csv(SAMPLE / "truth" / "peer_groups.csv", dtype=str)["true_person_id"])
    pop = pd.read_csv(SAMPLE / "truth" / "people.csv", dtype=str)
    share_members = len(members) / (pop["young_person"] == "True").sum()
    assert ex["tid"].isin(members).mean() > 1.5 * share_members
    assert (ex["_month"].str.endswith("-08") & (ex["category"] != "")).sum() == 0  # summer holiday


# ---- defects -----------------------------------------------------------------------------------


def test_inject_defects_manifest_matches_files(tmp_path: Path) -> None:
    root = tmp_path / "inbox"
    shutil.copytree(SAMPLE, root)
    manifest = inject_defects(root, seed=5)
    assert list(manifest.columns) == ["month", "file", "source_key", "defect"]
    assert set(manifest["defect"]) == {
        "malformed_date",
        "unknown_code",
        "missing_required",
        "duplicate_key",
        "orphan_person",
        "truncated_file",
        "resend_correction",
    }
    assert pd.read_csv(root / "truth" / "defects.csv", dtype=str).shape[0] == len(manifest)
    crimes = set(load_all(SAMPLE, "police_crimes")["crime_ref"])
    for _, d in manifest.iterrows():
        path = root / d["month"] / d["file"]
        if d["defect"] == "truncated_file":
            raw = path.read_bytes()
            assert not raw.endswith(b"\n")
            last = raw.decode("utf-8").splitlines()[-1]
            assert last.startswith(d["source_key"]) and last.count(",") < len(SPEC_COLUMNS["missing_episodes"]) - 1
            continue
        df = read_delivery(path)
        keys = ["crime_ref", "person_seq"] if d["file"] == "police_persons.csv" else [df.columns[0]]
        k = df[keys].astype(str).agg("|".join, axis=1)
        rows = df[k == d["source_key"]]
        assert len(rows) >= 1, d.to_dict()
        if d["defect"] == "duplicate_key":
            assert len(rows) == 2
        if d["defect"] == "orphan_person":
            assert d["source_key"].split("|")[0] not in crimes
        if d["defect"] == "resend_correction":
            months = sorted(p.name for p in SAMPLE.iterdir() if re.fullmatch(r"\d{4}-\d{2}", p.name))
            prev = read_delivery(SAMPLE / months[months.index(d["month"]) - 1] / d["file"])
            kp = prev[keys].astype(str).agg("|".join, axis=1)
            old = prev[kp == d["source_key"]]
            assert len(old) == 1 and not old.drop(columns=[]).iloc[0].equals(rows.iloc[-1])
        if d["defect"] == "malformed_date":
            col = "referral_date" if "referral" in d["file"] else "start_date"
            assert pd.to_datetime(rows[col], format="%d/%m/%Y", errors="coerce").isna().all()
        if d["defect"] == "missing_required":
            col = next(c for c in ("child_id", "upn", "role") if c in rows.columns)
            assert (rows[col] == "").all()
    # orphans are person records too: truth covers them
    truth = pd.read_csv(root / "truth" / "person_records.csv", dtype=str)
    orphans = manifest.loc[manifest["defect"] == "orphan_person", "source_key"]
    assert set(orphans) <= set(truth["source_key"])


def test_defects_flag_generates_manifest(tmp_path: Path) -> None:
    s = generate_borough(tmp_path / "d", people=300, months=16, seed=4, defects=True)
    manifest = pd.read_csv(tmp_path / "d" / "truth" / "defects.csv")
    assert s.defects == len(manifest) > 15
