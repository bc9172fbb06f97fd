"""The one plan of what runs: which assets a monthly run builds and which only on request.

Two separate asset tags, read by the schedule's job, the inbox sensor (through that job), the
analyst copy's dependencies and `lantern refresh` (pipelines/runs.py):

* `lantern/run`: `monthly` (every monthly run builds it) or `on_request` (built only when asked:
  `lantern publish --analysts`). Untagged assets are monthly.
* `lantern/visibility`: `partners` (published to the partnership), `analysts` (the analyst copy
  and ad-hoc SQL) or `restricted` (named analysts only). It says who may see an asset's output,
  never when it runs.
"""

from __future__ import annotations

from collections.abc import Iterable

import dagster as dg

RUN_TAG = "lantern/run"
VISIBILITY_TAG = "lantern/visibility"


def tags(run: str = "monthly", visibility: str = "analysts") -> dict[str, str]:
    """An asset's two tags: when it runs and who may see what it writes."""
    if run not in ("monthly", "on_request"):
        raise ValueError(f"unknown run plan {run!r}")
    if visibility not in ("partners", "analysts", "restricted"):
        raise ValueError(f"unknown visibility {visibility!r}")
    return {RUN_TAG: run, VISIBILITY_TAG: visibility}


def monthly_selection() -> dg.AssetSelection:
    """What a monthly run builds: every asset but those built only on request."""
    return dg.AssetSelection.all() - dg.AssetSelection.tag(RUN_TAG, "on_request")


def is_monthly(asset: dg.AssetsDefinition, key: dg.AssetKey) -> bool:
    """Whether a monthly run builds `key` (of `asset`)."""
    return asset.tags_by_key.get(key, {}).get(RUN_TAG, "monthly") == "monthly"


def monthly_keys(assets: Iterable[dg.AssetsDefinition]) -> list[str]:
    """The keys a monthly run builds, in definition order."""
    return [k.to_user_string() for a in assets for k in a.keys if is_monthly(a, k)]


def writes_warehouse(asset: dg.AssetsDefinition) -> bool:
    """Assets that write `core` or `marts` (DuckDB, unpartitioned): the analyst copy follows them;
    pages and partitioned loads are not among them."""
    kinds = set().union(*(spec.kinds for spec in asset.specs_by_key.values()))
    return asset.partitions_def is None and "duckdb" in kinds and "html" not in kinds
