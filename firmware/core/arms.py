# The hips-or-feet protocol's arms (issue 27), loaded by core/cue.py only for a run that has an
# arm order (a module costs the board's heap ~1 KB: other runs and the boot never pay it): after the
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
from .mp import const

ARM_NONE = const(0)
ARM_FEET = const(1)
ARM_HIPS = const(2)
ARM_SHAM = const(3)
ARM_LETTERS = "nfhs"  # arm code = index: none, feet, hips, sham
ARM_PATTERNS = (None, None, "cue_hips", "cue_sham")  # feet: the toe-curl pulse (hal.haptic, by severity)
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
