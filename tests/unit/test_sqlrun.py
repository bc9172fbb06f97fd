"""One way to run SQL: DuckDB's own parameters, transactions, quoting, model order from the SQL."""

from __future__ import annotations

import duckdb
import pytest

import sql
from transforms import sqlrun


def test_named_parameters_are_bound_by_the_parser_not_by_text() -> None:
    con = duckdb.connect()
    # `$window` must not be bound inside `$window_days`; extra entries are ignored
    got = sqlrun.execute(
        con, "select $window_days + 0 as d, $window as w", {"window": 3, "window_days": 91, "unused": 1}
    ).fetchall()
    assert got == [(91, 3)]
    with pytest.raises(KeyError, match="window_days"):
        sqlrun.execute(con, "select $window_days", {"window": 3})
    assert sqlrun.execute(con, "select ? + ?", [1, 2]).fetchall() == [(3,)]


def test_transaction_rolls_back_on_error() -> None:
    con = duckdb.connect()
    con.execute("create table t (x int)")
    with pytest.raises(duckdb.Error):
        with sqlrun.transaction(con):
            con.execute("insert into t values (1)")
            con.execute("insert into t values ('not a number')")
    assert con.execute("select count(*) from t").fetchall() == [(0,)]
    with sqlrun.transaction(con):
        assert sqlrun.changed(con, "insert into t values (1), (2)") == 2
    assert sqlrun.changed(con, "delete from t where x = $x", {"x": 1}) == 1


def test_quoting() -> None:
    con = duckdb.connect()
    assert con.execute(f"select {sqlrun.literal(chr(39) + 'x; drop')}").fetchall() == [("'x; drop",)]
    name = sqlrun.ident('a"b')
    con.execute(f"create table {name} (x int)")
    assert con.execute("select count(*) from duckdb_tables() where table_name = 'a\"b'").fetchall() == [(1,)]


def test_model_order_follows_what_the_sql_reads() -> None:
    from transforms.core import CORE_MODELS

    shuffled = list(reversed(CORE_MODELS))
    order = sqlrun.model_order(shuffled)
    print(order)
    assert sorted(order) == sorted(CORE_MODELS)
    position = {m: i for i, m in enumerate(order)}
    for m in order:
        for d in order[position[m] + 1 :]:
            # nothing a model reads is created by a model that runs after it
            assert not (sqlrun.model_tables(d)[0] & sqlrun.model_tables(m)[1]), (m, d)
    assert position["core/person_record"] < position["core/involvement"] < len(order)
    assert position["staging/child_key"] < position["core/missing_episode"]


def test_every_statement_of_every_model_parses() -> None:
    n = 0
    for folder in ("ops", "staging", "core", "marts"):
        for model in sql.models(folder):
            for stmt in sql.statements(model):
                sqlrun.parameter_names(stmt)
                n += 1
    print(f"{n} statements parsed")
    assert n > 100


def test_one_list_of_personal_columns() -> None:
    """The privacy scan forbids exactly the extract contract's personal columns (Column.personal)."""
    from transforms.extracts.contract import SOURCE_BY_NAME
    from transforms.privacy import FORBIDDEN_COLUMNS

    personal = {c.name for s in SOURCE_BY_NAME.values() for c in s.columns if c.personal}
    print(sorted(personal))
    assert personal <= FORBIDDEN_COLUMNS and FORBIDDEN_COLUMNS - personal == {"date_of_birth"}
    assert {"forename", "surname", "dob", "child_id", "upn", "police_nominal_id", "mo_text"} <= personal
