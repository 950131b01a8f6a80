# Walking from standing and standing about, on the integer runner's scale (identity LUT:
# 1 count = 0.1 N): a session that starts standing, a walk's first and last landings, the
# standing foot's weight shift as the other foot steps off, weight shifts from foot to foot.
import math
from array import array

import fwsynth
from core.channels import COUNT

PERIOD = 1000 // fwsynth.RATE
STAND = (300, 60, 200, 150, 60, 30)  # one foot's share of quiet standing, per channel (0.1 N)
STEP = (500, 120, 450, 350, 300, 150)  # a walking stance's peak per channel
HEEL_FIRST = (0, 60, 120, 120, 300, 300)  # ms after contact each channel starts to load


class Runner:
    """Frames built piece by piece, with the truth's contacts (ms)."""

    def __init__(self):
        self.frames = array("H")
        self.contacts = []

    @property
    def t(self):
        return len(self.frames) // COUNT * PERIOD

    def hold(self, ms, level=None, scale=1.0):
        """ms of a steady load: a share of standing (scale), or none."""
        for _ in range(ms // PERIOD):
            for c in range(COUNT):
                self.frames.append(0 if level is None else int(level[c] * scale))

    def ramp(self, ms, start, end):
        """The standing load's share going from start to end over ms."""
        n = ms // PERIOD
        for k in range(n):
            s = start + (end - start) * (k + 1) / n
            for c in range(COUNT):
                self.frames.append(int(STAND[c] * s))

    def stance(self, ms, stays=False, loading_ms=100):
        """A walking stance: each channel loads heel first, slowly at first (quadratic over
        loading_ms), then a half-sine; stays: the foot remains on the ground, standing."""
        self.contacts.append(self.t)
        n = ms // PERIOD
        for k in range(n):
            t = k * PERIOD
            for c in range(COUNT):
                u = (t - HEEL_FIRST[c]) / (ms - HEEL_FIRST[c])
                if u <= 0:
                    v = 0
                else:
                    onset = min(1.0, (t - HEEL_FIRST[c]) / loading_ms) ** 2
                    shape = math.sin(math.pi * min(u, 0.5) if stays else math.pi * u)
                    v = int(STEP[c] * onset * max(0.0, shape))
                    if stays:
                        v = max(v, STAND[c]) if u > 0.5 else v
                self.frames.append(v)
        if stays:
            self.hold(3000, STAND)

    def walk(self, steps, stance_ms=700, swing_ms=400):
        for _ in range(steps):
            self.stance(stance_ms)
            self.hold(swing_ms)


def run(runner):
    from test_fw_pipeline import run as run_frames

    return run_frames(runner.frames, fwsynth.config())


def _loaded(r, contact):
    """Where a landing's load begins as a force plate sees it: its summed load first passes
    1% of the walking stance's peak (a quadratic onset carries ~nothing at first)."""
    i = contact // PERIOD
    while sum(r.frames[i * COUNT + c] for c in range(COUNT)) * 100 <= sum(STEP):
        i += 1
    return i * PERIOD


def _near(steps, r, tol):
    """Each landing's load onset with a detected contact within tol ms, and no other detection."""
    got = [s["ic_ms"] for s in steps]
    ref = [_loaded(r, c) for c in r.contacts]
    assert len(got) == len(ref), (got, ref)
    for g, c in zip(got, ref):
        assert abs(g - c) <= tol, (got, ref)


def test_walk_from_standing_contacts_where_the_load_begins():
    # the session starts standing: the zero is the standing load until the foot lifts; the
    # walk's first landing, after the lift, and its last, that stays down, are both steps
    r = Runner()
    r.hold(3000, STAND)
    r.ramp(200, 1.0, 0.0)
    r.hold(400)
    r.walk(5)
    r.stance(700, stays=True)
    _, _, steps = run(r)
    _near(steps, r, 20)
    assert steps[-1]["walking"] and steps[-1]["stance_ms"] >= 1700, steps[-1]


def test_standing_foots_weight_shift_is_no_step():
    # the session starts standing on both feet; the other foot steps off first, so this one
    # takes the weight, then pushes off and lifts: no landing, so no step, until it lands
    r = Runner()
    r.hold(3000, STAND)
    r.ramp(150, 1.0, 1.9)
    r.hold(350, STAND, 1.9)
    r.ramp(200, 1.9, 0.0)
    r.hold(400)
    r.walk(4)
    _, _, steps = run(r)
    _near(steps, r, 20)


def test_walk_after_standing_still_contacts_on_time():
    # a walk, a minute's standing (the zeros creep up), then a walk from standstill
    r = Runner()
    r.hold(500)
    r.walk(4)
    r.stance(700, stays=True)
    r.hold(60000, STAND)
    r.ramp(200, 1.0, 0.0)
    r.hold(400)
    r.walk(4)
    _, _, steps = run(r)
    _near(steps, r, 20)


def test_weight_shifts_from_foot_to_foot_are_no_steps():
    # after a walk, the weight shifts onto and off this foot every 1.6 s (the foot keeps a
    # tenth of its standing load): each loaded spell is shorter than any standing limit
    r = Runner()
    r.hold(500)
    r.walk(4)
    walked = list(r.contacts)
    r.stance(700, stays=True)
    for _ in range(20):
        r.ramp(400, 1.0, 0.1)
        r.hold(400, STAND, 0.1)
        r.ramp(400, 0.1, 1.9)
        r.hold(400, STAND, 1.9)
        r.ramp(0 + 400, 1.9, 1.0)
    _, _, steps = run(r)
    assert len(steps) == len(walked) + 1, [(s["ic_ms"], s["stance_ms"]) for s in steps]
