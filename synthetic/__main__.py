"""Command line: ``python -m synthetic --out DIR [--people N] [--months M] [--start YYYY-MM] [--seed S] [--defects]``."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from dataclasses import asdict
from pathlib import Path

from synthetic.generator import generate_borough


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, generate the borough, print its summary as JSON."""
    ap = argparse.ArgumentParser(prog="python -m synthetic", description="Generate a synthetic Lantern borough.")
    ap.add_argument("--out", required=True, type=Path, help="borough folder to (re)write")
    ap.add_argument("--people", type=int, default=3000, help="young people aged 10-19 at any one time")
    ap.add_argument("--months", type=int, default=24, help="number of monthly deliveries")
    ap.add_argument("--start", default="2024-11", help="first month, YYYY-MM")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--defects", action="store_true", help="inject contract defects (see truth/defects.csv)")
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(asctime)s %(name)s %(message)s",
    )
    summary = generate_borough(
        args.out,
        people=args.people,
        months=args.months,
        start_month=args.start,
        seed=args.seed,
        defects=args.defects,
    )
    sys.stdout.write(json.dumps({k: v for k, v in asdict(summary).items() if k != "months"}, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
