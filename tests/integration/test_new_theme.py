"""Adding a theme is adding a definition: a new versioned file with a theme the code has never
seen is themed, monitored against its expected level and published, with no code change."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import yaml

from transforms.themes.definitions import apply_definitions, latest_definitions_path, parse_definitions


def test_a_new_theme_in_a_new_definitions_file_flows_to_marts_and_pages(sample_warehouse: Path, tmp_path: Path) -> None:
    from dashboards.profile import build_profile
    from transforms.themes.monthly import build_theme_monthly

    doc = yaml.safe_load(latest_definitions_path().read_text(encoding="utf-8"))
    doc["version"] = "themes-test-knife"
    doc["themes"]["knife_crime"] = {
        "label": "Knife-enabled incidents",
        "source": "test",
        "rules": [{"id": "knife_flag", "flags_any": ["knife_flag"]}],
    }
    defs = parse_definitions(doc)
    copy = tmp_path / "wh.duckdb"
    shutil.copy(sample_warehouse, copy)
    with duckdb.connect(str(copy)) as con:
        counts = apply_definitions(con, defs)
        build_theme_monthly(con, defs.version)
        n = con.execute(
            "select count(*), sum(count) from marts.theme_monthly where theme = 'knife_crime' and ward_code is null"
        ).fetchall()[0]
        month = con.execute("select max(month) from marts.theme_monthly").fetchall()[0][0]
        print(f"knife_crime: {counts.get('knife_crime')} incidents themed, {n[0]} borough months, {n[1]} counted")
        # every themed incident is counted in its month (incidents that happened before the first
        # monthly partition are outside the series)
        early = con.execute(
            "select count(*) from core.incident_theme t join marts.incident i using (incident_key) "
            "where t.theme = 'knife_crime' and i.month < (select min(month) from marts.theme_monthly)"
        ).fetchall()[0][0]
        assert counts.get("knife_crime", 0) > 0 and n[0] > 0 and n[1] + early == counts["knife_crime"]
        pages = build_profile(con, month, tmp_path / "site")
    html = "\n".join(p.read_text(encoding="utf-8") for p in pages if p.suffix == ".html")
    assert "Knife-enabled incidents" in html
