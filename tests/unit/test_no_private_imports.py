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


def test_no_import_circle_in_dashboards() -> None:
    """Module-level and function-level imports between dashboards modules form no cycle."""
    graph: dict[str, set[str]] = {}
    for p in (ROOT / "dashboards").glob("*.py"):
        text = p.read_text(encoding="utf-8")
        deps = set(re.findall(r"from dashboards\.(\w+) import", text))
        for names in re.findall(r"from dashboards import ([\w, ]+)", text):
            deps |= {n.strip().split(" as ")[0] for n in names.split(",")}
        graph[p.stem] = deps - {p.stem}

    def reaches(start: str, node: str, seen: set[str]) -> bool:
        for nxt in graph.get(node, ()):
            if nxt == start or (nxt not in seen and reaches(start, nxt, seen | {nxt})):
                return True
        return False

    cycles = sorted(m for m in graph if reaches(m, m, {m}))
    print(cycles)
    assert cycles == []
