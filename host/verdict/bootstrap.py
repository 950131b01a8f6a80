"""A cluster bootstrap stratified by run, and its intervals.

Intervals: percentile intervals of the cluster bootstrap, stretched about the estimate (on the
log scale for ratios) by the few-clusters correction t(df) / z * sqrt(k / (k - 1)), k the
blocks per condition and df = k_on + k_off - 2: a bootstrap over k clusters underestimates
the variance by (k - 1) / k and the normal quantile ignores that it is estimated. Measured on
drawn null runs (300 seeds each), the uncorrected 95% interval missed 1 in 12%, 9% and 7% of
runs of 20, 30 and 45 minutes, the corrected one in 5-6%.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

Z95, Z90 = 1.959964, 1.644854


@dataclass
class Interval:
    estimate: float
    low: float
    high: float


_BOOT_CHUNK = 250  # bootstrap replicates per matrix product at most ...
_BOOT_CELLS = 1 << 20  # ... and at most this many replicate x cluster counts (8 MB as float64): bounds memory
# for many clusters (a million steps hold ~12,000 one-minute windows). The draws come from the generator in the
# same order whatever the chunk, so the replicates do not depend on it.
# (int32 indices: b x clusters stays below 2**31 up to ~8 million blocks)


def resample(stats: np.ndarray, strata: np.ndarray, rng: np.random.Generator, reps: int,
               per_stratum: int = 0, per_cols: tuple[int, ...] = ()) -> tuple[np.ndarray, np.ndarray, np.ndarray,
                                                                                np.ndarray]:
    """Sums over clusters resampled with replacement inside their run. Returns the strata
    (runs, sorted), the pooled replicate sums (reps, len(_STATS)), the first `per_stratum`
    replicates' sums per stratum (per_stratum, strata, len(_STATS); float32 to bound memory;
    only the columns `per_cols`, the rest nan) and the point sums per stratum (strata, len(_STATS))."""
    k = len(stats)
    order = np.argsort(strata, kind="stable")
    stats, strata = stats[order], strata[order]
    uniq, start, size = np.unique(strata, return_index=True, return_counts=True)
    first = np.repeat(start, size).astype(np.int32)  # each slot draws from its own run's clusters
    width = np.repeat(size, size).astype(np.float32)
    pooled = np.empty((reps, stats.shape[1]))
    per = np.full((min(per_stratum, reps), len(uniq), stats.shape[1]), np.nan, dtype=np.float32)
    chunk = max(1, min(_BOOT_CHUNK, _BOOT_CELLS // max(k, 1)))
    for begin in range(0, reps, chunk):
        b = min(chunk, reps - begin)
        idx = (rng.random((b, k), dtype=np.float32) * width).astype(np.int32)  # 32-bit: half the memory traffic
        idx += first
        idx += (np.arange(b, dtype=np.int32) * k)[:, None]
        counts = np.bincount(idx.ravel(), minlength=b * k).reshape(b, k).astype(np.float64)
        pooled[begin:begin + b] = counts @ stats  # float: BLAS, not an integer loop
        keep = min(b, len(per) - begin)
        for j in per_cols if keep > 0 else ():  # per-run sums of counts x cluster sums
            per[begin:begin + keep, :, j] = np.add.reduceat(counts[:keep] * stats[:, j], start, axis=1)
    return uniq, pooled, per, np.add.reduceat(stats, start, axis=0)


def cv(n: np.ndarray, s1: np.ndarray, s2: np.ndarray) -> np.ndarray:
    """Coefficient of variation per replicate; NaN where a replicate drew no landings."""
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = s1 / n
        var = np.maximum(s2 - s1 * s1 / n, 0) / np.maximum(n - 1, 1)
        return np.sqrt(var) / np.where(mean > 0, mean, np.nan)


def t_quantile(z: float, df: float) -> float:
    """Student's t quantile from the normal one (Cornish-Fisher, 3 terms: within 0.2% of the
    table from 4 degrees of freedom; numpy has no t distribution and scipy is not needed)."""
    return (z + (z ** 3 + z) / (4 * df) + (5 * z ** 5 + 16 * z ** 3 + 3 * z) / (96 * df ** 2)
            + (3 * z ** 7 + 19 * z ** 5 + 17 * z ** 3 - 15 * z) / (384 * df ** 3))


def stretch(k_a: int, k_b: int, level: float) -> float:
    """The few-clusters correction (module doc): how much wider than the bootstrap's own
    percentiles an interval over k_a and k_b clusters must be."""
    k = min(k_a, k_b)
    if k < 2:
        return math.inf
    z = Z95 if level == 0.95 else Z90
    return t_quantile(z, max(k_a + k_b - 2, 4)) / z * math.sqrt(k / (k - 1))


def interval(samples: np.ndarray, estimate: float, level: float = 0.95, widen: float = 1.0,
              log: bool = True) -> Interval:
    """Percentile interval stretched about the estimate by `widen` (on the log scale for a
    ratio). Replicates with no ratio (nan) are left out; a side with no events (ratio 0 or
    infinite) stays in and stays at 0 or infinity."""
    samples = samples[~np.isnan(samples)]
    if not len(samples) or not math.isfinite(estimate) or (log and estimate <= 0):
        return Interval(float(estimate), float("nan"), float("nan"))
    tail = 50 * (1 - level)
    lo, hi = np.percentile(samples, [tail, 100 - tail], method="inverted_cdf")
    if not math.isfinite(widen):
        return Interval(float(estimate), float("nan"), float("nan"))
    if log:
        e = math.log(estimate)
        with np.errstate(divide="ignore"):
            lo, hi = np.exp(e + widen * (np.log([lo, hi]) - e))
    else:
        lo, hi = estimate + widen * (lo - estimate), estimate + widen * (hi - estimate)
    return Interval(float(estimate), float(lo), float(hi))


def div(a: np.ndarray | float, b: np.ndarray | float) -> np.ndarray | float:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.true_divide(a, b)


