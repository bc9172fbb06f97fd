"""No code of Lantern imports Dagster's private modules, and no transform reads the environment
(configuration enters through pipelines/settings.py and is passed down)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_no_private_dagster_imports() -> None:
    hits = [
        str(p.relative_to(ROOT))
        for folder in ("pipelines", "transforms", "dashboards")
        for p in (ROOT / folder).rglob("*.py")
        if re.search(r"\bdagster\._", p.read_text(encoding="utf-8"))
    ]
    print(hits)
    assert hits == []


def test_no_transform_reads_the_environment() -> None:
    hits = [
        str(p.relative_to(ROOT))
        for p in (ROOT / "transforms").rglob("*.py")
        if re.search(r"os\.environ|os\.getenv|getenv\(", p.read_text(encoding="utf-8"))
    ]
    print(hits)
    assert hits == []
