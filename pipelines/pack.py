"""`lantern pack PERSON_KEY`: the MAP meeting pack for one young person (restricted, on request).

Builds `build/restricted/packs/pack-<PERSON_KEY>.html` from the warehouse (read-only) and records
the access in `ops.access_log` (who built a pack about whom, when).
"""

from __future__ import annotations

import argparse
import getpass
import logging
import re
import sys

import duckdb

from dashboards.pack import build_pack
from pipelines.settings import load_settings

logger = logging.getLogger(__name__)

PERSON_KEY = re.compile(r"^P[0-9a-f]{15}$")


def main(args: argparse.Namespace) -> int:
    """Build the pack for `args.person_key`; returns the exit code."""
    key = str(args.person_key)
    if not PERSON_KEY.match(key):
        print(f"not a person key: {key!r} (expected P followed by 15 hex digits)", file=sys.stderr)  # noqa: T201  (command output)
        return 2
    s = load_settings()
    if not s.warehouse.exists():
        print(f"no warehouse at {s.warehouse}: run `lantern refresh` first", file=sys.stderr)  # noqa: T201  (command output)
        return 1
    with duckdb.connect(str(s.warehouse), read_only=True) as con:
        try:
            target = build_pack(con, key, s.build / "restricted")
        except KeyError as exc:
            print(str(exc).strip("'\""), file=sys.stderr)  # noqa: T201  (command output)
            return 1
    try:
        with duckdb.connect(str(s.warehouse)) as con:
            con.execute("insert into ops.access_log (accessed_at, user_name, kind, query, row_count, target) "
                        "values (now(), ?, 'map_pack', ?, 1, ?)", [getpass.getuser(), key, str(target)])
    except duckdb.Error as exc:  # the warehouse is busy (a refresh holds it): the pack stands, say so
        logger.warning("access not logged in ops.access_log: %s", exc)
    print(f"MAP meeting pack (RESTRICTED): {target}")  # noqa: T201  (command output)
    return 0
