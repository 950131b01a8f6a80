# The buzz vocabulary: every pattern the insole's one motor plays, in one place, for runs
# (the cue arms), drills and the system. A coin ERM has no usable strength levels (it takes
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
_S = 100  # a short pulse, ms
_L = 300  # a long pulse, ms
_GAP = 120  # between the pulses of one pattern, ms
SHORT_MAX_MS = 200  # a pulse up to this long is Short, from LONG_MIN_MS Long
LONG_MIN_MS = 300


def _pattern(tokens):
    """((on, off), ...) for a sequence such as "SSL": the gap after every pulse but the last."""
    n = len(tokens)
    return tuple((_S if t == "S" else _L, _GAP if i < n - 1 else 0) for i, t in enumerate(tokens))


PATTERNS = {
    "cue_feet": _pattern("S"),
    "cue_hips": _pattern("SS"),
    "cue_sham": _pattern("SSS"),
    "ready": _pattern("SL"),
    "battery_low": _pattern("LSS"),
    "fault": _pattern("SSSS"),
    "flash_full": _pattern("LLLL"),
    "drill_start": _pattern("L"),
    "drill_stop": _pattern("LL"),
    "drill_done": _pattern("LLL"),
    "drill_hold": _pattern("LS"),
    "drill_next": _pattern("SSL"),
}
ARMS = ("cue_feet", "cue_hips", "cue_sham")  # the run cues, in arm order (feet, hips, sham)


def tokens(name):
    """The pattern's rhythm as S and L, e.g. "SL" for ready."""
    return "".join("S" if on <= SHORT_MAX_MS else "L" for on, _ in PATTERNS[name])


def duration_ms(name):
    """From the first pulse's start to the last pulse's end."""
    return sum(on + off for on, off in PATTERNS[name])
