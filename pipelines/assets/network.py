"""Network assets: the peer graph, monthly peer groups and the group and place profiles."""

import dagster as dg
from dagster_duckdb import DuckDBResource

from pipelines import plan
from pipelines.assets.ingest import WAREHOUSE_POOL
from pipelines.resources import LanternConfig
from transforms.networks import NetworkParams, build_group_profiles, build_peer_bridge, build_peer_network


class NetworkConfig(dg.Config):
    """Settings of the peer graph a borough may change (defaults: transforms.networks.params)."""

    half_life_months: float = NetworkParams.half_life_months
    same_place_window_days: int = NetworkParams.same_place_window_days
    same_place_crowd_max: int = NetworkParams.same_place_crowd_max
    objective: str = NetworkParams.objective
    resolution: float = NetworkParams.resolution
    seed: int = NetworkParams.seed

    def params(self) -> NetworkParams:
        """The transform's parameters."""
        return NetworkParams(
            half_life_months=self.half_life_months,
            objective=self.objective,
            resolution=self.resolution,
            same_place_window_days=self.same_place_window_days,
            same_place_crowd_max=self.same_place_crowd_max,
            seed=self.seed,
        )


@dg.asset(group_name="network", kinds={"duckdb"}, deps=["person_marts"], pool=WAREHOUSE_POOL)
def peer_network(duckdb: DuckDBResource, config: NetworkConfig, lantern: LanternConfig) -> dg.MaterializeResult:
    """Peer evidence and edges (each with source records and reliability), monthly peer groups
    with stable ids and their births, deaths, merges and splits (marts.peer_evidence, peer_edge,
    peer_group, peer_group_event); their profiles are `group_profiles`."""
    with duckdb.get_connection() as con:
        counts = build_peer_network(con, config.params(), workers=lantern.network_workers)
    return dg.MaterializeResult(
        metadata={
            (f"rows_{k.split('.')[1]}" if k.startswith("marts.") else k.replace(".", "_")): v for k, v in counts.items()
        }
    )


@dg.asset(group_name="network", kinds={"duckdb"}, deps=["peer_network"], pool=WAREHOUSE_POOL)
def group_profiles(duckdb: DuckDBResource, config: NetworkConfig) -> dg.MaterializeResult:
    """Each month's group and place profiles and the peer-on-peer overlap (marts.group_place,
    peer_group_profile, place_profile, peer_on_peer), rebuilt from the committed groups in a
    transaction of their own (the network's one transaction ran out of memory at London with
    them inside it)."""
    with duckdb.get_connection() as con:
        counts = build_group_profiles(con, config.params())
    return dg.MaterializeResult(metadata={f"rows_{k.split('.')[1]}": v for k, v in counts.items()})


@dg.asset(
    group_name="network",
    kinds={"duckdb"},
    deps=["peer_network"],
    pool=WAREHOUSE_POOL,
    tags=plan.tags("monthly", "restricted"),
)
def bridging_view(duckdb: DuckDBResource, config: NetworkConfig) -> dg.MaterializeResult:
    """RESTRICTED, analysts' edition only: young people whose ties reach two or more peer groups
    (marts.peer_bridge), with the groups they link. No score, no ranking; never published."""
    with duckdb.get_connection() as con:
        counts = build_peer_bridge(con, config.params())
    return dg.MaterializeResult(metadata={"rows_peer_bridge": counts["marts.peer_bridge"]})
