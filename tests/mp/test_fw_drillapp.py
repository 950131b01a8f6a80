# The app's drill session: a double press when idle starts it (a single press a run), and
# drillapp.drill_run guides the scripted sets and seals a session of kind "drills" whose event
# records hold the results.
from array import array

import drillapp
from littlefs import HEADER, MICROPYTHON
from test_fw_drillsession import RATE, SCRIPT, SIZES

import app
import fwsynth
from core import config, drills, sessionlog
from core.channels import COUNT


class ScriptHal:
    """Frames from (seconds, loads) segments (the identity LUT: counts are 0.1 N), the button
    down on the given ticks, the patterns played kept."""

    def __init__(self, script, pressed=()):
        self.frames = [loads for seconds, loads in script for _ in range(int(seconds * RATE))]
        self.pressed = pressed
        self.tick = -1
        self.ms = 0
        self.t0 = 0
        self.played = []

    def start(self):
        self.t0 = self.tick + 1

    def sample(self, frame):
        self.tick += 1
        if self.tick >= len(self.frames):
            return -1
        self.ms = (self.tick - self.t0) * 1000 // RATE
        for c in range(COUNT):
            frame[c] = self.frames[self.tick][c]
        return 0

    idle = sample

    def now_ms(self):
        return self.ms

    def pattern(self, name):
        self.played.append(name)

    def button_pressed(self):
        return any(a <= self.tick <= b for a, b in self.pressed)

    def led(self, state):
        pass

    def wdt_feed(self):
        pass

    def check_interrupt(self):
        pass

    def power_check(self):
        return False


def _root():
    if MICROPYTHON:
        import flashsim

        return flashsim.power_up(flashsim.Flash(block_count=64))
    import tempfile

    return tempfile.mkdtemp()


def test_a_double_press_when_idle_starts_drills_a_single_press_a_run():
    idle = ((3, (0, 0, 0, 0, 0, 0)),)
    assert app._wait_for_start(ScriptHal(idle, ((10, 20), (40, 45)))) == "drills"  # 200 ms apart
    assert app._wait_for_start(ScriptHal(idle, ((10, 20),))) == "run"
    assert app._wait_for_start(ScriptHal(idle, ((10, 20), (100, 110)))) == "run"  # 800 ms: two runs' presses


def test_drill_run_guides_and_seals_a_drill_session():
    cfg, _ = config.validate({"rate_hz": RATE})
    hal = ScriptHal(SCRIPT)
    msgs = []
    app.log = msgs.append
    session = sessionlog.SessionLog(_root(), "aabbcc", dict(HEADER, kind="drills"), log=msgs.append)
    reason = drillapp.drill_run(hal, cfg, fwsynth.IDENTITY_LUT, session, SIZES)
    assert reason == "done", msgs
    assert hal.played[0] == "drill_start" and hal.played[-1] == "drill_done", hal.played
    events = []
    found = sessionlog.scan_path(session.path, None, None, events.append)
    assert found.header["kind"] == "drills" and found.trailer is not None
    kinds = [e[0] for e in events]
    assert kinds.count(drills.EV_SET) == 4 and kinds.count(drills.EV_SET_END) == 4
    assert kinds.count(drills.R_TRIAL) == 2 and kinds.count(drills.R_REP) == 1 and kinds.count(drills.R_CYCLE) == 1
    assert found.trailer.get("events") == len(events) and found.trailer["steps"] == 0


def test_loads_through_the_lut():
    """The frame's counts become loads by the LUT, as in a run."""
    lut = array("H", [2 * c for c in range(4096)])
    cfg, _ = config.validate({"rate_hz": RATE})
    half = [(s, tuple(v // 2 for v in loads)) for s, loads in SCRIPT]
    hal = ScriptHal(half)
    app.log = lambda m: None
    session = sessionlog.SessionLog(_root(), "aabbcc", dict(HEADER, kind="drills"), log=lambda m: None)
    assert drillapp.drill_run(hal, cfg, lut, session, SIZES) == "done"
