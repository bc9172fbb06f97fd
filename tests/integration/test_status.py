"""`lantern status` tells the truth about a month: a re-sent file counts once (its earlier
quarantined rows kept, not counted twice), a refusal reads as resolved once the file loads, and a
file held back by a refused file it refers to is recorded."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb

from pipelines.cli import _print_status
from tests.conftest import SAMPLE
from transforms.extracts.delivery import load_delivery
from transforms.extracts.profiles import load_profiles
from transforms.warehouse import bootstrap

MONTH = "2024-11"


def _status(con: duckdb.DuckDBPyConnection, capsys) -> str:  # type: ignore[no-untyped-def]
    capsys.readouterr()
    _print_status(con)
    out = capsys.readouterr().out
    print(out)
    return out


def test_resent_file_counts_once_and_a_fixed_refusal_reads_resolved(tmp_path: Path, capsys) -> None:
    inbox = tmp_path / "inbox"
    shutil.copytree(SAMPLE / MONTH, inbox / MONTH)
    crimes = inbox / MONTH / "police_crimes.csv"
    good = crimes.read_bytes()
    lines = good.decode("utf-8").splitlines(keepends=True)
    # a row with an unknown offence group: quarantined in both versions of the file
    bad_row = lines[1].replace("violence_against_the_person", "no_such_group", 1)
    con = duckdb.connect(str(tmp_path / "wh.duckdb"))
    bootstrap(con)
    profiles = load_profiles(None)

    # 1. the crimes file is refused (broken header): the persons file waits on it
    crimes.write_text("not,a,crimes,file\n1,2,3,4\n", encoding="utf-8")
    first = {r.source: r for r in load_delivery(con, inbox, MONTH, profiles)}
    assert first["police_crimes"].status == "failed" and first["police_persons"].status == "waiting"
    out = _status(con, capsys)
    assert f"refused {MONTH}/police_crimes.csv" in out and f"waiting {MONTH}/police_persons.csv" in out

    # 2. fixed and sent again, with one bad row
    crimes.write_bytes(good + bad_row.encode("utf-8"))
    load_delivery(con, inbox, MONTH, profiles)
    # 3. re-sent once more (another edit: same bad row, one row fewer)
    crimes.write_bytes("".join(lines[:-1]).encode("utf-8") + bad_row.encode("utf-8"))
    load_delivery(con, inbox, MONTH, profiles)
    out = _status(con, capsys)
    assert "  refused " not in out and "  waiting " not in out
    assert "earlier refusal(s) resolved" in out
    n_files = len([p for p in (inbox / MONTH).iterdir() if p.suffix in (".csv", ".xlsx")]) + 1  # xlsx: 2 sheets
    current = con.execute(
        "SELECT count(*), sum(rows_loaded), sum(rows_quarantined) FROM ops.loads "
        "WHERE status = 'loaded' AND replaced_by_load IS NULL"
    ).fetchall()[0]
    assert current[0] == n_files
    assert f"files {n_files:>2} / 0" in out and f"rows {current[1]:>7} / 1 / 0" in out
    # the earlier version's quarantined row is kept, marked, and not counted again
    q = con.execute("SELECT count(*), count(*) FILTER (WHERE replaced_by_load IS NULL) FROM ops.quarantine").fetchall()[
        0
    ]
    assert q == (2, 1)
    assert "1 earlier version(s) of re-sent files replaced" in out
