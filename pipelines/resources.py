"""Dagster resources: the warehouse connection and Lantern's settings."""


import dagster as dg
from dagster_duckdb import DuckDBResource

from pipelines.settings import Settings, load_settings


class LanternConfig(dg.ConfigurableResource):
    """Paths and keys of one Lantern deployment (defaults from the environment)."""

    inbox: str
    profiles: str
    build: str
    pseudonym_key: str
    small_count: int = 5

    @classmethod
    def from_settings(cls, s: Settings) -> "LanternConfig":
        """The resource for resolved settings."""
        return cls(inbox=str(s.inbox), profiles=str(s.profiles), build=str(s.build),
                   pseudonym_key=s.pseudonym_key, small_count=s.small_count)


def build_resources(settings: Settings | None = None) -> dict[str, object]:
    """The resources every Lantern asset can ask for."""
    s = settings or load_settings()
    s.warehouse.parent.mkdir(parents=True, exist_ok=True)
    return {
        "duckdb": DuckDBResource(database=str(s.warehouse)),
        "lantern": LanternConfig.from_settings(s),
    }
