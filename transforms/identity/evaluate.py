"""Linkage quality against a known truth, and adapters from public benchmarks to person records.

Measures. Pairwise precision, recall and F1 over all record pairs (Christen 2012, *Data
Matching*, ch. 7), computed from the contingency table of predicted x true clusters without
enumerating pairs; B-cubed precision and recall (Bagga & Baldwin 1998), which weigh every record
equally and so are not dominated by the largest clusters; and the share of true persons whose
records were recovered as exactly one predicted cluster (cluster-level exact match).
"""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd

logger = logging.getLogger(__name__)


def _pairs(counts: pd.Series) -> float:
    c = counts.astype("float64")
    return float((c * (c - 1) / 2).sum())


def link_quality(predicted: pd.Series, truth: pd.Series) -> dict[str, float]:
    """Pairwise, B-cubed and exact-cluster measures of predicted vs true cluster labels."""
    frame = pd.DataFrame({"p": predicted.to_numpy(), "t": truth.to_numpy()})
    cell = frame.groupby(["p", "t"]).size()
    p_size = frame.groupby("p").size()
    t_size = frame.groupby("t").size()
    tp = _pairs(cell)
    pred_pairs = _pairs(p_size)
    true_pairs = _pairs(t_size)
    precision = tp / pred_pairs if pred_pairs else 1.0
    recall = tp / true_pairs if true_pairs else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    # B-cubed: per record, share of its predicted cluster that is truly its person, and v.v.
    cells = cell.rename("n").reset_index()
    cells["ps"] = cells["p"].map(p_size)
    cells["ts"] = cells["t"].map(t_size)
    n = len(frame)
    b_prec = float((cells["n"] ** 2 / cells["ps"]).sum() / n)
    b_rec = float((cells["n"] ** 2 / cells["ts"]).sum() / n)
    b_f1 = 2 * b_prec * b_rec / (b_prec + b_rec) if b_prec + b_rec else 0.0
    exact = cells[(cells["n"] == cells["ps"]) & (cells["n"] == cells["ts"])]
    return {
        "records": float(n),
        "true_persons": float(len(t_size)),
        "predicted_persons": float(len(p_size)),
        "pair_precision": precision,
        "pair_recall": recall,
        "pair_f1": f1,
        "true_pairs": true_pairs,
        "predicted_pairs": pred_pairs,
        "bcubed_precision": b_prec,
        "bcubed_recall": b_rec,
        "bcubed_f1": b_f1,
        "exact_cluster_recall": len(exact) / len(t_size) if len(t_size) else 1.0,
        "exact_cluster_precision": len(exact) / len(p_size) if len(p_size) else 1.0,
    }


def exact_match_baseline(records: pd.DataFrame) -> pd.Series:
    """Cluster labels of the plain baseline: same normalised forename, surname and date of birth."""
    from transforms.identity.features import prepare_features

    f = prepare_features(records).reset_index(drop=True)
    key = f["fn"].astype(str) + "|" + f["sn"].astype(str) + "|" + f["dob_s"].astype(str)
    complete = f["fn"].notna() & f["sn"].notna() & f["dob_s"].notna()
    key = key.where(complete, "row|" + pd.Series(range(len(f))).astype(str))
    return pd.Series(pd.factorize(key)[0])


def febrl_records(path: Path) -> tuple[pd.DataFrame, pd.Series]:
    """A FEBRL dataset as person records (RECORD_COLUMNS) and its true person labels."""
    raw = pd.read_csv(path, sep=r",\s*", engine="python", dtype=str, skipinitialspace=True)
    raw.columns = [c.strip() for c in raw.columns]
    raw = raw.apply(lambda s: s.str.strip()).replace({"": None})
    truth = raw["rec_id"].str.extract(r"rec-(\d+)-")[0]
    records = pd.DataFrame(
        {
            "source": "febrl",
            "source_key": raw["rec_id"],
            "agency": "febrl",
            "agency_id": None,
            "forename": raw["given_name"],
            "surname": raw["surname"],
            "dob": raw["date_of_birth"],
            "gender": None,
            "postcode": raw["postcode"],
        }
    )
    return records, truth


def historical_records(path: Path) -> tuple[pd.DataFrame, pd.Series]:
    """splink's historical_figures_with_errors_50k as person records and true person labels."""
    raw = pd.read_parquet(path)
    records = pd.DataFrame(
        {
            "source": "historical",
            "source_key": raw["unique_id"].astype(str),
            "agency": "historical",
            "agency_id": None,
            "forename": raw["first_name"],
            "surname": raw["surname"],
            "dob": raw["dob"],
            "gender": raw["gender"].map({"male": "M", "female": "F"}),
            "postcode": raw["postcode_fake"],
        }
    )
    return records, raw["cluster"].astype(str)


def febrl4_records(path_a: Path, path_b: Path) -> tuple[pd.DataFrame, pd.Series]:
    """FEBRL 4's two files (4a originals, 4b one duplicate each) as one set to deduplicate."""
    a, ta = febrl_records(path_a)
    b, tb = febrl_records(path_b)
    a["source"], b["source"] = "febrl4a", "febrl4b"
    return (pd.concat([a, b], ignore_index=True), pd.concat([ta, tb], ignore_index=True))


def blocking_reach(records: pd.DataFrame, truth: pd.Series, rules: list[str] | None = None) -> dict[str, float]:
    """Share of the true pairs that blocking can ever put in front of the model.

    A true pair is reachable when one of `rules` (default: the prediction blocking rules) holds
    for its two records' features, or the two records carry the same identity (they collapse into
    one node and are never scored), or the same agency ID. Pairs reached through a chain of other
    pairs are not counted: this is the share the model can see directly. Also returns the share
    reached by rules that do not use the date of birth."""
    import duckdb

    from transforms.identity.features import prepare_features
    from transforms.identity.model import PREDICT_BLOCKING, blocking_keys

    rules = list(PREDICT_BLOCKING if rules is None else rules)
    f = prepare_features(records.reset_index(drop=True)).reset_index(drop=True)
    f.insert(0, "rid", range(len(f)))
    f["t"] = truth.astype(str).to_numpy()
    f["agency"] = records["agency"].astype(str).to_numpy()
    f["agency_id"] = records["agency_id"].astype(object).where(records["agency_id"].notna(), None).to_numpy()
    for c in ("by", "bm", "bd"):
        f[c] = f[c].astype("float64")
    # the capped keys count identity nodes: records written identically count once
    ident = ["fn", "sn", "dob_s", "sex", "pc", "pc_out", "agency", "agency_id"]
    distinct = f.drop_duplicates(subset=ident)
    keys = pd.concat([distinct[ident], blocking_keys(distinct)], axis=1)
    f = f.merge(keys, on=ident, how="left")
    same = (
        "(l.fn is not distinct from r.fn and l.sn is not distinct from r.sn and "
        "l.dob_s is not distinct from r.dob_s and l.pc is not distinct from r.pc)"
    )
    ids = "(l.agency = r.agency and l.agency_id = r.agency_id)"
    no_dob = [r for r in rules if "dob" not in r and ".by" not in r]
    con = duckdb.connect()
    try:
        con.register("f", f)

        def count(conds: list[str]) -> int:
            if not conds:
                return 0
            where = " or ".join(f"({c})" for c in conds)
            return int(
                con.execute(
                    f"select count(*) from f l join f r on l.t = r.t and l.rid < r.rid where {where}"
                ).fetchall()[0][0]
            )

        total = int(con.execute("select count(*) from f l join f r on l.t = r.t and l.rid < r.rid").fetchall()[0][0])
        reached = count([same, ids, *rules])
        reached_no_dob = count([same, ids, *no_dob])
    finally:
        con.close()
    return {
        "true_pairs": float(total),
        "reached": float(reached),
        "reach": reached / total if total else 1.0,
        "reach_without_dob": reached_no_dob / total if total else 1.0,
    }
