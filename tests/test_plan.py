"""One plan per runner (host/plan/): stored, shown, refused when it would run two things at once,
and written to the insole at pull, its progress read from the sessions stored (a pull cut short
leaves it where it was)."""
from __future__ import annotations

import argparse
import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from firmware.core import sessionlog
from host.cli import main as archcue
from host.plan import sections
from host.plan.history import PlanRun
from host.store.db import Store
from host.store.records import parse_session
from host.sync import device_link
from host.sync.device_link import LinkError
from host.sync.pull import pull
from tests.helpers import Virtual, wait_for
from tests.sessionfiles import sealed_session


class Walk:
    """A run section for these tests: runs `steps` planned runs in turn, each once."""

    runs = True

    def __init__(self, name: str) -> None:
        self.name = name

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument(f"--{self.name}", type=int, metavar="RUNS")

    def update(self, current: dict | None, args: argparse.Namespace, history: list[PlanRun]) -> object:
        n = getattr(args, self.name)
        if n is None:
            return None
        return sections.REMOVE if n == 0 else {"steps": n}

    def _done(self, history: list[PlanRun]) -> set[int]:
        return {r.plan_step for r in history if r.plan == self.name}

    def describe(self, value: dict, history: list[PlanRun]) -> list[str]:
        return [f"{self.name}: {len(self._done(history))} of {value['steps']} runs done"]

    def run_config(self, value: dict, history: list[PlanRun]) -> dict | None:
        step = len(self._done(history)) + 1
        return None if step > value["steps"] else {"plan": self.name, "plan_step": step, "cue_mode": "every"}


@pytest.fixture()
def walks() -> Iterator[None]:
    """Two run sections in place of the real ones (the list is changed in place: modules hold it)."""
    saved = sections.SECTIONS[:]
    sections.SECTIONS[:] = [Walk("walk"), Walk("jog")]
    yield
    sections.SECTIONS[:] = saved


def _store_with(tmp_path: Path, runner: str = "Ana") -> Path:
    path = tmp_path / "s.sqlite"
    store = Store(path, create=True)
    store.import_parsed(parse_session(sealed_session(5, runner=runner)), "sha")
    store.close()
    return path


def test_a_plan_is_stored_by_runner_name_and_revised(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.sqlite", create=True)
    assert store.plan("ana") is None and store.plan_revision("ana") == 0
    assert store.save_plan("Ana", {"drills": {"names": ["balance"]}}) == 1
    assert store.save_plan(" ANA ", {"drills": {"names": ["toe-waver"]}}) == 2  # one runner, however spelt
    assert store.plan("ana") == {"drills": {"names": ["toe-waver"]}}
    store.save_plan("ana", {})
    assert store.plan("ana") is None


def test_a_schema_5_store_gains_the_plans_table(tmp_path: Path) -> None:
    path = _store_with(tmp_path)
    db = sqlite3.connect(path)
    db.executescript("DROP TABLE plans; UPDATE meta SET value = '5' WHERE key = 'schema_version';")
    db.close()
    store = Store(path)
    assert store.save_plan("ana", {"x": {}}) == 1 and len(store.sessions()) == 1


def test_plan_sets_shows_and_refuses_two_runs_at_once(tmp_path: Path, walks: None,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    store = _store_with(tmp_path)
    base = ["--store", str(store), "plan"]
    assert archcue(base + ["ana"]) == 0
    assert "has no plan" in capsys.readouterr().out
    assert archcue(base + ["ana", "--walk", "3"]) == 0
    out = capsys.readouterr().out
    assert "walk: 0 of 3 runs done" in out and "plan=walk, plan_step=1, cue_mode=every" in out
    assert archcue(base + ["ana", "--jog", "2"]) == 1
    assert "walk and jog at once" in capsys.readouterr().err
    assert archcue(base + ["ana", "--walk", "0", "--jog", "2", "--format", "json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["plan"] == {"jog": {"steps": 2}} and shown["next_config"]["plan"] == "jog"
    assert shown["revision"] == 2


def test_a_plan_for_an_unknown_runner_is_one_line(tmp_path: Path, walks: None,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    assert archcue(["--store", str(_store_with(tmp_path)), "plan", "bob", "--walk", "2"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no runner 'bob'" in err and "nothing was planned" in err


def _run_of(insole: Virtual, sessions: int) -> None:
    """Wait until the insole holds `sessions` sessions, the newest with running in it."""
    device = str(insole.dir / "device")

    def done() -> bool:
        ids = sessionlog.session_ids(device)
        return len(ids) >= sessions and Path(sessionlog.path(device, ids[-1])).stat().st_size > 2500

    wait_for(done, timeout=60)


def _config_on(insole: Virtual) -> dict:
    return json.loads((insole.dir / "device" / "config.json").read_text())


def test_each_pull_writes_the_plans_next_run_and_a_cut_pull_changes_nothing(
        tmp_path: Path, walks: None, monkeypatch: pytest.MonkeyPatch) -> None:
    insole = Virtual(tmp_path, config={"runner_id": "ana", "foot": "left"})
    try:
        wait_for(lambda: insole.steps_logged() > 2000)
        store = Store(tmp_path / "s.sqlite", create=True)
        first = pull(store, insole.port, quiet=True)  # no plan yet: the config stays
        assert not first.config_written and first.plan_written is None
        store.save_plan("ana", {"walk": {"steps": 2}})
        _run_of(insole, 2)
        second = pull(store, insole.port, quiet=True)
        assert second.plan_written == "walk step 1" and _config_on(insole)["plan_step"] == 1
        assert _config_on(insole)["runner_id"] == "ana"  # the rest of the config kept
        _run_of(insole, 3)  # the run of step 1

        def cut(self: device_link.Insole, sid: str, offset: int, n: int) -> bytes:
            raise LinkError("link lost (cable out)")

        with monkeypatch.context() as m:  # the run of step 1 is on the insole; the pull dies reading it
            m.setattr(device_link.Insole, "read", cut)
            with pytest.raises(LinkError):
                pull(store, insole.port, quiet=True)
        assert _config_on(insole)["plan_step"] == 1  # nothing moved: step 1's run is not in the store
        third = pull(store, insole.port, quiet=True)
        assert third.plan_written == "walk step 2" and _config_on(insole)["plan_step"] == 2
        coach = pull(store, insole.port, quiet=True, config_file={"cue_mode": "off"})  # the coach's word wins
        assert _config_on(insole)["cue_mode"] == "off" and coach.plan_written is not None
    finally:
        insole.stop()
