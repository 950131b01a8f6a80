# Per-frame processing: re-zero each channel during swing, sum the healthy channels,
# detect gait events, judge the landing, decide the cue, and pack a step record into a
# RecordRing the app drains (spike evidence goes to SensorHealth). process() allocates
# nothing (tests prove it under heap_lock).
#
# Re-zeroing follows the channel's mean during swing (slowly, both ways: noise averages
# out instead of dragging the zero to its troughs). A clear fall (the reading held more
# than 1 N, and half the swing's noise level, below the zero for 25 ms: the foot left a
# load, a session's standing load, FSR hysteresis relaxed) starts a settle: for 100 ms the
# zero follows fast, both ways, onto the swing's own level (a fast drop that stopped a few
# newtons above it hid the first newtons of every landing for seconds after standing), and
# a new load ends it. A fall by more than the contact threshold, or the foot lifting after
# standing (every zero then settles: they crept up), also has the gait relearn its swing
# level meanwhile, with no contact. While loaded too long (standing, leaning, squatting,
# lifting) the zero moves only over minutes: a standing load zeroed in seconds would turn
# weight shifts into "steps"; a preload that rose for good while standing still cannot
# hold the detector in stance forever. During the warm-up (64 frames) the zero follows
# fast (the mean of the first frames, not one noisy frame), then slowly: a landing that
# comes later is not taken into the zero.
# Walking landings (gait.walking) are recorded with the walking bit; collapse and toe
# engagement are judged on running landings only, and no cue is given while walking
# (the walking judgment is the previous step's: a stance is only known at toe-off).
from array import array

from . import gait, record
from .channels import ARCH, COUNT, HALLUX, HEEL, MET1, MET5, TOES
from .cue import CuePolicy
from .gait import GaitDetector
from .gait import step as gait_step
from .health import JUMP_COUNTS, SHORT_COUNTS, SensorHealth
from .intmath import clamp, ratio_1e4
from .landing import NOT, UNSURE, YES, LandingJudge
from .mp import const, micropython, ptr16, ptr32
from .ring import RecordRing

_TOE_BITS = const(0x30)  # bits of HALLUX (4) and TOES (5)
# gait's states and events as literals: a module attribute costs a lookup every frame
_SWING = const(0)
_STANCE = const(1)
_LOADED = const(2)
_CONTACT = const(1)
_TOE_OFF = const(2)
_REJECTED = const(3)
_MORE = const(4)
_G_STATE = const(4)  # the state's index in the gait's array
_G_LEVEL = const(6)  # ... the swing level's
_G_SHORT = const(21)  # ... and the load the zeros hold that the channels do not read
_G_SETTLING = const(27)  # ... whether the zeros settle after a lift
_G_ON = const(5)  # ... its contact threshold
_G_HALF = const(28)  # ... and whether the stance's load fell through half a step's peak
_ALL = const(0x3F)  # every channel excluded: keep detecting on all of them
_LOADED_EVERY = const(63)  # loaded too long (standing): the zero moves on 1 frame in 64 (~3 min)
_FALL_MIN = const(10)  # a clear fall is at least 1 N below the zero (0.1 N), held _FALL_MS
_FALL_MS = const(25)  # ... this long, and at least 4 frames
_SETTLE_MS = const(100)  # then the zero follows fast this long, with a time constant of ~_FAST_MS
_FAST_MS = const(20)  # (fast: ~4 frames at 200 Hz, 2 at 100 Hz)
_HALF_FRAMES = const(3)  # frames the heel's share is taken over as a stance's load falls through half
_FRAC = const(8)  # fractional bits of the zero: slow tracking needs sub-unit steps
_STREAK_TO_CUE = const(2)  # accepted running steps in a row before a landing may be cued
_STREAK_GAP_MS = const(1500)  # a longer pause (standing, stopping) breaks the streak
# The pipeline's per-frame state, one array('i') that _channels (viper) reads and writes
# as machine words (every value >= 0: see gait.py)
_F_FRAME = const(0)  # frames processed
_F_SHIFT = const(1)  # the zero's tracking shift
_F_MASK = const(2)  # channels left out of the sums (see _used)
_F_WIN = const(3)  # the landing window: _W_DECIDED, _W_WAIT (stance, not yet open) or _W_OPEN
_F_WFRAMES = const(4)  # frames in the open window
_F_HIST = const(5)  # the history's slot for the next frame (a channel excluded: see _place_window)
_F_WARM = const(6)  # the frame the gait's warm-up ends on: the zero's shift becomes _F_RUN
_F_RUN = const(7)  # the zero's slow shift (~2 s of swing at any rate)
_F_FALL_K = const(8)  # frames a fall is held before it is clear (_FALL_MS)
_F_SETTLE = const(9)  # frames the zero then settles (_SETTLE_MS)
_F_FAST = const(10)  # ... with this shift (_FAST_MS)
_F_FIRST = const(11)  # the summed load of the session's first frame (0.1 N)
_F_STOOD = const(12)  # 1 from standing (the gait's LOADED) to the next swing
_F_HOLD = const(13)  # swing frames the gait relearns its swing level (no contact): after a lift
_F_CUE_AT = const(14)  # when the last cue's motor started (ms): the app starts it in the deciding frame
_F_CUE_IC = const(15)  # its landing's contact (ms) while its event waits for the app (pop_cue), else -1
_F_CUE_LAT = const(16)  # its motor start after that contact (ms)
_F_CUE_PULSE = const(17)  # its pulse (ms)
_F_FIELDS = const(18)
_W_DECIDED = const(0)  # judged (or no stance yet)
_W_WAIT = const(1)
_W_OPEN = const(2)
# _channels' answer: the summed load << 2, and what the frame's end must look at
_T_WINDOW = const(1)  # in the open window: is it over?
_T_WAIT = const(2)  # in stance, the window not yet open: does it open?
_JUMP_SQ = const(160000)  # JUMP_COUNTS squared
_HIST = const(32)  # frames of per-channel load kept while a channel is excluded (see _place_window)
_HIST_MASK = const(31)
_RISE_FRAMES = const(4)  # ... the window opens where the load behind the toes, meaned over this many, passes contact

assert (_SWING, _STANCE, _LOADED, _CONTACT, _TOE_OFF, _REJECTED, _MORE, _G_STATE, _G_ON, _G_LEVEL, _G_SHORT,
        _G_SETTLING, _G_HALF) == (gait.SWING, gait.STANCE, gait.LOADED, gait.CONTACT, gait.TOE_OFF, gait.REJECTED,
                                  gait.MORE, gait.STATE, gait.ON, gait.LEVEL, gait.SHORT, gait.SETTLING, gait.HALF)
assert _JUMP_SQ == JUMP_COUNTS * JUMP_COUNTS


@micropython.viper
def _channels(frame, bufs, state, gait_state) -> int:
    """Most of Pipeline.process: the frame's mode from the gait's state and the window's,
    then per channel re-zero or sum, gather the sensor-health evidence. Returns the summed
    load of the healthy channels << 2 | _T_* bits. bufs is Pipeline.bufs, state
    Pipeline.fs, gait_state GaitDetector.s. Viper works on machine words through the
    arrays' memory: frame, lut, health.hi / lo are array('H'), the others array('i'). Every
    value in them is >= 0 and < 2**30 (tests/test_smallint.py), so the 32-bit loads and
    stores neither wrap nor change sign."""
    fr = ptr16(frame)
    lu = ptr16(bufs[0])
    ba = ptr32(bufs[1])
    ld = ptr32(bufs[2])
    st = ptr32(bufs[3])
    wi = ptr32(bufs[4])
    pv = ptr32(bufs[5])
    health = bufs[6]
    hi = ptr16(bufs[7])
    lo = ptr16(bufs[8])
    f = ptr32(state)
    n = int(COUNT)
    frame_no = f[_F_FRAME]
    if frame_no == 0:  # the first frame: the zero starts at its load
        held = 0
        for i in range(n):
            ba[i] = lu[fr[i]] << _FRAC
            pv[i] = fr[i]
            held += lu[fr[i]]
        f[_F_FIRST] = held  # the load the session started with (standing, or a preload)
    frame_no += 1
    f[_F_FRAME] = frame_no
    gs = ptr32(gait_state)
    gait = gs[_G_STATE]
    stance = gait == _STANCE
    window = stance and f[_F_WIN] == _W_OPEN
    # the zero tracks in swing; while loaded too long, on one frame in 64 (~3 min)
    swing = gait == _SWING
    creep = gait != _SWING and (frame_no & _LOADED_EVERY) == 0
    if frame_no == f[_F_WARM]:  # the first frames' mean is taken: from now on, slow
        f[_F_SHIFT] = f[_F_RUN]
    shift = f[_F_SHIFT]
    fall_k = f[_F_FALL_K]
    settle = f[_F_SETTLE]
    fast = f[_F_FAST]
    fall = gs[_G_LEVEL] >> 1  # a fall is more than half the swing's noise level, and at least 1 N
    if fall < _FALL_MIN:
        fall = _FALL_MIN
    fall <<= _FRAC
    fa = ptr32(bufs[11])
    if gait == _LOADED:
        f[_F_STOOD] = 1
    elif swing and f[_F_STOOD]:  # lifted after standing: the zeros crept up, every one settles
        f[_F_STOOD] = 0
        f[_F_HOLD] = settle
        for i in range(n):
            fa[i] = fall_k + settle
    short = 0  # stance: the load the zeros hold that the channels no longer read
    hold = f[_F_HOLD]  # swing frames left to relearn the swing level, no contact meanwhile: after a lift
    if hold and swing:
        hold -= 1
    big = gs[_G_ON] << _FRAC
    total = 0
    for i in range(n):
        c = fr[i]
        v = lu[c]
        # one test of the state per channel (this loop is most of the frame's cost)
        if stance:
            if c > hi[i]:
                hi[i] = c
            x = v - (ba[i] >> _FRAC)
            if x < 0:
                short -= x
                x = 0
            st[i] += x
            if window:
                wi[i] += x
        else:
            b = ba[i]
            if swing:
                d = (v << _FRAC) - b
                g = fa[i]
                if g > fall_k and d <= fall:  # settling: the zero follows fast, both ways, onto the swing's level
                    b += d >> fast
                    g -= 1
                    if g == fall_k:
                        g = 0
                else:  # (a new load ends a settling: a landing is not swing)
                    if d < -fall:  # below the zero: held fall_k frames, a clear fall (the foot left a load)
                        g += 1
                        if g == fall_k:
                            g += settle
                            if d < -big:  # by more than a contact threshold: the foot was lifted off a load
                                hold = settle
                    else:
                        g = 0
                    b += d >> shift  # slow, both ways: preload, drift and noise average out
                fa[i] = g
                ba[i] = b
            elif creep:
                b += ((v << _FRAC) - b) >> shift
                ba[i] = b
            if c < lo[i]:
                lo[i] = c
            x = v - (b >> _FRAC)
            if x < 0:
                x = 0
        ld[i] = x
        total += x
        d = c - pv[i]
        pv[i] = c
        if d * d > _JUMP_SQ:  # |d| > JUMP_COUNTS in one test (|d| < 2**12: no overflow)
            health.jump(i, d, frame_no)
    mask = f[_F_MASK]
    if mask:  # excluded channels leave the sum (rare: summed above, taken out here), and the
        # frame goes into the history the landing window is placed on (Pipeline._place_window):
        # its loads and the load behind the toes left in the sum
        at = f[_F_HIST]
        hs = ptr32(bufs[9])
        for i in range(n):
            x = ld[i]
            if (mask >> i) & 1:
                total -= x
            hs[at * n + i] = x
        behind = total
        if not (mask >> int(HALLUX)) & 1:
            behind -= ld[int(HALLUX)]
        if not (mask >> int(TOES)) & 1:
            behind -= ld[int(TOES)]
        ptr32(bufs[10])[at] = behind
        f[_F_HIST] = (at + 1) & _HIST_MASK
    if stance:
        gs[_G_SHORT] = short
    f[_F_HOLD] = hold
    gs[_G_SETTLING] = 1 if hold else 0
    total <<= 2
    if window:
        f[_F_WFRAMES] += 1
        return total | _T_WINDOW
    if stance and f[_F_WIN] == _W_WAIT:
        return total | _T_WAIT
    return total


def _shift(frames):
    """The shift of a running mean over at least this many frames (the next power of two)."""
    shift = 0
    while (1 << shift) < frames:
        shift += 1
    return shift


class Pipeline:
    def __init__(self, cfg, lut, ring_records=64):
        self.gait = GaitDetector(cfg)
        self.judge = LandingJudge(cfg)
        self.cue = CuePolicy(cfg)
        self.health = SensorHealth()
        self.window_ms = cfg["landing_window_ms"]
        rate = cfg["rate_hz"]
        fs = array("i", [0] * _F_FIELDS)
        fs[_F_SHIFT] = 3  # the warm-up: a zero from the first frames' mean, not one noisy frame
        fs[_F_WARM] = gait.WARM_FRAMES
        fs[_F_RUN] = _shift(rate * 2)  # then ~2 s of swing at any sample rate
        fs[_F_FALL_K] = max(4, rate * _FALL_MS // 1000)
        fs[_F_SETTLE] = max(2, rate * _SETTLE_MS // 1000)
        fs[_F_FAST] = _shift(rate * _FAST_MS // 1000)
        fs[_F_CUE_IC] = -1
        self.fs = fs
        self.fall = array("i", [0] * COUNT)  # per channel: frames of a fall held, or > _F_FALL_K: settling
        self.base = array("i", [0] * COUNT)  # per-channel zero, 0.1 N << _FRAC, tracked during swing
        self.load = array("i", [0] * COUNT)  # re-zeroed load this frame
        self.win = array("i", [0] * COUNT)  # load summed over the landing window
        self.stance = array("i", [0] * COUNT)  # load summed over the stance
        self.prev = array("i", [0] * COUNT)  # last raw count: fast re-zeroing and spike detection
        self.win_end = 0
        # while a channel is excluded: the last _HIST frames' loads and loads behind the toes
        self.hist = array("i", [0] * (_HIST * COUNT))
        self.hist_behind = array("i", [0] * _HIST)
        self.swing_behind = 0  # load behind the toes just before contact (noise), x8, averaged over landings
        self.half_a = 0  # the heel's load on the first two frames, and the summed load, as the stance's
        self.half_b = 0  # load falls through half its peak (_half)
        self.half_total = 0
        self.by_load = False  # this landing's window is placed by _place_window
        self.toe_in = _TOE_BITS  # toe channels in the sums (see _used)
        self.steps = 0
        self.streak = 0  # consecutive accepted steps: walking and standing give none
        self.last_to = 0
        self.dropped = 0  # frames the sampler reported missed, whole session
        self.step_dropped = False
        self.records = RecordRing(ring_records)
        # what _channels works on, in one tuple: one lookup a frame instead of nine
        h = self.health
        self.bufs = (lut, self.base, self.load, self.stance, self.win, self.prev, h, h.hi, h.lo, self.hist,
                     self.hist_behind, self.fall)
        self.gs = self.gait.s  # the gait's state array (one lookup a frame)
        self._clear_landing()

    def _clear_landing(self):
        self.arch_share = 0
        self.toe_share = 0
        self.toe_load = 0
        self.collapse = UNSURE
        self.engaged = UNSURE
        self.calibrated = False
        self.pulse = 0

    def _used(self):
        """Channels left out of the sums: the excluded ones, unless that is all of them."""
        mask = self.health.mask
        used = 0 if mask == _ALL else mask
        self.fs[_F_MASK] = used
        self.toe_in = _TOE_BITS & ~used
        return used

    @micropython.native
    def process(self, frame, t_ms):
        """One frame of raw ADC counts (array('H', 6)) at t_ms since session start.
        Returns the haptic pulse length in ms to play now (0: none). Allocates nothing."""
        gs = self.gs
        r = _channels(frame, self.bufs, self.fs, gs)
        total = r >> 2
        event = gait_step(gs, total, t_ms)  # the frame's rest, when more is needed: gait.more()
        if gs[_G_HALF]:
            self._half()
        if event == _MORE:
            event = self.gait.more(t_ms)
        if event == _CONTACT:
            return self._contact(total, t_ms)
        if event == _TOE_OFF:
            self._toe_off()
        elif event == _REJECTED:
            self.fs[_F_WIN] = _W_DECIDED
            self.streak = 0
        elif r & _T_WINDOW:
            if t_ms >= self.win_end:
                pulse = self._decide(True)
                if pulse:
                    self.fs[_F_CUE_AT] = t_ms  # the app starts the motor in this frame
                return pulse
        elif r & _T_WAIT:
            self._open_window(total, t_ms)
        return 0

    @micropython.native
    def _contact(self, total, t_ms):
        fs = self.fs
        load = self.load
        mask = fs[_F_MASK]
        held = 0
        for i in range(COUNT):
            self.stance[i] = load[i]
            self.win[i] = load[i]  # what a stance ended before the window opened is judged on
            if not (mask >> i) & 1 and self.prev[i] < SHORT_COUNTS:  # a shorted lead holds no load
                held += self.base[i] >> _FRAC
        self.gait.held = held
        self.gait.first_held = fs[_F_FIRST]
        self.gait.late_heel = 0
        fs[_F_WFRAMES] = 1
        fs[_F_WIN] = _W_WAIT
        if self.gait.ic_ms - self.last_to > _STREAK_GAP_MS:
            self.streak = 0
        self.step_dropped = False
        self._clear_landing()
        self.cue.at_landing(self.gait.ic_ms)
        back = (t_ms - self.gait.ic_ms) * 1000 // self.gait.period_us  # frames since the back-dated contact
        if back >= _HIST // 2:
            back = _HIST // 2 - 1
        self.by_load = mask != 0 and self._noisy(back)
        if self.by_load:
            self._place_window(t_ms, back)
        else:
            self._open_window(total, t_ms)
        return 0

    @micropython.native
    def _noisy(self, back):
        """Whether noise alone lifts the load behind the toes near the contact threshold (a
        channel excluded): its mean over the _HIST // 2 frames before the back-dated contact,
        `back` frames ago (swing: rectified noise, about its SD), averaged over landings,
        reaches a quarter of the threshold. Only then does the window's jitter dominate a
        landing's share noise; below it the window opens as with every channel in."""
        hb = self.hist_behind
        start = self.fs[_F_HIST] - 1 - back
        pre = 0
        for j in range(1, _HIST // 2 + 1):
            pre += hb[(start - j) & _HIST_MASK]
        pre = pre // (_HIST // 2)
        self.swing_behind += pre - (self.swing_behind >> 3)
        return self.swing_behind >> 1 > self.gait.on

    @micropython.native
    def _open_window(self, total, t_ms):
        """Open the landing window once the load behind the toes is past the contact
        threshold (or the window's length after contact). The shares are taken over that
        load's loading phase: curled toes load early and, when the heel reads little (a dead
        heel sensor), would otherwise pull the window earlier and raise the arch's share on
        every engaged landing. The window closes window_ms after contact, and never less than
        3/4 of that after it opened: a contact found late on a slow rise (back-dated) must
        not leave a window of two or three noisy frames."""
        if self.by_load:
            self._place_window(t_ms, 0)
            return
        load = self.load
        total -= self._toes(load)
        g = self.gait
        if total <= g.on and t_ms < g.ic_ms + self.window_ms:
            return
        self.fs[_F_WIN] = _W_OPEN
        for i in range(COUNT):
            self.win[i] = load[i]
        self.fs[_F_WFRAMES] = 1
        end = t_ms + self.window_ms * 3 // 4
        self.win_end = end if end > g.ic_ms + self.window_ms else g.ic_ms + self.window_ms

    @micropython.native
    def _place_window(self, t_ms, back):
        """_open_window's rule when a channel is excluded (the heel, most often) and noise
        is high (_noisy). The load behind the toes is then thinner and rises later and slower
        than the total, and noise moves the frame where it passes the contact threshold, and
        with it the window, by tens of ms; the shares change fast there, so that jitter was
        most of a landing's share noise (own model, dead heel, 2.5 N: 0.30 octave against a
        collapse's 1.03, so the two clusters were 2.6 SDs apart and never split). The window
        is placed by load instead: the load behind the toes is meaned over _RISE_FRAMES
        frames, and the window may open on any frame since the back-dated contact (`back`
        frames ago, from the history), not only from the frame contact was confirmed on,
        which noise delays most when the load rises slowly (0.20 octave, 3.9 SDs:
        tests/bench_robustness.py, share_noise)."""
        g = self.gait
        hb = self.hist_behind
        newest = self.fs[_F_HIST] - 1
        need = g.on * _RISE_FRAMES
        late = t_ms >= g.ic_ms + self.window_ms
        k = back
        while k >= 0:  # k frames ago, oldest first
            at = newest - k
            rise = 0
            for j in range(_RISE_FRAMES):
                rise += hb[(at - j) & _HIST_MASK]
            if rise > need or (late and k == 0):
                break
            k -= 1
        if k < 0:
            return
        hist = self.hist
        win = self.win
        for i in range(COUNT):
            s = 0
            for j in range(k + 1):
                s += hist[((newest - j) & _HIST_MASK) * COUNT + i]
            win[i] = s
        fs = self.fs
        fs[_F_WFRAMES] = k + 1
        fs[_F_WIN] = _W_OPEN
        end = t_ms - k * g.period_us // 1000 + self.window_ms * 3 // 4
        self.win_end = end if end > g.ic_ms + self.window_ms else g.ic_ms + self.window_ms

    @micropython.native
    def _half(self):
        """The stance's load fell through half its peak (the gait's HALF: 1 on that frame):
        over it and the next two, the heel's median load against the mean load they carried
        (the median: a spike on the heel, one frame, and noise leave it be)."""
        gs = self.gs
        k = gs[_G_HALF]
        load = self.load
        heel = 0 if (self.fs[_F_MASK] >> HEEL) & 1 else load[HEEL]
        total = self._total(load)
        if k == 1:
            self.half_a = heel
            self.half_total = total
        else:
            self.half_total += total
        if k == 2:
            self.half_b = heel
        if k < _HALF_FRAMES:
            gs[_G_HALF] = k + 1
            return
        gs[_G_HALF] = 0
        a, b = self.half_a, self.half_b
        if a > b:
            a, b = b, a
        heel = a if heel < a else (b if heel > b else heel)  # the median of the three
        self.gait.late_heel = ratio_1e4(heel * _HALF_FRAMES, self.half_total)

    @micropython.native
    def _total(self, sums):
        """The sum of per-channel sums over the channels in the sums."""
        mask = self.fs[_F_MASK]  # current: _used() runs whenever the health mask changes
        total = 0
        for i in range(COUNT):
            if not (mask >> i) & 1:
                total += sums[i]
        return total

    @micropython.native
    def _toes(self, sums):
        """The toes' part of _total(sums)."""
        toe_in = self.toe_in
        toe_sum = 0
        if toe_in & (1 << HALLUX):
            toe_sum += sums[HALLUX]
        if toe_in & (1 << TOES):
            toe_sum += sums[TOES]
        return toe_sum

    @micropython.native
    def _decide(self, may_cue):
        """Judge the landing from the window sums; returns the cue pulse (ms)."""
        fs = self.fs
        fs[_F_WIN] = _W_DECIDED
        win = self.win
        total = self._total(win)
        toe_sum = self._toes(win)
        excluded = self.health.mask  # no judgment (and no cue) on an excluded arch or toes
        arch_ok = not (excluded >> ARCH) & 1
        toes_ok = (excluded & _TOE_BITS) != _TOE_BITS
        judge = self.judge
        # the arch's share of the load behind the toes: curled toes add load, and must not
        # hide a collapse by diluting the arch's share
        self.arch_share = ratio_1e4(win[ARCH], total - toe_sum) if arch_ok else 0
        # with a channel excluded the window is placed for the arch (_place_window), after
        # most of the early load curled toes add: their share is the stance's so far
        st = self.stance
        self.toe_share = ratio_1e4(self._toes(st), self._total(st)) if self.by_load else ratio_1e4(toe_sum, total)
        self.toe_load = toe_sum // fs[_F_WFRAMES]
        self.calibrated = judge.ready()
        self.collapse = judge.collapsed(self.arch_share) if arch_ok else UNSURE
        self.engaged = judge.toes_engaged(self.toe_share) if toes_ok else UNSURE
        # a cue needs a certain collapse, certainly relaxed toes, and running (not walking)
        running = may_cue and self.streak >= _STREAK_TO_CUE and not self.gait.walking
        eligible = running and self.collapse == YES and self.engaged == NOT
        self.pulse = self.cue.decide(eligible, self.steps, judge.severity_pct(self.arch_share), running)
        return self.pulse

    @micropython.native
    def _toe_off(self):
        if self.fs[_F_WIN] != _W_DECIDED:
            self._decide(False)  # stance shorter than the window: too late to cue
        health = self.health
        saturated = health.saturated()
        walking = self.gait.walking
        if walking:  # judged on running landings only
            self.collapse = UNSURE
            self.engaged = UNSURE
        if health.end_step():
            self._used()
            self.judge.reset()  # the channel set changed: shares need a new window
        elif not walking:
            self.judge.learn(self.arch_share, self.toe_share)
        self._push_record(saturated)
        self.steps += 1
        self.streak = 0 if walking else self.streak + 1
        self.last_to = self.gait.to_ms

    @micropython.native
    def _flags(self, saturated):
        flags = 0
        if self.collapse == YES:
            flags |= record.FLAG_COLLAPSE
        if self.engaged == YES:
            flags |= record.FLAG_TOE_ENGAGED
        if self.pulse:
            flags |= record.FLAG_CUED
        if self.cue.block_on:
            flags |= record.FLAG_CUE_BLOCK
        if self.health.mask or self.health.noisy:
            flags |= record.FLAG_SENSOR_FAULT
        if self.calibrated:
            flags |= record.FLAG_CALIBRATED
        if saturated:
            flags |= record.FLAG_SATURATED
        if self.step_dropped:
            flags |= record.FLAG_DROPPED
        return flags

    @micropython.native
    def _push_record(self, saturated):
        records = self.records
        off = records.reserve()
        if off < 0:
            return
        g = self.gait
        st = self.stance
        step = 0
        if g.walking:
            step |= record.STEP_WALKING
        if self.collapse == UNSURE:
            step |= record.STEP_ARCH_UNCERTAIN
        if self.engaged == UNSURE:
            step |= record.STEP_TOE_UNCERTAIN
        record.pack_into(
            records.buf, off, self._flags(saturated),
            clamp(g.ic_ms, 0, 0x7FFFFFFF), clamp(g.to_ms - g.ic_ms, 0, 0xFFFF),
            clamp(g.peak // 10, 0, 0xFFFF), self.arch_share, self.toe_share,
            clamp(self.toe_load, 0, 0xFFFF),
            clamp(ratio_1e4(st[MET1] - st[MET5], st[MET1] + st[MET5]), -10000, 10000),
            clamp(g.rise_per_s() // 100, 0, 0xFFFF), self.cue.block, self.health.mask, step)
        records.commit()
        if self.pulse:  # its cue event, for the app to log after the step (pop_cue)
            fs = self.fs
            fs[_F_CUE_IC] = g.ic_ms
            fs[_F_CUE_LAT] = clamp(fs[_F_CUE_AT] - g.ic_ms, 0, 0xFFFF)
            fs[_F_CUE_PULSE] = self.pulse

    def mark_dropped(self, frames):
        """The sampler missed `frames` frames (overrun); flags the current step."""
        self.dropped += frames
        if self.gait.state == gait.STANCE:
            self.step_dropped = True

    def pop_cue(self, buf):
        """Pack the last cued landing's event (record.EVENT_CUE: motor start after contact) into
        buf once; False when none is pending."""
        fs = self.fs
        if fs[_F_CUE_IC] < 0:
            return False
        record.pack_event_into(buf, 0, record.EVENT_CUE, fs[_F_CUE_IC], fs[_F_CUE_LAT], fs[_F_CUE_PULSE])
        fs[_F_CUE_IC] = -1
        return True

    def pop_record(self, buf):
        """Copy the oldest pending step record into buf (bytearray(record.SIZE)).
        Returns False when none is pending."""
        return self.records.pop(buf)
