"""A sample of the robustness grid (tests/bench_robustness.py; `make bench` runs all of it):
the issue's bars on runs from the foreign signal model and from the project's generator."""
from __future__ import annotations

import pytest

from simulator.synth import STILL
from tests.bench_robustness import bouts, false_collapses, foreign, own, own_still


@pytest.mark.parametrize("name, seed", [("rearfoot collapse 70%, toes 30%", 4), ("forefoot toes 50% (habit)", 5),
                                        ("pace 150-190 + walk, 2 N wandering, 1 N noise", 6),
                                        ("100 Hz rearfoot, 2 N preload, 1 N noise", 7)])
def test_foreign_runs_meet_the_bars(name: str, seed: int) -> None:
    s, _ = foreign(name, seed)
    assert s.f1 >= 0.98 and s.ic_err_p95_ms <= 20, s
    assert s.collapse_bacc >= 0.9 and s.toe_bacc >= 0.9, s
    # judged, not left uncertain, on a share of landings: the first 30 running landings never
    # are, and a window that mixes paces (150-190 spm) holds no clear split for a while
    assert s.arch_coverage >= 0.2, s


def test_foreign_dead_heel_noise_and_preload() -> None:
    s, _ = foreign("dead heel, 2.5 N noise, 4 N preload", 8)
    assert s.f1 >= 0.95 and s.collapse_bacc >= 0.8 and s.toe_bacc >= 0.8, s


def test_own_dead_heel_noise_and_preload() -> None:
    # the window placed by load (pipeline._place_window): before, the arch share's noise
    # hid the split and every landing was left uncertain (nothing judged)
    s = own("dead heel, 2.5 N noise, 4 N preload", 12)
    assert s.f1 >= 0.95 and s.collapse_bacc >= 0.8 and s.toe_bacc >= 0.8, s
    assert s.arch_coverage >= 0.2, s


def test_no_steps_standing_leaning_squatting_lifting() -> None:
    _, per_min = foreign("stand / lean / squat / lift, 1 N noise, 2 N preload", 9, still=True)
    assert per_min <= 0.25


def test_own_generator_run_walk_intervals() -> None:
    s = own("run 60 s / walk 30 s, 0.8 N noise", 10)
    assert s.f1 >= 0.98 and s.walk_bacc >= 0.95 and s.collapse_bacc >= 0.9 and s.toe_bacc >= 0.9, s


@pytest.mark.parametrize("model, strike, fields", [
    ("own", "midfoot", {}),
    # a dead heel with curled toes on half the landings: the toes once moved the landing window
    # and raised the arch's share on every curled landing, which split as "collapses"
    ("own", "rearfoot", {"p_toe_engaged": 0.5, "sensors": {"dead": ["heel"], "noise_n": 1.0, "preload_n": 2}}),
    ("foreign", "rearfoot", {"toe_prob": 0.5, "dead": ("heel",), "noise_n": 1.0}),
    # the same noise and preload as the dead-heel bar, where the window is placed by load
    ("own", "rearfoot", {"sensors": {"dead": ["heel"], "noise_n": 2.5, "preload_n": 4}})])
def test_no_false_collapses_without_collapse(model: str, strike: str, fields: dict) -> None:
    flagged, judged, _ = false_collapses(model, strike, 11, **fields)
    assert flagged <= judged // 50, (flagged, judged)  # at most 2% of the landings judged


@pytest.mark.parametrize("seed, sensors, toes", [
    (17, {"dead": ["heel"]}, 0.3),
    (19, {"dead": ["heel"], "noise_n": 0.4, "preload_n": 4}, 0.3),
    (31, {"dead": ["heel"], "noise_n": 1.0, "preload_n": 2}, 0.5)])
def test_no_false_collapses_from_a_dead_heels_window_placement(seed: int, sensors: dict, toes: float) -> None:
    # own-model runs with a dead heel and no collapse whose arch share split 0.5-0.7 octave
    # apart (4.3-5.0 SDs): the window opened early on some landings (curled toes, noise),
    # where the arch's share is higher. Before the 1.6x floor (landing._ARCH_GAP_PCT) they
    # flagged 31 of 161, 44 of 167 and 27 of 115 judged landings
    flagged, judged, _ = false_collapses("own", "rearfoot", seed, p_toe_engaged=toes, sensors=sensors)
    assert flagged <= judged // 50, (flagged, judged)


@pytest.mark.parametrize("model, rate", [("own", 200), ("own", 100), ("foreign", 200), ("foreign", 100)])
def test_walking_from_standstill(model: str, rate: int) -> None:
    # walks of 3-7 steps from standing, each ending standing (seed 13: not one the bench
    # or the mechanisms were tried on): every landing found, the first and the last (it
    # stays down) included, its contact where its load begins
    b = bouts(model, 13, rate)
    assert b["f1"] >= 0.95, b
    assert b["first_p95"] <= 30, b  # a walk's first landing, after the foot lifted off standing
    assert b["onset_p95"] <= (50 if model == "own" else 30), b  # own: a 100 ms soft heel under 1 N noise


@pytest.mark.parametrize("kind", STILL)
def test_no_steps_in_standing_about(kind: str) -> None:
    # 4 minutes of each activity after a walk (seed 21, unseen): at most one false step;
    # weight shifts that leave 5-15% of the standing load on the foot for 0.6-2 s are
    # stepping in place but for the lift, and still make some (README, known limits: 0.3-0.5
    # a minute over seeds 1-6), so they are held to their measured rate
    assert own_still(kind, 21) <= (3 if kind == "shift" else 1)
