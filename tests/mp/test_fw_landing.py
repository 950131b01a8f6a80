# The two-cluster share model (core/landing.py) on made-up shares, under MicroPython and
# CPython: a split is found, kept while the normal landings stay put (a runner who stops
# collapsing is still judged), dropped when every landing is above it, and one cluster
# stays uncertain, and a distinct but small shift (a dead heel's long upper tail) is no collapse.
from core.config import defaults
from core.landing import NOT, UNSURE, YES, LandingJudge, ShareModel

NORMAL = 2000  # arch share, 1e-4
COLLAPSED = 4000


class Jitter:
    """Deterministic +-pct jitter (an LCG: the same on both interpreters)."""

    def __init__(self, pct):
        self.x = 12345
        self.pct = pct

    def __call__(self, share):
        self.x = (self.x * 1103515245 + 12345) % 2147483648
        return share + share * self.pct * ((self.x >> 8) % 2001 - 1000) // 100000


def _model():
    return LandingJudge(defaults()).arch  # the default config's arch model


def _feed(model, shares):
    """Judge each share before learning it, as the pipeline does; returns the judgments."""
    out = []
    for s in shares:
        out.append(model.judge(s) if model.ready() else UNSURE)
        model.add(s)
    return out


def test_half_collapsed_from_the_first_landing_is_split():
    j = Jitter(10)
    m = _model()
    _feed(m, [j(COLLAPSED if k % 2 else NORMAL) for k in range(64)])
    assert m.judge(NORMAL) == NOT and m.judge(COLLAPSED) == YES


def test_the_split_is_kept_after_the_collapses_stop():
    j = Jitter(10)
    m = _model()
    _feed(m, [j(COLLAPSED if k % 2 else NORMAL) for k in range(64)])
    after = _feed(m, [j(NORMAL) for _ in range(100)])  # the window holds no collapse any more
    assert after.count(NOT) == 100
    assert m.judge(COLLAPSED) == YES


def test_a_kept_split_is_dropped_once_every_landing_is_above_it():
    j = Jitter(10)
    m = _model()
    _feed(m, [j(COLLAPSED if k % 2 else NORMAL) for k in range(64)])
    after = _feed(m, [j(NORMAL * 3) for _ in range(100)])  # the level moved past the split (a new insole)
    assert after[-30:].count(UNSURE) == 30


def test_one_wide_cluster_stays_uncertain():
    j = Jitter(35)  # wide and uniform: its best split is far apart for a few landings
    m = _model()
    got = _feed(m, [j(NORMAL) for _ in range(200)])
    assert got.count(UNSURE) == 200


def test_a_small_distinct_shift_is_no_collapse():
    # a tight normal cluster and 8 landings in 64 at 1.45x (0.54 octave): many SDs apart,
    # as the dead heel's early-placed windows were, but short of the 1.6x floor
    j = Jitter(3)
    shares = [j(NORMAL * 145 // 100 if k % 8 == 7 else NORMAL) for k in range(64)]
    ratio_only = ShareModel(30, 0, 120, 21, 0)  # the 1.2x ratio alone splits it
    _feed(ratio_only, shares)
    assert ratio_only.judge(NORMAL * 145 // 100) == YES
    m = _model()
    got = _feed(m, shares)
    assert got.count(UNSURE) == 64 and m.judge(NORMAL * 145 // 100) == UNSURE
