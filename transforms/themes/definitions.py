"""Versioned theme definitions: the written rules that give each incident its themes.

Rationale: published problem profiles disagree because "serious youth violence" or "peer-on-peer
abuse" mean different things in different years and teams. Lantern keeps each definition as data
(`definitions/themes_vN.yaml`, with a version string), compiles it to one parameterised SQL query
by a pure function (`compile_rules`, testable apart from its execution, as splink does), and
re-themes the whole history whenever the definitions change. Every page and mart states the
version it used (`marts.theme_definition`, `marts.theme_monthly.definitions_version`).
The serious-youth-violence rule follows the Metropolitan Police Service definition (most serious
violence or weapon-enabled crime with a victim aged 1-19).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import duckdb
import yaml

import sql
from transforms.sqlrun import transaction

logger = logging.getLogger(__name__)

#: The themes of the shipped definitions when Lantern started (the spec's six). Which themes exist
#: is data: the definitions file in force decides (`theme_codes`); a new theme is a new versioned
#: file, and the marts and pages that list themes by row follow it.
THEMES = ("cse", "hsb_peer", "syv", "cce", "gang", "online")
_THEME_CODE = re.compile(r"[a-z][a-z0-9_]{1,30}")
FLAG_COLUMNS = ("cse_flag", "cce_flag", "gang_flag", "knife_flag", "firearm_flag", "dv_flag", "online_flag")
ROLE_GROUPS: dict[str, tuple[str, ...]] = {"victim": ("victim",), "suspect": ("suspect", "accused")}
_CONDITIONS = {
    "id",
    "offence_group_in",
    "offence_matches",
    "flags_any",
    "not_flags_any",
    "location_type_in",
    "involves",
}


@dataclass(frozen=True)
class Involves:
    """Some person linked to the incident has this role and an age in [age_min, age_max]."""

    role: str
    age_min: int
    age_max: int


@dataclass(frozen=True)
class Rule:
    """One rule of a theme: every condition that is set must hold."""

    rule_id: str
    offence_group_in: tuple[str, ...] = ()
    offence_matches: tuple[str, ...] = ()
    flags_any: tuple[str, ...] = ()
    not_flags_any: tuple[str, ...] = ()
    location_type_in: tuple[str, ...] = ()
    involves: tuple[Involves, ...] = ()

    def text(self) -> str:
        """The rule in words, as pages print it."""
        parts: list[str] = []
        if self.offence_group_in:
            parts.append("offence group is " + " or ".join(self.offence_group_in))
        if self.offence_matches:
            parts.append("offence matches " + " or ".join(f"/{p}/" for p in self.offence_matches))
        if self.flags_any:
            parts.append("flagged " + " or ".join(self.flags_any))
        if self.not_flags_any:
            parts.append("not flagged " + " or ".join(self.not_flags_any))
        if self.location_type_in:
            parts.append("location type is " + " or ".join(self.location_type_in))
        for inv in self.involves:
            parts.append(f"a {inv.role} aged {inv.age_min}-{inv.age_max}")
        return "; ".join(parts) if parts else "every incident"


@dataclass(frozen=True)
class Theme:
    """A theme with its label, source and rules (any rule suffices)."""

    theme: str
    label: str
    source: str
    rules: tuple[Rule, ...]


@dataclass(frozen=True)
class ThemeDefinitions:
    """One version of the definitions of every theme."""

    version: str
    published: str
    themes: tuple[Theme, ...] = field(default_factory=tuple)


def definitions_dir() -> Path:
    """The folder of the shipped definition files."""
    return Path(str(resources.files("transforms.themes").joinpath("definitions")))


def latest_definitions_path() -> Path:
    """The shipped definitions file with the highest version number."""
    files = sorted(definitions_dir().glob("themes_v*.yaml"), key=lambda p: int(re.sub(r"\D", "", p.stem) or 0))
    if not files:
        raise FileNotFoundError(f"no themes_v*.yaml in {definitions_dir()}")
    return files[-1]


def parse_definitions(doc: dict[str, Any]) -> ThemeDefinitions:
    """Validate a definitions document (as loaded from YAML) into `ThemeDefinitions`."""
    version = str(doc.get("version") or "")
    if not version:
        raise ValueError("theme definitions need a version")
    themes = []
    for name, body in (doc.get("themes") or {}).items():
        if not isinstance(name, str) or not _THEME_CODE.fullmatch(name):
            raise ValueError(f"theme code {name!r}: use lower-case letters, digits and _ (2-31 characters)")
        rules = []
        for i, r in enumerate(body.get("rules") or []):
            unknown = set(r) - _CONDITIONS
            if unknown:
                raise ValueError(f"{name}: unknown condition(s) {sorted(unknown)}")
            for key in ("flags_any", "not_flags_any"):
                bad = [f for f in r.get(key, []) if f not in FLAG_COLUMNS]
                if bad:
                    raise ValueError(f"{name}: unknown flag(s) {bad}")
            for pattern in r.get("offence_matches", []):
                re.compile(pattern)
            inv = []
            for item in r.get("involves", []):
                if item.get("role") not in ROLE_GROUPS:
                    raise ValueError(f"{name}: involves.role must be one of {sorted(ROLE_GROUPS)}")
                lo, hi = (int(x) for x in item["age"])
                inv.append(Involves(item["role"], lo, hi))
            rules.append(
                Rule(
                    rule_id=str(r.get("id") or f"{name}_{i + 1}"),
                    offence_group_in=tuple(r.get("offence_group_in", [])),
                    offence_matches=tuple(r.get("offence_matches", [])),
                    flags_any=tuple(r.get("flags_any", [])),
                    not_flags_any=tuple(r.get("not_flags_any", [])),
                    location_type_in=tuple(r.get("location_type_in", [])),
                    involves=tuple(inv),
                )
            )
        if not rules:
            raise ValueError(f"theme {name} has no rules")
        themes.append(Theme(name, str(body.get("label") or name), str(body.get("source") or "").strip(), tuple(rules)))
    return ThemeDefinitions(version, str(doc.get("published") or ""), tuple(themes))


def theme_codes(path: Path | None = None) -> tuple[str, ...]:
    """The theme codes of the definitions in force (default: the latest shipped version)."""
    return tuple(t.theme for t in load_definitions(path).themes)


def load_definitions(path: Path | None = None) -> ThemeDefinitions:
    """Read a definitions YAML file (default: the latest shipped version)."""
    p = path or latest_definitions_path()
    with open(p, encoding="utf-8") as fh:
        return parse_definitions(yaml.safe_load(fh))


def compile_rules(defs: ThemeDefinitions) -> tuple[str, dict[str, object]]:
    """One SELECT (incident_key, theme, rule_id) over core.incident, with its named parameters.

    Values enter as parameters; only flag column names (checked against `FLAG_COLUMNS`) are
    written into the SQL text.
    """
    params: dict[str, object] = {}

    def p(value: object) -> str:
        name = f"p{len(params)}"
        params[name] = value
        return f"${name}"

    selects = []
    for theme in defs.themes:
        for rule in theme.rules:
            conds: list[str] = []
            if rule.offence_group_in:
                conds.append(f"list_contains({p(list(rule.offence_group_in))}::varchar[], i.offence_group)")
            if rule.offence_matches:
                conds.append(
                    "("
                    + " or ".join(f"regexp_matches(lower(i.offence), {p(pat.lower())})" for pat in rule.offence_matches)
                    + ")"
                )
            if rule.flags_any:
                conds.append("(" + " or ".join(f"coalesce(i.{f}, false)" for f in rule.flags_any) + ")")
            if rule.not_flags_any:
                conds.append("not (" + " or ".join(f"coalesce(i.{f}, false)" for f in rule.not_flags_any) + ")")
            if rule.location_type_in:
                conds.append(f"list_contains({p(list(rule.location_type_in))}::varchar[], i.location_type)")
            for inv in rule.involves:
                conds.append(
                    "exists (select 1 from core.involvement v where v.incident_key = i.incident_key "
                    f"and list_contains({p(list(ROLE_GROUPS[inv.role]))}::varchar[], v.role) "
                    f"and v.age_at_event between {p(inv.age_min)} and {p(inv.age_max)})"
                )
            where = " and ".join(conds) if conds else "true"
            selects.append(
                f"select i.incident_key, {p(theme.theme)}::varchar as theme, "
                f"{p(rule.rule_id)}::varchar as rule_id from core.incident i where {where}"
            )
    body = (
        "\nunion all\n".join(selects)
        if selects
        else "select null::varchar as incident_key, null::varchar as theme, null::varchar as rule_id where false"
    )
    query = (
        "select incident_key, theme, min(rule_id) as rule_id, list(distinct rule_id order by rule_id) as rules\n"
        f"from (\n{body}\n) group by incident_key, theme"
    )
    return query, params


def definition_rows(defs: ThemeDefinitions) -> list[tuple[str, str, str, str, str, str, str, str]]:
    """Rows of marts.theme_definition: version, published, theme, label, rule_id, rule_text, source, rule_yaml."""
    rows = []
    for t in defs.themes:
        for r in t.rules:
            as_data = {
                k: v
                for k, v in {
                    "offence_group_in": list(r.offence_group_in),
                    "offence_matches": list(r.offence_matches),
                    "flags_any": list(r.flags_any),
                    "not_flags_any": list(r.not_flags_any),
                    "location_type_in": list(r.location_type_in),
                    "involves": [{"role": i.role, "age": [i.age_min, i.age_max]} for i in r.involves],
                }.items()
                if v
            }
            rows.append(
                (
                    defs.version,
                    defs.published,
                    t.theme,
                    t.label,
                    r.rule_id,
                    r.text(),
                    t.source,
                    yaml.safe_dump(as_data, sort_keys=False).strip(),
                )
            )
    return rows


def apply_definitions(con: duckdb.DuckDBPyConnection, defs: ThemeDefinitions) -> dict[str, int]:
    """(Re)write core.incident_theme and marts.theme_definition for `defs`; returns incidents per theme."""
    query, params = compile_rules(defs)
    with transaction(con):
        stmts = sql.statements("core/incident_theme")
        con.execute(stmts[0])  # create the table
        con.execute(_insert_sql(query), {"version": defs.version, **params})
        for stmt in stmts[1:]:
            con.execute(stmt)
        mstmts = sql.statements("marts/theme_definition")
        con.execute(mstmts[0])  # create the table
        con.executemany(
            "insert into marts.theme_definition values (?, ?, ?, ?, ?, ?, ?, ?, 0)",
            [list(r) for r in definition_rows(defs)],
        )
        for stmt in mstmts[1:]:
            con.execute(stmt)
        con.execute("""update marts.theme_definition d set incidents = c.n from
                       (select theme, rule_id, count(*) as n from core.incident_theme group by all) c
                       where c.theme = d.theme and c.rule_id = d.rule_id""")
    rows = con.execute("select theme, count(*) from core.incident_theme group by theme order by theme").fetchall()
    counts = {str(t): int(n) for t, n in rows}
    logger.info("themes %s: %s", defs.version, counts)
    return counts


def _insert_sql(query: str) -> str:
    return (
        "insert into core.incident_theme (incident_key, theme, definitions_version, rule_id, rules) "
        f"select incident_key, theme, $version, rule_id, rules from ({query})"
    )
