"""Plain splink on the fields Lantern takes: the same-run reference for identity resolution.

Each baseline is splink's own published example model for the dataset (its documentation's
`febrl3` and `deduplicate_50k_synthetic` DuckDB examples), restricted to the fields that Lantern's
person records carry (forename, surname, date of birth, sex, postcode): comparisons and blocking
rules on other fields (social security number, street number, birth place, occupation) are left
out, everything else (comparison library, blocking, prior, u sampling, EM sessions) is the
example's. The model is trained on the records given, scored, and clustered by connected
components at the threshold Lantern links at, so both are measured on the same data in the same
run. Used by the tests and `bench/identity.py`, never by the pipeline.
"""

from __future__ import annotations

from typing import Any, Literal

import duckdb
import pandas as pd

Style = Literal["febrl", "historical"]


def _frame(records: pd.DataFrame) -> pd.DataFrame:
    def text(col: str) -> pd.Series:
        s = (
            records[col].astype("string").str.strip().str.lower()
            if col in records
            else pd.Series(pd.NA, index=records.index, dtype="string")
        )
        return s.where(s != "")

    dob = records["dob"]
    if pd.api.types.is_datetime64_any_dtype(dob):
        dob = dob.dt.strftime("%Y-%m-%d")
    dob_s = dob.astype("string").str.strip().str.replace(r"[^0-9]", "", regex=True)
    dob_s = dob_s.where(dob_s.str.len() == 8)
    out = pd.DataFrame(
        {
            "unique_id": range(len(records)),
            "first_name": text("forename"),
            "surname": text("surname"),
            # yyyy-mm-dd text, as the historical example reads it (FEBRL's yyyymmdd is rewritten)
            "dob": (dob_s.str[0:4] + "-" + dob_s.str[4:6] + "-" + dob_s.str[6:8]),
            "postcode": text("postcode"),
        }
    )
    out["first_name_surname_concat"] = out["first_name"] + " " + out["surname"]
    return out.astype(object).where(out.notna(), None)


def _settings(style: Style) -> tuple[Any, list[Any], float, list[Any], Any]:
    """(settings, deterministic rules, their recall, EM blocking rules, u max pairs)."""
    import splink.comparison_library as cl
    from splink import SettingsCreator, block_on

    if style == "febrl":
        blocking: list[Any] = [block_on("first_name"), block_on("surname"), block_on("dob"), block_on("postcode")]
        comparisons: list[Any] = [
            cl.NameComparison("first_name"),
            cl.NameComparison("surname"),
            cl.DateOfBirthComparison("dob", input_is_string=True),
            cl.ExactMatch("postcode").configure(term_frequency_adjustments=True),
        ]
        deterministic = [
            block_on("first_name", "surname", "dob"),
            "l.first_name = r.surname and l.surname = r.first_name and l.dob = r.dob",
        ]
        return (
            SettingsCreator(
                link_type="dedupe_only", blocking_rules_to_generate_predictions=blocking, comparisons=comparisons
            ),
            deterministic,
            0.9,
            [block_on("dob"), block_on("postcode")],
            1e6,
        )
    blocking = [
        block_on("substr(first_name,1,3)", "substr(surname,1,4)"),
        block_on("surname", "dob"),
        block_on("first_name", "dob"),
        block_on("postcode", "first_name"),
        block_on("postcode", "surname"),
        block_on("substr(postcode,1,3)", "dob"),
        block_on("substr(postcode,1,3)", "first_name"),
        block_on("substr(postcode,1,3)", "surname"),
        block_on("substr(first_name,1,2)", "substr(surname,1,2)", "substr(dob,1,4)"),
    ]
    comparisons = [
        cl.ForenameSurnameComparison(
            "first_name", "surname", forename_surname_concat_col_name="first_name_surname_concat"
        ),
        cl.DateOfBirthComparison("dob", input_is_string=True),
        cl.PostcodeComparison("postcode"),
    ]
    deterministic = [
        block_on("first_name", "surname", "dob"),
        block_on("substr(first_name,1,2)", "surname", "substr(postcode,1,2)"),
        block_on("dob", "postcode"),
    ]
    return (
        SettingsCreator(
            link_type="dedupe_only", blocking_rules_to_generate_predictions=blocking, comparisons=comparisons
        ),
        deterministic,
        0.6,
        [block_on("first_name", "surname"), block_on("dob")],
        1e7,
    )


def splink_baseline(records: pd.DataFrame, style: Style, *, threshold: float = 0.95, seed: int = 42) -> pd.Series:
    """Cluster labels (one per record, in order) from splink's example model for `style`."""
    from splink import DuckDBAPI, Linker

    settings, deterministic, recall, em_rules, u_pairs = _settings(style)
    con = duckdb.connect()
    try:
        db_api = DuckDBAPI(connection=con)
        sdf = db_api.register(_frame(records.reset_index(drop=True)), table_name="baseline_records")
        linker = Linker(sdf, settings)
        trn = linker.training
        trn.estimate_probability_two_random_records_match(deterministic, recall=recall)
        trn.estimate_u_using_random_sampling(max_pairs=u_pairs, seed=seed)
        for rule in em_rules:
            trn.estimate_parameters_using_expectation_maximisation(
                rule, estimate_without_term_frequencies=style == "historical"
            )
        pred = linker.inference.predict(threshold_match_probability=0.2)
        clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(
            pred, threshold_match_probability=threshold
        )
        got = con.execute(f"select unique_id, cluster_id from {clusters.physical_name}").df()
    finally:
        con.close()
    label = got.set_index("unique_id")["cluster_id"].astype(str)
    return pd.Series(label.reindex(range(len(records))).fillna("").to_numpy())
