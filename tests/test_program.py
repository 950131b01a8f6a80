"""The training program's evidence (host/program/evidence.py) on drawn program runners
(tests/program_runners.py): the retention verdict, its interval, the buzz-only responder and the
runs without a baseline or a retention run. Firmware-level figures (foreign model, the project's
simulator) are in tests/bench_program.py."""
from __future__ import annotations

import numpy as np
import pytest

from host.program.evidence import evidence, program_step
from host.program.schedule import CUE_FREE_S
from host.store.db import Store
from tests.program_runners import KINDS, RETENTION_STEP, add_program, draw, layout, without

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
