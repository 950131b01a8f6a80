# Cue policy: whether a landing that collapsed without toe engagement gets a haptic cue,
# and for how long. Modes: off, every, faded (a falling share of eligible landings, so
# the runner does not come to depend on the cue) and blocks (alternating cue-off and
# cue-on blocks after a warm-up, so the host compares like with like inside one run).
# A rate limit caps cues at one per `cue_every_steps` steps in every mode.
#
# The buzz vocabulary (PATTERNS): every pattern the insole's one motor plays, in one place,
# for runs (the cue arms), drills and the system; here, not in a module of its own, as every
# module costs the board's heap ~1 KB. A coin ERM has no usable strength levels (it takes
# 20-80 ms to be felt at all, and its strength follows its speed), so patterns differ only by
# pulse count and rhythm: a pulse is Short (100-200 ms) or Long (300 ms), gaps are at least
# 100 ms, and every pattern is a different sequence of S and L (tests/test_buzz.py checks
# every pair). Pulses of 100-200 ms and 300 ms differ by 1.5x or more, well past the ~20-30%
# Weber fraction of vibrotactile duration.
#
#   run cues (arms)  cue_feet S (curl the toes; in a run its length scales 100-200 ms with
#                    severity), cue_hips SS (tighten core and glute), cue_sham SSS (an
#                    instruction with no expected effect)
#   system           ready SL, battery_low LSS, fault SSSS, flash_full LLLL
#   drills           drill_start L, drill_stop LL, drill_done LLL, drill_hold LS, drill_next SSL
from .mp import const
from .record import BLOCK_WRAP

OFF = const(0)
EVERY = const(1)
FADED = const(2)
BLOCKS = const(3)
_MODES = {"off": OFF, "every": EVERY, "faded": FADED, "blocks": BLOCKS}

SHORT_MS = const(100)  # a Short pulse (a run's feet cue: 100-200 ms, by severity)
LONG_MS = const(300)
GAP_MS = const(120)  # between the pulses of one pattern
_LONG = const(76)  # b"L"[0]

# Each pattern as its pulses' codes: bytes, so the HALs index them without allocating (a
# pattern may start inside the per-frame path, as a run's cue arms do).
PATTERNS = {
    "cue_feet": b"S",
    "cue_hips": b"SS",
    "cue_sham": b"SSS",
    "ready": b"SL",
    "battery_low": b"LSS",
    "fault": b"SSSS",
    "flash_full": b"LLLL",
    "drill_start": b"L",
    "drill_stop": b"LL",
    "drill_done": b"LLL",
    "drill_hold": b"LS",
    "drill_next": b"SSL",
}


def on_ms(code):
    """A pulse's length from its code (an int: an item of a PATTERNS value)."""
    return LONG_MS if code == _LONG else SHORT_MS


class CuePolicy:
    def __init__(self, cfg):
        self.mode = _MODES[cfg["cue_mode"]]
        self.every = cfg["cue_every_steps"]
        self.pulse_min = cfg["cue_pulse_min_ms"]
        self.pulse_max = cfg["cue_pulse_max_ms"]
        self.fade_start = cfg["fade_start_pct"]
        self.fade_end = cfg["fade_end_pct"]
        self.fade_steps = cfg["fade_steps"]
        self.warmup_ms = cfg["warmup_s"] * 1000
        self.block_ms = cfg["block_s"] * 1000
        self.after_ms = cfg["cue_after_s"] * 1000
        self.steps_since = self.every  # the first eligible landing may be cued
        self.fade_acc = 0
        self.block = 0
        self.block_on = False

    def at_landing(self, t_ms):
        """Update the protocol position for a landing at t_ms (block, and whether cues are on)."""
        mode = self.mode
        if mode == BLOCKS:
            if t_ms < self.warmup_ms:
                self.block = 0
                self.block_on = False
            else:
                k = (t_ms - self.warmup_ms) // self.block_ms
                self.block = 1 + k % BLOCK_WRAP  # 7 bits in the record: it wraps (record.py)
                self.block_on = (k & 1) == 1  # off, on, off, on ... after the warm-up
        else:  # a training run's first minutes stay cue-free: its own baseline (host/program/)
            self.block = 0
            self.block_on = mode != OFF and t_ms >= self.after_ms

    def _fade_pct(self, step_no):
        if step_no >= self.fade_steps:
            return self.fade_end
        return self.fade_start - (self.fade_start - self.fade_end) * step_no // self.fade_steps

    def decide(self, eligible, step_no, severity_pct):
        """Called once per landing after at_landing(). Returns the pulse length in ms (0: none)."""
        self.steps_since += 1
        if not (eligible and self.block_on) or self.steps_since < self.every:
            return 0
        if self.mode == FADED:
            self.fade_acc += self._fade_pct(step_no)
            if self.fade_acc < 100:
                return 0
            self.fade_acc -= 100
        self.steps_since = 0
        return self.pulse_min + (self.pulse_max - self.pulse_min) * severity_pct // 100
