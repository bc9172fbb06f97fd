"""The `lantern review` command: a period review of one theme as a page and tables.

`lantern review --theme syv --from 2026-01 --to 2026-06` writes
`<build>/review/<theme>_<from>_<to>/index.html` and one CSV per table, all with small counts
suppressed (counts 1 to LANTERN_SMALL_COUNT shown as `c`).
"""

from __future__ import annotations

import argparse
import getpass
import re
import sys
from pathlib import Path

from pipelines.settings import load_settings
from pipelines.sqlcli import Refused, open_analyst_copy
from transforms.access_log import AccessEntry
from transforms.filemodes import RESTRICTED, make_dir, umask
from transforms.themes.definitions import theme_codes
from transforms.themes.review import review_page, review_tables, suppress

_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


def add_arguments(p: argparse.ArgumentParser) -> None:
    """The arguments of `lantern review`."""
    p.add_argument("--theme", required=True, choices=theme_codes())
    p.add_argument("--from", dest="first", required=True, help="first month YYYY-MM")
    p.add_argument("--to", dest="last", required=True, help="last month YYYY-MM")
    p.add_argument("--out", help="folder to write to (default <build>/review/<theme>_<from>_<to>)")


def main(args: argparse.Namespace) -> int:
    """Run the review; returns the process exit code."""
    if not (_MONTH.match(args.first) and _MONTH.match(args.last)) or args.first > args.last:
        print("--from and --to must be months YYYY-MM with --from <= --to", file=sys.stderr)  # noqa: T201  (command output)
        return 2
    s = load_settings()
    request = f"review --theme {args.theme} --from {args.first} --to {args.last}"
    entry = AccessEntry(s.access_spool, user=getpass.getuser(), kind="review", query=request)
    try:
        con = open_analyst_copy(s)
    except Refused as exc:
        entry.close("refused", message=str(exc))
        print(str(exc), file=sys.stderr)  # noqa: T201  (command output)
        return 1
    with con:
        version = con.execute("select coalesce(max(version), 'unknown') from marts.theme_definition").fetchall()[0][0]
        tables = review_tables(con, args.theme, args.first, args.last)
    published = suppress(tables, s.small_count)
    out = Path(args.out) if args.out else s.build / "review" / f"{args.theme}_{args.first}_{args.last}"
    make_dir(out, RESTRICTED)
    with umask(RESTRICTED):
        (out / "index.html").write_text(
            review_page(published, args.theme, args.first, args.last, str(version), s.small_count), encoding="utf-8"
        )
        for name, df in published.items():
            df.to_csv(out / f"{name}.csv", index=False)
    n = tables["summary"]["incidents"].iloc[0] if len(tables["summary"]) else 0
    entry.close("ok", rows=int(n), target=str(out))
    print(f"review of {args.theme} {args.first}..{args.last}: {n} incidents; written to {out}/index.html")  # noqa: T201  (command output)
    return 0
