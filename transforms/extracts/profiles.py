"""Source profiles: how one borough's export maps onto the canonical contract.

A profile is a small YAML file per source. It names the file, its encoding, its date formats,
its column names where they differ from the canonical ones, and code maps. The shipped
`profiles/canonical/` set is the identity profile the synthetic sample uses; a borough adds its
own folder of YAML files (see README, "Adding a borough").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from transforms.extracts.contract import SOURCE_BY_NAME


class ProfileError(ValueError):
    """A profile that cannot be used, with the file and what is wrong."""


@dataclass(frozen=True)
class Profile:
    """How to read one source's export."""

    source: str
    file: str
    sheet: str | None = None
    encoding: str = "auto"
    delimiter: str = ","
    date_formats: tuple[str, ...] = ("%d/%m/%Y",)
    datetime_formats: tuple[str, ...] = ("%d/%m/%Y %H:%M", "%d/%m/%Y %H:%M:%S")
    true_values: tuple[str, ...] = ("Y",)
    false_values: tuple[str, ...] = ("N",)
    list_separator: str = ";"
    columns: dict[str, str] = field(default_factory=dict)
    codes: dict[str, dict[str, str]] = field(default_factory=dict)

    def exported(self, canonical: str) -> str:
        """The export's name for a canonical column."""
        return self.columns.get(canonical, canonical)


_KNOWN_KEYS = {
    "source",
    "file",
    "sheet",
    "encoding",
    "delimiter",
    "date_format",
    "datetime_format",
    "flags",
    "list_separator",
    "columns",
    "codes",
    "description",
}


def _as_tuple(value: Any, default: tuple[str, ...]) -> tuple[str, ...]:
    if value is None:
        return default
    if isinstance(value, str):
        return (value,)
    return tuple(str(v) for v in value)


def parse_profile(data: dict[str, Any], origin: str = "<profile>") -> Profile:
    """A `Profile` from parsed YAML, checked against the contract."""
    unknown = set(data) - _KNOWN_KEYS
    if unknown:
        raise ProfileError(f"{origin}: unknown keys {sorted(unknown)}")
    name = data.get("source")
    if name not in SOURCE_BY_NAME:
        raise ProfileError(f"{origin}: 'source' must be one of {sorted(SOURCE_BY_NAME)}, got {name!r}")
    source = SOURCE_BY_NAME[name]
    columns = {str(k): str(v) for k, v in (data.get("columns") or {}).items()}
    bad = set(columns) - set(source.column_names)
    if bad:
        raise ProfileError(f"{origin}: maps unknown canonical columns {sorted(bad)}")
    codes = {str(k): {str(a): str(b) for a, b in v.items()} for k, v in (data.get("codes") or {}).items()}
    flags = data.get("flags") or {}
    return Profile(
        source=name,
        file=str(data.get("file") or source.file),
        sheet=data.get("sheet", source.sheet),
        encoding=str(data.get("encoding", "auto")).lower(),
        delimiter=str(data.get("delimiter", ",")),
        date_formats=_as_tuple(data.get("date_format"), Profile.date_formats),
        datetime_formats=_as_tuple(data.get("datetime_format"), Profile.datetime_formats),
        true_values=_as_tuple(flags.get("true"), Profile.true_values),
        false_values=_as_tuple(flags.get("false"), Profile.false_values),
        list_separator=str(data.get("list_separator", ";")),
        columns=columns,
        codes=codes,
    )


def load_profile(path: Path) -> Profile:
    """Read one profile YAML file."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise ProfileError(f"{path}: not valid YAML: {exc}") from exc
    return parse_profile(data, str(path))


def canonical_profiles() -> dict[str, Profile]:
    """The identity profiles shipped with Lantern (the synthetic sample's)."""
    folder = resources.files("transforms.extracts").joinpath("profiles/canonical")
    out: dict[str, Profile] = {}
    for entry in folder.iterdir():
        if entry.name.endswith(".yaml"):
            data = yaml.safe_load(entry.read_text(encoding="utf-8")) or {}
            p = parse_profile(data, entry.name)
            out[p.source] = p
    return out


def load_profiles(folder: Path | None) -> dict[str, Profile]:
    """Canonical profiles, overridden by any `<source>.yaml` in `folder`."""
    profiles = canonical_profiles()
    if folder is not None and folder.is_dir():
        for path in sorted(folder.glob("*.yaml")):
            p = load_profile(path)
            profiles[p.source] = p
    return profiles
