"""The probabilistic linkage model: splink (Fellegi-Sunter) on DuckDB, trained from the data.

Method. Fellegi & Sunter (1969), "A theory for record linkage", JASA 64(328), as implemented by
splink (Linacre et al. 2022, Ministry of Justice): each pair of records is compared column by
column into discrete agreement levels; the model holds, per level, m = P(level | same person) and
u = P(level | different people) and sums log2(m/u) into a match weight. Training:

1. u from random sampling of record pairs (almost all random pairs are non-matches);
2. the prior (probability two random records match) from the deterministic rules (exact name
   and date of birth; shared agency person ID) at an assumed recall;
3. m by expectation maximisation on two blocking rules (same date of birth; same forename group
   and surname skeleton), each training the comparisons it does not block on;
4. m re-estimated from the deterministic seeds: pairs of records sharing an agency person ID
   (social-care child_id, UPN, police nominal ID) are the same person, so the noise *agencies
   themselves* record for one child (a nickname on one referral, a swapped date on another) is
   a direct measurement of m (`estimate_m_from_label_column`). EM alone confuses twins and
   same-named parents (same surname, date of birth or postcode) with matches, because those
   fields are not independent within a family; the labelled m corrects that, and EM's values
   stand for the levels the labels cannot observe (different IDs within one agency).

Comparisons cover the recording noise seen in police, social care and education extracts:
forename and surname (exact with term-frequency adjustment, swapped order, nickname or
transliteration group, hyphenated-part overlap, edit distance, consonant skeleton), date of birth
(exact, day/month swap, `01/01` estimate, one-digit typo, same year), sex, postcode (full,
district) and the agency person ID (different IDs within one agency: strong evidence against,
weaker for police, where one child can hold two nominal IDs). Blocking rules are equi-joins on
bounded keys: the date of birth with a name key or postcode district, and name, household and
district keys that are dropped where more than BLOCK_CAP identities hold them (`blocking_keys`),
so the number of scored pairs grows roughly linearly with the number of records; a rule on a
name alone (or a name and a birth year) grows with the square of a common name's frequency.
"""

from __future__ import annotations

import copy
import logging
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from transforms.memory import ENGINE_CONFIG, release_memory

logger = logging.getLogger(__name__)

# Deterministic rules: used for the prior and as seed; they admit (almost) no false positives.
DETERMINISTIC_RULES = [
    "l.fn = r.fn and l.sn = r.sn and l.dob_s = r.dob_s",
    "l.agency = r.agency and l.agency_id = r.agency_id",
]

# Blocking rules for prediction: each an equi-join on a bounded key.
PREDICT_BLOCKING = [
    "l.dob_s = r.dob_s and l.fn_canon = r.fn_canon",
    "l.dob_s = r.dob_s and l.sn_sk = r.sn_sk",
    # names with the birth year, and swapped names: capped keys (`blocking_keys`), as below; left
    # uncapped they grew with the square of a common name's frequency (London-size borough:
    # 13.8M and 16.5M pairs against 0.11M and 0.07M at city size, for 19x the records)
    "l.bk_name_by = r.bk_name_by",
    "l.bk_fs = r.bk_sf",
    "l.fn = r.sn and l.dob_s = r.dob_s",
    "l.sn = r.fn and l.dob_s = r.dob_s",
    "l.dob_s = r.dob_s and l.pc_out = r.pc_out",
    # no date of birth needed: capped keys (`blocking_keys`), so a common name or a busy postcode
    # adds at most BLOCK_CAP - 1 pairs per identity (a missing date of birth on one side is
    # reached here: the uncapped rule on name keys where one side had no date was 44.7M of the
    # London-size borough's 114M pairs)
    "l.bk_name = r.bk_name",
    "l.bk_fn_pc = r.bk_fn_pc",
    "l.bk_sn_pc = r.bk_sn_pc",
    "l.bk_prefix = r.bk_prefix",
    "l.bk_pc = r.bk_pc",
]

#: Largest block a capped key forms: keys shared by more identity nodes are dropped (set null)
#: for that rule, and those pairs are left to the rules with a date of birth.
BLOCK_CAP = 30
BLOCKING_KEY_COLUMNS = ["bk_name", "bk_fn_pc", "bk_sn_pc", "bk_prefix", "bk_pc", "bk_name_by", "bk_fs", "bk_sf"]


def _codes(s: pd.Series | np.ndarray) -> np.ndarray:
    """Dense int64 codes of a column's values (-1 for a missing value)."""
    return np.asarray(pd.factorize(s, use_na_sentinel=True)[0], dtype=np.int64)


def _combine(*codes: np.ndarray) -> np.ndarray:
    """Dense codes of the tuples of `codes` (-1 where any part is missing): equal tuples, equal
    codes. Each step re-codes densely, so the product of two codes never leaves int64."""
    out = codes[0]
    for c in codes[1:]:
        missing = (out < 0) | (c < 0)
        joined = np.where(missing, -1, out * (int(c.max(initial=0)) + 1) + c)
        out = _codes(joined)
        out[missing] = -1
    return out


def blocking_keys(frame: pd.DataFrame, cap: int = BLOCK_CAP) -> pd.DataFrame:
    """The capped blocking keys of the scoring frame's identity nodes (BLOCKING_KEY_COLUMNS).

    Each key is a name key with no date of birth: forename group + surname skeleton; forename
    group + postcode district; surname skeleton + postcode district; the first three letters of
    the forename + the first four of the surname (a typo after them leaves the key unchanged);
    the full postcode (one household); and two with more: forename group + surname skeleton +
    birth year, and forename + surname against surname + forename (names recorded swapped). A
    key held by more than `cap` nodes is set null, so each rule compares a node with at most
    `cap - 1` others and the pairs grow linearly with the nodes whatever the names' frequencies.

    A key is an integer code of its parts' values, equal for equal parts (a key is only ever
    compared for equality, within one scoring): coded in numpy, not as joined strings (at London
    scale 27 s of pandas string work for 3.5 million identities, and eight string columns handed
    to the engine). `bk_fs` and `bk_sf` share one code space, since the rule compares them."""

    def capped(code: np.ndarray) -> pd.Series:
        kept = code >= 0
        counts = np.bincount(code[kept], minlength=int(code.max(initial=-1)) + 1)
        kept[kept] = counts[code[kept]] <= cap
        return pd.Series(pd.array(np.where(kept, code, 0), dtype="Int64"), index=frame.index).where(kept)

    fn_canon, sn_sk, pc_out = _codes(frame["fn_canon"]), _codes(frame["sn_sk"]), _codes(frame["pc_out"])
    fn, sn = frame["fn"].astype("string"), frame["sn"].astype("string")
    n = len(frame)
    # forename and surname coded in one space, so (fn, sn) and (sn, fn) are comparable
    both = _codes(pd.concat([fn, sn], ignore_index=True))
    fn_c, sn_c = both[:n], both[n:]
    swapped = _combine(np.concatenate([fn_c, sn_c]), np.concatenate([sn_c, fn_c]))
    return pd.DataFrame(
        {
            "bk_name": capped(_combine(fn_canon, sn_sk)),
            "bk_fn_pc": capped(_combine(fn_canon, pc_out)),
            "bk_sn_pc": capped(_combine(sn_sk, pc_out)),
            "bk_prefix": capped(_combine(_codes(fn.str[:3]), _codes(sn.str[:4]))),
            "bk_pc": capped(_codes(frame["pc"])),
            "bk_name_by": capped(_combine(fn_canon, sn_sk, _codes(frame["by"].astype("Int64")))),
            "bk_fs": capped(swapped[:n]),
            "bk_sf": capped(swapped[n:]),
        },
        index=frame.index,
    )


PAIR_COLUMNS = ["node_l", "node_r", "match_probability", "forename_agrees", "surname_agrees", "dob_agrees"]

TRAINING_BLOCKING = [
    "l.dob_s = r.dob_s",
    "l.fn_canon = r.fn_canon and l.sn_sk = r.sn_sk",
]


def _jw(a: str, b: str) -> str:
    return f"jaro_winkler_similarity({a}, {b})"


def _name_comparison(col: str, other: str, groups: str, label: str, parts: bool) -> dict[str, Any]:
    l_, r_ = f"{col}_l", f"{col}_r"
    cross_a, cross_b = _jw(f"{col}_l", f"{other}_r"), _jw(f"{other}_l", f"{col}_r")
    swap = (
        f"{l_} <> {r_} and (({cross_a} >= 0.92 and {cross_b} >= 0.92) or "
        f"({col}_l = {other}_r and {cross_b} >= 0.85) or ({other}_l = {col}_r and {cross_a} >= 0.85))"
    )
    if col == "fn":
        null = f"{l_} is null or {r_} is null"
        swap_level = [{"sql_condition": swap, "label_for_charts": "forename and surname swapped"}]
    else:
        # a swap is counted once, in the forename comparison; here it carries no weight
        null = f"{l_} is null or {r_} is null or ({swap})"
        swap_level = []
    levels: list[dict[str, Any]] = [
        {
            "sql_condition": null,
            "is_null_level": True,
            "label_for_charts": f"{label} missing" + ("" if col == "fn" else " (or swapped)"),
        },
        {
            "sql_condition": f"{l_} = {r_}",
            "label_for_charts": f"{label} exact",
            "tf_adjustment_column": col,
            "tf_adjustment_weight": 1.0,
        },
        *swap_level,
        {"sql_condition": f"list_has_any({groups}_l, {groups}_r)", "label_for_charts": f"{label} nickname or variant"},
    ]
    if parts:
        levels.append(
            {
                "sql_condition": "len(sn_parts_l) + len(sn_parts_r) > 2 and list_has_any(sn_parts_l, sn_parts_r)",
                "label_for_charts": "one part of a double-barrelled surname",
            }
        )
    levels += [
        {
            "sql_condition": f"damerau_levenshtein({l_}, {r_}) <= 1 or {_jw(l_, r_)} >= 0.94",
            "label_for_charts": f"{label} one edit",
        },
        {
            "sql_condition": f"{col[:2]}_sk_l = {col[:2]}_sk_r or {_jw(l_, r_)} >= 0.85",
            "label_for_charts": f"{label} same skeleton or similar",
        },
        {"sql_condition": "ELSE", "label_for_charts": "different"},
    ]
    return {"output_column_name": label, "comparison_levels": levels}


def _dob_comparison() -> dict[str, Any]:
    return {
        "output_column_name": "dob",
        "comparison_levels": [
            {"sql_condition": "by_l is null or by_r is null", "is_null_level": True, "label_for_charts": "dob missing"},
            {"sql_condition": "dob_s_l = dob_s_r and not dob_est_l", "label_for_charts": "dob exact"},
            {
                "sql_condition": "by_l = by_r and bm_l = bd_r and bd_l = bm_r and bm_l <> bd_l",
                "label_for_charts": "day and month swapped",
            },
            {
                "sql_condition": "by_l = by_r and (dob_est_l or dob_est_r)",
                "label_for_charts": "same year, one dob an 01/01 estimate",
            },
            {"sql_condition": "damerau_levenshtein(dob_s_l, dob_s_r) <= 1", "label_for_charts": "one digit different"},
            {"sql_condition": "abs(by_l - by_r) <= 1", "label_for_charts": "within a year"},
            {"sql_condition": "ELSE", "label_for_charts": "different"},
        ],
    }


def _simple(col: str, label: str, partial: str | None = None) -> dict[str, Any]:
    levels: list[dict[str, Any]] = [
        {
            "sql_condition": f"{col}_l is null or {col}_r is null",
            "is_null_level": True,
            "label_for_charts": f"{label} missing",
        },
        {"sql_condition": f"{col}_l = {col}_r", "label_for_charts": f"{label} equal"},
    ]
    if partial:
        levels.append({"sql_condition": f"{partial}_l = {partial}_r", "label_for_charts": f"{label} same district"})
    levels.append({"sql_condition": "ELSE", "label_for_charts": "different"})
    return {"output_column_name": label, "comparison_levels": levels}


def _postcode_comparison() -> dict[str, Any]:
    return {
        "output_column_name": "postcode",
        "comparison_levels": [
            {
                "sql_condition": "pc_out_l is null or pc_out_r is null",
                "is_null_level": True,
                "label_for_charts": "postcode missing",
            },
            {"sql_condition": "pc_l = pc_r", "label_for_charts": "full postcode equal"},
            {"sql_condition": "pc_out_l = pc_out_r", "label_for_charts": "same district"},
            {"sql_condition": "ELSE", "label_for_charts": "different"},
        ],
    }


def _agency_id_comparison(agencies: list[str]) -> dict[str, Any]:
    levels: list[dict[str, Any]] = [
        {
            "sql_condition": "agency_id_l is null or agency_id_r is null or agency_l <> agency_r",
            "is_null_level": True,
            "label_for_charts": "no comparable agency ID",
        },
        {"sql_condition": "agency_id_l = agency_id_r", "label_for_charts": "same agency ID"},
    ]
    for a in agencies:
        levels.append({"sql_condition": f"agency_l = '{a}'", "label_for_charts": f"different {a} IDs"})
    levels.append({"sql_condition": "ELSE", "label_for_charts": "different agency IDs"})
    return {"output_column_name": "agency_id", "comparison_levels": levels}


# Comparisons whose m the agency-ID labels can measure (the agency-ID comparison itself cannot).
LABELLED_COMPARISONS = ("forename", "surname", "dob", "sex", "postcode")
PRIOR_PAIRS = 20.0  # weight of EM's m as a prior, in pseudo-pairs


def _label_pairs(labels: pd.Series) -> int:
    counts = labels.dropna().value_counts()
    return int((counts * (counts - 1) // 2).sum())


def combine_m(
    em_model: dict[str, Any], label_model: dict[str, Any], label_pairs: int, prior_pairs: float = PRIOR_PAIRS
) -> dict[str, Any]:
    """EM's m as a prior updated by the labelled pairs: m = (n * m_label + k * m_em) / (n + k)."""
    out = copy.deepcopy(em_model)
    labelled = {c["output_column_name"]: c for c in label_model["comparisons"]}
    for comp in out["comparisons"]:
        name = comp["output_column_name"]
        if name not in LABELLED_COMPARISONS or name not in labelled:
            continue
        levels = [lv for lv in comp["comparison_levels"] if not lv.get("is_null_level")]
        lab_levels = [lv for lv in labelled[name]["comparison_levels"] if not lv.get("is_null_level")]
        raw = []
        for lv, lab in zip(levels, lab_levels, strict=True):
            m_em = lv.get("m_probability") or 0.0
            m_lab = lab.get("m_probability") or 0.0
            raw.append((label_pairs * m_lab + prior_pairs * m_em) / (label_pairs + prior_pairs))
        total = sum(raw) or 1.0
        for lv, m in zip(levels, raw, strict=True):
            lv["m_probability"] = max(m / total, 1e-6)
    return out


def _agrees_sql(model: dict[str, Any], comparison: str, bottom: int = 1) -> str:
    """SQL true unless the pair falls in one of the comparison's `bottom` levels."""
    for comp in model["comparisons"]:
        if comp["output_column_name"] == comparison:
            conds = [lvl["sql_condition"] for lvl in comp["comparison_levels"]][:-bottom]
            return "coalesce(" + " or ".join(f"({c})" for c in conds) + ", false)"
    return "true"


def settings(agencies: list[str]) -> dict[str, Any]:
    """The splink settings (untrained) for identity nodes of the given agencies."""
    comparisons = [
        _name_comparison("fn", "sn", "fn_groups", "forename", parts=False),
        _name_comparison("sn", "fn", "sn_groups", "surname", parts=True),
        _dob_comparison(),
        _simple("sex", "sex"),
        _postcode_comparison(),
    ]
    if agencies:
        comparisons.append(_agency_id_comparison(sorted(agencies)))
    return {
        "link_type": "dedupe_only",
        "unique_id_column_name": "node_id",
        "comparisons": comparisons,
        "blocking_rules_to_generate_predictions": PREDICT_BLOCKING,
        "retain_intermediate_calculation_columns": False,
        "retain_matching_columns": True,
        "additional_columns_to_retain": [],
    }


def _levels(model: dict[str, Any]) -> list[tuple[str, list[str]]]:
    return [
        (c["output_column_name"], [str(lv.get("sql_condition")) for lv in c["comparison_levels"]])
        for c in model.get("comparisons", [])
    ]


def compatible(saved: dict[str, Any] | None, agencies: list[str]) -> bool:
    """Whether a saved model scores nodes of `agencies` with today's comparisons and blocking
    (same comparison levels, same rules): only then may it be reused without training."""
    if not saved:
        return False
    fresh = settings(sorted(agencies))
    rules = [
        r if isinstance(r, str) else r.get("blocking_rule")
        for r in saved.get("blocking_rules_to_generate_predictions", [])
    ]
    return _levels(saved) == _levels(fresh) and rules == PREDICT_BLOCKING


# Training sees at most this many identity nodes. EM on "same date of birth" compares every pair
# born on one day, which grows with the square of the records per day: at London scale (millions
# of nodes) that is billions of pairs. A sample of whole deterministic clusters (so that the
# agency-ID labels and EM's matches stay intact) estimates the same parameters; prediction still
# scores every node.
MAX_TRAINING_NODES = 200_000
# The scoring database's memory limit (`LANTERN_LINK_MEMORY_LIMIT`): the candidate pairs of a
# London-scale run spill to disk beyond it instead of growing with the number of pairs.
LINK_MEMORY_LIMIT = "4GB"


def scratch_connection(workdir: Path | None = None, memory_limit: str = LINK_MEMORY_LIMIT) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB for identity's joins of registered frames, under its memory limit;
    what it spills goes to the pipeline's private work folder when one is given."""
    spill = {"temp_directory": str(Path(workdir) / "scratch")} if workdir else {}
    return duckdb.connect(config={"memory_limit": memory_limit, **ENGINE_CONFIG, **spill})


# Above this many identity nodes, pairs are scored in k x k chunks (splink's num_chunks_left/right).
NODES_PER_CHUNK = 1_000_000


def training_sample(nodes: pd.DataFrame, cap: int = MAX_TRAINING_NODES, seed: int = 42) -> pd.DataFrame:
    """`nodes` itself when small enough, else whole `det_cluster`s drawn at random up to `cap` nodes."""
    if len(nodes) <= cap:
        return nodes
    sizes = nodes.groupby("det_cluster").size()
    order = np.random.default_rng(seed).permutation(len(sizes))
    picked = sizes.iloc[order]
    keep = picked.index[picked.cumsum().to_numpy() <= cap]
    out = nodes[nodes["det_cluster"].isin(keep)]
    logger.info("training on %d of %d identity nodes (%d clusters)", len(out), len(nodes), len(keep))
    return out


def _linker(sdf: Any, model: Any) -> Any:
    """A splink Linker over the registered table `sdf`, without splink's settings validation.

    The validator reports the birth-year column `by` as missing from the input ("SETTINGS
    VALIDATION: Errors were identified...") on every run, because `by` is an SQL keyword that it
    keeps quoted when it compares names (splink 5.0). The comparisons are this module's own and are
    tested; a false error in every monthly run's log would teach operators to ignore the log."""
    from splink import Linker

    return Linker(sdf, model, log_level=None, validate_settings=False)


def _train(
    sdf: Any, frame: pd.DataFrame, agencies: list[str], *, deterministic_recall: float, u_pairs: float, seed: int
) -> dict[str, Any]:
    """Train the model on the registered table `sdf` (whose rows are `frame`); the settings dict."""
    linker = _linker(sdf, settings(agencies))
    trn = linker.training
    try:
        trn.estimate_probability_two_random_records_match(list[Any](DETERMINISTIC_RULES), recall=deterministic_recall)
    except ValueError as exc:  # no deterministic pair at all: keep splink's default prior
        logger.warning("prior not estimated (%s); using the default", exc)
    trn.estimate_u_using_random_sampling(max_pairs=u_pairs, seed=seed)
    for rule in TRAINING_BLOCKING:
        try:
            trn.estimate_parameters_using_expectation_maximisation(rule, estimate_without_term_frequencies=True)
        except Exception as exc:  # EM can fail on tiny or degenerate inputs
            logger.warning("EM on %s did not run: %s", rule, exc)
    trained = linker.misc.save_model_to_json()
    label_pairs = _label_pairs(frame["person_label"])
    if label_pairs:
        # records sharing an agency person ID are the same person: the noise between
        # them measures m directly, free of EM's confusion with twins and families
        labelled = _linker(sdf, trained)
        labelled.training.estimate_m_from_label_column("person_label")
        trained = combine_m(trained, labelled.misc.save_model_to_json(), label_pairs)
        linker = _linker(sdf, trained)
    return linker.misc.save_model_to_json()


# Significant digits a trained model's probabilities keep. EM and the sampling of u sum in the
# engine's threads, so two trainings on the same records differ in the last bits (measured: 1e-16
# relative on the city borough); rounded, they are the same model, and a month's increment that
# reuses it scores exactly as a rebuild that trains it again.
MODEL_DIGITS = 12


def quantised(model: dict[str, Any]) -> dict[str, Any]:
    """`model` with its m and u probabilities and prior rounded to MODEL_DIGITS significant digits."""
    out = copy.deepcopy(model)
    out.pop("linker_uid", None)  # splink's random name for the linker that saved it

    def r(x: Any) -> Any:
        return float(f"{x:.{MODEL_DIGITS}g}") if isinstance(x, float) else x

    if "probability_two_random_records_match" in out:
        out["probability_two_random_records_match"] = r(out["probability_two_random_records_match"])
    for comparison in out.get("comparisons", []):
        for level in comparison.get("comparison_levels", []):
            for k in ("m_probability", "u_probability"):
                if k in level:
                    level[k] = r(level[k])
    return out


#: The columns whose exact agreement is adjusted by term frequency (the name comparisons).
TF_COLUMNS = ("fn", "sn")


def term_frequencies(frame: pd.DataFrame) -> pd.DataFrame:
    """The term frequency of each value of TF_COLUMNS among `frame`'s identity nodes, as splink
    computes it (count / non-null count): `column`, `value`, `tf`. Kept with the model (in `raw`:
    it holds names), so a pair scores the same in any month the model scores it."""
    parts = []
    for c in TF_COLUMNS:
        v = frame[c].dropna().astype(str)
        if not len(v):
            continue
        counts = v.value_counts(sort=False)
        parts.append(pd.DataFrame({"column": c, "value": counts.index.astype(str), "tf": counts.to_numpy() / len(v)}))
    if not parts:
        return pd.DataFrame(
            {"column": pd.Series(dtype=str), "value": pd.Series(dtype=str), "tf": pd.Series(dtype=float)}
        )
    return pd.concat(parts, ignore_index=True).sort_values(["column", "value"], kind="stable").reset_index(drop=True)


def train_and_predict(
    nodes: pd.DataFrame,
    *,
    lower: float,
    seed: int = 42,
    deterministic_recall: float = 0.7,
    u_pairs: float = 2e6,
    model: dict[str, Any] | None = None,
    max_training_nodes: int = MAX_TRAINING_NODES,
    nodes_per_chunk: int = NODES_PER_CHUNK,
    only_new: Any = None,
    workdir: Path | None = None,
    memory_limit: str = LINK_MEMORY_LIMIT,
    train_only: bool = False,
    tf: pd.DataFrame | None = None,
) -> tuple[pd.DataFrame, dict[str, Any], int | None]:
    """Score pairs of identity nodes; returns (pairs with p >= lower, trained settings dict, pairs
    scored: None when scored in chunks, where only the pairs at or above `lower` are counted).

    `nodes` carries `node_id`, `agency`, `agency_id`, `det_cluster` and the feature columns.
    A previously trained `model` (settings dict) may be passed to score without training.
    Training uses `training_sample` (at most `max_training_nodes`); scoring uses every node, in
    chunks of about `nodes_per_chunk` on each side when there are more (k x k chunk pairs).
    `only_new` (a boolean per node, with a `model`) scores only pairs with at least one new node.
    `workdir` is the pipeline's private work folder (beside the warehouse, 0700, emptied at the
    start of every run): the scoring database, which holds names, lives there; without one, in a
    private temporary folder. With `train_only`, the model is trained (`quantised`) and nothing scored.
    `tf` (`term_frequencies` of the nodes the model was trained on) fixes the names' term
    frequencies; without it they are those of `nodes`.
    """
    from splink import DuckDBAPI

    empty = pd.DataFrame(
        {c: pd.Series(dtype="int64") for c in PAIR_COLUMNS[:2]}
        | {"match_probability": pd.Series(dtype="float64")}
        | {c: pd.Series(dtype="bool") for c in PAIR_COLUMNS[3:]}
    )
    if len(nodes) < 2:
        return empty, model or {}, 0
    agencies = sorted(a for a in nodes.loc[nodes["agency_id"].notna(), "agency"].unique())
    # names never leave this database: a file in a private (0700) temporary folder, removed when
    # scoring ends; unlike an in-memory database its tables can leave memory (London scale)
    if workdir is not None:
        Path(workdir).mkdir(parents=True, exist_ok=True, mode=0o700)
    spill = tempfile.mkdtemp(prefix="lantern-link-", dir=str(workdir) if workdir is not None else None)
    con = duckdb.connect(
        os.path.join(spill, "link.duckdb"),
        config={"memory_limit": memory_limit, **ENGINE_CONFIG, "temp_directory": spill},
    )
    try:
        db_api = DuckDBAPI(connection=con)
        frame = nodes.copy(deep=False)  # copy-on-write: the caller's frame is not changed
        del nodes
        frame["person_label"] = (frame["agency"].astype(str) + ":" + frame["agency_id"].astype(str)).where(
            frame["agency_id"].notna(), None
        )
        incremental = only_new is not None and model is not None
        if incremental:
            frame["is_new"] = np.asarray(only_new, dtype=bool)
        n_frame = len(frame)
        if model is not None:
            trained = model
        else:
            sample = training_sample(frame, max_training_nodes, seed)
            # training reads the frame itself (or the sample), as registered pandas: the random
            # sampling of u draws from the rows as the engine scans them
            tdf = db_api.register(sample, table_name="identity_nodes" if len(sample) == n_frame else "training_nodes")
            trained = _train(
                tdf, sample, agencies, deterministic_recall=deterministic_recall, u_pairs=u_pairs, seed=seed
            )
            if len(sample) < n_frame:
                # the prior is matches / pairs: whole clusters were kept, so matches scale with
                # the nodes and pairs with their square; rescale it to the full set
                lam = float(trained.get("probability_two_random_records_match") or 0.0)
                trained["probability_two_random_records_match"] = lam * len(sample) / n_frame
            del sample, tdf
            trained = quantised(trained)
            if train_only:
                return empty, trained, 0
        # scoring reads a table of this database, not the frame: the engine converts the frame
        # once (not once per chunk), and the frame can go, so at London scale the features are
        # held once, by the engine, which can spill them, instead of by pandas beside it
        con.register("_identity_nodes_frame", frame)
        con.execute("create table identity_nodes_scored as select * from _identity_nodes_frame")
        con.unregister("_identity_nodes_frame")
        del frame
        release_memory()
        sdf = db_api.register("identity_nodes_scored", table_name="identity_nodes_scoring")
        scoring = trained
        lookups = []
        if tf is not None:
            for c in TF_COLUMNS:
                part = tf[tf["column"] == c]
                lookups.append(
                    (c, pd.DataFrame({c: part["value"].to_numpy(dtype=object), f"tf_{c}": part["tf"].to_numpy(float)}))
                )
        if incremental:
            # the model's own rules, each limited to pairs that involve a new identity
            scoring = copy.deepcopy(trained)
            # each rule twice, the new identity on the left, then on the right: a condition on one
            # side only is pushed below the join, so the engine joins the few new identities with
            # the rest instead of forming every blocked pair and filtering (`l.is_new or r.is_new`
            # cannot be pushed down). Splink excludes from each rule the pairs of the rules before
            # it, so a pair of two new identities is scored once.
            scoring["blocking_rules_to_generate_predictions"] = [
                {"blocking_rule": f"({r}) and {side}.is_new", "sql_dialect": "duckdb"}
                for r in PREDICT_BLOCKING
                for side in ("l", "r")
            ]
        linker = _linker(sdf, scoring)
        for c, table in lookups:
            linker.table_management.register_term_frequency_lookup(
                db_api.register(table, table_name=f"tf_lookup_{c}"), c
            )
        if scoring is trained:
            trained = linker.misc.save_model_to_json()
            trained.pop("linker_uid", None)
        # chunks bound the pairs of a full scoring; an incremental one scores few pairs
        chunks = 1 if incremental else max(1, -(-n_frame // nodes_per_chunk))
        if chunks == 1:
            pred = linker.inference.predict(warning_mode="never")
            scored = con.execute(f"select count(*) from {pred.physical_name}").fetchall()[0][0]
        else:
            # only the pairs in the review band or above are kept, chunk by chunk; how many were
            # scored below it is not counted (NULL)
            pred = linker.inference.predict(
                threshold_match_probability=lower, num_chunks_left=chunks, num_chunks_right=chunks, warning_mode="never"
            )
            scored = None
        pairs = con.execute(
            f"select node_id_l as node_l, node_id_r as node_r, match_probability, "
            f"{_agrees_sql(trained, 'forename')} as forename_agrees, "
            f"{_agrees_sql(trained, 'surname')} as surname_agrees, "
            f"{_agrees_sql(trained, 'dob', bottom=2)} as dob_agrees "
            f"from {pred.physical_name} where match_probability >= ? "
            f"order by node_l, node_r",
            [lower],
        ).df()  # a fixed order: the engine's is not
    finally:
        con.close()
        shutil.rmtree(spill, ignore_errors=True)
    return (pairs if len(pairs) else empty), trained, (int(scored) if scored is not None else None)
