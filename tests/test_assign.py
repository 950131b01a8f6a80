"""The runner's name goes where the coach says: pull --runner places the sessions that name
no runner, archcue assign moves sessions (one transaction, kept in their history), and the
report on `unassigned` says when it pools several insoles or days."""
from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import pytest

from host.cli import main as archcue
from host.store.db import SCHEMA_VERSION, Store, StoreError
from host.store.records import parse_session
from tests.helpers import Virtual, wait_for
from tests.sessionfiles import sealed_session
from tests.test_pull import SID


def _put(store: Store, sid: str, named: str = "", device: str = "dev1", **where: str) -> None:
    """A session whose header names `named` (no runner if empty), imported with `where` (runner, foot)."""
    data = sealed_session(30, sid=sid, runner=named, device=device)
    store.import_parsed(parse_session(data, sid), hashlib.sha256(data).hexdigest(), **where)


def test_pull_runner_places_the_new_sessions_and_assign_moves_them(tmp_path: Path,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    insole = Virtual(tmp_path)  # a fresh insole: no runner in its config
    try:
        wait_for(lambda: insole.steps_logged() > 2000)
        store = ["--store", str(tmp_path / "s.sqlite")]
        assert archcue(store + ["pull", "--port", insole.port, "--runner", "alice", "--foot", "left"]) == 0
        out = capsys.readouterr().out
        assert f"{SID}1 -> alice" in out
        assert "the insole was recording: run stopped and saved" in out
    finally:
        insole.stop()
    assert archcue(store + ["runners"]) == 0
    out = capsys.readouterr().out
    assert "alice" in out and "unassigned" not in out
    assert archcue(store + ["report", "alice"]) == 0
    assert "alice" in capsys.readouterr().out
    [row] = Store(tmp_path / "s.sqlite").sessions()
    assert row.foot == "left"

    assert archcue(store + ["assign", SID + "1", "--runner", "bob", "--foot", "right"]) == 0
    assert f"{SID}1: alice -> bob" in capsys.readouterr().out
    assert archcue(store + ["sessions", "--all"]) == 0  # a few seconds of steps: a short session
    assert "moved from alice by assign" in capsys.readouterr().out
    assert archcue(store + ["report", "bob"]) == 0
    assert "bob" in capsys.readouterr().out
    assert archcue(store + ["report", "alice"]) == 1  # its only session moved: the runner is gone
    assert "no runner 'alice'" in capsys.readouterr().err
    s = Store(tmp_path / "s.sqlite")
    assert [(h[1], h[2], h[4], h[5]) for h in s.histories([SID + "1"])[SID + "1"]] == [
        (None, "alice", "left", "pull --runner"), ("alice", "bob", "right", "assign")]


def test_a_session_that_names_its_runner_keeps_it(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.sqlite")
    _put(store, "dev1-000001", named="ana", runner="alice")
    assert store.runner_of("dev1-000001") == "ana" and store.histories(["dev1-000001"]) == {}


def test_assign_is_all_or_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store = Store(tmp_path / "s.sqlite")
    _put(store, "dev1-000001")
    _put(store, "dev1-000002")
    with pytest.raises(StoreError, match="dev1-000009"):
        store.assign(["dev1-000001", "dev1-000009"], "alice")
    assert {s.runner for s in store.sessions()} == {"unassigned"} and store.histories(["dev1-000001"]) == {}
    assert archcue(["--store", str(tmp_path / "s.sqlite"), "assign", "dev1-000001", "--runner", "a\x1bb"]) == 1
    assert "control character" in capsys.readouterr().err
    store.assign(["dev1-000001", "dev1-000002"], "alice")
    assert [r[0] for r in store.runners()] == ["alice"]


def test_a_version_2_store_gains_the_history_on_opening(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite"
    store = Store(path)
    _put(store, "dev1-000001")
    store.db.executescript("DROP TABLE assignments; UPDATE meta SET value = '2' WHERE key = 'schema_version';")
    store.close()
    store = Store(path, create=False)
    assert store.db.execute("SELECT value FROM meta").fetchone()[0] == str(SCHEMA_VERSION)
    store.assign(["dev1-000001"], "alice")
    assert store.histories(["dev1-000001"])["dev1-000001"][0][1:3] == ("unassigned", "alice")
    assert sqlite3.connect(path).execute("SELECT COUNT(*) FROM assignments").fetchone()[0] == 1


def test_report_unassigned_warns_when_it_pools_insoles(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "s.sqlite"
    store = Store(path)
    _put(store, "dev1-000001")
    store.close()
    assert archcue(["--store", str(path), "report", "unassigned"]) == 0
    assert "pools" not in capsys.readouterr().err
    store = Store(path)
    _put(store, "dev2-000001", device="dev2")
    store.close()
    assert archcue(["--store", str(path), "report", "unassigned"]) == 0
    assert "'unassigned' pools 2 sessions from 2 insoles" in capsys.readouterr().err
