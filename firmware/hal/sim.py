# Simulator HAL: frames come from a binary file (little-endian uint16, 6 per frame, in
# channel order) on a virtual sample clock, optionally paced to real time x speed.
# Haptic calls are logged with their virtual time. The simulator's bootstrap calls
# attach() before it mounts the device folder as "/", so these host files stay reachable.
#
# The simulated runner answers cues: given a second frame file with the toes curled on
# every landing and a step schedule, each landing in the window after a cue is taken from
# that file with the runner's compliance probability. The choice per step is logged.
import os
import select
import sys
import time
from array import array

_host = {"frames": None, "haptics": None, "speed": 0.0, "interactive": False, "button_held": False,
         "runner": None}
_FRAMES_PER_READ = 256


def attach(frames_path, haptics_path, speed=0.0, interactive=False, button_held=False, runner=None):
    """Open the host-side files (before the device folder becomes "/"). runner: None, or
    (engaged frames path, schedule path, variants log path, p x 65536, delay, steps)."""
    _host["frames"] = open(frames_path, "rb")
    _host["haptics"] = open(haptics_path, "a")
    _host["speed"] = speed
    _host["interactive"] = interactive
    _host["button_held"] = button_held
    if runner:
        engaged, schedule, variants, p, delay, steps = runner
        with open(schedule, "rb") as f:
            sched = array("I", f.read())  # (boundary frame, uniform draw) per step
        _host["runner"] = (open(engaged, "rb"), sched, open(variants, "wb"), p, delay, steps)


_CLOCK_FILE = "sim_clock.json"  # the simulated RTC, kept on the device's "flash"


def set_clock(y, mo, d, h, mi, s):
    """The host sets the clock at a pull; later runs stamp their sessions with it."""
    with open(_CLOCK_FILE, "w") as f:
        f.write('"%04d-%02d-%02dT%02d:%02d:%02d"' % (y, mo, d, h, mi, s))


RESTART_FILE = "sim_restart_at"  # the bridge (simulator/serve.py) reboots the firmware at this time


def watch_pull(seconds):
    """As the board's: restart unless the host calls again within `seconds` (0: stop
    watching). The unix port cannot reset itself while it waits at the REPL, so the
    deadline goes to the bridge, which reboots the firmware as the board's reset would."""
    if seconds:
        with open(RESTART_FILE, "w") as f:
            f.write(str(time.time() + seconds))
        return
    try:
        os.remove(RESTART_FILE)
    except OSError:
        pass


_ID_FILE = "sim_id"  # a virtual insole's id (several can share a store); written by `serve`


def device_id():
    try:
        with open(_ID_FILE) as f:
            return f.read().strip()
    except OSError:
        return "sim0001"


class _Runner:
    """Which variant each step is taken from: curled toes when the runner complies."""

    def __init__(self, spec):
        self.frames, self.sched, self.log, self.p, self.delay, self.steps = spec
        self.next = 0  # index of the next step boundary
        self.engaged = False
        self.prompt_from = -1
        self.prompt_to = -2

    def at_frame(self, frame_no):
        sched = self.sched
        k = self.next
        if 2 * k < len(sched) and frame_no >= sched[2 * k]:
            self.engaged = self.prompt_from <= k <= self.prompt_to and sched[2 * k + 1] < self.p
            self.log.write(b"\x01" if self.engaged else b"\x00")
            self.next = k + 1

    def cued(self):
        current = self.next - 1  # the step whose boundary passed last
        self.prompt_from = current + self.delay
        self.prompt_to = current + self.delay + self.steps - 1


class Board:
    def __init__(self, board, rate_hz):
        if _host["frames"] is None:
            raise RuntimeError("hal.sim: attach() the frame source first")
        self.rate = rate_hz
        self.frame_no = -1
        self.buf = array("H", bytearray(12 * _FRAMES_PER_READ))
        self.have = 0
        self.pos = 0
        self.runner = _Runner(_host["runner"]) if _host["runner"] else None
        self.alt = array("H", bytearray(12 * _FRAMES_PER_READ)) if self.runner else None
        self.pulse_end = -1
        self.t0 = time.ticks_ms()
        self.poller = None
        if _host["interactive"]:
            self.poller = select.poll()
            self.poller.register(sys.stdin, select.POLLIN)
        self.led_state = "idle"

    def wait_next_sample(self):
        self.frame_no += 1
        speed = _host["speed"]
        if speed:
            due = int(self.frame_no * 1000 / self.rate / speed)
            wait = due - time.ticks_diff(time.ticks_ms(), self.t0)
            if wait > 0:
                time.sleep_ms(wait)
        return 0

    def read_frame(self, frame):
        if self.pos >= self.have:
            n = _host["frames"].readinto(self.buf)
            self.have = (n or 0) // 2
            self.pos = 0
            if self.runner:
                self.runner.frames.readinto(self.alt)
            if self.have < 6:
                return False
        p = self.pos
        buf = self.buf
        runner = self.runner
        if runner:
            runner.at_frame(self.frame_no)
            if runner.engaged and self.alt is not None:
                buf = self.alt
        for c in range(6):
            frame[c] = buf[p + c]
        self.pos = p + 6
        return True

    def now_ms(self):
        return max(0, self.frame_no) * 1000 // self.rate

    def haptic(self, pulse_ms):
        t = self.now_ms()
        self.pulse_end = t + pulse_ms
        _host["haptics"].write("%d,%d\n" % (t, pulse_ms))
        if self.runner:
            self.runner.cued()

    def pattern(self, name):
        _host["haptics"].write("%d,%s\n" % (self.now_ms(), name))

    def service(self):
        if self.pulse_end >= 0 and self.now_ms() >= self.pulse_end:
            self.pulse_end = -1

    def button_pressed(self):
        return _host["button_held"]

    def led(self, state):
        self.led_state = state

    def battery_mv(self):
        return 3900

    def wdt_feed(self):
        pass

    def device_id(self):
        return device_id()

    def clock_iso(self):
        """The time the host last set (the simulated RTC does not tick on its own)."""
        try:
            with open(_CLOCK_FILE) as f:
                return f.read().strip('"')
        except OSError:
            return None

    def check_interrupt(self):
        """A host Ctrl-C arrives as a byte on the raw serial line, as on a board's USB."""
        if self.poller and self.poller.poll(0):
            if sys.stdin.buffer.read(1) == b"\x03":
                raise KeyboardInterrupt

    def close(self):
        self.pulse_end = -1
        _host["haptics"].flush()
        if self.runner:
            self.runner.log.flush()
