"""Stable person keys across refreshes, and the merge/split events that explain changes.

Rationale. Cluster labels from one linkage run mean nothing in the next; analysts' history (a
person's incidents, a peer group's members) needs the same `person_key` for the same person month
after month. Each new cluster therefore inherits the key that most of its records held in the
previous run (the majority-vote rule used to carry cluster identities through time in evolving
clustering, e.g. Greene, Doyle & Cunningham 2010, "Tracking the evolution of communities in
dynamic social networks", ASONAM). When an old key's records now fall in several clusters (a
split) the cluster holding most of them keeps it; when one cluster holds records of several old
keys (a merge) it keeps the key of the majority. Every other cluster gets a fresh keyed hash
(HMAC) of its smallest record reference, salted on the rare collision. Merges and splits are
returned as events so downstream history stays explainable.
"""

from __future__ import annotations

import logging

import pandas as pd

from transforms.identity.pseudonym import person_key

logger = logging.getLogger(__name__)


def assign_keys(links: pd.DataFrame, previous: pd.DataFrame, *, secret: str,
                run_id: str) -> tuple[pd.Series, pd.DataFrame]:
    """Person key per row of `links` (source, source_key, cluster) and the run's events.

    `previous` holds the last run's map (source, source_key, person_key); it may be empty.
    Events: run_id, event ('merge'|'split'), person_key, related_person_keys (list), records.
    """
    ref = links["source"].astype(str) + "|" + links["source_key"].astype(str)
    frame = pd.DataFrame({"ref": ref.to_numpy(), "cluster": links["cluster"].to_numpy()})
    if len(previous):
        prev = pd.Series(previous["person_key"].to_numpy(),
                         index=(previous["source"].astype(str) + "|" + previous["source_key"].astype(str)))
        prev = prev[~prev.index.duplicated()]
        frame["old"] = frame["ref"].map(prev)
    else:
        frame["old"] = None

    # candidate inheritances, strongest first: (records carried, cluster size) for each pair
    votes = (frame.dropna(subset=["old"]).groupby(["cluster", "old"]).size().rename("n").reset_index())
    size = frame.groupby("cluster").size()
    votes["size"] = votes["cluster"].map(size)
    votes = votes.sort_values(["n", "size", "old"], ascending=[False, False, True], kind="stable")
    key_of: dict[object, str] = {}
    taken: set[str] = set()
    for cluster, old in zip(votes["cluster"], votes["old"], strict=True):
        if cluster in key_of or old in taken:
            continue
        key_of[cluster] = old
        taken.add(old)
    # fresh keys for the rest, from the smallest record reference of each cluster
    all_old = set(frame["old"].dropna())
    rep = frame.groupby("cluster")["ref"].min()
    for cluster, r in rep.items():
        if cluster in key_of:
            continue
        salt, key = 0, person_key(secret, r)
        while key in taken or (key in all_old and key not in taken):
            salt += 1
            key = person_key(secret, f"{r}#{salt}")
        key_of[cluster] = key
        taken.add(key)
    keys = frame["cluster"].map(key_of)

    events = []
    if len(previous):
        frame["new"] = keys.to_numpy()
        known = frame.dropna(subset=["old"])
        # only keys with more than one counterpart are events: find them vectorised, then list
        for by, other, event in (("new", "old", "merge"), ("old", "new", "split")):
            spread = known.groupby(by)[other].nunique()
            moved = known[known[by].isin(spread.index[spread > 1])]
            for k, grp in moved.groupby(by):
                events.append({"run_id": run_id, "event": event, "person_key": k,
                               "related_person_keys": sorted(set(grp[other])), "records": int(len(grp))})
        events.sort(key=lambda e: (e["event"] != "merge", e["person_key"]))
    ev = pd.DataFrame(events, columns=["run_id", "event", "person_key", "related_person_keys", "records"])
    return pd.Series(keys.to_numpy(), index=links.index, name="person_key"), ev
