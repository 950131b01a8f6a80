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


# The hips-or-feet protocol's arms (issue 27; here, not in a module of its own: the heap): after the
# warm-up, rounds of four blocks, each arm once per round (none, feet, hips, sham) in an order drawn
# on the host before the run and written in the config as `arm_order` ("hfns snhf ...": one letter
# per block, spaces ignored). The config is echoed in every session header, so the order is recorded
# with the run and survives power cuts and pulls like the step records. Cue arms are given on a
# fixed schedule (every cue_every_steps-th running landing of their block, at the same moment of the
# landing): equally often whatever the cue does to the arch, so no arm gets more of the runner's
# attention. The feet cue is the toe-curl pulse; the hips and sham cues are their own patterns (buzz
# vocabulary: cue_hips SS, cue_sham SSS). The familiarisation: in the warm-up the insole plays the
# three cue patterns FAMILIAR_PLAYS times, FAMILIAR_GAP_MS apart from FAMILIAR_AT_MS (after the
# landing calibration), in the order familiar_arm() gives (the run's own arm order, cue arms only);
# the runner names each, the coach counts the right names (archcue plan shows the order) and types
# them in archcue live. Pain mode (3 min blocks): the first 45 s of a block are not rated (carryover
# washes out), the pain is asked in its last 30 s (the host reads them so: host/hips_or_feet/); the
# run stops at 7/10 or 3 above the warm-up pain.
ARM_NONE = const(0)
ARM_FEET = const(1)
ARM_HIPS = const(2)
ARM_SHAM = const(3)
ARM_LETTERS = "nfhs"  # arm code = index: none, feet, hips, sham
ARM_PATTERNS = (None, "cue_feet", "cue_hips", "cue_sham")
MAX_ROUNDS = const(24)
MIN_ROUNDS = const(2)
STOP_AT = const(7)
STOP_RISE = const(3)
FAMILIAR_PLAYS = const(10)
FAMILIAR_AT_MS = const(120000)
FAMILIAR_GAP_MS = const(20000)


def parse_arms(order):
    """The arm codes of an `arm_order` string (bytes, one per block), or None when it is not
    whole rounds that each hold every arm once. "" is no protocol: b""."""
    letters = order.replace(" ", "")
    if len(letters) % 4 or len(letters) > 4 * MAX_ROUNDS or 0 < len(letters) < 4 * MIN_ROUNDS:
        return None
    out = bytearray(len(letters))
    for i in range(len(letters)):
        code = ARM_LETTERS.find(letters[i])
        if code < 0:
            return None
        out[i] = code
    for r in range(0, len(out), 4):
        if sorted(out[r:r + 4]) != [ARM_NONE, ARM_FEET, ARM_HIPS, ARM_SHAM]:
            return None
    return bytes(out)


def safety_stop(pain, warmup_pain):
    """Whether a rating ends the run: 7/10, or 3 points above the warm-up."""
    return pain >= STOP_AT or pain >= warmup_pain + STOP_RISE


def familiar_arm(order, i):
    """The arm the i-th familiarisation play (0-based) sounds: the order's cue arms, cycled."""
    cues = len(order) * 3 // 4  # each round holds three cue arms
    k = i % cues
    for code in order:
        if code != ARM_NONE:
            if k == 0:
                return code
            k -= 1
    return ARM_NONE


def familiar_play(t_ms, warmup_ms):
    """Which familiarisation play (0-based) is due at t_ms in the warm-up, or -1: one every
    FAMILIAR_GAP_MS from FAMILIAR_AT_MS, all of them before the warm-up ends."""
    if warmup_ms < FAMILIAR_AT_MS + FAMILIAR_PLAYS * FAMILIAR_GAP_MS or t_ms < FAMILIAR_AT_MS:
        return -1
    i = (t_ms - FAMILIAR_AT_MS) // FAMILIAR_GAP_MS
    return i if i < FAMILIAR_PLAYS else -1


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
        self.steps_since = self.every  # the first eligible landing may be cued
        self.fade_acc = 0
        self.block = 0
        self.block_on = False
        # validated with the config (never None here); arms apply to blocks mode only
        self.arms = (parse_arms(cfg["arm_order"]) or b"") if self.mode == BLOCKS else b""
        self.arm = ARM_NONE  # the current block's arm (protocol), for the pattern to play
        self.warmup_pain = -1  # pain mode: the warm-up's answer (-1: none yet)
        self.played = -1  # the last familiarisation play given (core/py)
        self.familiar = -1  # the play due at this landing, or -1
        self.stopped = False  # the safety stop: no cue for the rest of the run

    def at_landing(self, t_ms):
        """Update the protocol position for a landing at t_ms (block, and whether cues are on)."""
        mode = self.mode
        if mode == BLOCKS:
            if t_ms < self.warmup_ms:
                self.block = 0
                self.block_on = False
                self.familiar = familiar_play(t_ms, self.warmup_ms) if self.arms else -1
            else:
                k = (t_ms - self.warmup_ms) // self.block_ms
                if self.arms:
                    if self.block != 1 + k % BLOCK_WRAP:  # a new block: its first running landing is cued,
                        self.steps_since = self.every  # so every cue arm gets the same count
                    self.arm = ARM_NONE if self.stopped or k >= len(self.arms) else self.arms[k]  # past rounds: none
                    self.block_on = self.arm != ARM_NONE
                else:
                    self.block_on = (k & 1) == 1  # off, on, off, on ... after the warm-up
                self.block = 1 + k % BLOCK_WRAP  # 7 bits in the record: it wraps (record.py)
        else:
            self.block = 0
            self.block_on = mode != OFF

    def rated(self, pain):
        """A pain answer (pain mode) for the block now: the warm-up's is kept; one at the safety
        stop (core/py) ends the cues for the rest of the run. Returns 1 if it stopped them."""
        if self.block == 0:
            self.warmup_pain = pain
            return 0
        if pain >= STOP_AT or (self.warmup_pain >= 0 and safety_stop(pain, self.warmup_pain)):
            self.stopped = True
            self.block_on = False
            self.arm = ARM_NONE
            return 1
        return 0

    def _familiarise(self, running):
        """Warm-up of a protocol run: the familiarisation play due, once, on a running landing."""
        i = self.familiar
        if i < 0 or i <= self.played or not running:
            return 0
        self.played = i
        self.arm = familiar_arm(self.arms, i)
        return self.pulse_min

    def _fade_pct(self, step_no):
        if step_no >= self.fade_steps:
            return self.fade_end
        return self.fade_start - (self.fade_start - self.fade_end) * step_no // self.fade_steps

    def decide(self, eligible, step_no, severity_pct, running=False):
        """Called once per landing after at_landing(). Returns the pulse length in ms (0: none).
        With arms every running landing is eligible (the fixed schedule, core/py)."""
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
