# Landing analysis: arch collapse and toe engagement over the loading window after
# contact. Called once per step, integer-only and allocation-free.
#
# A per-runner baseline is only as good as its calibration landings: the runners this is
# for may collapse (or curl the toes) on most landings from the first step, so a median
# baseline would *be* a collapse. Instead each share keeps a window of recent running
# landings and fits two clusters to it (in log2 units, 1/32 octave: collapse and curling
# multiply a share). The best split of the sorted window is the one whose cluster means are
# furthest apart relative to the pooled within-cluster SD; it is accepted when
#   gap >= (2 x sep + 18 / (n - 20)) x pooled SD   and   upper / lower >= ratio
# (the arch: and >= 1.6x, _ARCH_GAP_PCT below),
# with at least 3 landings in the upper cluster. The window grows from calib_steps to 64
# landings (then slides): the best split of one cluster reaches further apart the fewer
# landings it holds, hence the n term. Measured on 144 runs of both signal models (0-70%
# prevalence, noise, preload, dead heel), the best split of windows without a collapse
# reached 5.7 pooled SDs at n = 30, 4.9 at 36, 4.5 at 42, 4.4 at 48, 4.2 at 64; the test
# (sep 4.2 for the arch) asks 6.0, 5.3, 5.0, 4.8, 4.6. Split-free windows of landings in
# both models spread wider than a gaussian (skew, a few outliers), so the test's margin is
# taken from them, not from theory.
# A landing above the midpoint of the two cluster means is a collapse (an engagement).
# Once established, a split is kept while no new one is accepted, as long as some landings
# of the window lie below it: a runner who stops collapsing (the cue working) leaves one
# cluster, which alone cannot tell, but the normal landings still sit where the split
# found them. (A kept split that the window's landings all rise above is dropped; a level
# that moves with landings on both sides passes through accepted splits, which replace it.)
# One cluster means the data cannot tell normal from collapsed: the judgment is
# "uncertain" (flag 0 and the record says so), except for the toes when that cluster sits
# at or below the physical floor (relaxed toes carry ~nothing): then a landing is engaged
# when its share is clearly above the floor (floor x ratio), as rare engagements are.
# A fixed baseline (config) replaces the fit by `share >= baseline x ratio`.
from .intmath import ilog2_x32
from .mp import const, micropython

NOT = const(0)  # judged: not collapsed / not engaged
YES = const(1)
UNSURE = const(2)  # one cluster: the data cannot tell
_MIN_VAR = const(4)  # variance floor, (1/32 octave)^2: quantised or very steady windows
_MIN_SIDE = const(3)  # landings in the upper cluster, at least
_WINDOW_MAX = const(64)  # the window grows to this many landings
_SMALL_N = const(1800)  # the separation test's small-window term, x100: 18 / (n - 20) SDs
# A collapse is a large shift, not merely a distinct one: an arch split needs its upper
# cluster >= 1.6x (about 0.7 octave) above the lower one, whatever collapse_ratio_pct says (that
# ratio also sets a fixed baseline's per-landing threshold). Both signal models write a
# collapse as about doubling the arch's loading-phase load (own x2.1 +- 0.2, foreign
# x1.9-2.6) and moving it earlier, into the landing window. Dilution alone (the arch is
# part of the load behind the toes: share x g / (1 + (g - 1) s), s the normal share, 0.1
# with the heel in, 0.3 with it dead) gives 1.5-1.8x for a doubling; measured collapse
# clusters (own model, seeds 1-10, heel healthy or dead, 0-2.5 N noise) sat 0.84-1.95
# octave (1.8-3.9x) above the normal ones. With a dead heel and no collapse, the window's
# placement on the steep early rise of the load behind the toes (curled toes or noise open
# it 5-30 ms early, where the arch's share is higher) gives the share a long upper tail:
# its splits, 0.51-0.94 octave wide, passed the SD test at 4.3-5.0 pooled SDs of only
# 0.12-0.20 octave (tests/bench_robustness.py, false_collapses; README "Known limits").
# Octaves here are the fit's own (ilog2_x32 / 32, piecewise linear): the floor is 23/32 of
# them, 1.6-1.7x depending on where the shares sit between powers of two.
_ARCH_GAP_PCT = const(160)


class ShareModel:
    """Two-cluster model of one share (1e-4 units) over a window of recent landings."""

    def __init__(self, n, fixed, ratio_pct, sep_x10, floor, gap_pct=100):
        self.n_min = n
        self.ring = [0] * _WINDOW_MAX  # log values in arrival order
        self.sorted = [0] * _WINDOW_MAX
        self.fixed = fixed
        self.floor_log = ilog2_x32(floor) if floor > 0 else 0
        self.floor = floor
        # ratio (and the fit's own floor, gap_pct) -> minimum gap in log units; sep -> gap / pooled SD, x100
        self.min_gap = ilog2_x32((ratio_pct if ratio_pct > gap_pct else gap_pct) * 100) - ilog2_x32(10000)
        self.sep_x100 = sep_x10 * 20
        self.fixed_share = fixed * ratio_pct // 100
        self.floor_yes = floor * ratio_pct // 100  # clearly above the floor: engaged
        self.reset()

    def reset(self):
        self.n = 0
        self.head = 0
        self.cut = 0  # log threshold between the clusters (0: one cluster)
        self.state = UNSURE  # the judgment while there is one cluster

    def ready(self):
        return self.fixed > 0 or self.n >= self.n_min

    def judge(self, share):
        """NOT, YES or UNSURE for one landing's share."""
        if self.fixed:
            return YES if share >= self.fixed_share and share >= self.floor else NOT
        if self.cut:
            return YES if ilog2_x32(share) >= self.cut and share >= self.floor else NOT
        if self.state == NOT:  # one cluster at the physical floor: judge against the floor
            return YES if share >= self.floor_yes else NOT
        return UNSURE

    @micropython.native
    def add(self, share):
        """One running landing's share: slide the window and refit."""
        if self.fixed:
            return
        low = self.floor // 2 + 1  # below half the floor is noise: one pile, not a spread
        v = ilog2_x32(share if share > low else low)
        ring = self.ring
        srt = self.sorted
        cap = len(ring)
        if self.n == cap:
            old = ring[self.head]
            i = 0
            while srt[i] != old:
                i += 1
            while i < cap - 1:  # remove the oldest value from the sorted copy
                srt[i] = srt[i + 1]
                i += 1
            self.n -= 1
        ring[self.head] = v
        self.head = (self.head + 1) % cap
        i = self.n
        while i > 0 and srt[i - 1] > v:  # insert in order
            srt[i] = srt[i - 1]
            i -= 1
        srt[i] = v
        self.n += 1
        if self.n >= self.n_min:
            self._fit()

    @micropython.native  # once per step over up to 64 landings: most of a step's judging cost
    def _fit(self):
        srt = self.sorted
        n = self.n
        base = srt[0]  # sums of offsets from the smallest value stay small ints
        s1 = 0
        s2 = 0
        for i in range(n):
            x = srt[i] - base
            s1 += x
            s2 += x * x
        l1 = 0
        l2 = 0
        lo_min = n >> 2  # the normal (relaxed) cluster holds >= 25%: prevalence up to ~70%
        best = 0
        cut = 0
        for k in range(1, n):
            x = srt[k - 1] - base
            l1 += x
            l2 += x * x
            if k < lo_min or n - k < _MIN_SIDE or srt[k] == srt[k - 1]:
                continue
            h1 = s1 - l1
            nh = n - k
            ml = l1 // k
            mh = h1 // nh
            gap = mh - ml
            if gap < self.min_gap:
                continue
            vl = (l2 - l1 * l1 // k) // k
            vh = ((s2 - l2) - h1 * h1 // nh) // nh
            v = (vl + vh) >> 1
            if v < _MIN_VAR:
                v = _MIN_VAR
            score = gap * gap * 256 // v
            if score > best:
                best = score
                cut = base + ((ml + mh + 1) >> 1)
        sep = self.sep_x100 + _SMALL_N // ((n if n > 25 else 25) - 20)
        if best >= (sep * sep >> 4) * 256 // 625:  # (sep / 100)^2 x 256, in small ints
            self.cut = cut
        elif self.cut <= base:
            self.cut = 0  # every landing is above the kept split: it no longer tells anything
        # one cluster: physically unloaded (toes below the floor) or undecidable
        self.state = NOT if self.floor and srt[n * 3 // 4] <= self.floor_log else UNSURE


class LandingJudge:
    def __init__(self, cfg):
        n = cfg["calib_steps"]
        self.arch = ShareModel(n, cfg["baseline_arch_share"], cfg["collapse_ratio_pct"], cfg["collapse_sep_x10"], 0,
                               _ARCH_GAP_PCT)
        self.toe = ShareModel(n, cfg["baseline_toe_share"], cfg["toe_ratio_pct"], cfg["toe_sep_x10"],
                              cfg["toe_min_share"])

    def reset(self):
        self.arch.reset()
        self.toe.reset()

    def ready(self):
        return self.arch.ready() and self.toe.ready()

    def learn(self, arch_share, toe_share):
        """An accepted running landing's shares."""
        self.arch.add(arch_share)
        self.toe.add(toe_share)

    def collapsed(self, arch_share):
        return self.arch.judge(arch_share) if self.arch.ready() else UNSURE

    def toes_engaged(self, toe_share):
        return self.toe.judge(toe_share) if self.toe.ready() else UNSURE

    def severity_pct(self, arch_share):
        """How far past the collapse threshold, 0..100 (100 at twice the threshold): scales the cue."""
        arch = self.arch
        start = ilog2_x32(arch.fixed_share) if arch.fixed else arch.cut
        if start == 0:
            return 0
        over = (ilog2_x32(arch_share) - start) * 100 // 32
        return 0 if over < 0 else (100 if over > 100 else over)
