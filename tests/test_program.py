"""The training program's evidence (host/program/evidence.py) on drawn program runners
(tests/program_runners.py): the retention verdict, its interval, the buzz-only responder and the
runs without a baseline or a retention run. Firmware-level figures (foreign model, the project's
simulator) are in tests/bench_program.py."""
from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta

import numpy as np
import pytest

from host.cli import main as archcue
from host.program.evidence import evidence, program_step
from host.program.schedule import CUE_FREE_S
from host.store.db import Store
from simulator.program import KINDS, RETENTION_STEP, draw
from tests.program_runners import add_program, layout, without

RUNNERS = 30  # per kind


def _evidence(tmp_path, kind: str, seed: int, runs=None):
    store = Store(tmp_path / f"{kind}-{seed}.sqlite")
    t = draw(kind, np.random.default_rng(seed))
    configs = add_program(store, "ana", t, runs or layout(), seed)
    return t, evidence("ana", store.runner_steps("ana"), configs, RETENTION_STEP)


@pytest.fixture(scope="module")
def program_runners(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("program")
    return {kind: [_evidence(tmp, kind, 1000 * k + i) for i in range(RUNNERS)] for k, kind in enumerate(KINDS)}


def test_retention_verdict_is_right(program_runners):
    verdicts = {kind: [ev.retention.verdict for _, ev in runs] for kind, runs in program_runners.items()}
    assert verdicts["learner"].count("kept") >= 0.9 * RUNNERS, verdicts["learner"]
    for kind in ("non_learner", "buzz_only"):
        assert "kept" not in verdicts[kind], (kind, verdicts[kind])
    assert verdicts["non_learner"].count("not_kept") >= 0.9 * RUNNERS, verdicts["non_learner"]


def test_retention_interval_covers_the_truth(program_runners):
    covered = [c.collapse_ratio.low <= t.retention_effect <= c.collapse_ratio.high
               for runs in program_runners.values() for t, ev in runs if (c := ev.retention.comparison)]
    assert len(covered) == 3 * RUNNERS and sum(covered) >= 0.9 * len(covered), sum(covered)


def test_buzz_only_is_told_apart(program_runners):
    said = {kind: sum(ev.buzz_only for _, ev in runs) for kind, runs in program_runners.items()}
    # a non-learner's cued minutes fall below 1 by chance on about 1 runner in 40 (a 95% interval's one side)
    assert said["buzz_only"] >= 0.9 * RUNNERS and said["learner"] == 0 and said["non_learner"] <= 0.1 * RUNNERS, said


def test_runs_measured_in_cue_free_minutes(program_runners):
    _, ev = program_runners["learner"][0]
    assert [r.role for r in ev.runs] == ["baseline"] * 2 + ["training"] * 8 + ["retention"]
    assert [r.step for r in ev.runs] == [0, 0, *range(1, RETENTION_STEP + 1)]
    cued = [r for r in ev.runs if r.role == "training" and r.cue_mode != "off"]
    assert all(r.free_minutes == CUE_FREE_S / 60 and r.cued_rate is not None for r in cued)
    r = ev.runs[-1]
    assert r.cued_rate is None and r.free_minutes >= 29
    assert all(x.free_rate.low <= x.free_rate.estimate <= x.free_rate.high for x in ev.runs)


def test_a_learners_cue_free_collapses_fall_over_the_program(program_runners):
    falls = [np.polyfit(range(8), [r.free_rate.estimate for r in ev.runs if r.role == "training"], 1)[0] < 0
             for _, ev in program_runners["learner"]]
    assert sum(falls) >= 0.9 * RUNNERS


@pytest.mark.parametrize("missing", ["baseline", "retention"])
def test_a_missing_side_is_named(tmp_path, missing):
    _, ev = _evidence(tmp_path, "learner", 7, without(layout(), missing))
    assert ev.retention.verdict == "insufficient_data"
    assert [s.what for s in ev.retention.shortfalls] == [missing]


def test_retention_weeks_after_the_last_training_run(program_runners):
    _, ev = program_runners["learner"][0]
    assert ev.retention.weeks_after == pytest.approx(4)


def test_program_step_only_from_a_program_config():
    assert program_step({"plan": "program", "plan_step": 3}) == 3
    for cfg in (None, {}, {"plan": "drills", "plan_step": 3}, {"plan": "program", "plan_step": "3"},
                {"plan": "program", "plan_step": 0}, {"plan": "program", "plan_step": True}):
        assert program_step(cfg) is None, cfg


@pytest.fixture(scope="module")
def program_store(tmp_path_factory):
    path = tmp_path_factory.mktemp("program-page") / "s.sqlite"
    store = Store(path)
    for k, kind in enumerate(KINDS):
        add_program(store, kind, draw(kind, np.random.default_rng(5 + k)), layout(), 5 + k)
    add_program(store, "newcomer", draw("learner", np.random.default_rng(9)), without(layout(), "baseline"), 9)
    store.close()
    return path


def _page(path, capsys, *argv: str) -> tuple[int, str, str]:
    code = archcue(["--store", str(path), "report", *argv, "--program"])
    out, err = capsys.readouterr()
    return code, out, err


def test_program_page_text(program_store, capsys):
    code, out, _ = _page(program_store, capsys, "learner")
    assert code == 0 and "RETENTION: kept" in out and "fewer collapses" in out
    assert out.count("\n  training ") == 8 and "retention 9" in out and "answer the buzz" not in out


def test_program_page_tells_a_buzz_only_responder(program_store, capsys):
    _, out, _ = _page(program_store, capsys, "buzz_only")
    assert "RETENTION: not_kept" in out and "learnt to answer the buzz, not to land differently" in out


def test_program_page_json_and_html(program_store, capsys, tmp_path):
    _, out, _ = _page(program_store, capsys, "non_learner", "--format", "json")
    doc = json.loads(out)
    assert doc["retention"]["verdict"] == "not_kept" and len(doc["runs"]) == 11 and doc["buzz_only"] is False
    _, out, _ = _page(program_store, capsys, "learner", "--out", str(tmp_path / "p.html"))
    assert "retention kept: program page written to" in out
    html = (tmp_path / "p.html").read_text()
    assert html.count("<img") == 1 and "Collapses per run" in html


def test_a_program_without_a_baseline_says_so(program_store, capsys):
    code, out, _ = _page(program_store, capsys, "newcomer")
    assert code == 0 and "RETENTION: insufficient_data" in out and "no run before the program" in out
    assert "training 8" in out  # its runs are still shown


def test_program_page_of_an_unknown_runner(program_store, capsys):
    code, out, err = _page(program_store, capsys, "nobody")
    assert code == 1 and out == "" and "no runner 'nobody' in the store" in err and err.count("\n") == 1


def test_each_cue_records_when_the_motor_started(tmp_path):
    """Through the firmware (the project's simulator, the runner answering cues): one cue event per
    cued landing, at its contact, with the haptic call's time after it; the step records unchanged."""
    from hardware.board_data import load_board
    from host.program.evidence import cue_timing
    from host.store.records import count_steps, flag
    from simulator.device import run_synth
    from simulator.scenario import load_scenario
    from simulator.synth import generate

    run = generate(load_scenario("responder"), seed=3, seconds=240)
    result = run_synth(run, load_board(), {"cue_mode": "every"}, tmp_path)
    store = Store(tmp_path / "s.sqlite")
    [sid] = store.import_device(tmp_path / "device")
    events, steps = store.events(sid), store.steps(sid)
    cued = steps[flag(steps, "cued")]
    hap = [t for t, ms in result.haptics if isinstance(ms, int)]
    assert len(events) == len(cued) == len(hap) > 10
    assert [e["t_ms"] for e in events] == cued["ic_ms"].tolist()
    assert [e["t_ms"] + e["latency_ms"] for e in events] == hap  # the motor's start, to the ms
    [(blob,)] = store.db.execute("SELECT records FROM steps").fetchall()
    assert count_steps(blob) == len(steps) == len(blob) // 24 - len(events)
    timing = cue_timing(events)
    assert timing is not None and timing.cues == len(events) and timing.median_ms <= timing.p95_ms <= 80


def test_the_demo_runs_a_whole_program(tmp_path, capsys):
    """`make demo DEMO=--program`: the plan's runs through the firmware, stored, and the page."""
    from simulator.__main__ import main as simulator

    assert simulator(["demo", "--program", "--seconds", "720", "--dir", str(tmp_path / "demo")]) == 0
    out = capsys.readouterr().out
    assert "RETENTION: " in out and "retention 9" in out and out.count("\n  training ") == 8
    assert "The cue's timing: the motor started a median" in out
    assert (tmp_path / "demo" / "program-demo-learner.html").read_text().count("<img") == 1


def test_an_earlier_programs_runs_are_left_out(tmp_path):
    """A second program (the plan's "ignore": the first one's sessions): only its own runs count."""
    store = Store(tmp_path / "s.sqlite")
    t = draw("learner", np.random.default_rng(11))
    first = add_program(store, "ana", t, layout(), 11)
    later = [replace(r, when=r.when + timedelta(weeks=20)) for r in layout() if r.step in (1, 2)]
    configs = {**first, **add_program(store, "ana", t, later, 12)}
    ev = evidence("ana", store.runner_steps("ana"), configs, RETENTION_STEP, ignore=tuple(first))
    assert [(r.role, r.step) for r in ev.runs] == [("training", 1), ("training", 2)]
    assert [s.what for s in ev.retention.shortfalls] == ["baseline"]
