"""The access log: every query or restricted read an analyst makes, refused and failed ones too.

Readers never write the warehouse (it holds `raw`, and a reader holding it would make a refresh
fail). Each request writes its own small file in the spool folder (`build/access/`, 0730: the
analysts' group can add files there but not list or read each other's) *before* it runs, and
appends its outcome after. Each refresh collects the spool into `ops.access_log` and removes
what it collected; an entry whose process died before reporting is collected as `interrupted`
once it is a day old.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterable
from datetime import datetime, timedelta
from pathlib import Path

import duckdb

from transforms.filemodes import RESTRICTED, make_dir, umask
from transforms.sqlrun import transaction

FINAL = {"ok", "refused", "failed"}
STALE_AFTER = timedelta(days=1)


class AccessEntry:
    """One request in the spool: opened before it runs, closed with its outcome."""

    def __init__(self, spool: Path, *, user: str, kind: str, query: str) -> None:
        make_dir(spool, 0o007, mode=0o730)
        self.query_id = uuid.uuid4().hex
        now = datetime.now()
        self.path = spool / f"{now:%Y%m%dT%H%M%S}-{os.getpid()}-{self.query_id[:8]}.jsonl"
        self._write(
            {
                "query_id": self.query_id,
                "accessed_at": now.isoformat(timespec="microseconds"),
                "user_name": user,
                "kind": kind,
                "query": query,
                "outcome": "started",
            },
            create=True,
        )

    def _write(self, entry: dict[str, object], create: bool = False) -> None:
        flags = os.O_WRONLY | os.O_APPEND | (os.O_CREAT | os.O_EXCL if create else 0)
        with umask(RESTRICTED):
            fd = os.open(self.path, flags, 0o640)
        try:
            os.write(fd, (json.dumps(entry, ensure_ascii=False) + "\n").encode("utf-8", errors="backslashreplace"))
            os.fsync(fd)
        finally:
            os.close(fd)

    def close(
        self, outcome: str, *, rows: int | None = None, target: str | None = None, message: str | None = None
    ) -> None:
        """Record how the request ended (ok, refused or failed)."""
        assert outcome in FINAL, outcome
        self._write(
            {"query_id": self.query_id, "outcome": outcome, "row_count": rows, "target": target, "message": message}
        )


def _read(path: Path) -> dict[str, object] | None:
    entry: dict[str, object] = {}
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError:
        return None
    for line in lines:
        try:
            entry.update({k: v for k, v in json.loads(line).items() if v is not None or k not in entry})
        except ValueError:
            continue  # a line cut by a crash: the lines before it stand
    return entry if entry.get("query_id") else None


def collect(con: duckdb.DuckDBPyConnection, spool: Path, now: datetime | None = None) -> int:
    """Move the spool's finished entries (and day-old unfinished ones, as `interrupted`) into
    `ops.access_log`; returns entries added. An entry already collected is not added twice."""
    if not spool.is_dir():
        return 0
    now = now or datetime.now()
    rows, done = [], []
    for path in sorted(spool.glob("*.jsonl")):
        entry = _read(path)
        if entry is None:
            continue
        outcome = str(entry.get("outcome"))
        if outcome not in FINAL:
            if now - datetime.fromtimestamp(path.stat().st_mtime) < STALE_AFTER:
                continue  # still running, perhaps
            outcome = "interrupted"
        rows.append(
            [
                entry.get("query_id"),
                entry.get("accessed_at"),
                entry.get("user_name"),
                entry.get("kind"),
                entry.get("query"),
                outcome,
                entry.get("row_count"),
                entry.get("target"),
                entry.get("message"),
            ]
        )
        done.append(path)
    if not rows:
        return 0
    with transaction(con):
        con.execute(
            "CREATE OR REPLACE TEMP TABLE _spool (query_id VARCHAR, accessed_at TIMESTAMP, user_name VARCHAR, "
            "kind VARCHAR, query VARCHAR, outcome VARCHAR, row_count BIGINT, target VARCHAR, message VARCHAR)"
        )
        con.executemany("INSERT INTO _spool VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
        added = con.execute(
            "INSERT INTO ops.access_log (accessed_at, user_name, kind, query, row_count, target, query_id, outcome, message) "
            "SELECT accessed_at, user_name, kind, query, row_count, target, query_id, outcome, message FROM _spool s "
            "WHERE NOT EXISTS (SELECT 1 FROM ops.access_log a WHERE a.query_id = s.query_id)"
        ).fetchall()[0][0]
        con.execute("DROP TABLE _spool")
    for path in done:
        path.unlink(missing_ok=True)
    return int(added)


def redact_spool(spool: Path, needles: Iterable[str], replacement: str = "[erased]") -> int:
    """Rewrite spool files that mention any of `needles` with it replaced; returns files changed."""
    words = [n for n in needles if n]
    changed = 0
    if not spool.is_dir() or not words:
        return 0
    for path in spool.glob("*.jsonl"):
        try:
            text = path.read_text(encoding="utf-8")
        except OSError:
            continue
        new = text
        for w in words:
            new = new.replace(w, replacement)
        if new != text:
            tmp = path.with_suffix(".tmp")
            with umask(RESTRICTED):
                tmp.write_text(new, encoding="utf-8")
            os.replace(tmp, path)
            changed += 1
    return changed
