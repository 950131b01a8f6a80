"""The drill figures (firmware/core/drills.py, through host/drills/measure.py as an import reads a
recording) against the issue's bars, on the foreign drill performer (tests/foreign_drills.py) and
the project's own (simulator/drills.py): three skill levels, both feet, noise in newtons."""
from __future__ import annotations

import numpy as np
import pytest

from host.drills.measure import measure_loads
from simulator import drills as own_drills
from tests import drill_scores as ds
from tests import foreign_drills as fd

SEEDS = range(4)
FEET = ("left", "right")


def _foreign_sets():
    for skill in fd.SKILLS:
        for foot in FEET:
            for seed in SEEDS:
                yield fd.performer(skill, foot, seed), seed


def _own_sets(drill: str):
    for skill in own_drills.SKILLS:
        for foot in FEET:
            for seed in SEEDS:
                yield own_drills.perform(drill, skill, foot, seed)


def _balance_bars(score: ds.BalanceScore) -> None:
    assert score.found == score.trials and score.extra_trials == 0, score.line()
    assert score.sensitivity >= 0.95, score.line()
    assert score.td_false * 10 <= score.trials, score.line()
    assert score.held_ok == score.found, score.line()


def test_balance_foreign() -> None:
    score = ds.BalanceScore()
    for p, seed in _foreign_sets():
        rec = fd.balance(p, seed=seed)
        score.add(rec.truth, ds.foreign(rec, "balance"))
    _balance_bars(score)


def test_balance_own() -> None:
    score = ds.BalanceScore()
    for d in _own_sets("balance"):
        score.add(d.truth, ds.own(d))
    _balance_bars(score)


def _short_foot_bars(score: ds.CountScore) -> None:
    """Exact in 90% of the sets where no rep came near the line (the foreign performer's
    sway takes some reps to within 3 points of it: those are counted apart, see
    foreign_drills._ambiguous), and a toe curl never counted."""
    assert score.clear_ok, score.line("reps")
    assert score.curls_counted == 0 and score.curls_seen >= score.curls, score.line("reps")


def test_short_foot_foreign() -> None:
    score = ds.CountScore()
    for p, seed in _foreign_sets():
        rec = fd.short_foot(p, seed=seed)
        ds.score_short_foot(score, rec.truth, ds.foreign(rec, "short-foot"))
    _short_foot_bars(score)


def test_short_foot_own() -> None:
    score = ds.CountScore()
    for d in _own_sets("short-foot"):
        ds.score_short_foot(score, d.truth, ds.own(d))
    _short_foot_bars(score)


def test_toe_curl_is_never_a_rep() -> None:
    """Every effort a toe curl: none counted, each reported as a curl."""
    for seed in SEEDS:
        d = own_drills.perform("short-foot", "wobbly", "left", seed)
        curls = d.truth["curls"]
        m = ds.own(d)
        assert sum(r["outcome"] == 2 for r in m.of("rep")) == curls
    p = fd.performer("poor", "right", 1)
    rec = fd.short_foot(p, reps=6, seed=11)
    m = ds.foreign(rec, "short-foot")
    assert sum(r["outcome"] == 1 for r in m.of("rep")) == rec.truth["reps"]


@pytest.mark.parametrize("model", ["foreign", "own"])
def test_toe_waver_cycles(model: str) -> None:
    score = ds.CountScore()
    if model == "foreign":
        for p, seed in _foreign_sets():
            rec = fd.toe_waver(p, seed=seed)
            score.add(rec.truth["cycles"], len(ds.foreign(rec, "toe-waver").of("cycle")), rec.truth["ambiguous"])
    else:
        for d in _own_sets("toe-waver"):
            score.add(d.truth["cycles"], len(ds.own(d).of("cycle")))
    assert score.clear_ok, score.line("cycles")


def test_half_cycle_not_counted() -> None:
    """Big toe down, lesser toes up, then relax: half a cycle, no count; the reverse makes one."""
    loads = np.tile([400, 80, 250, 200, 60, 40], (200 * 6, 1)).astype(int)  # 6 s relaxed
    press = loads[:200].copy()
    press[:, 4], press[:, 5] = 250, 0  # phase A for 1 s
    relax = loads[:100]
    rev = loads[:200].copy()
    rev[:, 4], rev[:, 5] = 0, 200  # phase B
    half = np.vstack([loads, press, relax])
    assert measure_loads(half, 200, "toe-waver").of("cycle") == []
    full = np.vstack([half, rev, relax])
    assert len(measure_loads(full, 200, "toe-waver").of("cycle")) == 1


def test_no_relaxed_baseline() -> None:
    """A set that starts inside a rep: the arch 'relaxed' load learnt is a rep's, flagged."""
    rep = np.tile([400, 50, 300, 200, 60, 40], (200 * 8, 1)).astype(int)
    relaxed = np.tile([400, 100, 250, 200, 60, 40], (200 * 4, 1)).astype(int)
    m = measure_loads(np.vstack([rep, relaxed]), 200, "short-foot")
    assert not m.baseline
    m = measure_loads(np.vstack([relaxed, rep, relaxed]), 200, "short-foot")
    assert m.baseline and [r["outcome"] for r in m.of("rep")] == [1]


def test_never_steady_no_baseline() -> None:
    """Shifting from foot to foot all along (never 2 s of steady standing): no baseline, no trial."""
    t = np.arange(200 * 20) / 200
    loads = ((1 + 0.6 * np.sin(2 * np.pi * t / 3))[:, None] * [400, 80, 250, 200, 60, 40]).astype(int)
    m = measure_loads(loads, 200, "balance")
    assert not m.baseline and m.of("trial") == []
