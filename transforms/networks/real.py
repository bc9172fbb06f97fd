"""Published gang networks loaded into the peer-graph shape, to test the group finding on real data.

The UCINET covert-network matrices (via NPSCORELAB/COREnets) are adjacency matrices with node
labels in the first row and column and a UTF-8 byte-order mark: the London gang (Grund & Densley
2015, co-offending ties valued 1-4 among 54 members) and Montreal street gangs (Descormiers &
Morselli 2011, ties among 35 gangs, with each gang's recorded allegiance). They become a frame of
pairs (person_key_a, person_key_b, weight) and go through `pair_graph` and `find_communities`,
the same functions that find the borough's peer groups.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd

logger = logging.getLogger(__name__)


def load_adjacency(path: Path) -> pd.DataFrame:
    """Pairs (person_key_a < person_key_b, weight) from a labelled adjacency matrix CSV.

    An asymmetric matrix is symmetrised by taking the larger of the two directions.
    """
    m = pd.read_csv(path, index_col=0, encoding="utf-8-sig")
    labels = [str(x).strip() for x in m.index]
    cols = [str(x).strip() for x in m.columns]
    if labels != cols:
        raise ValueError(f"{path}: row and column labels differ; not an adjacency matrix")
    a = np.nan_to_num(m.to_numpy(dtype=float))
    a = np.maximum(a, a.T)
    i, j = np.nonzero(np.triu(a, k=1))
    lo = [min(labels[x], labels[y]) for x, y in zip(i, j, strict=True)]
    hi = [max(labels[x], labels[y]) for x, y in zip(i, j, strict=True)]
    logger.debug("%s: %d nodes, %d ties", path.name, len(labels), len(lo))
    return pd.DataFrame({"person_key_a": lo, "person_key_b": hi, "weight": a[i, j]})


def load_attributes(path: Path) -> pd.DataFrame:
    """The node attributes file (`*_ATTR.csv`), indexed by label."""
    attrs = pd.read_csv(path, index_col=0, encoding="utf-8-sig")
    attrs.index = [str(x).strip() for x in attrs.index]
    return attrs
