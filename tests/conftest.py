"""Shared fixtures: the sample warehouse is built once per test session."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "data" / "sample"
SHARED_DATA = ROOT.parent / "shared" / "data"


@pytest.fixture(scope="session")
def sample_settings(tmp_path_factory: pytest.TempPathFactory):
    """Settings for a warehouse built from data/sample in a temporary folder."""
    from pipelines.settings import load_settings

    tmp = tmp_path_factory.mktemp("sample")
    return load_settings(
        inbox=str(SAMPLE), warehouse=str(tmp / "warehouse.duckdb"), build=str(tmp / "build"), pseudonym_key="test-key"
    )


@pytest.fixture(scope="session")
def sample_warehouse(sample_settings) -> Path:
    """The sample borough refreshed end to end through the Dagster assets (once per session)."""
    from pipelines.runs import refresh
    from transforms.extracts.delivery import list_months

    months = list_months(SAMPLE)
    refresh(sample_settings, months, months[-1], progress=lambda m: None)
    return sample_settings.warehouse


@pytest.fixture()
def sample_con(sample_warehouse: Path):
    """A read-only connection to the sample warehouse."""
    con = duckdb.connect(str(sample_warehouse), read_only=True)
    yield con
    con.close()
