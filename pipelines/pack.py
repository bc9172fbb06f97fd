"""`lantern pack PERSON_KEY`: the MAP meeting pack for one young person (restricted, on request).

Builds `build/restricted/packs/pack-<PERSON_KEY>.html` (0640) from the analyst copy, opened in the
same sandbox as `lantern sql`; the pack is restricted to the MAP meeting of `--meeting YYYY-MM-DD`
(default: today), the date printed on every page. Records the request before it runs in the access-log spool
(collected into `ops.access_log` by the next refresh): who built a pack about whom, when.
"""

from __future__ import annotations

import argparse
import datetime as dt
import getpass
import re
import sys

from dashboards.pack import build_pack
from pipelines.settings import load_settings
from pipelines.sqlcli import Refused, open_analyst_copy
from transforms.access_log import AccessEntry
from transforms.filemodes import RESTRICTED, make_dir, umask

PERSON_KEY = re.compile(r"^P[0-9a-f]{15}$")


def main(args: argparse.Namespace) -> int:
    """Build the pack for `args.person_key`; returns the exit code."""
    key = str(args.person_key)
    if not PERSON_KEY.match(key):
        print(f"not a person key: {key!r} (expected P followed by 15 hex digits)", file=sys.stderr)  # noqa: T201  (command output)
        return 2
    meeting = None
    if getattr(args, "meeting", None):
        try:
            meeting = dt.date.fromisoformat(str(args.meeting))
        except ValueError:
            print(f"not a date: {args.meeting!r} (expected YYYY-MM-DD, the day of the MAP meeting)", file=sys.stderr)  # noqa: T201  (command output)
            return 2
    s = load_settings()
    entry = AccessEntry(s.access_spool, user=getpass.getuser(), kind="map_pack", query=key)
    try:
        con = open_analyst_copy(s)
    except Refused as exc:
        entry.close("refused", message=str(exc))
        print(str(exc), file=sys.stderr)  # noqa: T201  (command output)
        return 1
    try:
        with con, umask(RESTRICTED):
            target = build_pack(con, key, make_dir(s.build / "restricted", RESTRICTED), meeting_date=meeting)
    except KeyError as exc:
        entry.close("failed", message=str(exc).strip("'\""))
        print(str(exc).strip("'\""), file=sys.stderr)  # noqa: T201  (command output)
        return 1
    entry.close("ok", rows=1, target=str(target))
    print(f"MAP meeting pack (RESTRICTED): {target}")  # noqa: T201  (command output)
    return 0
