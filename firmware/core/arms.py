# The hips-or-feet protocol's arms (issue 27): after the warm-up, rounds of four blocks, each
# arm once per round (none, feet, hips, sham) in an order drawn on the host before the run and
# written in the config as `arm_order` ("hfns snhf ...": one letter per block, spaces ignored).
# The config is echoed in every session header, so the order is recorded with the run and
# survives power cuts and pulls like the step records.
# Cue arms are given on a fixed schedule (every cue_every_steps-th running landing of their
# block, at the same moment of the landing): equally often whatever the cue does to the arch,
# so no arm gets more of the runner's attention. The feet cue is the toe-curl pulse; the hips
# and sham cues are their own patterns (buzz vocabulary: cue_hips SS, cue_sham SSS).
# The familiarisation: in the warm-up the insole plays the three cue patterns FAMILIAR_PLAYS
# times, FAMILIAR_GAP_MS apart from FAMILIAR_AT_MS (after the landing calibration), in the
# order familiar_arm() gives (the run's own arm order, cue arms only); the runner names each,
# the coach counts the right names (archcue plan shows the order) and types them in archcue live.
# Pain mode (3 min blocks): the first 45 s of a block are not rated (carryover washes out),
# the pain is asked in its last 30 s; the run stops at 7/10 or 3 above the warm-up pain.
from .mp import const

NONE = const(0)
FEET = const(1)
HIPS = const(2)
SHAM = const(3)
LETTERS = "nfhs"  # arm code = index
NAMES = ("none", "feet", "hips", "sham")
PATTERNS = (None, "cue_feet", "cue_hips", "cue_sham")
MAX_ROUNDS = const(24)
MIN_ROUNDS = const(2)
UNRATED_MS = const(45000)
RATED_MS = const(30000)
STOP_AT = const(7)
STOP_RISE = const(3)
MIN_WARMUP_PAIN = const(2)
FAMILIAR_PLAYS = const(10)
FAMILIAR_AT_MS = const(120000)
FAMILIAR_GAP_MS = const(20000)


def parse(order):
    """The arm codes of an `arm_order` string (bytes, one per block), or None when it is not
    whole rounds that each hold every arm once. "" is no protocol: b""."""
    letters = order.replace(" ", "")
    if len(letters) % 4 or len(letters) > 4 * MAX_ROUNDS or 0 < len(letters) < 4 * MIN_ROUNDS:
        return None
    out = bytearray(len(letters))
    for i in range(len(letters)):
        code = LETTERS.find(letters[i])
        if code < 0:
            return None
        out[i] = code
    for r in range(0, len(out), 4):
        if sorted(out[r:r + 4]) != [NONE, FEET, HIPS, SHAM]:
            return None
    return bytes(out)


def arm_at(arms, k):
    """The arm of block k (0-based after the warm-up); past the last round: none (no cue)."""
    return arms[k] if 0 <= k < len(arms) else NONE


def rating_open(ms_in_block, block_ms):
    """Pain mode: whether the pain of the block is asked now (its last RATED_MS)."""
    return block_ms - RATED_MS <= ms_in_block < block_ms and ms_in_block >= UNRATED_MS


def safety_stop(pain, warmup_pain):
    """Whether a rating ends the run: 7/10, or 3 points above the warm-up."""
    return pain >= STOP_AT or pain >= warmup_pain + STOP_RISE


def familiar_arm(arms, i):
    """The arm the i-th familiarisation play (0-based) sounds: the order's cue arms, cycled."""
    cues = len(arms) * 3 // 4  # each round holds three cue arms
    k = i % cues
    for code in arms:
        if code != NONE:
            if k == 0:
                return code
            k -= 1
    return NONE


def familiar_play(t_ms, warmup_ms):
    """Which familiarisation play (0-based) is due at t_ms in the warm-up, or -1: one every
    FAMILIAR_GAP_MS from FAMILIAR_AT_MS, all of them before the warm-up ends."""
    if warmup_ms < FAMILIAR_AT_MS + FAMILIAR_PLAYS * FAMILIAR_GAP_MS or t_ms < FAMILIAR_AT_MS:
        return -1
    i = (t_ms - FAMILIAR_AT_MS) // FAMILIAR_GAP_MS
    return i if i < FAMILIAR_PLAYS else -1
