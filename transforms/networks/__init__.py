"""Lantern's network layer: who a young person is with and where (contextual safeguarding).

* `edges`/SQL: evidence of two people together (crimes, missing episodes, MAP meetings, places)
  becomes `marts.peer_evidence` and `marts.peer_edge`, each link with its source and reliability.
* `groups`: monthly peer graphs (networkx) with decaying ties; Leiden communities, seeded.
* `tracking`: stable group ids across months; births, deaths, merges and splits.
* `build`: the marts, including group and place profiles and the peer-on-peer overlap.
* `real`: the same code path on published gang networks (London, Montreal).
"""

from transforms.networks.build import build_group_profiles, build_peer_bridge, build_peer_network
from transforms.networks.params import NetworkParams

__all__ = ["NetworkParams", "build_group_profiles", "build_peer_bridge", "build_peer_network"]
