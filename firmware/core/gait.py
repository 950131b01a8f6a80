# Gait events from the summed load of all healthy channels (not the heel: many runners
# don't heel-strike). Per frame, integer-only, allocation-free.
#
# - A 3-sample median removes 1-sample spikes (adds one frame of delay, corrected below).
# - Thresholds adapt to the median of recent step peaks: contact above ic_frac_pct of it
#   for 2 frames, toe-off below to_frac_pct (hysteresis), never below the floor (ic_floor)
#   nor below 3x the swing level (the mean filtered total of swing frames that carry no
#   load: noise, rectified by the re-zeroing; learnt over the first 64 frames, and again,
#   with no contact, while the pipeline's zeros settle after the foot lifted off a load);
#   toe-off never below 2x that level; a step's peak must reach 5x the floor. In a walk
#   (within _BOUT_GAP_MS of a step) a load over the contact threshold is never taken for
#   noise, however slowly it rises; long after a step a slow rise (a weight shift) is.
# - Contact is back-dated by extrapolating the rising edge to zero (its slope over 20 ms
#   when the rise is within the noise), at most _MAX_BACKDATE_MS and never past the last
#   quiet frame (at or below a tenth of the contact threshold). After a quiet swing a
#   recent quiet frame is the contact: the load began there (a slow walking heel is no
#   straight edge). Toe-off is dated forward along the falling edge, once the total has not
#   risen past the contact threshold again for 60 ms (a walking stance dips between heel
#   and forefoot loading).
# - A refractory period after toe-off, a minimum and maximum stance, and a minimum peak
#   (fraction of recent peaks) reject shuffles and standing. A stance is a step only if it
#   began as a landing (its peak reaches half the load the re-zeroing held at contact; and
#   the stance did not begin loaded: a session started standing takes the standing load as
#   its zero, and the standing foot's weight shift and push-off are no landing) and ended
#   rolling off the forefoot (the heel under a quarter of the load as it falls through half
#   a step's peak: a weight shift, a lean back or a seat up unloads the foot flat). A stance longer
#   than walk_stance_ms is a walking step (running stance is ~0.2-0.35 s, walking
#   0.5-1.5 s); one that becomes standing (longer than max_stance_ms) within _BOUT_GAP_MS
#   of a step is a walk's last landing, recorded as a walking step when it is known.
from array import array

from .intmath import median_of
from .mp import const, micropython, ptr32

NONE = const(0)
CONTACT = const(1)  # initial contact confirmed this frame (ic_ms is set)
TOE_OFF = const(2)  # a step ended and was accepted (to_ms, peak set)
REJECTED = const(3)  # a candidate stance ended but was not a step
MORE = const(4)  # step()'s answer when the frame needs GaitDetector.more()

SWING = const(0)
STANCE = const(1)
LOADED = const(2)  # aborted stance (standing, too long): wait for unloading

_PEAKS = const(8)  # recent peaks remembered for the adaptive thresholds
_LOW_PEAK_RESET = const(6)  # low-peak running-length rejections in a row that reset the history
_MAX_BACKDATE_MS = const(100)  # contact is back-dated at most this long (the quiet frame bounds it)
_MAX_FORWARD_X16 = const(160)  # toe-off is forward-dated at most 10 frames (x16 fixed point)
WARM_FRAMES = const(64)  # frames before the first contact (the pipeline's zero settles meanwhile)
_OVER_SWING = const(3)  # contact needs the total above this many times the swing level
_NOISY_RISE = const(4)  # a rise over two frames under this many swing levels is measured over four ...
_SLOPE_MS = const(20)  # ... when four frames span at most this long
_TO_HOLD_MS = const(60)  # toe-off once the total stayed unloaded this long
_PEAK_OVER_FLOOR = const(5)  # a step's peak reaches this many times the contact floor
_RISE_MS = const(200)  # a rise from the quiet level this long is one landing's loading ...
_QUIET_SWING = const(20)  # ... after a swing whose level is under 1/this of the contact threshold
_BOUT_GAP_MS = const(1500)  # a walk's next landing comes this soon after a step's toe-off
_LATE_HEEL_PCT = const(25)  # the heel's share, at most, as a step's load falls through half a step's
# The detector's per-frame state, one array('i') that step() (viper) reads and writes as
# machine words: an attribute costs a dictionary lookup even in machine code. Index STATE
# is public: the pipeline reads the state every frame. Viper loads them zero-extended on a
# 64-bit port, so every value viper reads is kept >= 0 (and < 2**30, tests/test_smallint.py).
_X1 = const(0)  # raw totals of the last two frames (median filter input)
_X2 = const(1)
_M = const(2)  # filtered total, this frame
_PREV = const(3)  # ... the frame before
STATE = const(4)
ON = const(5)  # contact threshold
LEVEL = const(6)  # mean filtered total of swing frames that are not a contact (the pipeline reads it)
_COUNT = const(7)  # consecutive frames beyond the active threshold
_QUIET = const(8)  # last swing frame at or below the quiet level
_CONTACT_OK = const(9)  # the refractory period's end: the earliest t_ms of a contact
_PEAK = const(10)
_MAX_RISE = const(11)
_RISING = const(12)  # 1 while in the loading phase
_IC = const(13)  # ic_ms
_OFF_NOW = const(14)  # toe-off threshold of this stance
_M2 = const(15)  # filtered total two frames back (swing)
_SLOPE = const(16)  # the contact's slope over two frames (less noisy than over one)
_WARM = const(17)  # config, fixed: t_ms of the end of the warm-up
_FLOOR = const(18)
_REFRACT = const(19)
_MAX_STANCE = const(20)
SHORT = const(21)  # stance: the load the pipeline's zeros hold that the channels no longer read
_LEVEL_X = const(22)  # LEVEL << _LEVEL_FRAC: a running mean kept in whole 0.1 N sticks below 3.2 N
_QLEVEL = const(23)  # LEVEL at the last quiet frame
_M3 = const(24)  # filtered total three and four frames back (swing)
_M4 = const(25)
_WIDE = const(26)  # config, fixed: four frames span at most 20 ms (200 Hz and up)
SETTLING = const(27)  # the pipeline's zeros are settling (1): no contact, the level is relearnt
HALF = const(28)  # 1 when the load falls through _HALF_LEVEL (the pipeline counts on, then clears it)
_WALK_UNTIL = const(29)  # t_ms a walk's next landing may come until (_BOUT_GAP_MS after a step)
_HALF_LEVEL = const(30)  # half the median of recent step peaks (a spike cannot lift it)
_FIELDS = const(31)
_LEVEL_FRAC = const(5)


@micropython.viper
def step(state, total: int, t_ms: int) -> int:
    """Feed one frame's summed load (0.1 N) to a GaitDetector's state array: the frames
    where nothing but the filter, the swing level and the stance's peak move (all but a
    few per step) are done here; returns NONE, or MORE when GaitDetector.more() must
    finish the frame (contact, toe-off, a rejected or aborted stance)."""
    s = ptr32(state)
    x1 = s[_X1]
    x2 = s[_X2]
    s[_X2] = x1
    s[_X1] = total
    if x1 < x2:  # median of (x2, x1, total)
        x = x1
        x1 = x2
        x2 = x
    m = x1
    if total < x1:
        m = total
    if m < x2:
        m = x2
    prev = s[_M]
    s[_PREV] = prev
    s[_M] = m
    phase = s[STATE]
    if phase == SWING:
        m2 = s[_M2]  # two and four frames back: the contact's slope
        m4 = s[_M4]
        s[_M4] = s[_M3]
        s[_M3] = m2
        s[_M2] = prev
        on = s[ON]
        level = s[LEVEL]
        if t_ms < s[_WARM]:  # learn the swing level before the first contact
            lx = s[_LEVEL_X]
            lx += ((m << _LEVEL_FRAC) - lx) >> 3
            s[_LEVEL_X] = lx
            s[LEVEL] = lx >> _LEVEL_FRAC
            return NONE
        settling = s[SETTLING]  # the zeros settle after a lift: the level is learnt anew, fast
        # the swing's own level (noise): under the noise cap, and, in a walk, under the contact
        # threshold (a slow landing is no noise; long after a step a slow rise is a weight shift)
        if m <= s[_FLOOR] + level * _OVER_SWING and (m <= on or t_ms > s[_WALK_UNTIL]):
            lx = s[_LEVEL_X]
            lx += ((m << _LEVEL_FRAC) - lx) >> (3 if settling else 5)
            s[_LEVEL_X] = lx
            s[LEVEL] = lx >> _LEVEL_FRAC
            if m * 10 <= on and not settling:  # quiet frames sit below the noise cap
                s[_QUIET] = t_ms
                s[_QLEVEL] = level  # before a rise under the noise cap lifts it
        if settling:
            return NONE  # no contact meanwhile (a landing then is found when it ends, back-dated)
        if m > on and m > level * _OVER_SWING and t_ms >= s[_CONTACT_OK]:
            s[_COUNT] += 1
            if s[_COUNT] >= 2:
                s[_SLOPE] = 0  # a fall: no back-dating (as _edge_ms has it)
                if s[_WIDE] and m - m2 <= level * _NOISY_RISE:
                    if m > m4:  # a rise within the noise over two frames: its slope over four (20 ms)
                        s[_SLOPE] = (m - m4) >> 2
                elif m > m2:
                    s[_SLOPE] = (m - m2) >> 1
                return MORE  # more() confirms the contact
        else:
            s[_COUNT] = 0
        return NONE
    if phase == STANCE:
        peak = s[_PEAK]
        if m > peak:
            s[_PEAK] = m
        elif s[_RISING] and m < peak * 9 // 10:
            s[_RISING] = 0  # loading phase over: keep the steepest rise seen
        if s[_RISING] and m - prev > s[_MAX_RISE]:
            s[_MAX_RISE] = m - prev
        half = peak >> 1  # half the stance's peak, or of recent steps' if lower (a spike lifts the peak)
        if half > s[_HALF_LEVEL]:
            half = s[_HALF_LEVEL]
        if m < half <= prev:
            s[HALF] = 1  # the load fell through half its peak: the pipeline notes the heel's share
        if t_ms - s[_IC] <= s[_MAX_STANCE] and s[_COUNT] == 0 and m >= s[_OFF_NOW]:
            return NONE
        return MORE
    if m < s[_OFF_NOW]:  # LOADED: wait until the foot is unloaded
        s[STATE] = SWING
        s[_COUNT] = 0
        s[_CONTACT_OK] = t_ms + s[_REFRACT]
    return NONE


class GaitDetector:
    def __init__(self, cfg):
        rate = cfg["rate_hz"]
        self.period_us = 1000000 // rate
        self.ic_frac = cfg["ic_frac_pct"]
        self.to_frac = cfg["to_frac_pct"]
        self.min_peak_frac = cfg["min_peak_frac_pct"]
        self.min_stance = cfg["min_stance_ms"]
        self.walk_stance = cfg["walk_stance_ms"]
        self.back_x16 = rate * _MAX_BACKDATE_MS * 16 // 1000
        self.peaks = [0] * _PEAKS
        self.scratch = [0] * _PEAKS
        s = array("i", [0] * _FIELDS)
        s[_WARM] = WARM_FRAMES * 1000 // rate  # from the session's start (t_ms 0)
        s[_FLOOR] = cfg["ic_floor"]
        s[_REFRACT] = cfg["refractory_ms"]
        s[_MAX_STANCE] = cfg["max_stance_ms"]
        s[_WIDE] = 1 if rate * _SLOPE_MS >= 4000 else 0
        self.s = s
        self.reset()

    def reset(self):
        s = self.s
        for i in range(_WARM):
            s[i] = 0
        s[STATE] = SWING
        self.n_peaks = 0
        self.peak_head = 0
        self.low_peaks = 0
        self.median_peak = 0
        floor = s[_FLOOR]
        s[ON] = floor
        self.off = floor * 7 // 10
        s[_OFF_NOW] = self.off
        self.walking = False
        self.held = 0  # load the zero held at contact (the pipeline sets it): a step's peak reaches half of it
        self.first_held = 0  # ... and the session's first frame read
        self.late_heel = 0  # the heel's share of the load (1e-4) as it last fell through half (the pipeline sets it)
        self.to_ms = 0
        self.last_step = -_BOUT_GAP_MS - 1  # to_ms of the last step (none yet)
        self.pending_to = 0
        self.below_ms = 0  # first frame below the toe-off threshold

    # what the pipeline and the tests read, per step
    @property
    def state(self):
        return self.s[STATE]

    @property
    def on(self):
        return self.s[ON]

    @property
    def ic_ms(self):
        return self.s[_IC]

    @property
    def peak(self):
        return self.s[_PEAK]

    def _thresholds(self):
        med = self.median_peak
        floor = self.s[_FLOOR]
        self.s[ON] = max(floor, med * self.ic_frac // 100)
        self.s[_HALF_LEVEL] = med // 2
        self.off = max(floor * 7 // 10, med * self.to_frac // 100)

    def _set_off(self):
        """The toe-off threshold for this stance, kept above twice the swing level (noise)."""
        noise = self.s[LEVEL] * 2
        self.s[_OFF_NOW] = self.off if self.off > noise else noise

    def _edge_ms(self, m, slope, most):
        """Frames (x16) from the zero crossing of a straight edge to the current value, at most most."""
        if slope <= 0:
            return 0
        back = m * 16 // slope
        return back if back < most else most

    def more(self, t_ms):
        """The rest of a frame step() answered MORE for."""
        if self.s[STATE] == SWING:
            return self._contact(t_ms)
        return self._stance(t_ms)

    def _contact(self, t_ms):
        s = self.s
        m = s[_M]
        # m is two frames past the threshold crossing; the filter adds one frame of delay
        frames_x16 = 16 + self._edge_ms(m, s[_SLOPE], self.back_x16)
        ic = t_ms - frames_x16 * self.period_us // 16000
        quiet = s[_QUIET]
        # the load has stayed above a tenth of the threshold since the quiet frame: after a
        # quiet swing (its level under a twentieth of the threshold: noise does not reach a
        # tenth) a recent one is where it began (a slow walking rise is no straight edge:
        # extrapolated, it lands late)
        if ic < quiet or (t_ms - quiet <= _RISE_MS and s[_QLEVEL] * _QUIET_SWING <= s[ON]):
            ic = quiet
        s[_IC] = ic
        s[STATE] = STANCE
        self._set_off()  # the swing level is frozen until the next swing
        s[_COUNT] = 0
        s[_PEAK] = m
        rise = m - s[_PREV]
        s[_MAX_RISE] = rise if rise > 0 else 0  # a fall reads as no rise, as the record has it
        s[_RISING] = 1
        return CONTACT

    def _stance(self, t_ms):
        """A stance frame past step()'s bookkeeping (peak, loading phase)."""
        s = self.s
        m = s[_M]
        if t_ms - s[_IC] > s[_MAX_STANCE]:
            s[STATE] = LOADED
            if s[_IC] - self.last_step > _BOUT_GAP_MS:
                return REJECTED  # loaded from a pause, a shift or a seat, not from a walk: standing
            self.to_ms = t_ms  # the last landing of a walk: the foot stays down (standing)
            return self._finish(True)
        if s[_COUNT] == 0:
            # first frame below: extrapolate the falling edge to zero, less the filter delay
            s[_COUNT] = 1
            frames_x16 = self._edge_ms(m, s[_PREV] - m, _MAX_FORWARD_X16) - 16
            self.pending_to = t_ms + frames_x16 * self.period_us // 16000
            self.below_ms = t_ms
            return NONE
        if m > s[ON] and m > s[LEVEL] * _OVER_SWING:
            s[_COUNT] = 0  # loaded again: a dip between heel and forefoot loading (walking)
            return NONE
        if t_ms - self.below_ms < _TO_HOLD_MS:
            return NONE  # noise above the toe-off threshold does not cancel it, a new load does
        s[STATE] = SWING
        s[_COUNT] = 0
        s[_CONTACT_OK] = self.below_ms + s[_REFRACT]
        self.to_ms = self.pending_to
        return self._finish(False)

    def _finish(self, standing):
        """A stance ended, or (standing) it became standing within _BOUT_GAP_MS of a step: a
        walk's last landing, its peak a standing foot's share, not weighed against the steps'
        (nor remembered with them). Returns TOE_OFF (a step) or REJECTED."""
        s = self.s
        peak = s[_PEAK]
        stance = self.to_ms - s[_IC]
        if stance < self.min_stance or not self._landed():
            return REJECTED
        if not standing:
            if stance > s[_MAX_STANCE] or peak < s[_FLOOR] * _PEAK_OVER_FLOOR or not self._rolled_off():
                return REJECTED
            if peak * 100 < self.median_peak * self.min_peak_frac:
                if stance <= self.walk_stance:  # a running-length stance: the level may have changed
                    self.low_peaks += 1
                if self.low_peaks >= _LOW_PEAK_RESET:
                    self.n_peaks = 0  # the load level changed for good: relearn it
                    self.peak_head = 0
                    self.median_peak = 0
                    self._thresholds()
                return REJECTED
            self.low_peaks = 0
            self.peaks[self.peak_head] = peak
            self.peak_head = (self.peak_head + 1) % _PEAKS
            if self.n_peaks < _PEAKS:
                self.n_peaks += 1
            self.median_peak = median_of(self.peaks, self.n_peaks, self.scratch)
            self._thresholds()
        self.last_step = self.to_ms
        s[_WALK_UNTIL] = self.to_ms if standing else self.to_ms + _BOUT_GAP_MS  # standing ends a walk
        self.walking = stance > self.walk_stance
        return TOE_OFF

    def _landed(self):
        """Whether the stance began as a landing, not as a load shift on a foot that never
        left the ground: its peak reaches half the load the zero held, and it did not begin
        loaded (_began_loaded)."""
        return self.s[_PEAK] * 2 >= self.held and not self._began_loaded()

    def _rolled_off(self):
        """Whether the stance ended as a step does, rolling off the forefoot: when its load
        last fell through half its peak (or half the median of recent peaks, if lower) the
        heel carried at most _LATE_HEEL_PCT of it (a standing heel carries about half; a
        weight shift, a lean back or a seat up unloads the foot flat)."""
        return self.late_heel <= _LATE_HEEL_PCT * 100

    def _began_loaded(self):
        """Whether the stance ended well below the zero it was measured from while that zero
        was still the session's first (within a factor of two of the first frame's load): it
        held a load (the session started standing), and the stance was that foot's weight
        shift and push-off, not a landing. Well below: more than half the load the zero held,
        more than the contact threshold and twice the swing's noise (its level at the last
        quiet frame: a slow rise in swing lifts the level)."""
        s = self.s
        short = s[SHORT]
        held = self.held
        return (held * 2 >= self.first_held and held <= self.first_held * 2 and short * 2 > held
                and short > s[ON] + 2 * s[_QLEVEL])

    def rise_per_s(self):
        """Steepest rise of the filtered total during loading, in 0.1 N per second."""
        return self.s[_MAX_RISE] * (1000000 // self.period_us)
