"""The training program's plan section (host/plan/program.py): the next run's config from the
sessions stored, pause / resume / repeat / end, the retention run's wait, the bad inputs (a plan
for an unknown runner, a program started again half way, a program without a baseline), and the
pull over a real pty: each pull writes the next run, a pull cut at any point leaves the program
consistent and the next pull continues it."""
from __future__ import annotations

import argparse
import json
from datetime import date
from pathlib import Path

import pytest

from host.cli import main as archcue
from host.command import UserError
from host.plan import program as section
from host.plan.history import PlanRun, history
from host.plan.program import PROGRAM, RESET, next_step
from host.store.db import Store
from host.sync import device_link
from host.sync.device_link import LinkError
from host.sync.pull import pull
from tests.helpers import Virtual, wait_for
from tests.test_plan import _config_on, _run_of


def _run(sid: str, step: int | None, day: str = "2026-09-01", foot: str = "right", leftover: bool = False,
         cue: str = "every") -> PlanRun:
    config = {"cue_mode": cue} if step is None else {"plan": "program", "plan_step": step, "cue_mode": cue}
    return PlanRun(sid, foot, f"{day}T07:00:00", "run", config, leftover, 30.0)


def _args(action: str | None) -> argparse.Namespace:
    return argparse.Namespace(program=action)


BASE = [_run("b1", None, "2026-08-30", cue="blocks")]


def _started(history: list[PlanRun] = BASE) -> dict:
    value = PROGRAM.update(None, _args("default"), history)
    assert isinstance(value, dict)
    return value


def _program_runs(steps: range, first_day: int = 1) -> list[PlanRun]:
    return [_run(f"p{k}", k, f"2026-09-{first_day + 2 * (k - 1):02d}") for k in steps]


def test_the_default_program_runs_in_turn() -> None:
    value = _started()
    configs = [PROGRAM.run_config(value, BASE + _program_runs(range(1, k))) for k in range(1, 9)]
    assert [c["plan_step"] for c in configs] == list(range(1, 9))
    assert [c["cue_mode"] for c in configs] == ["every"] * 4 + ["faded"] * 3 + ["off"]
    assert [c.get("fade_start_pct") for c in configs[4:7]] == [50, 50, 25]
    assert all(c["cue_after_s"] == 600 and c["plan"] == "program" for c in configs)


def test_both_insoles_of_a_run_are_one_run_and_leftovers_none() -> None:
    value = _started()
    history = BASE + [_run("l1", 1, foot="left"), _run("r1", 1, foot="right"), _run("x", 2, leftover=True)]
    assert next_step(value, history) == 2


def test_the_retention_run_waits_4_weeks_without_a_cue(monkeypatch: pytest.MonkeyPatch) -> None:
    value, history = _started(), BASE + _program_runs(range(1, 9))  # the last training run on 2026-09-15
    monkeypatch.setattr(section, "_today", lambda: date(2026, 10, 12))
    assert PROGRAM.run_config(value, history) == {"plan": "program", "plan_step": 0, "cue_mode": "off",
                                                  "cue_after_s": 0}
    assert "due from 2026-10-13" in PROGRAM.describe(value, history)[0]
    monkeypatch.setattr(section, "_today", lambda: date(2026, 10, 13))
    cfg = PROGRAM.run_config(value, history)
    assert cfg is not None and cfg["plan_step"] == 9 and cfg["cue_mode"] == "off"
    done = history + [_run("ret", 9, "2026-10-14", cue="off")]
    assert next_step(value, done) is None and PROGRAM.run_config(value, done) == RESET
    assert "complete" in PROGRAM.describe(value, done)[0]


def test_pause_resume_repeat_end() -> None:
    value, history = _started(), BASE + _program_runs(range(1, 3))
    paused = PROGRAM.update(value, _args("pause"), history)
    assert isinstance(paused, dict) and PROGRAM.run_config(paused, history) == RESET  # the insole ran step 2
    assert PROGRAM.run_config(paused, history + [_run("free", None, "2026-09-05")]) is None
    assert "paused before run 3" in PROGRAM.describe(paused, history)[0]
    resumed = PROGRAM.update(paused, _args("resume"), history)
    assert isinstance(resumed, dict) and PROGRAM.run_config(resumed, history)["plan_step"] == 3
    again = PROGRAM.update(resumed, _args("repeat"), history)
    assert isinstance(again, dict) and PROGRAM.run_config(again, history)["plan_step"] == 2
    assert PROGRAM.run_config(again, history + [_run("p2b", 2, "2026-09-05")])["plan_step"] == 3
    ended = PROGRAM.update(again, _args("end"), history)
    assert isinstance(ended, dict) and PROGRAM.run_config(ended, history) == RESET
    with pytest.raises(UserError, match="over"):
        PROGRAM.update(ended, _args("resume"), history)
    assert PROGRAM.update(ended, _args(None), history) is None  # no option given: no change


@pytest.mark.parametrize("history, current, says", [
    ([_run("p1", 1)], None, "no run before the program"),  # a retention run would have no baseline
    ([], None, "no run before the program"),
    (BASE + _program_runs(range(1, 4)), "started", "under way (3 of 9 runs done)"),  # edited half way
])
def test_bad_starts_are_one_line(history: list[PlanRun], current: str | None, says: str) -> None:
    value = _started() if current else None
    with pytest.raises(UserError, match=r"\(nothing (was planned|changed)\)") as e:
        PROGRAM.update(value, _args("default"), history)
    assert says in str(e.value) and "\n" not in str(e.value)


def test_an_earlier_programs_runs_count_for_nothing() -> None:
    history = BASE + _program_runs(range(1, 10))
    value = _started(history)
    assert next_step(value, history) == 1


def test_actions_without_a_program_are_refused() -> None:
    with pytest.raises(UserError, match="start one with --program default"):
        PROGRAM.update(None, _args("pause"), BASE)


def test_archcue_plan_program_and_an_unknown_runner(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from tests.test_plan import _store_with

    store = _store_with(tmp_path)
    assert archcue(["--store", str(store), "plan", "nobody", "--program", "default"]) == 1
    err = capsys.readouterr().err
    assert "no runner 'nobody'" in err and err.count("\n") == 1
    assert archcue(["--store", str(store), "plan", "ana", "--program", "default"]) == 1  # its run is a leftover
    assert "no run before the program" in capsys.readouterr().err and Store(store).plan("ana") is None


def _pull_program(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cut: str) -> None:
    """Baseline run, the program started, a pull writes run 1; run 1 on the insole, a pull cut at
    `cut`; then a whole pull writes run 2, the program one run further."""
    insole = Virtual(tmp_path, config={"runner_id": "ana", "foot": "left", "warmup_s": 10, "block_s": 10})
    try:
        wait_for(lambda: insole.steps_logged() > 2500)
        store = Store(tmp_path / "s.sqlite", create=True)
        pull(store, insole.port, quiet=True)  # the baseline run
        assert archcue(["--store", str(store.path), "plan", "ana", "--program", "default"]) == 0
        _run_of(insole, 2)
        first = pull(store, insole.port, quiet=True)
        assert first.plan_written == "program step 1" and _config_on(insole)["plan_step"] == 1
        assert _config_on(insole)["cue_mode"] == "every" and _config_on(insole)["cue_after_s"] == 600
        _run_of(insole, 3)  # run 1 of the program
        if cut == "mark_synced":  # the cut comes after run 2's config went over: a run under it would
            insole.wear("rest")  # be program step 2 done (and a loaded machine's slow pull records one)
        real_read, real_call = device_link.Insole.read, device_link.Insole.call

        def read(self: device_link.Insole, sid: str, offset: int, n: int) -> bytes:
            if cut == "read":
                raise LinkError("link lost (cable out)")
            return real_read(self, sid, offset, n)

        def call(self: device_link.Insole, command: str, *a: object, **k: object) -> object:
            if command.startswith(cut):
                raise LinkError("link lost (cable out)")
            return real_call(self, command, *a, **k)

        with monkeypatch.context() as m:
            m.setattr(device_link.Insole, "read", read)
            m.setattr(device_link.Insole, "call", call)
            with pytest.raises(LinkError):
                pull(store, insole.port, quiet=True)
        # cut before the config went over: run 1 is (or is not) stored, the insole keeps run 1's config
        assert _config_on(insole)["plan_step"] == (2 if cut == "mark_synced" else 1)
        second = pull(store, insole.port, quiet=True)
        assert second.plan_written == "program step 2" and _config_on(insole)["plan_step"] == 2
        # the runner runs on between pulls: a cut pull's restart may add another run of step 1
        steps = [json.loads(h).get("config", {}).get("plan_step") for (h,) in
                 store.db.execute("SELECT header_json FROM sessions")]
        assert steps.count(1) >= 1 and 2 not in steps
        [line] = PROGRAM.describe(store.plan("ana")["program"], history(store, "ana"))
        assert "run 2 of 9 next" in line and "(1 of 9 runs done)" in line
    finally:
        insole.stop()


@pytest.mark.parametrize("cut", ["read", "write_config", "mark_synced"])
def test_a_cut_pull_leaves_the_program_consistent(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cut: str) -> None:
    _pull_program(tmp_path, monkeypatch, cut)
