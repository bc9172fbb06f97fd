"""Where the themes stage's time goes: each themes asset's transform timed on its own.

    python -m bench.themes WAREHOUSE [--profile OUT.prof] [--workers N] [--only NAME,...]

Runs the themes assets' transforms in the order a refresh runs them (`theme_monthly`,
`theme_breakdowns`, `emerging_themes`, `need_cohorts`) against WAREHOUSE, which must already hold
`core` and the person marts (the bench stages up to `core_marts`). It writes to WAREHOUSE: time a
copy. Prints one JSON line of seconds per step (and the memo's hits and misses where a step keeps
one). With `--profile`, the steps run under cProfile and the profile is saved for `pstats`.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import sys
import time

from pipelines.resources import connect_warehouse

STEPS = ("theme_monthly", "theme_breakdowns", "emerging_themes", "need_cohorts")


def run_step(con, name: str, workers: int) -> dict:  # type: ignore[no-untyped-def]
    """One themes asset's transform on `con`; its counts."""
    if name == "theme_monthly":
        from transforms.themes.monthly import build_theme_monthly

        version = con.execute("select max(version) from marts.theme_definition").fetchall()[0][0]
        return build_theme_monthly(con, str(version))
    if name == "theme_breakdowns":
        from transforms.themes.breakdowns import build_breakdowns

        return build_breakdowns(con)
    if name == "emerging_themes":
        from transforms.themes.emerging import build_emerging_themes

        return build_emerging_themes(con, workers=workers)
    if name == "need_cohorts":
        from transforms.themes.cohorts import build_cohorts

        return build_cohorts(con)
    raise ValueError(f"unknown themes step {name!r}; one of {', '.join(STEPS)}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.themes")
    ap.add_argument("warehouse")
    ap.add_argument("--profile", default="")
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--only", default=",".join(STEPS))
    args = ap.parse_args(argv)
    out: dict[str, object] = {"workers": args.workers}
    prof = cProfile.Profile() if args.profile else None
    with connect_warehouse(args.warehouse) as con:
        for name in args.only.split(","):
            t0 = time.perf_counter()
            if prof is not None:
                prof.enable()
            counts = run_step(con, name, args.workers)
            if prof is not None:
                prof.disable()
            out[name] = round(time.perf_counter() - t0, 2)
            memo = {k: v for k, v in counts.items() if "cache" in k or "hits" in k or "misses" in k}
            if memo:
                out[f"{name}_memo"] = memo
    if prof is not None:
        prof.dump_stats(args.profile)
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
