"""The `lantern` command line: refresh, sql, status, generate (and more as the product grows)."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

import duckdb

from pipelines.settings import load_settings
from transforms.extracts.delivery import list_months
from transforms.filemodes import set_process_umask


def _cmd_refresh(args: argparse.Namespace) -> int:
    s = load_settings(inbox=args.inbox)
    months = list_months(s.inbox)
    if not months:
        print(f"no delivery folders (YYYY-MM) in {s.inbox}", file=sys.stderr)
        return 2
    if months[0] < s.first_month:
        # the monthly partitions must reach back to the inbox's first delivery
        s = load_settings(inbox=args.inbox, first_month=months[0])
    from pipelines.runs import refresh

    if args.month:
        if args.month not in months:
            print(f"no delivery folder {args.month} in {s.inbox} (have {months[0]}..{months[-1]})", file=sys.stderr)
            return 2
        todo = [args.month]
    else:
        todo = months
    publish = args.month or months[-1]
    print(f"Lantern refresh: inbox {s.inbox}, warehouse {s.warehouse}")
    refresh(s, todo, publish, progress=print, wait=args.wait)
    return _report_loads(s.warehouse, todo)


def _rebuild_after_change(s) -> None:  # type: ignore[no-untyped-def]
    """Rebuild core, marts, the analyst copy and the published pages from raw."""
    import shutil

    from pipelines.runs import refresh

    months = list_months(s.inbox) if s.inbox.is_dir() else []
    for folder in ("profile", "analyst", "restricted", "review"):
        shutil.rmtree(s.build / folder, ignore_errors=True)
    refresh(s, [], months[-1] if months else None, progress=print)


def _cmd_purge(args: argparse.Namespace) -> int:
    import datetime as dt

    from pipelines.resources import connect_warehouse, writer_gate
    from pipelines.runs import warehouse_lock
    from transforms.governance import clear_work, purge, retention_defaults, rewrite_warehouse

    s = load_settings()
    as_of = dt.date.fromisoformat(args.as_of) if args.as_of else dt.date.today()
    with warehouse_lock(s):
        with connect_warehouse(str(s.warehouse), limit=s.memory_limit) as con:
            removed = purge(con, as_of, retention_defaults())
        clear_work(s.work)
    for source, n in removed.items():
        print(f"  {source:<24} {n} rows past retention removed")
    _rebuild_after_change(s)
    with warehouse_lock(s), writer_gate(s.warehouse):
        rewrite_warehouse(s.warehouse, s.work)  # purged rows' pages do not survive in the file
    return 0


def _cmd_erase(args: argparse.Namespace) -> int:
    import getpass

    from pipelines.resources import connect_warehouse
    from pipelines.runs import warehouse_lock
    from transforms.governance import (
        erase,
        identify,
        is_tombstoned,
        pending_erasures,
        withdraw_files,
    )

    s = load_settings()
    with warehouse_lock(s), connect_warehouse(str(s.warehouse), limit=s.memory_limit) as con:
        pending = pending_erasures(con)
        ident = identify(con, args.source, args.key)
        erased_before = ident is None and is_tombstoned(con, s.pseudonym_key, args.source, args.key)
        if ident is not None:
            # the files first (while the identifiers are known), then the warehouse in one
            # transaction that leaves the erasure pending until the rebuild and rewrite are done
            withdraw_files(s.build, s.work, s.access_spool, ident.needles())
            result = erase(con, ident, secret=s.pseudonym_key, user=getpass.getuser(), requested_source=args.source)
    if ident is None and not pending:
        if erased_before:
            print(f"{args.source} {args.key} was erased before; nothing left to do")
            return 0
        print(f"no record {args.source} {args.key} in the warehouse; nothing erased", file=sys.stderr)
        return 1
    if ident is not None:
        print(f"erased {result.records} source records of one person ({result.rows_deleted} rows); rebuilding…")
    else:
        print(f"completing {pending} erasure(s) that did not finish; rebuilding…")
    _complete_erasures(s)
    return 0


def _complete_erasures(s) -> None:  # type: ignore[no-untyped-def]
    """The rest of an erasure, safe to run again: withdraw the derived files, rebuild core, marts,
    the analyst copy and the profile, mark the erasures complete, rewrite the warehouse file."""
    from pipelines.resources import connect_warehouse, writer_gate
    from pipelines.runs import refresh, warehouse_lock
    from transforms.governance import finish_erasures, rewrite_warehouse, withdraw_files

    withdraw_files(s.build, s.work, s.access_spool, [])
    months = list_months(s.inbox) if s.inbox.is_dir() else []
    refresh(s, [], months[-1] if months else None, progress=print)
    with warehouse_lock(s), writer_gate(s.warehouse):
        with connect_warehouse(str(s.warehouse), limit=s.memory_limit) as con:
            finish_erasures(con)
        rewrite_warehouse(s.warehouse, s.work)
    print(
        "erasure complete: warehouse rewritten, analyst copy and profile rebuilt; "
        "the analysts' edition and packs are rebuilt on request"
    )


def _report_loads(warehouse: Path, months: list[str]) -> int:
    from transforms.extracts.delivery import no_delivery_months

    with duckdb.connect(str(warehouse), read_only=True) as con:
        undelivered = [m for m in no_delivery_months(con) if m in months]
        failed = con.execute(
            "SELECT source_file, message FROM ops.loads l WHERE status = 'failed' AND delivery_month IN "
            "(SELECT unnest(?::VARCHAR[])) AND NOT EXISTS (SELECT 1 FROM ops.loads k WHERE k.source_file = l.source_file "
            "AND k.status = 'loaded' AND k.load_id > l.load_id)",
            [months],
        ).fetchall()
        q = con.execute(
            "SELECT count(*) FROM ops.quarantine WHERE delivery_month IN (SELECT unnest(?::VARCHAR[]))", [months]
        ).fetchall()[0][0]
    for m in undelivered:
        print(
            f"! no delivery for {m}: the month folder holds no extract files; nothing was loaded "
            f"and no profile is published for {m}"
        )
    if q:
        print(f"! {q} rows quarantined: `lantern status` shows which rules they broke")
    for f, m in failed:
        print(f"✗ refused {f}: {m}", file=sys.stderr)
    return 1 if failed else 0


def _cmd_status(args: argparse.Namespace) -> int:
    from pipelines.resources import WarehouseBusy, read_warehouse

    s = load_settings()
    if not s.warehouse.exists():
        print(f"no warehouse at {s.warehouse}: run `lantern refresh` first")
        return 1
    try:
        with read_warehouse(str(s.warehouse)) as con:
            _print_status(con)
    except WarehouseBusy as exc:
        print(f"lantern: {exc}")
        return 0
    return 0


# the current load of each file: not replaced by a later delivery of the same file
_CURRENT = "status = 'loaded' AND replaced_by_load IS NULL"
# refusals (and files waiting on one) not followed by a load of the same file
_OPEN_REFUSALS = """
    SELECT source_file, arg_max(message, load_id), arg_max(status, load_id), max(delivery_month)
    FROM ops.loads l WHERE status IN ('failed', 'waiting') AND NOT EXISTS (
        SELECT 1 FROM ops.loads k WHERE k.source = l.source AND k.source_file = l.source_file
        AND k.status = 'loaded' AND k.load_id > l.load_id)
    GROUP BY source, source_file ORDER BY min(load_id)"""


def _print_status(con: duckdb.DuckDBPyConnection) -> None:
    refused = con.execute(_OPEN_REFUSALS).fetchall()
    open_by_month: dict[str, int] = {}
    for r in refused:
        open_by_month[r[3]] = open_by_month.get(r[3], 0) + 1
    print("Loads by month (files loaded / refused, rows loaded / quarantined / withheld by an erasure):")
    for r in con.execute(
        f"SELECT delivery_month, count(*) FILTER (WHERE {_CURRENT}), "
        f"coalesce(sum(rows_loaded) FILTER (WHERE {_CURRENT}), 0), "
        f"coalesce(sum(rows_quarantined) FILTER (WHERE {_CURRENT}), 0), "
        f"coalesce(sum(rows_withheld) FILTER (WHERE {_CURRENT}), 0), "
        "bool_or(status = 'no_delivery'), count(*) FILTER (WHERE replaced_by_load IS NOT NULL) "
        "FROM ops.loads GROUP BY 1 ORDER BY 1"
    ).fetchall():
        failed = open_by_month.get(r[0], 0)
        if r[5] and not r[1] and not failed:
            print(f"  {r[0]}  no delivery (the month folder holds no extract files; no profile is published)")
            continue
        resent = f"  ({r[6]} earlier version(s) of re-sent files replaced)" if r[6] else ""
        print(f"  {r[0]}  files {r[1]:>2} / {failed}  rows {r[2]:>7} / {r[3]} / {r[4]}{resent}")
    print("Quarantine by source and rule (current loads):")
    for r in con.execute(
        "SELECT source, unnest(rules) AS rule, count(*) FROM ops.quarantine "
        "WHERE replaced_by_load IS NULL GROUP BY 1, 2 ORDER BY 1, 3 DESC"
    ).fetchall():
        print(f"  {r[0]:<24} {r[1]:<28} {r[2]}")
    withheld = con.execute(f"SELECT coalesce(sum(rows_withheld), 0) FROM ops.loads WHERE {_CURRENT}").fetchall()[0][0]
    if withheld:
        print(f"Rows withheld by an erasure (re-sent records of erased persons, not loaded): {withheld}")
    pending = con.execute("SELECT count(*) FROM ops.erasure_pending").fetchall()[0][0]
    if pending:
        print(f"! {pending} erasure(s) started and not complete: run `lantern erase` again to complete them")
    for f, message, status, _month in refused:
        print(f"  {'refused' if status == 'failed' else 'waiting'} {f}: {message}")
    resolved = con.execute(
        "SELECT count(DISTINCT source_file) FROM ops.loads l WHERE status IN ('failed', 'waiting') AND EXISTS ("
        "SELECT 1 FROM ops.loads k WHERE k.source = l.source AND k.source_file = l.source_file "
        "AND k.status = 'loaded' AND k.load_id > l.load_id)"
    ).fetchall()[0][0]
    if resolved:
        print(f"  ({resolved} earlier refusal(s) resolved: the file loaded since)")


def _cmd_sql(args: argparse.Namespace) -> int:
    from pipelines.sqlcli import run_sql

    return run_sql(load_settings(), args.query, fmt=args.format, out=args.out)


def _cmd_generate(args: argparse.Namespace) -> int:
    from synthetic import generate_borough

    summary = generate_borough(
        Path(args.out),
        people=args.people,
        months=args.months,
        start_month=args.start,
        seed=args.seed,
        defects=args.defects,
    )
    print(summary)
    return 0


def _add_review_arguments(p: argparse.ArgumentParser) -> None:
    from pipelines.review import add_arguments

    add_arguments(p)


def _cmd_review(args: argparse.Namespace) -> int:
    from pipelines.review import main as review_main

    return review_main(args)


def _cmd_links(args: argparse.Namespace) -> int:
    import getpass

    from pipelines.resources import connect_warehouse, read_warehouse
    from pipelines.runs import warehouse_lock
    from transforms.identity.linkage import TWO_PEOPLE
    from transforms.identity.review import record_decision

    s = load_settings()
    if args.action == "list":
        with read_warehouse(str(s.warehouse)) as con:
            rows = con.execute(
                "SELECT pair_id, source_l, source_key_l, source_r, source_key_r, round(match_probability, 3), reason "
                "FROM core.link_review WHERE decision = 'pending' "
                # pairs the agencies record as two people last: an analyst settles the others first
                "ORDER BY reason = ?, match_probability DESC, pair_id LIMIT ?",
                [TWO_PEOPLE, args.limit],
            ).fetchall()
        print("pair_id  record A  record B  probability  reason  (look the records up in raw with proper access)")
        for r in rows:
            print(f"{r[0]}  {r[1]}:{r[2]}  {r[3]}:{r[4]}  {r[5]}  {r[6] or ''}")
        return 0
    if not args.pair:
        print("give the pair_id(s) to decide", file=sys.stderr)
        return 2
    with warehouse_lock(s), connect_warehouse(str(s.warehouse), limit=s.memory_limit) as con:
        for pid in args.pair:
            try:
                record_decision(con, pid, args.action, getpass.getuser())
            except KeyError as exc:
                print(f"lantern: {exc.args[0]}", file=sys.stderr)
                return 2
    print(f"recorded '{args.action}' for {len(args.pair)} pair(s); honoured on the next refresh")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of `lantern`."""
    p = argparse.ArgumentParser(prog="lantern", description="Lantern: contextual-safeguarding analytics.")
    p.add_argument("-v", "--verbose", action="store_true", help="log more")
    p.add_argument("--debug", action="store_true", help="on a failure, show the Python traceback too")
    sub = p.add_subparsers(dest="command", required=True)
    r = sub.add_parser("refresh", help="load deliveries, rebuild the warehouse, publish the profile")
    g = r.add_mutually_exclusive_group()
    g.add_argument("--month", help="one delivery month YYYY-MM (default: all months in the inbox)")
    g.add_argument("--all", action="store_true", help="every month in the inbox (the default)")
    r.add_argument("--inbox", help="borough inbox folder (default $LANTERN_INBOX or data/sample)")
    r.add_argument("--wait", action="store_true", help="wait for a running refresh instead of failing")
    r.set_defaults(func=_cmd_refresh)
    pu = sub.add_parser("purge", help="remove records past their source's retention period")
    pu.add_argument("--as-of", help="date to count retention from (default today), YYYY-MM-DD")
    pu.set_defaults(func=_cmd_purge)
    er = sub.add_parser("erase", help="erase one person's records everywhere (raw, core, marts, copies, pages)")
    er.add_argument("--source", required=True, help="source of a record of the person, e.g. social_care_referrals")
    er.add_argument("--key", required=True, help="that record's key as in marts.person_link.source_key")
    er.set_defaults(func=_cmd_erase)
    st = sub.add_parser("status", help="what is loaded, what was quarantined")
    st.set_defaults(func=_cmd_status)
    rv = sub.add_parser("review", help="period review of a theme: what agencies knew beforehand")
    _add_review_arguments(rv)
    rv.set_defaults(func=_cmd_review)
    q = sub.add_parser("sql", help="run a read-only query on the analyst copy")
    q.add_argument("query")
    q.add_argument("--format", choices=["table", "csv", "json", "xlsx", "parquet"], default="table")
    q.add_argument("--out", help="write to this file (needed for xlsx and parquet)")
    q.set_defaults(func=_cmd_sql)
    lk = sub.add_parser("links", help="clerical review of borderline identity links")
    lk.add_argument("action", choices=["list", "accept", "reject", "pending"])
    lk.add_argument("pair", nargs="*", help="pair_id(s) from `lantern links list`")
    lk.add_argument("--limit", type=int, default=50)
    lk.set_defaults(func=_cmd_links)
    gen = sub.add_parser("generate", help="generate a synthetic borough")
    gen.add_argument("--out", required=True)
    gen.add_argument("--people", type=int, default=3000)
    gen.add_argument("--months", type=int, default=24)
    gen.add_argument("--start", default="2024-11")
    gen.add_argument("--seed", type=int, default=7)
    gen.add_argument("--defects", action="store_true")
    gen.set_defaults(func=_cmd_generate)
    pk = sub.add_parser("pack", help="MAP meeting pack for one young person (restricted)")
    pk.add_argument("person_key", metavar="PERSON_KEY")
    pk.add_argument(
        "--meeting",
        metavar="YYYY-MM-DD",
        help="date of the MAP meeting the pack is for (printed on every page; default: today)",
    )
    pk.set_defaults(func=_cmd_pack)
    pb = sub.add_parser("publish", help="publish the profile for a month (and the restricted analysts' edition)")
    pb.add_argument("--month", help="month YYYY-MM (default: the latest loaded)")
    pb.add_argument("--analysts", action="store_true", help="also build the restricted analysts' edition")
    pb.add_argument(
        "--png", action="store_true", help="also export every partners' figure as PNG (needs kaleido and Chromium)"
    )
    pb.set_defaults(func=_cmd_publish)
    return p


def _cmd_pack(args: argparse.Namespace) -> int:
    from pipelines.pack import main as pack_main

    return pack_main(args)


def _cmd_publish(args: argparse.Namespace) -> int:
    from pipelines.runs import materialize

    s = load_settings()
    month = args.month
    from transforms.extracts.delivery import no_delivery_months

    with duckdb.connect(str(s.warehouse), read_only=True) as con:
        if not month:
            month = con.execute("select max(delivery_month) from ops.loads where status = 'loaded'").fetchall()[0][0]
        undelivered = no_delivery_months(con)
    if month in undelivered:
        print(
            f"lantern: no delivery for {month}: its month folder held no extract files, so no profile "
            f"is published for it (its counts are unknown, not zero). Put the month's files in the "
            f"inbox and run `lantern refresh --month {month}`.",
            file=sys.stderr,
        )
        return 2
    keys = ["local_profile"] + (["analysts_edition"] if args.analysts else [])
    for key in keys:
        materialize([key], s, months=[month])
    if args.png:
        from dashboards.exports import export_pngs

        pngs = export_pngs(s.build / "profile" / month)
        print(
            f"{len(pngs)} figures as PNG in {s.build / 'profile' / month / 'png'}"
            if pngs
            else "PNG export unavailable (install kaleido; Chromium at /usr/bin/chromium): see the log"
        )
    print(
        f"published {month}: {s.build / 'profile' / month}"
        + (f" and (RESTRICTED) {s.build / 'restricted' / month}" if args.analysts else "")
    )
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `lantern` command."""
    set_process_umask()  # what this process creates is private unless it says otherwise
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s"
    )
    if not args.verbose:  # splink's validation notes on derived columns are not for the user
        logging.getLogger("splink").setLevel(logging.ERROR)
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # the last line of defence: a clear message, not a traceback
        from pipelines.resources import WarehouseBusy
        from pipelines.runs import RefreshBusy
        from transforms.extracts.reader import ExtractError

        if isinstance(exc, (RefreshBusy, ExtractError, WarehouseBusy)):
            print(f"lantern: {exc}", file=sys.stderr)
            return 3
        if isinstance(exc, duckdb.IOException) or isinstance(exc, OSError):
            text = str(exc)
            hint = (
                "the warehouse is open in another process (an analyst session?): analysts should "
                "use the analyst copy under build/analyst/"
                if "lock" in text.lower()
                else "check free disk space and file permissions"
            )
            print(
                f"lantern: {text.splitlines()[0]}\n  {hint}; nothing was half-written (each step is one transaction).",
                file=sys.stderr,
            )
            return 4
        if args.debug:
            raise
        print(f"lantern: {failure_message(exc)}\n  (run again with --debug to see where it failed)", file=sys.stderr)
        return 1


def failure_message(exc: BaseException) -> str:
    """The message of the error that caused a failure: Dagster's wrappers (a step error around
    the asset's own exception, a `Failure` with a description) are unwrapped to the first cause."""
    seen: set[int] = set()
    while id(exc) not in seen:
        seen.add(id(exc))
        inner = getattr(exc, "user_exception", None) or exc.__cause__
        if inner is None:
            break
        exc = inner
    text = getattr(exc, "description", None) or str(exc) or type(exc).__name__
    return " ".join(str(text).split())[:600]


if __name__ == "__main__":
    raise SystemExit(main())
