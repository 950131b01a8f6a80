# Landing analysis: arch collapse and toe engagement over the loading window after
# contact, judged against the runner's own baseline (calibrated from the first steps,
# or fixed in config). Called once per step, integer-only and allocation-free.
from .intmath import lower_mad_of, median_of
from .mp import const

# robust z >= z_x10 / 10  <=>  (x - median) * 1000 >= z_x10 * 148 * MAD  (1.4826 * 1000 / 10)
_MAD_SCALE = const(148)


class Baseline:
    """Median and (lower) MAD of one share (1e-4 units) over the calibration steps."""

    def __init__(self, n, fixed):
        self.values = [0] * n
        self.scratch = [0] * n
        self.fixed = fixed
        self.reset()

    def reset(self):
        self.n = 0
        if self.fixed:
            self.median = self.fixed
            self.mad = self.fixed // 12 + 1  # ~8% spread assumed for a fixed baseline
            self.ready = True
        else:
            self.median = 0
            self.mad = 0
            self.ready = False

    def add(self, value):
        """Feed one calibration value; computes the baseline when the window is full."""
        if self.ready:
            return
        self.values[self.n] = value
        self.n += 1
        if self.n == len(self.values):
            self.median = median_of(self.values, self.n, self.scratch)
            self.mad = lower_mad_of(self.values, self.n, self.median, self.scratch)
            self.ready = True

    def exceeds(self, value, ratio_pct, z_x10, floor):
        """value >= median * ratio, robust z >= z, and value >= floor."""
        med = self.median
        mad = self.mad
        low = med // 20 + 5  # MAD floor: quantised or very steady baselines
        if mad < low:
            mad = low
        return (value >= floor and value * 100 >= med * ratio_pct
                and (value - med) * 1000 >= z_x10 * _MAD_SCALE * mad)


class LandingJudge:
    def __init__(self, cfg):
        n = cfg["calib_steps"]
        self.arch = Baseline(n, cfg["baseline_arch_share"])
        self.toe = Baseline(n, cfg["baseline_toe_share"])
        self.collapse_ratio = cfg["collapse_ratio_pct"]
        self.collapse_z = cfg["collapse_z_x10"]
        self.toe_ratio = cfg["toe_ratio_pct"]
        self.toe_z = cfg["toe_z_x10"]
        self.toe_floor = cfg["toe_min_share"]

    def reset(self):
        self.arch.reset()
        self.toe.reset()

    def ready(self):
        return self.arch.ready and self.toe.ready

    def learn(self, arch_share, toe_share):
        """An accepted step's shares during calibration."""
        self.arch.add(arch_share)
        self.toe.add(toe_share)

    def collapsed(self, arch_share):
        return self.arch.ready and self.arch.exceeds(arch_share, self.collapse_ratio, self.collapse_z, 0)

    def toes_engaged(self, toe_share):
        return self.toe.ready and self.toe.exceeds(toe_share, self.toe_ratio, self.toe_z, self.toe_floor)

    def severity_pct(self, arch_share):
        """How far past the collapse threshold, 0..100 (scales the cue length)."""
        start = self.arch.median * self.collapse_ratio // 100
        span = start if start > 0 else 1  # 100% at twice the threshold
        over = (arch_share - start) * 100 // span
        return 0 if over < 0 else (100 if over > 100 else over)
