# The foot drills, measured from the six channels: one-foot balance trials, short-foot
# (arch creation) reps and toe-waver cycles. One DrillMeter per drill set; feed() takes
# each frame's channel loads (0.1 N, after the LUT) and allocates nothing. Results go
# into a small ring of int slots (kind, t_ms, fields...) that the caller drains between
# frames, as the pipeline's RecordRing is drained.
#
# Frames are averaged over blocks of 20-25 ms (rate // 40 frames) and every rule runs on the
# block means: sensor noise averages out, the logic runs 40-50 times a second at any rate,
# and times are kept to 25 ms (touch-downs are asked within 100 ms). The rules' times are in
# ms, turned into blocks for the rate once.
#
# The relaxed standing baseline (every drill): the first 2 s in which the summed load is
# steady (four half-second means within +-7% of their mean, at least 20 N) give each
# channel's relaxed load. A drill set therefore starts standing relaxed on both feet
# (the insole's drill session asks for it; a recording must hold it). Without it the set
# cannot be judged, and the meter says so (NO_BASELINE) rather than guess.
#
# Balance. One insole sees one foot, so "the other foot lifted" is inferred from this
# foot's load: standing on both feet it carries about half the body weight (the baseline
# B), on one foot all of it (~2 B; 1.7-2.5 B for a 60/40 to 40/60 stance). A trial begins
# when the block load has stayed above START_PCT of B for 100 ms; one second later its start
# is placed where the load first reached BACK_PCT of the level it holds. Its reference level
# (the body weight) is then followed slowly (0.4 s) while the foot holds it alone; a
# touch-down is the load falling below TOUCH_PCT of that reference (the other foot took
# more than 15%: quiet single-leg stance moves the vertical load by a few percent) and
# coming back above BACK_PCT within 2 s. Down for longer: both feet stand, the trial
# ended where the load fell. A trial also ends after trial_s; the next can begin once both
# feet have stood for 2 s (a foot still up after the bell is no new trial). A steady level
# below 3/4 of B outside a trial replaces B (the first steady stretch was one-legged).
#
# Short foot. A rep is the arch's load below (100 - ARCH_DROP_PCT)% of its relaxed load
# for at least hold_s, with the toes pressing no harder than their relaxed load plus a
# margin: a third of it plus 3 N. Why that margin: relaxed toes carry a few newtons that
# sway moves by 10-30%, and shortening the foot draws the metatarsal heads back, which can
# load the toes a little; a toe curl presses them with several times their relaxed load.
# An effort whose toes press harder than that for a third of its blocks or more is a toe
# curl (reported, never counted); one shorter than hold_s is reported as short.
# A steady 2 s with the arch 25% above the "relaxed" load it learnt means that baseline
# was itself a rep: the set is flagged NO_BASELINE. Every later steady 2 s outside an effort
# with the arch at 95-125% of the baseline refines it (their running mean): the first 2 s
# alone carry a few % of sway, enough to move a rep 25-30% deep across the line.
#
# Toe waver. Phase A: the big toe pressing (hallux at least half its relaxed load + 2 N
# above it) while the lesser toes lift (below 60% of theirs + 1 N: a lifted FSR still reads
# its noise); phase B the reverse. A phase counts once held 100 ms; a cycle is two
# different phases in turn (A then B, or B then A); a lone phase (a half cycle) is not
# counted, and a phase back within 200 ms (noise broke it for a block) is the same half.
from array import array

from . import record
from .channels import ARCH, HALLUX, TOES
from .mp import const

BALANCE = const(1)
SHORT_FOOT = const(2)
TOE_WAVER = const(3)
DRILLS = ("", "balance", "short-foot", "toe-waver")  # index: the drill's number

# result kinds, first int of a result slot (the fields after t_ms are listed per kind), and
# the kinds of event record they are logged as (record.EVENTS: 1-19 are the drills')
EV_SET = const(1)  # a set begins: drill, eyes (EYES), trial_s, hold_s
R_BASELINE = const(2)  # total, arch, hallux, toes (0.1 N): the relaxed standing learnt
R_TRIAL = const(3)  # trial, held_ms, dur_ms, touchdowns, sway_ml, sway_ap (units/s x10), toe_share (1e-4)
R_TOUCHDOWN = const(4)  # trial, dur_ms
R_REP = const(5)  # rep, hold_ms, outcome (OUT_*), arch drop %, toes over relaxed (0.1 N)
R_CYCLE = const(6)  # cycle
EV_SET_END = const(7)  # the set ends: drill, flags (NO_BASELINE), count (trials / reps / cycles), results lost
R_PHASE = const(20)  # phase (PHASE_A / PHASE_B): each phase held, for the guidance (not logged)
EYES = ("", "open", "closed")  # index: a set's eyes (0: not a balance set)
# Their event records (record.EVENTS, kinds 1-19 being the drills'), registered here rather than
# in record.py: only a drill session (and the host) imports this module, so a run's heap on the
# board does not hold them (the board-sized heap had no room left at boot for them).
record.EVENTS.update({
    EV_SET: ("drill_set", "<BBHH", ("drill", "eyes", "trial_s", "hold_s")),
    R_BASELINE: ("drill_baseline", "<IHHH", ("total", "arch", "hallux", "toes")),
    R_TRIAL: ("drill_trial", "<IIBBHHH", ("held_ms", "dur_ms", "trial", "touchdowns", "sway_ml", "sway_ap",
                                          "toe_share")),
    R_TOUCHDOWN: ("drill_touchdown", "<HI", ("trial", "dur_ms")),
    R_REP: ("drill_rep", "<HIBbi", ("rep", "hold_ms", "outcome", "drop_pct", "toes_over")),
    R_CYCLE: ("drill_cycle", "<H", ("cycle",)),
    EV_SET_END: ("drill_set_end", "<BBHH", ("drill", "flags", "count", "lost")),
})
OUT_REP = const(1)
OUT_CURL = const(2)  # toe curl, not counted
OUT_SHORT = const(3)  # held less than hold_s, not counted
PHASE_A = const(1)  # big toe pressing, lesser toes lifted
PHASE_B = const(2)

NO_BASELINE = const(1)  # flags: no relaxed standing learnt, or the one learnt was not relaxed
SLOT = const(9)  # ints per result: kind, t_ms, up to 7 fields
_RING = const(8)

# insole units (0..1000): x medial -> lateral, y heel -> toes; where each FSR sits (channel order)
POS_X = (500, 300, 250, 750, 250, 650)
POS_Y = (100, 420, 700, 660, 930, 900)

_HALF_MS = const(500)  # a window of the baseline learner (four make its 2 s)
_STEADY_PCT = const(7)
_MIN_LOAD = const(200)  # 20 N: less is no standing
START_PCT = const(145)
TOUCH_PCT = const(85)
BACK_PCT = const(92)
ARCH_DROP_PCT = const(15)
_RELAX_HIGH_PCT = const(125)
_RELAX_LOW_PCT = const(95)  # short foot: a steady 2 s with the arch this near its baseline refines it
_RELAX_MAX = const(256)  # ... up to this many (sliding by 0.5 s: about 2 min of standing)
_START_MS = const(100)  # above the start line this long: a trial begins
_BACK_MS = const(50)  # back above BACK_PCT this long: the touch-down is over
_END_MS = const(500)  # the arch back above the line this long ends an effort (sway crosses it briefly)
_ARCH_SHIFT = const(3)  # short foot: the arch's block means smoothed over 8 blocks (block noise / 4)
_MIN_EFFORT_MS = const(1000)  # an effort shorter than this is sway or noise: not reported
_PHASE_MS = const(100)  # a toe-waver phase held this long counts
_GAP_MS = const(200)  # a phase back within this of its end is the same phase (noise broke it)
_REF_SHIFT = const(4)  # the trial's reference follows over 16 blocks (0.4 s)
_DOWN_MS = const(2000)  # a touch-down longer than this is both feet standing
_SETTLE_MS = const(1000)  # after a trial's start line, its start is placed
_SETTLE_MAX = const(50)  # ... blocks of 20-25 ms kept for it


def ms_of(frames, rate):
    """Frames -> ms without a product above 2**30 (a session of hours at 1 kHz)."""
    return (frames // rate) * 1000 + (frames % rate) * 1000 // rate


class DrillMeter:
    def __init__(self, drill, rate_hz, trial_s=30, hold_s=5):
        self.drill = drill
        self.rate = rate_hz
        self.bf = rate_hz // 40 if rate_hz >= 80 else 1  # frames per block
        self.trial_ms = trial_s * 1000
        self.hold_ms = hold_s * 1000
        self.acc = array("i", [0] * 6)  # this block's sums per channel
        self.hist = array("i", [0] * _SETTLE_MAX)  # balance: the block loads of a trial's first second
        bms = self.bf * 1000 // rate_hz  # a block's ms (20-25): the rules' times in blocks
        self.k_half = _HALF_MS // bms
        self.k_start = _START_MS // bms
        self.k_back = _BACK_MS // bms or 1
        self.k_end = _END_MS // bms
        self.k_min = _MIN_EFFORT_MS // bms
        self.k_phase = _PHASE_MS // bms
        self.k_gap = _GAP_MS // bms
        self.k_settle = min(_SETTLE_MAX, _SETTLE_MS // bms)
        self.mean = array("i", [0] * 6)  # the last block's means
        self.win = array("i", [0] * (4 * 7))  # baseline: 4 half-seconds x (total, 6 channels)
        self.base = array("i", [0] * 6)  # relaxed load per channel (0 until learnt)
        self.ring = array("i", [0] * (_RING * SLOT))
        self.head = 0
        self.count = 0
        self.lost = 0
        self.frames = 0  # frames fed
        self.nb = 0  # frames in the block so far
        self.wn = 0  # blocks in the current half-second
        self.wk = 0  # half-seconds done (the window's next slot is wk % 4)
        self.btotal = 0  # relaxed total (0: not learnt)
        self.flags = 0
        self.state = 0  # drill-specific: 0 idle / 1 in a trial or effort / 2 waiting for re-arm
        self.run = 0  # blocks the current condition has held
        self.t0 = 0  # block index where the trial / effort / touch-down began
        self.s0 = 0  # balance: the block the trial's start line was passed for 100 ms
        self.td = -1  # block where the current touch-down began (-1: none)
        self.ref = 0  # the trial's reference load << _REF_SHIFT
        self.n = 0  # trials / reps / cycles so far
        self.k = 0  # touch-downs in the trial; toe-pressing blocks in the effort
        self.first_td = -1  # block of the trial's first touch-down
        self.x = -1  # last block's centre of load (-1: none yet)
        self.y = 0
        self.px = 0  # sway path, units
        self.py = 0
        self.toe = 0  # sum of the blocks' toe shares (1e-4)
        self.blocks = 0  # blocks since the start
        self.low = 0  # short foot: lowest arch in the effort; toe waver: the phase being held
        self.phase = 0  # toe waver: the last phase counted; 0 none pending
        self.top = 0  # short foot: highest toe load in the effort
        self.last = 0  # toe waver: the last phase held
        self.seen = 0  # ... and the last block it was held in
        self.rsum = array("i", [0] * 6)  # short foot: the baseline's steady 2 s summed per channel
        self.nrelax = 0  # ... and how many

    def feed(self, loads):
        """One frame's channel loads (0.1 N). Allocates nothing."""
        acc = self.acc
        for i in range(6):
            acc[i] += loads[i]
        self.frames += 1
        self.nb += 1
        if self.nb == self.bf:
            self._block()

    def _block(self):
        acc = self.acc
        mean = self.mean
        bf = self.bf
        for i in range(6):
            mean[i] = acc[i] // bf
            acc[i] = 0
        self.nb = 0
        self.blocks += 1
        self._learn()
        if not self.btotal:
            return
        if self.drill == BALANCE:
            self._balance()
        elif self.drill == SHORT_FOOT:
            self._short_foot()
        else:
            self._waver()

    def total(self):
        m = self.mean
        return m[0] + m[1] + m[2] + m[3] + m[4] + m[5]

    # --- the relaxed standing baseline

    def _learn(self):
        w = self.win
        o = (self.wk & 3) * 7
        if self.wn == 0:
            for i in range(7):
                w[o + i] = 0
        w[o] += self.total()
        for i in range(6):
            w[o + 1 + i] += self.mean[i]
        self.wn += 1
        if self.wn < self.k_half:
            return
        self.wn = 0
        self.wk += 1
        if self.wk >= 4 and self._steady():
            self._steady_level()

    def _steady(self):
        w = self.win
        lo = w[0]
        hi = w[0]
        s = 0
        for k in range(4):
            v = w[k * 7]
            s += v
            if v < lo:
                lo = v
            if v > hi:
                hi = v
        return s // (4 * self.k_half) >= _MIN_LOAD and (hi - lo) * 100 <= 2 * _STEADY_PCT * (s // 4)

    def _win(self, c):
        """The baseline window's mean (0.1 N): c 0 the total, 1 + i channel i."""
        w = self.win
        return (w[c] + w[7 + c] + w[14 + c] + w[21 + c]) // (4 * self.k_half)

    def _steady_level(self):
        """Four steady half-seconds: the baseline if none yet (or a lower one for balance,
        outside a trial); for short foot, a relaxed level well above it flags the set, one near
        it refines it."""
        total = self._win(0)
        arch = self._win(1 + ARCH)
        if self.btotal and self.drill == BALANCE and self.state == 0 and total * 4 < self.btotal * 3:
            self.btotal = 0
        if not self.btotal:
            for i in range(6):
                self.base[i] = self.rsum[i] = self._win(1 + i)
            self.nrelax = 1
            self.btotal = total
            self.ref = self.base[ARCH] << _ARCH_SHIFT
            b = self.base
            self._put(R_BASELINE, self.blocks, total, b[ARCH], b[HALLUX], b[TOES], 0, 0, 0)
        elif self.drill == SHORT_FOOT and self.state == 0 and total * 100 > self.btotal * 85 \
                and total * 100 < self.btotal * 115:
            if arch * 100 > self.base[ARCH] * _RELAX_HIGH_PCT:
                self.flags |= NO_BASELINE
            elif arch * 100 >= self.base[ARCH] * _RELAX_LOW_PCT and self.nrelax < _RELAX_MAX:
                self._refine()

    def _refine(self):
        """Short foot: relaxed standing between efforts refines the baseline, the mean of every
        steady 2 s with the arch near its relaxed load (not in an effort): 2 s of sway alone
        move the arch's mean by a few %, enough to move a rep across the 15% line."""
        self.nrelax += 1
        for i in range(6):
            self.rsum[i] += self._win(1 + i)
            self.base[i] = self.rsum[i] // self.nrelax

    # --- one-foot balance

    def _balance(self):
        t = self.total()
        b = self.btotal
        if self.state == 2:  # after a trial: re-armed once both feet have stood for 2 s
            self.run = self.run + 1 if t * 100 < b * START_PCT else 0
            if self._ms(self.run) > _DOWN_MS:
                self.state = 0
                self.run = 0
            return
        if self.state == 0:
            if t * 100 >= b * START_PCT:
                self.run += 1
                if self.run == self.k_start:
                    self._trial_start(t)
            else:
                self.run = 0
            return
        self._trial_block(t)

    def _trial_start(self, t):
        self.state = 1
        self.t0 = self.blocks - self.k_start + 1
        self.s0 = self.blocks
        self.hist[0] = t
        self.ref = t << _REF_SHIFT
        self.td = -1
        self.first_td = -1
        self.k = 0
        self.x = -1
        self.px = 0
        self.py = 0
        self.toe = 0
        self.run = 0

    def _trial_block(self, t):
        ref = self.ref >> _REF_SHIFT
        if self.first_td < 0 and self.td < 0:
            self._settle_start(t, ref)
        if self.td < 0:
            if t * 100 < ref * TOUCH_PCT:
                self.td = self.blocks
                self.run = 0
            else:
                self.ref += t - ref
                self._sway(t)
        else:
            self.run = self.run + 1 if t * 100 >= ref * BACK_PCT else 0
            if self.run >= self.k_back:  # lifted again: a touch-down
                self._touchdown(self.blocks - self.k_back + 1)
            elif self._ms(self.blocks - self.td) > _DOWN_MS:  # both feet stand: the trial ended where it fell
                self._trial_end(self.td)
                return
        if self._ms(self.blocks + 1 - self.t0) >= self.trial_ms:
            if self.td >= 0:  # down at the bell: the other foot took load
                self._touchdown(self.blocks + 1)
            self._trial_end(self.blocks + 1)

    def _settle_start(self, t, ref):
        """The first second of a trial: the start line is crossed while the other foot is
        still lifting; the trial starts where the foot took the whole load, the first block
        at BACK_PCT of the level it then holds (known once the reference has followed it)."""
        k = self.blocks - self.s0
        if k < self.k_settle:
            self.hist[k] = t
        elif k == self.k_settle:  # (the start line's first blocks are not kept: whole already at s0, keep t0)
            for i in range(self.k_settle):
                if self.hist[i] * 100 >= ref * BACK_PCT:
                    if i:
                        self.t0 = self.s0 + i
                    return

    def _touchdown(self, back):
        self.k += 1
        if self.first_td < 0:
            self.first_td = self.td
        self._put(R_TOUCHDOWN, self.td, self.n + 1, self._ms(back - self.td), 0, 0, 0, 0, 0)
        self.td = -1
        self.run = 0

    def _trial_end(self, end):
        self.n += 1
        held = (self.first_td if self.first_td >= 0 else end) - self.t0
        dur = end - self.t0
        secs = self._ms(dur) // 100 or 1  # 0.1 s
        nb = dur if dur > 0 else 1
        self._put(R_TRIAL, self.t0, self.n, self._ms(held), self._ms(dur), self.k,
                  self.px * 100 // secs, self.py * 100 // secs, self.toe // nb)
        self.state = 2
        self.td = -1
        self.run = 0

    def _sway(self, t):
        m = self.mean
        if t <= 0:
            return
        sx = 0
        sy = 0
        for i in range(6):
            sx += m[i] * POS_X[i]
            sy += m[i] * POS_Y[i]
        x = sx // t
        y = sy // t
        if self.x >= 0:
            self.px += x - self.x if x > self.x else self.x - x
            self.py += y - self.y if y > self.y else self.y - y
        self.x = x
        self.y = y
        self.toe += (m[HALLUX] + m[TOES]) * 10000 // t

    # --- short foot

    def _short_foot(self):
        m = self.mean
        base = self.base
        self.ref += m[ARCH] - (self.ref >> _ARCH_SHIFT)  # the arch smoothed over ~200 ms: << _ARCH_SHIFT
        arch = self.ref >> _ARCH_SHIFT
        below = arch * 100 < base[ARCH] * (100 - ARCH_DROP_PCT)
        toes = m[HALLUX] + m[TOES]
        relaxed = base[HALLUX] + base[TOES]
        if self.state == 0:
            if below:
                self.state = 1
                self.t0 = self.blocks
                self.k = 0
                self.run = 0
                self.low = arch
                self.top = toes
            return
        if toes * 3 > relaxed * 4 + 90:  # pressing: over relaxed + a third + 3 N
            self.k += 1
        if toes > self.top:
            self.top = toes
        if below:
            self.run = 0
            if arch < self.low:
                self.low = arch
            return
        self.run += 1
        if self.run == self.k_end:
            self._effort_end(self.blocks - self.k_end + 1, relaxed)

    def _effort_end(self, end, relaxed):
        dur = end - self.t0
        self.state = 0
        if dur < self.k_min:
            return
        hold = self._ms(dur)
        if self.k * 3 >= dur:
            out = OUT_CURL
        elif hold < self.hold_ms:
            out = OUT_SHORT
        else:
            out = OUT_REP
            self.n += 1
        drop = 100 - self.low * 100 // (self.base[ARCH] or 1)
        self._put(R_REP, self.t0, self.n, hold, out, drop, self.top - relaxed, 0, 0)

    # --- toe waver

    def _waver(self):
        m = self.mean
        base = self.base
        h = m[HALLUX]
        t = m[TOES]
        hb = base[HALLUX]
        tb = base[TOES]
        p = 0
        if h * 2 >= hb * 3 + 40 and t * 10 < tb * 6 + 100:
            p = PHASE_A
        elif t * 2 >= tb * 3 + 40 and h * 10 < hb * 6 + 100:
            p = PHASE_B
        if p != self.low:
            self.low = p
            self.run = 0
        self.run += 1
        if p and self.run == self.k_phase:
            self._phase(p)
        if p and p == self.last and self.run >= self.k_phase:
            self.seen = self.blocks

    def _phase(self, p):
        start = self.blocks - self.k_phase + 1
        if p == self.last and start - self.seen <= self.k_gap:  # held on through noisy blocks: the same half
            return
        self.last = p
        if self.phase and self.phase != p:  # the reverse of the pending phase: a cycle
            self.n += 1
            self.phase = 0
            self._put(R_CYCLE, start, self.n, 0, 0, 0, 0, 0, 0)
        elif not self.phase:
            self.phase = p
        self._put(R_PHASE, start, p, 0, 0, 0, 0, 0, 0)

    # --- results

    def _ms(self, blocks):
        return ms_of(blocks * self.bf, self.rate)

    def _put(self, kind, block, a, b, c, d, e, f, g):
        if self.count == _RING:
            self.lost += 1
            return
        o = ((self.head + self.count) % _RING) * SLOT
        r = self.ring
        r[o] = kind
        r[o + 1] = self._ms(block - 1)  # a block's time is its first frame's
        r[o + 2] = a
        r[o + 3] = b
        r[o + 4] = c
        r[o + 5] = d
        r[o + 6] = e
        r[o + 7] = f
        r[o + 8] = g
        self.count += 1

    def pop(self, out):
        """Copy the oldest result into out (array('i', SLOT)); False when none is waiting."""
        if not self.count:
            return False
        o = self.head * SLOT
        r = self.ring
        for i in range(SLOT):
            out[i] = r[o + i]
        self.head = (self.head + 1) % _RING
        self.count -= 1
        return True


def pack(buf, off, slot):
    """A result slot (pop()'s) as an event record at buf[off:]; False for a result that is
    not logged (a toe-waver phase: guidance only). Fields are clamped to their record's."""
    kind = slot[0]
    t = slot[1]
    if kind == R_BASELINE:
        record.pack_event_into(buf, off, kind, t, slot[2], _u16(slot[3]), _u16(slot[4]), _u16(slot[5]))
    elif kind == R_TRIAL:
        record.pack_event_into(buf, off, kind, t, slot[3], slot[4], slot[2] & 0xFF, min(slot[5], 255),
                               _u16(slot[6]), _u16(slot[7]), _u16(slot[8]))
    elif kind == R_TOUCHDOWN:
        record.pack_event_into(buf, off, kind, t, _u16(slot[2]), slot[3])
    elif kind == R_REP:
        record.pack_event_into(buf, off, kind, t, _u16(slot[2]), slot[3], slot[4], max(-128, min(127, slot[5])),
                               slot[6])
    elif kind == R_CYCLE:
        record.pack_event_into(buf, off, kind, t, _u16(slot[2]))
    else:
        return False
    return True


def pack_set(buf, off, t_ms, drill, eyes, trial_s, hold_s):
    record.pack_event_into(buf, off, EV_SET, t_ms, drill, eyes, trial_s, hold_s)


def pack_set_end(buf, off, t_ms, meter):
    record.pack_event_into(buf, off, EV_SET_END, t_ms, meter.drill, meter.flags, _u16(meter.n), _u16(meter.lost))


def _u16(v):
    return 0 if v < 0 else 65535 if v > 65535 else v
