# Gait events from the summed load of all healthy channels (not the heel: many runners
# don't heel-strike). Per frame, integer-only, allocation-free.
#
# - A 3-sample median removes 1-sample spikes (adds one frame of delay, corrected below).
# - Thresholds adapt to the median of recent step peaks: contact above ic_frac_pct of it
#   for 2 frames, toe-off below to_frac_pct (hysteresis), never below the floor (ic_floor)
#   nor below 3x the swing level (the mean total of swing frames that are no contact: noise,
#   rectified by the re-zeroing, lifts it; learnt over the first 64 frames before any
#   contact); toe-off never below 2x that level; a step's peak must reach 5x the floor.
# - Contact is back-dated by extrapolating the rising edge to zero; toe-off likewise
#   forward along the falling edge, once the total has not risen past the contact
#   threshold again for 60 ms (a walking stance can dip between heel and forefoot loading).
#   Back-dating never reaches past the first loaded sample (the last frame at or below a
#   tenth of the contact threshold): a slow rise (walking) would otherwise jump tens of ms.
# - A refractory period after toe-off, a minimum and maximum stance, and a minimum peak
#   (fraction of recent peaks) reject shuffles and standing. A peak below half the load the
#   re-zeroing held at contact is weight shifting on a foot that never left the ground (a
#   session started standing: the zero is the standing load until the foot first lifts). A stance longer than
#   walk_stance_ms is a walking step (running stance is ~0.2-0.35 s, walking 0.5-1.5 s).
from .intmath import median_of
from .mp import const, micropython

NONE = const(0)
CONTACT = const(1)  # initial contact confirmed this frame (ic_ms is set)
TOE_OFF = const(2)  # a step ended and was accepted (to_ms, peak set)
REJECTED = const(3)  # a candidate stance ended but was not a step

SWING = const(0)
STANCE = const(1)
LOADED = const(2)  # aborted stance (standing, too long): wait for unloading

_PEAKS = const(8)  # recent peaks remembered for the adaptive thresholds
_LOW_PEAK_RESET = const(6)  # low-peak running-length rejections in a row that reset the history
_MAX_BACKDATE_X16 = const(160)  # back-date at most 10 frames (x16 fixed point)
_WARM_FRAMES = const(64)  # frames before the first contact (the pipeline's zero settles meanwhile)
_OVER_SWING = const(3)  # contact needs the total above this many times the swing level
_TO_HOLD_MS = const(60)  # toe-off once the total stayed unloaded this long
_PEAK_OVER_FLOOR = const(5)  # a step's peak reaches this many times the contact floor


class GaitDetector:
    def __init__(self, cfg):
        rate = cfg["rate_hz"]
        self.period_us = 1000000 // rate
        self.warm_ms = _WARM_FRAMES * 1000 // rate  # from the session's start (t_ms 0)
        self.ic_frac = cfg["ic_frac_pct"]
        self.to_frac = cfg["to_frac_pct"]
        self.floor = cfg["ic_floor"]
        self.min_peak_frac = cfg["min_peak_frac_pct"]
        self.refractory = cfg["refractory_ms"]
        self.min_stance = cfg["min_stance_ms"]
        self.max_stance = cfg["max_stance_ms"]
        self.walk_stance = cfg["walk_stance_ms"]
        self.peaks = [0] * _PEAKS
        self.scratch = [0] * _PEAKS
        self.reset()

    def reset(self):
        self.state = SWING
        self.n_peaks = 0
        self.peak_head = 0
        self.low_peaks = 0
        self.median_peak = 0
        self.on = self.floor
        self.off = self.floor * 7 // 10
        self.off_now = self.off
        self.x1 = 0  # raw totals of the last two frames (median filter input)
        self.x2 = 0
        self.m = 0  # filtered total, previous frame
        self.m2 = 0  # ... and the frame before
        self.count = 0  # consecutive frames beyond the active threshold
        self.last_to = -1000000
        self.quiet_ms = 0  # last swing frame at or below the quiet level
        self.level = 0  # mean filtered total of swing frames that are not a contact
        self.walking = False
        self.held = 0  # load the zero held at contact (the pipeline sets it): a step's peak reaches half of it
        self.ic_ms = 0
        self.to_ms = 0
        self.pending_to = 0
        self.below_ms = 0  # first frame below the toe-off threshold
        self.peak = 0
        self.max_rise = 0
        self.rising = False

    def _thresholds(self):
        med = self.median_peak
        self.on = max(self.floor, med * self.ic_frac // 100)
        self.off = max(self.floor * 7 // 10, med * self.to_frac // 100)

    def _set_off(self):
        """The toe-off threshold for this stance, kept above twice the swing level (noise)."""
        noise = self.level * 2
        self.off_now = self.off if self.off > noise else noise

    def _edge_ms(self, m, slope):
        """Frames (x16) from the zero crossing of a straight edge to the current value."""
        if slope <= 0:
            return 0
        back = m * 16 // slope
        return back if back < _MAX_BACKDATE_X16 else _MAX_BACKDATE_X16

    @micropython.native
    def update(self, total, t_ms):
        """Feed one frame's summed load (0.1 N); returns NONE, CONTACT, TOE_OFF or REJECTED."""
        x1 = self.x1
        x2 = self.x2
        # median of (x2, x1, total)
        if x1 < x2:
            x1, x2 = x2, x1
        m = total if total < x1 else x1
        if m < x2:
            m = x2
        self.x2 = self.x1
        self.x1 = total
        prev = self.m
        self.m = m
        state = self.state
        if state == SWING:
            m2 = self.m2  # two frames back: the contact's slope over two frames is less noisy
            self.m2 = prev
            on = self.on
            level = self.level
            if t_ms < self.warm_ms:  # learn the swing level before the first contact
                self.level = level + ((m - level) >> 3)
                return NONE
            if m <= self.floor + level * _OVER_SWING:  # the swing's own level (noise), not a contact
                self.level = level + ((m - level) >> 5)
                if m * 10 <= on:  # quiet frames sit below the noise cap
                    self.quiet_ms = t_ms
            if m > on and m > level * _OVER_SWING and t_ms - self.last_to >= self.refractory:
                self.count += 1
                if self.count >= 2:
                    return self._contact(m, prev, m2, t_ms)
            else:
                self.count = 0
            return NONE
        if state == STANCE:
            return self._stance(m, prev, t_ms)
        if m < self.off_now:  # LOADED: wait until the foot is unloaded
            self.state = SWING
            self.count = 0
            self.last_to = t_ms
        return NONE

    def _contact(self, m, prev, m2, t_ms):
        # m is two frames past the threshold crossing; the filter adds one frame of delay
        frames_x16 = 16 + self._edge_ms(m, (m - m2) >> 1)
        ic = t_ms - frames_x16 * self.period_us // 16000
        self.ic_ms = ic if ic > self.quiet_ms else self.quiet_ms
        self.state = STANCE
        self._set_off()  # the swing level is frozen until the next swing
        self.count = 0
        self.peak = m
        self.max_rise = m - prev
        self.rising = True
        return CONTACT

    def _stance(self, m, prev, t_ms):
        if m > self.peak:
            self.peak = m
        elif self.rising and m < self.peak * 9 // 10:
            self.rising = False  # loading phase over: keep the steepest rise seen
        if self.rising and m - prev > self.max_rise:
            self.max_rise = m - prev
        if t_ms - self.ic_ms > self.max_stance:
            self.state = LOADED
            return REJECTED
        if self.count == 0:
            if m >= self.off_now:
                return NONE
            # first frame below: extrapolate the falling edge to zero, less the filter delay
            self.count = 1
            frames_x16 = self._edge_ms(m, prev - m) - 16
            self.pending_to = t_ms + frames_x16 * self.period_us // 16000
            self.below_ms = t_ms
            return NONE
        if m > self.on and m > self.level * _OVER_SWING:
            self.count = 0  # loaded again: a dip between heel and forefoot loading (walking)
            return NONE
        if t_ms - self.below_ms < _TO_HOLD_MS:
            return NONE  # noise above the toe-off threshold does not cancel it, a new load does
        self.state = SWING
        self.count = 0
        self.last_to = self.below_ms
        self.to_ms = self.pending_to
        return self._finish()

    def _finish(self):
        stance = self.to_ms - self.ic_ms
        if (stance < self.min_stance or stance > self.max_stance or self.peak < self.floor * _PEAK_OVER_FLOOR
                or self.peak * 2 < self.held):
            return REJECTED
        if self.peak * 100 < self.median_peak * self.min_peak_frac:
            if stance <= self.walk_stance:  # a running-length stance: the level may have changed
                self.low_peaks += 1
            if self.low_peaks >= _LOW_PEAK_RESET:
                self.n_peaks = 0  # the load level changed for good: relearn it
                self.peak_head = 0
                self.median_peak = 0
                self._thresholds()
            return REJECTED
        self.low_peaks = 0
        self.walking = stance > self.walk_stance
        self.peaks[self.peak_head] = self.peak
        self.peak_head = (self.peak_head + 1) % _PEAKS
        if self.n_peaks < _PEAKS:
            self.n_peaks += 1
        self.median_peak = median_of(self.peaks, self.n_peaks, self.scratch)
        self._thresholds()
        return TOE_OFF

    def rise_per_s(self):
        """Steepest rise of the filtered total during loading, in 0.1 N per second."""
        return self.max_rise * (1000000 // self.period_us)
