# Cue policy: whether a landing that collapsed without toe engagement gets a haptic cue,
# and for how long. Modes: off, every, faded (a falling share of eligible landings, so
# the runner does not come to depend on the cue) and blocks (alternating cue-off and
# cue-on blocks after a warm-up, so the host compares like with like inside one run).
# A rate limit caps cues at one per `cue_every_steps` steps in every mode.
# With an `arm_order` (blocks mode: hips or feet, below) each block is an arm instead.
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


_ARM_NONE = const(0)  # core/arms.py's ARM_NONE: no cue arm


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
        # validated with the config (never None here); arms apply to blocks mode only
        self.arms = b""
        if cfg["arm_order"] and self.mode == BLOCKS:
            from . import arms

            self.arms = arms.parse_arms(cfg["arm_order"]) or b""
        self.arm = _ARM_NONE  # the current block's arm (protocol)
        self.pattern = None  # its buzz pattern when not the feet's pulse (core/arms.py: hips, sham)
        self.warmup_pain = -1  # pain mode: the warm-up's answer (-1: none yet)
        self.played = -1  # the last familiarisation play given (core/arms.py)
        self.familiar = -1  # the play due at this landing, or -1
        self.stopped = False  # the safety stop: no cue for the rest of the run

    def at_landing(self, t_ms):
        """Update the protocol position for a landing at t_ms (block, and whether cues are on)."""
        mode = self.mode
        if mode == BLOCKS:
            if t_ms < self.warmup_ms:
                self.block = 0
                self.block_on = False
                self.familiar = self._arms().familiar_play(t_ms, self.warmup_ms) if self.arms else -1
            else:
                k = (t_ms - self.warmup_ms) // self.block_ms
                if self.arms:
                    if self.block != 1 + k % BLOCK_WRAP:  # a new block: its first running landing is cued,
                        self.steps_since = self.every  # so every cue arm gets the same count
                    self.arm = _ARM_NONE if self.stopped or k >= len(self.arms) else self.arms[k]  # past rounds: none
                    self.pattern = self._arms().ARM_PATTERNS[self.arm]
                    self.block_on = self.arm != _ARM_NONE
                else:
                    self.block_on = (k & 1) == 1  # off, on, off, on ... after the warm-up
                self.block = 1 + k % BLOCK_WRAP  # 7 bits in the record: it wraps (record.py)
        else:  # a training run's first minutes stay cue-free: its own baseline (host/program/)
            self.block = 0
            self.block_on = mode != OFF and t_ms >= self.after_ms

    def rated(self, pain):
        """A pain answer (pain mode) for the block now: the warm-up's is kept; one at the safety
        stop (core/arms.py) ends the cues for the rest of the run. Returns 1 if it stopped them."""
        if self.block == 0:
            self.warmup_pain = pain
            return 0
        warm = self.warmup_pain if self.warmup_pain >= 0 else 10  # no warm-up answer: 7/10 alone stops
        if self._arms().safety_stop(pain, warm):
            self.stopped = True
            self.block_on = False
            self.arm = _ARM_NONE
            self.pattern = None
            return 1
        return 0

    def _familiarise(self, running):
        """Warm-up of a protocol run: the familiarisation play due, once, on a running landing."""
        i = self.familiar
        if i < 0 or i <= self.played or not running:
            return 0
        self.played = i
        self.arm = self._arms().familiar_arm(self.arms, i)
        self.pattern = self._arms().ARM_PATTERNS[self.arm]
        return self.pulse_min

    @staticmethod
    def _arms():
        from . import arms  # loaded already: this run has an arm order

        return arms

    def _fade_pct(self, step_no):
        if step_no >= self.fade_steps:
            return self.fade_end
        return self.fade_start - (self.fade_start - self.fade_end) * step_no // self.fade_steps

    def decide(self, eligible, step_no, severity_pct, running=False):
        """Called once per landing after at_landing(). Returns the pulse length in ms (0: none).
        With arms every running landing is eligible (the fixed schedule, core/arms.py)."""
        if self.arms:
            eligible = running
            if self.block == 0:
                return self._familiarise(running)
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
