# The drill meter under MicroPython and CPython: a scripted set of each drill (integer loads,
# 0.1 N) gives the expected results, and feed() / pop() allocate nothing (heap_lock).
from array import array

from core import drills

try:
    import micropython
except ImportError:  # CPython: same logic, no heap to lock
    micropython = None

RATE = 200
RELAXED = (400, 80, 250, 200, 60, 40)


def _segments(parts):
    """[(seconds, loads tuple)] -> a generator of frames (a fresh array per call is fine
    outside the locked loop: the test builds one frame and rewrites it)."""
    for seconds, loads in parts:
        for _ in range(int(seconds * RATE)):
            yield loads


def _run(drill, parts, lock=True):
    meter = drills.DrillMeter(drill, RATE)
    frame = array("i", [0] * 6)
    out = array("i", [0] * drills.SLOT)
    frames = list(_segments(parts))
    got = []
    pending = array("i", [0] * (drills.SLOT * 64))
    n = 0
    if micropython and lock:
        micropython.heap_lock()
    try:
        for loads in frames:
            for c in range(6):
                frame[c] = loads[c]
            meter.feed(frame)
            while meter.pop(out):
                for i in range(drills.SLOT):
                    pending[n * drills.SLOT + i] = out[i]
                n += 1
    finally:
        if micropython and lock:
            micropython.heap_unlock()
    for k in range(n):
        got.append(tuple(pending[k * drills.SLOT + i] for i in range(drills.SLOT)))
    return meter, got


def _scaled(f, **ch):
    loads = [v * f // 100 for v in RELAXED]
    for i, v in ch.items():
        loads[int(i[1:])] = v
    return tuple(loads)


def test_balance_trial_with_touchdown():
    alone = _scaled(200)
    td = _scaled(140)
    parts = [(4, RELAXED), (5, alone), (0.5, td), (24.5, alone), (1, alone), (4, RELAXED)]
    meter, got = _run(drills.BALANCE, parts)
    kinds = [g[0] for g in got]
    assert kinds == [drills.R_BASELINE, drills.R_TOUCHDOWN, drills.R_TRIAL], got
    trial = got[2]
    assert trial[1] == 4000  # starts with the whole load
    assert trial[2] == 1  # trial number
    assert trial[3] == 5000  # held until the touch-down
    assert trial[4] == 30000 and trial[5] == 1  # the whole 30 s, one touch-down
    assert got[1][1] == 9000 and got[1][3] == 500


def test_balance_both_feet_end_the_trial():
    parts = [(4, RELAXED), (10, _scaled(200)), (6, RELAXED)]
    _, got = _run(drills.BALANCE, parts)
    trials = [g for g in got if g[0] == drills.R_TRIAL]
    assert len(trials) == 1 and trials[0][3] == 10000 and trials[0][5] == 0, got


def test_short_foot_rep_and_curl():
    rep = _scaled(100, c1=40, c2=300)
    curl = _scaled(100, c1=40, c4=300, c5=200)
    parts = [(4, RELAXED), (6, rep), (3, RELAXED), (6, curl), (3, RELAXED), (3, rep), (3, RELAXED)]
    _, got = _run(drills.SHORT_FOOT, parts)
    reps = [(g[2], g[4]) for g in got if g[0] == drills.R_REP]
    assert reps == [(1, drills.OUT_REP), (1, drills.OUT_CURL), (1, drills.OUT_SHORT)], got


def test_short_foot_baseline_refined_between_efforts():
    """The first 2 s stood with the arch 10% light (sway): the relaxed standing after them
    refines the baseline, so a rep 20% below the relaxed arch (11% below the first 2 s) counts."""
    light = (408, 72, 250, 200, 60, 40)
    rep = (416, 64, 250, 200, 60, 40)
    parts = [(2, light), (8, RELAXED), (6, rep), (3, RELAXED)]
    _, got = _run(drills.SHORT_FOOT, parts)
    assert [(g[2], g[4]) for g in got if g[0] == drills.R_REP] == [(1, drills.OUT_REP)], got


def test_toe_waver_cycles():
    a = _scaled(100, c4=200, c5=0)
    b = _scaled(100, c4=0, c5=160)
    parts = [(4, RELAXED)] + [(0.8, a), (0.4, RELAXED), (0.8, b), (0.6, RELAXED)] * 3 + [(0.8, a), (1, RELAXED)]
    _, got = _run(drills.TOE_WAVER, parts)
    assert [g[2] for g in got if g[0] == drills.R_CYCLE] == [1, 2, 3], got


def test_full_ring_drops_and_counts():
    """Nobody drains: results beyond the ring are counted lost, nothing allocated."""
    meter = drills.DrillMeter(drills.TOE_WAVER, RATE)
    frame = array("i", [0] * 6)
    a = _scaled(100, c4=200, c5=0)
    b = _scaled(100, c4=0, c5=160)
    frames = list(_segments([(4, RELAXED)] + [(0.5, a), (0.5, b)] * 10))
    if micropython:
        micropython.heap_lock()
    try:
        for loads in frames:
            for c in range(6):
                frame[c] = loads[c]
            meter.feed(frame)
    finally:
        if micropython:
            micropython.heap_unlock()
    assert meter.count == 8 and meter.lost > 0


def test_ms_of_stays_small():
    frames = (1 << 30) // 1000 + 12345  # frames * 1000 would pass 2**30
    assert drills.ms_of(frames, 1000) == frames
    assert drills.ms_of(3, 200) == 15
