"""Content-addressed memos of expensive units of work (tables of `cache`), shared by the themes
stage (Farrington windows, text periods) and the network stage (a month's peer groups).

Rationale: a monthly refresh adds one month, yet the expected level of every earlier month of a
series, the topic model of every earlier text period and the communities of every earlier
month's peer graph are unchanged, because each is a pure function of a small, known set of
inputs. Each unit's result is stored under a digest of exactly
those inputs (their values, the settings, the algorithm's version constant and the versions of
the numeric libraries), never under the identity of the series or period it came from: a unit
whose inputs did not change is read back, any change in an input gives a new key and a fresh
computation. Identical inputs of different units (e.g. two places with the same counts) share
one entry. A run reads all its keys in one query, computes the misses, and rewrites each table
to hold exactly the keys it used, in the same transaction as the marts, so a cache never grows
beyond one run's units and never holds a unit no mart rests on.

A memo holds results (expected levels, topic terms and counts, as published; pseudonymous
person_keys for peer groups), never names, dates of birth, postcodes or free text; `lantern erase` and `purge` drop every `cache` table.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, is_dataclass
from typing import Any

import duckdb
import pandas as pd

from transforms.sqlrun import literal
from transforms.warehouse import run_models

logger = logging.getLogger(__name__)


def _fed(h: Any, parts: Iterable[bytes | str]) -> Any:
    """`h` having read the parts, each length-prefixed so no two splits collide."""
    for part in parts:
        b = part.encode("utf-8") if isinstance(part, str) else part
        h.update(len(b).to_bytes(8, "little"))
        h.update(b)
    return h


def digest(*parts: bytes | str) -> str:
    """Hex digest (BLAKE2b, 20 bytes) of the parts, each length-prefixed so no two splits collide."""
    return _fed(hashlib.blake2b(digest_size=20), parts).hexdigest()


def digest_after(*prefix: bytes | str) -> Callable[[bytes | str], str]:
    """`lambda last: digest(*prefix, last)`, with the prefix hashed once (for many keys that share it)."""
    start = _fed(hashlib.blake2b(digest_size=20), prefix)
    return lambda last: _fed(start.copy(), (last,)).hexdigest()


def settings_text(cfg: Any) -> str:
    """A canonical text of a settings dataclass (sorted JSON), for keys."""
    if not is_dataclass(cfg) or isinstance(cfg, type):
        raise TypeError("settings must be a dataclass instance")
    return json.dumps(asdict(cfg), sort_keys=True, default=str)


@dataclass(frozen=True)
class MemoTable:
    """One `cache.<name>` table: a `key` column (the digest) and the result columns.

    Several rows may share a key (a unit whose result has several parts, e.g. a period's topics).
    """

    name: str
    columns: tuple[tuple[str, str], ...]  # (column, DuckDB type) after `key`
    comment: str

    @property
    def qualified(self) -> str:
        return f"cache.{self.name}"

    @property
    def column_names(self) -> list[str]:
        return [c for c, _ in self.columns]

    def ensure(self, con: duckdb.DuckDBPyConnection) -> None:
        """Create the schema and the table if missing (works on a connection never bootstrapped)."""
        con.execute("create schema if not exists cache")
        cols = ", ".join(f"{c} {t}" for c, t in (("key", "varchar not null"), *self.columns))
        con.execute(f"create table if not exists {self.qualified} ({cols})")
        con.execute(f"comment on table {self.qualified} is {literal(self.comment)}")

    def fetch(self, con: duckdb.DuckDBPyConnection, keys: Iterable[str]) -> list[tuple[Any, ...]]:
        """Rows (`key` first, then the result columns) of the given keys, in one query."""
        wanted = sorted(set(keys))
        return self._select(con, wanted, lambda result: result.fetchall()) if wanted else []

    def fetch_frame(self, con: duckdb.DuckDBPyConnection, keys: Iterable[str]) -> pd.DataFrame:
        """`fetch` as a frame (`key`, then the result columns), for many keys at once."""
        return self._select(con, sorted(set(keys)), lambda result: result.df())

    def _select(
        self, con: duckdb.DuckDBPyConnection, keys: list[str], take: Callable[[duckdb.DuckDBPyConnection], Any]
    ) -> Any:
        """The rows of `keys` (sorted, distinct), ordered by key, as `take` reads the result."""
        view = f"_memo_keys_{self.name}"
        con.register(view, pd.DataFrame({"key": pd.Series(keys, dtype=object)}))
        try:
            cols = ", ".join(f"c.{c}" for c in ("key", *self.column_names))
            return take(
                con.execute(f"select {cols} from {self.qualified} c semi join {view} k on c.key = k.key order by all")
            )
        finally:
            con.unregister(view)

    def rewrite_statements(self, view: str) -> list[str]:
        """Statements that make the table hold exactly the rows of the registered frame `view`."""
        cols = ", ".join(("key", *self.column_names))
        return [
            f"delete from {self.qualified}",
            f"insert into {self.qualified} ({cols}) select {cols} from {view} order by key",
        ]


def run_models_with_memos(
    con: duckdb.DuckDBPyConnection,
    models: Sequence[str],
    frames: Mapping[str, pd.DataFrame],
    memos: Mapping[MemoTable, pd.DataFrame],
) -> None:
    """`transforms.warehouse.run_models` (the SQL models in one transaction, reading `frames`),
    with each memo table rewritten to exactly its frame's rows inside the same transaction."""
    views = {**frames, **{f"_memo_rows_{t.name}": rows for t, rows in memos.items()}}
    then = [stmt for table in memos for stmt in table.rewrite_statements(f"_memo_rows_{table.name}")]
    run_models(con, models, frames=views, then=then)
