# A drill session on the insole: the config's drills in order ("drills", e.g.
# "balance,short-foot,toe-waver"), each a set measured by a DrillMeter (core/drills.py) and
# guided by the buzz vocabulary (core/cue.py), its results logged as event records in the
# session log like a run's steps (so they survive power cuts and pulls as steps do).
#
# Balance is two sets, eyes open then eyes closed, of TRIALS trials of TRIAL_S; short foot
# one set of REPS counted reps (5 s holds); toe waver one set of REPS cycles. Every set begins the same way:
#   drill_start  L    stand still on both feet (the relaxed baseline is learnt: 2 s)
#   drill_hold   LS   go: lift the other foot / shorten the foot / start the waver
#   drill_stop   LL   balance: the trial's time is up, put the foot down; short foot: the
#                     hold reached its 5 s, relax (the next drill_hold comes 3 s after the rep)
#   drill_next   SSL  the set is done, the next begins (drill_start follows)
#   drill_done   LLL  every set done: the session ends
# A set with no relaxed standing within 30 s, or past its time limit (balance: a minute a
# trial on top of its time; short foot 30 s a rep; toe waver 10 s a cycle), ends as it stands.
# frame() is the per-frame path (the meter's feed: allocation-free); service() runs every
# few tens of ms between frames and may allocate only at a set's change.
from array import array

from . import drills, record
from .mp import const

_BASELINE_MS = const(30000)  # a set that learns no relaxed standing in this long ends
_REST_MS = const(3000)  # short foot: from a rep's end to the next drill_hold
_MAX_SETS = const(8)
# a set's size (the defaults; constants, not config keys: every key costs the board's
# heap in every run)
TRIALS = const(3)  # balance trials per eyes condition (open, then closed)
TRIAL_S = const(30)  # a balance trial's length
REPS = const(8)  # short-foot reps (and toe-waver cycles) a set


def plan(cfg):
    """The session's sets as (drill, eyes) from the config's drill list (unknown names skipped:
    the host checks them before they are written)."""
    out = []
    for name in cfg["drills"].split(","):
        name = name.strip()
        if name == "balance":
            out.append((drills.BALANCE, 1))
            out.append((drills.BALANCE, 2))
        elif name in drills.DRILLS and name:
            out.append((drills.DRILLS.index(name), 0))
    return out[:_MAX_SETS]


class DrillSession:
    def __init__(self, cfg, session, trials=TRIALS, trial_s=TRIAL_S, reps=REPS):
        self.rate = cfg["rate_hz"]
        self.trials = trials
        self.trial_s = trial_s
        self.reps = reps
        self.session = session
        self.sets = plan(cfg)
        self.k = -1  # the set under way
        self.meter = None
        self.slot = array("i", [0] * drills.SLOT)
        self.buf = bytearray(record.SIZE)
        self.t0 = 0  # the set's start (ms since the session's)
        self.cue_at = -1  # short foot: when the next drill_hold is due (-1: none)
        self.told = False  # short foot: drill_stop given for this effort
        self.armed = False  # balance: drill_hold given for the next trial
        self.done = False

    def frame(self, loads):
        """One frame's channel loads (0.1 N). Allocates nothing."""
        if self.meter is not None:
            self.meter.feed(loads)

    def service(self, ms):
        """Results to the log and the guidance: the pattern to play now, or None."""
        if self.done:
            return None
        if self.meter is None:
            return self._next(ms, "drill_start")
        play = None
        m = self.meter
        while m.pop(self.slot):
            self.slot[1] += self.t0  # the meter counts from the set's start, the log from the session's
            if drills.pack(self.buf, 0, self.slot):
                self.session.append(self.buf)
            play = self._result(m, self.slot[0], ms) or play
        play = self._timing(m, ms) or play
        if self._over(m, ms):
            return self._end_set(m, ms)
        return play

    def _result(self, m, kind, ms):
        if kind == drills.R_BASELINE:
            self.armed = m.drill == drills.BALANCE
            return "drill_hold"
        if kind == drills.R_TRIAL:
            self.armed = False
            return "drill_stop"
        if kind == drills.R_REP:
            self.cue_at = ms + _REST_MS
            self.told = False
        return None

    def _timing(self, m, ms):
        """The cues that come from time, not from a result."""
        if m.drill == drills.BALANCE and not self.armed and m.btotal and m.state == 0 and m.n < self.trials:
            self.armed = True  # both feet stood 2 s after a trial: the next can begin
            return "drill_hold"
        if m.drill == drills.SHORT_FOOT:
            if m.state == 1 and not self.told and drills.ms_of((m.blocks - m.t0) * m.bf, self.rate) >= m.hold_ms:
                self.told = True
                return "drill_stop"
            if self.cue_at >= 0 and ms >= self.cue_at and m.state == 0:
                self.cue_at = -1
                return "drill_hold"
        return None

    def _over(self, m, ms):
        """The set is done: its trials / reps / cycles, or no baseline, or past its time."""
        took = ms - self.t0
        if not m.btotal:
            return took > _BASELINE_MS
        if m.drill == drills.BALANCE:
            return m.n >= self.trials and m.state != 1 or took > self.trials * (self.trial_s + 60) * 1000
        if m.drill == drills.SHORT_FOOT:
            return m.n >= self.reps and m.state == 0 or took > self.reps * 30000
        return m.n >= self.reps or took > self.reps * 10000

    def _end_set(self, m, ms):
        drills.pack_set_end(self.buf, 0, ms, m)
        self.session.append(self.buf)
        if self.k + 1 >= len(self.sets):
            self.done = True
            self.meter = None
            return "drill_done"
        return self._next(ms, "drill_next")

    def _next(self, ms, pattern):
        self.k += 1
        if self.k >= len(self.sets):
            self.done = True
            return "drill_done"
        drill, eyes = self.sets[self.k]
        self.meter = drills.DrillMeter(drill, self.rate, self.trial_s)
        self.t0 = ms
        self.cue_at = -1
        self.told = False
        self.armed = False
        drills.pack_set(self.buf, 0, ms, drill, eyes, self.trial_s, 5)
        self.session.append(self.buf)
        return pattern
