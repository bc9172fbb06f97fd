"""Every command ends a failure with its message and a non-zero code; a traceback only with --debug."""

from __future__ import annotations

import dagster as dg
import pytest

from pipelines import cli


@dg.asset
def person_identity() -> None:
    raise ValueError("core.person_link has no column 'x': rebuild identity")


def _boom(args) -> int:  # type: ignore[no-untyped-def]
    """A command whose asset fails inside Dagster, as a refresh's step would."""
    dg.materialize([person_identity], instance=dg.DagsterInstance.ephemeral(), raise_on_error=True)
    return 0


def test_failure_prints_the_cause_not_a_traceback(monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    monkeypatch.setattr(cli, "_cmd_status", _boom)
    code = cli.main(["status"])
    err = capsys.readouterr().err
    print(err)
    assert code == 1
    assert "core.person_link has no column 'x'" in err
    assert "Traceback" not in err and "--debug" in err


def test_debug_shows_the_traceback(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cli, "_cmd_status", _boom)
    with pytest.raises(ValueError):
        cli.main(["--debug", "status"])


def test_dagster_failure_description_is_the_message() -> None:
    exc = dg.Failure(description="disclosure scan failed: 2 problems")
    assert cli.failure_message(exc) == "disclosure scan failed: 2 problems"


def test_a_run_left_running_is_marked_failed_at_the_next_start() -> None:
    import duckdb

    from pipelines.runs import mark_interrupted
    from transforms.warehouse import bootstrap

    con = duckdb.connect()
    bootstrap(con)
    con.execute(
        "INSERT INTO ops.runs VALUES ('killed', 'refresh', '2025-01', now(), NULL, 'running', NULL), "
        "('done', 'refresh', '2025-01', now(), now(), 'succeeded', '')"
    )
    assert mark_interrupted(con) == 1
    rows = dict(con.execute("SELECT run_id, status FROM ops.runs").fetchall())
    assert rows == {"killed": "failed", "done": "succeeded"}
    assert "interrupted" in con.execute("SELECT message FROM ops.runs WHERE run_id = 'killed'").fetchone()[0]
