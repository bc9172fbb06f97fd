"""One way to run SQL: transactions, DuckDB's own parameters, quoting, row counts and the order of
the SQL models.

* `transaction(con)`: BEGIN, then COMMIT, or ROLLBACK on any error (re-raised).
* `execute(con, stmt, params)`: named parameters (`$name`) are bound by the names DuckDB's own
  parser finds in the statement, never by looking for text (so `$window` is not bound inside
  `$window_days`); a statement naming a parameter that is not given fails loudly.
* `literal`, `ident`: SQL quoting, where a value cannot be a parameter (COMMENT ON, identifiers).
* `changed(con, stmt, params)`: rows an INSERT, UPDATE or DELETE changed.
* `has_table(con, schema, table)`: whether a table (not a view) exists.
* `model_order(models)`: SQL models in dependency order, read from the SQL itself (the tables a
  model creates and the tables it reads), never from a hand-kept list.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from functools import lru_cache
from typing import Any

import duckdb

import sql


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """One transaction: committed when the block ends, rolled back (and the error re-raised) if
    it fails."""
    con.execute("BEGIN TRANSACTION")
    try:
        yield con
    except BaseException:
        try:
            con.execute("ROLLBACK")
        except duckdb.Error:
            pass
        raise
    con.execute("COMMIT")


def has_table(con: duckdb.DuckDBPyConnection, schema: str, table: str, *, views: bool = False) -> bool:
    """`schema.table` is a table (with `views`, a table or a view) of the connection's database."""
    among = (
        "information_schema.tables WHERE table_catalog = current_database() AND table_schema = ? AND table_name = ?"
        if views
        else "duckdb_tables() WHERE database_name = current_database() AND schema_name = ? AND table_name = ?"
    )
    return bool(con.execute(f"SELECT count(*) FROM {among}", [schema, table]).fetchall()[0][0])


@lru_cache(maxsize=4096)
def parameter_names(stmt: str) -> frozenset[str]:
    """The named parameters (`$name`) of the statements in `stmt`, by DuckDB's parser."""
    return frozenset().union(*(s.named_parameters for s in duckdb.extract_statements(stmt)))


def execute(
    con: duckdb.DuckDBPyConnection, stmt: str, params: Mapping[str, Any] | Sequence[Any] | None = None
) -> duckdb.DuckDBPyConnection:
    """Run one statement. A mapping binds exactly the named parameters the statement has (extra
    entries are ignored, a missing one is an error); a sequence binds `?` in order."""
    if params is None:
        return con.execute(stmt)
    if isinstance(params, Mapping):
        names = parameter_names(stmt)
        missing = names - params.keys()
        if missing:
            raise KeyError(f"SQL parameter(s) {sorted(missing)} not given for: {stmt[:120]}")
        return con.execute(stmt, {k: params[k] for k in names}) if names else con.execute(stmt)
    return con.execute(stmt, list(params))


def changed(con: duckdb.DuckDBPyConnection, stmt: str, params: Mapping[str, Any] | Sequence[Any] | None = None) -> int:
    """Rows changed by one INSERT, UPDATE or DELETE."""
    row = execute(con, stmt, params).fetchone()
    return int(row[0]) if row and row[0] is not None else 0


def literal(text: str) -> str:
    """`text` as an SQL string literal."""
    return "'" + str(text).replace("'", "''") + "'"


def ident(name: str) -> str:
    """`name` as a quoted SQL identifier."""
    return '"' + str(name).replace('"', '""') + '"'


_CREATES = re.compile(
    r"\bcreate\s+(?:or\s+replace\s+)?(?:temp(?:orary)?\s+)?(?:table|view)\s+"
    r"(?:if\s+not\s+exists\s+)?([a-z_][a-z0-9_]*(?:\.[a-z_][a-z0-9_]*)?)",
    re.I,
)
_READS = re.compile(r"\b((?:core|marts|staging|raw|ops|cache)\.[a-z_][a-z0-9_]*)\b", re.I)


def _strip_comments(text: str) -> str:
    return "\n".join(line.split("--", 1)[0] for line in text.splitlines())


def model_tables(model: str) -> tuple[set[str], set[str]]:
    """(tables and views `sql/<model>.sql` creates, tables it reads), lower-case."""
    text = _strip_comments(sql.read(model))
    creates = {m.lower() for m in _CREATES.findall(text)}
    reads = {m.lower() for m in _READS.findall(text)} - creates
    return creates, reads


def model_order(models: Sequence[str]) -> list[str]:
    """`models` in an order where each runs after every model of the list that creates a table it
    reads (ties by name). A cycle is an error."""
    creates = {m: model_tables(m)[0] for m in models}
    needs = {m: {d for d in models if d != m and creates[d] & model_tables(m)[1]} for m in models}
    out: list[str] = []
    todo = sorted(set(models))
    while todo:
        ready = [m for m in todo if needs[m] <= set(out)]
        if not ready:
            raise ValueError(f"SQL models depend on each other in a cycle: {todo}")
        out.append(ready[0])
        todo.remove(ready[0])
    return out
