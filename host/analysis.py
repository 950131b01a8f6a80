"""Does curling the toes at landing stabilize this runner's foot loading? Numbers and the
verdict only: every word a coach reads is in host/report.py.

The verdict rests on the block protocol when the insole ran it (cue-on vs cue-off blocks
inside the same runs control for pace and fatigue); otherwise on landings with vs without
toe engagement inside the same one-minute windows (observational: the report says so).

Statistic: the ratio of arch-collapse rates at landing, condition / comparison (cue-on /
cue-off, or engaged / not engaged); below 1, the arch collapses less often. The firmware
flags collapse per landing against the runner's own baseline, so the rate is comparable
across runners and shoes. The coefficient of variation (CV) of the arch share (the design
brief's suggestion) is reported but does not decide: when landings are a mix of collapsed
and normal ones it barely moves as collapses become rarer. Intervals are percentile
intervals of a bootstrap over blocks (or windows), stratified by session: consecutive steps
are correlated, and a per-step test would overstate certainty. Several sessions pool: every
block of every session is a cluster, collapse rates are ratios of sums, so a session weighs
by its judged landings. Seeded: the same store gives the same report.

VERDICT RULE (margin m, default 15%; on the log of the collapse ratio)
  insufficient_data  fewer than min_steps landings or min_blocks blocks in either condition,
                     fewer than min_collapses collapses in both conditions together, or
                     (blocks) toes not engaged at least min_engaged_diff more often when cued
  stabilizes         the 95% interval entirely below 1 and the estimate at most 1 - m
  destabilizes       the 95% interval entirely above 1 and the estimate at least 1 + m
  no_clear_effect    the 90% interval inside (1 - m, 1 + m): an effect as large as the margin
                     is ruled out (two one-sided tests at 5%, the equivalence-trial convention)
  inconclusive       otherwise, with the minutes of blocks likely to settle it (more_needed)
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from firmware.core import channels
from host.records import STEPS_DTYPE, flag

BOOTSTRAP = 2000  # replicates for the comparison a verdict rests on
CONTEXT_BOOTSTRAP = 250  # for the per-foot and secondary comparisons shown beside it
SESSION_BOOTSTRAP = 1000  # of the pooled replicates, the ones each session's own verdict uses
SEED = 20261124
WINDOW_MS = 60_000
ARCH_BIT = 1 << channels.ARCH  # the arch channel's bit in the record's per-channel fault mask
Z95, Z90 = 1.959964, 1.644854
Z_POWER = 0.841621  # 80%: "likely" in the minutes-needed estimate
MAX_MORE_MIN = 120  # beyond this the estimate is too close to the margin to promise a length
VERDICTS = ("stabilizes", "destabilizes", "no_clear_effect", "inconclusive", "insufficient_data")


@dataclass(frozen=True)
class Rule:
    margin: float = 0.15  # a 15% change in how often the arch collapses is worth a coach's attention
    min_steps: int = 150
    min_blocks: int = 3
    min_collapses: int = 10
    min_engaged_diff: float = 0.10


def _running(steps: np.ndarray) -> np.ndarray:
    """Calibrated running landings (walking steps are counted, never judged)."""
    return flag(steps, "calibrated") & ~flag(steps, "walking")


def judged(steps: np.ndarray) -> np.ndarray:
    """The landings whose collapse flag counts: the insole could tell (not uncertain) with a
    healthy arch sensor."""
    return _running(steps) & ~flag(steps, "arch_uncertain") & ((steps["faults"] & ARCH_BIT) == 0)


def toe_judged(steps: np.ndarray) -> np.ndarray:
    """The landings whose toe-engagement flag counts."""
    return _running(steps) & ~flag(steps, "toe_uncertain")


@dataclass
class Interval:
    estimate: float
    low: float
    high: float


@dataclass
class Comparison:
    basis: str  # "blocks" or "engagement"
    steps_a: int  # judged landings
    steps_b: int
    clusters_a: int  # blocks (or one-minute windows)
    clusters_b: int
    collapses_a: int
    collapses_b: int
    arch_mean_a: float  # arch share, of the load behind the toes, 0..1
    arch_mean_b: float
    arch_cv_a: float
    arch_cv_b: float
    arch_cv_ratio: Interval
    collapse_rate_a: float
    collapse_rate_b: float
    collapse_ratio: Interval  # 95%
    collapse_ratio_90: Interval  # 90%, for ruling an effect out
    collapse_rate_diff: Interval
    engaged_rate_a: float
    engaged_rate_b: float
    engaged_rate_diff: Interval
    loading_rate_cv_ratio: float
    ml_sd_ratio: float


@dataclass
class Shortfall:
    """Why there is no verdict: `what` fell short (have < need)."""
    what: str  # landings | blocks | windows | collapses | engagement | no_comparison
    have: float
    need: float


@dataclass
class MoreNeeded:
    """About how many more minutes of blocks (cue-off and cue-on together) would likely settle
    an inconclusive verdict, and which way the estimate points."""
    block_minutes: int | None  # None: more than MAX_MORE_MIN (the estimate sits near the margin)
    toward: str  # the verdict the estimate points to
    blocks_per_condition: int  # now


@dataclass
class SessionResult:
    session: str
    foot: str
    started_at: str | None
    steps: int
    minutes: float  # first to last landing
    warmup_min: float
    blocks_on: int
    blocks_off: int
    engaged_rate: float
    collapse_rate: float
    collapse_on: float
    collapse_off: float
    cadence_spm: float
    verdict: str
    damage: str | None = None  # the store's word on a session kept with what passed its CRC


@dataclass
class Analysis:
    runner: str
    verdict: str
    basis: str
    rule: Rule
    shortfalls: list[Shortfall]
    more: MoreNeeded | None
    steps_total: int
    steps_used: int  # judged
    steps_calibration: int  # not judged: the baseline's first landings (and unusable sensors)
    primary: Comparison | None
    secondary: Comparison | None
    per_foot: dict[str, Comparison | None] = field(default_factory=dict)
    sessions: list[SessionResult] = field(default_factory=list)
    trend: dict[str, float | None] = field(default_factory=dict)


@dataclass
class Steps:
    """A runner's steps as columns (all sessions, both feet); compact dtypes, since a
    report may hold millions of them."""

    session: np.ndarray  # index into the session list
    foot: np.ndarray  # index into feet
    feet: list[str]
    ic_ms: np.ndarray  # int32: ms into a session stay below 2**31 (24 days)
    arch: np.ndarray  # arch share 0..1 (of the load behind the toes)
    toe: np.ndarray  # hallux + toes share 0..1 (of the whole landing load)
    collapse: np.ndarray
    engaged: np.ndarray
    cue_block: np.ndarray
    block: np.ndarray
    judged: np.ndarray
    toe_judged: np.ndarray
    loading_rate: np.ndarray  # N/s
    ml: np.ndarray
    stance_ms: np.ndarray

    @classmethod
    def from_sessions(cls, sessions: list[tuple[object, np.ndarray]]) -> Steps:
        lens = [len(s) for _, s in sessions]
        feet = sorted({str(row.foot) for row, _ in sessions})
        cat = np.concatenate([s for _, s in sessions]) if sessions else np.zeros(0, dtype=STEPS_DTYPE)
        f4 = np.float32
        return cls(np.repeat(np.arange(len(sessions), dtype=np.int32), lens),
                   np.repeat(np.array([feet.index(str(row.foot)) for row, _ in sessions], dtype=np.int8), lens),
                   feet, cat["ic_ms"].astype(np.int32), (cat["arch_share"] / f4(1e4)).astype(f4),
                   (cat["toe_share"] / f4(1e4)).astype(f4), flag(cat, "collapse"), flag(cat, "toe_engaged"),
                   flag(cat, "cue_block"), cat["block"].astype(np.int16), judged(cat), toe_judged(cat),
                   cat["loading_rate"].astype(f4) * f4(10), (cat["ml_index"] / f4(1e4)).astype(f4),
                   cat["stance_ms"].astype(f4))

    def subset(self, mask: np.ndarray) -> Steps:
        return Steps(**{k: (v if k == "feet" else v[mask]) for k, v in self.__dict__.items()})


_STATS = ("n", "arch", "arch2", "collapse", "n_toe", "engaged")  # per-cluster sums the bootstrap needs
_BOOT_CHUNK = 250  # bootstrap replicates per matrix product: bounds memory for many clusters
# (int32 indices: b x clusters stays below 2**31 up to ~8 million blocks)


def _clusters(keys: np.ndarray, s: Steps) -> tuple[np.ndarray, np.ndarray]:
    """(clusters, len(_STATS)) sums per cluster (block or window), and each cluster's session."""
    uniq, inv = np.unique(keys, return_inverse=True)
    j, t = s.judged, s.toe_judged
    cols = (lambda: j, lambda: s.arch * j, lambda: s.arch * s.arch * j, lambda: s.collapse & j, lambda: t,
            lambda: s.engaged & t)  # made one at a time: a million steps x 6 float columns is memory
    return (np.column_stack([np.bincount(inv, weights=c(), minlength=len(uniq)) for c in cols]),
            uniq // _SESSION_KEY)


_SESSION_KEY = 100_000  # cluster key = session * _SESSION_KEY + block (or window)


def _bootstrap(stats: np.ndarray, strata: np.ndarray, rng: np.random.Generator, reps: int,
               per_stratum: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Sums over clusters resampled with replacement inside their session. Returns the strata
    (sessions, sorted), the pooled replicate sums (reps, len(_STATS)), the first `per_stratum`
    replicates' sums per stratum (per_stratum, strata, len(_STATS); float32 to bound memory)
    and the point sums per stratum (strata, len(_STATS))."""
    k = len(stats)
    order = np.argsort(strata, kind="stable")
    stats, strata = stats[order], strata[order]
    uniq, start, size = np.unique(strata, return_index=True, return_counts=True)
    first = np.repeat(start, size).astype(np.int32)  # each slot draws from its own session's clusters
    width = np.repeat(size, size).astype(np.float32)
    pooled = np.empty((reps, stats.shape[1]))
    per = np.empty((min(per_stratum, reps), len(uniq), stats.shape[1]), dtype=np.float32)
    for begin in range(0, reps, _BOOT_CHUNK):
        b = min(_BOOT_CHUNK, reps - begin)
        idx = (rng.random((b, k), dtype=np.float32) * width).astype(np.int32)  # 32-bit: half the memory traffic
        idx += first
        idx += (np.arange(b, dtype=np.int32) * k)[:, None]
        counts = np.bincount(idx.ravel(), minlength=b * k).reshape(b, k).astype(np.float64)
        pooled[begin:begin + b] = counts @ stats  # float: BLAS, not an integer loop
        keep = min(b, len(per) - begin)
        for j in range(stats.shape[1] if keep > 0 else 0):  # per-session sums of counts x cluster sums
            per[begin:begin + keep, :, j] = np.add.reduceat(counts[:keep] * stats[:, j], start, axis=1)
    return uniq, pooled, per, np.add.reduceat(stats, start, axis=0)


def _cv(n: np.ndarray, s1: np.ndarray, s2: np.ndarray) -> np.ndarray:
    mean = s1 / n
    var = np.maximum(s2 - s1 * s1 / n, 0) / np.maximum(n - 1, 1)
    return np.sqrt(var) / np.where(mean > 0, mean, np.nan)


def _interval(samples: np.ndarray, estimate: float, level: float = 0.95) -> Interval:
    """Percentile interval; replicates with no events on either side have no ratio and are
    left out, a side with none only (ratio 0 or infinite) stays in."""
    samples = samples[~np.isnan(samples)]
    if not len(samples):
        return Interval(float(estimate), float("nan"), float("nan"))
    tail = 50 * (1 - level)
    lo, hi = np.percentile(samples, [tail, 100 - tail], method="inverted_cdf")
    return Interval(float(estimate), float(lo), float(hi))


def _div(a: np.ndarray | float, b: np.ndarray | float) -> np.ndarray | float:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.true_divide(a, b)


def _from_sums(basis: str, pa: np.ndarray, pb: np.ndarray, ba: np.ndarray, bb: np.ndarray, ka: int, kb: int,
               loading_cv_ratio: float = float("nan"), ml_sd_ratio: float = float("nan")) -> Comparison:
    """A comparison from point sums (len(_STATS)) and replicate sums (reps, len(_STATS))."""
    n, arch, arch2, col, nt, eng = range(len(_STATS))
    cv_a, cv_b = float(_cv(pa[n], pa[arch], pa[arch2])), float(_cv(pb[n], pb[arch], pb[arch2]))
    ra, rb = float(_div(pa[col], pa[n])), float(_div(pb[col], pb[n]))
    sa, sb = _div(ba[:, col], ba[:, n]), _div(bb[:, col], bb[:, n])
    ea, eb = float(_div(pa[eng], pa[nt])), float(_div(pb[eng], pb[nt]))
    ratio, ratio_samples = float(_div(ra, rb)), _div(sa, sb)
    return Comparison(
        basis, int(pa[n]), int(pb[n]), ka, kb, int(pa[col]), int(pb[col]),
        float(_div(pa[arch], pa[n])), float(_div(pb[arch], pb[n])), cv_a, cv_b,
        _interval(_div(_cv(ba[:, n], ba[:, arch], ba[:, arch2]), _cv(bb[:, n], bb[:, arch], bb[:, arch2])),
                  float(_div(cv_a, cv_b))),
        ra, rb, _interval(ratio_samples, ratio), _interval(ratio_samples, ratio, 0.90),
        _interval(sa - sb, ra - rb), ea, eb,
        _interval(_div(ba[:, eng], ba[:, nt]) - _div(bb[:, eng], bb[:, nt]), ea - eb),
        loading_cv_ratio, ml_sd_ratio)


def compare(a: Steps, b: Steps, keys_a: np.ndarray, keys_b: np.ndarray, basis: str, rng: np.random.Generator,
            reps: int = BOOTSTRAP, per_session: bool = False) -> tuple[Comparison, dict[int, Comparison]]:
    """Condition a against b with cluster-bootstrap intervals; with per_session, the same for
    each session that holds both conditions (its share of the same replicates)."""
    (ca, sa_), (cb, sb_) = _clusters(keys_a, a), _clusters(keys_b, b)
    keep = SESSION_BOOTSTRAP if per_session else 0
    (ua, ra_, qa, pa), (ub, rb_, qb, pb) = _bootstrap(ca, sa_, rng, reps, keep), _bootstrap(cb, sb_, rng, reps, keep)
    pooled = _from_sums(basis, pa.sum(0), pb.sum(0), ra_, rb_, len(ca), len(cb),
                        float(_div(_cv(*_sums(a.loading_rate)), _cv(*_sums(b.loading_rate)))),
                        float(np.std(a.ml) / np.std(b.ml)) if len(a.ml) > 1 and np.std(b.ml) > 0 else float("nan"))
    per: dict[int, Comparison] = {}
    ka, kb = np.bincount(sa_), np.bincount(sb_)
    for i in np.intersect1d(ua, ub).tolist() if per_session else []:
        ia, ib = int(np.searchsorted(ua, i)), int(np.searchsorted(ub, i))
        per[i] = _from_sums(basis, pa[ia], pb[ib], qa[:, ia].astype(np.float64), qb[:, ib].astype(np.float64),
                            int(ka[i]), int(kb[i]))
    return pooled, per


def _sums(v: np.ndarray) -> tuple[float, float, float]:
    v = v.astype(np.float64)
    return float(len(v)), float(v.sum()), float((v * v).sum())


def _block_comparison(s: Steps, rng: np.random.Generator,
                      reps: int = BOOTSTRAP) -> tuple[Comparison | None, dict[int, Comparison]]:
    inside = (s.judged | s.toe_judged) & (s.block > 0)
    on, off = inside & s.cue_block, inside & ~s.cue_block
    if not on.any() or not off.any():
        return None, {}
    key = s.session.astype(np.int64) * _SESSION_KEY + s.block  # a block belongs to its session
    return compare(s.subset(on), s.subset(off), key[on], key[off], "blocks", rng, reps, reps == BOOTSTRAP)


def _engagement_comparison(s: Steps, rng: np.random.Generator,
                           reps: int = BOOTSTRAP) -> tuple[Comparison | None, dict[int, Comparison]]:
    """Engaged vs not-engaged landings inside the same one-minute windows (both flags judged)."""
    key = s.session.astype(np.int64) * _SESSION_KEY + s.ic_ms // WINDOW_MS
    usable = s.judged & s.toe_judged
    eng, rel = usable & s.engaged, usable & ~s.engaged
    both = np.intersect1d(key[eng], key[rel])  # matched windows only: like with like
    eng &= np.isin(key, both)
    rel &= np.isin(key, both)
    if not eng.any() or not rel.any():
        return None, {}
    return compare(s.subset(eng), s.subset(rel), key[eng], key[rel], "engagement", rng, reps, reps == BOOTSTRAP)


def shortfalls(c: Comparison | None, rule: Rule) -> list[Shortfall]:
    if c is None:
        return [Shortfall("no_comparison", 0, 1)]
    out = []
    if min(c.steps_a, c.steps_b) < rule.min_steps:
        out.append(Shortfall("landings", min(c.steps_a, c.steps_b), rule.min_steps))
    if min(c.clusters_a, c.clusters_b) < rule.min_blocks:
        out.append(Shortfall("blocks" if c.basis == "blocks" else "windows", min(c.clusters_a, c.clusters_b),
                             rule.min_blocks))
    if c.collapses_a + c.collapses_b < rule.min_collapses:
        out.append(Shortfall("collapses", c.collapses_a + c.collapses_b, rule.min_collapses))
    if c.basis == "blocks":
        d = c.engaged_rate_diff
        if not d.estimate >= rule.min_engaged_diff or not d.low > 0:
            out.append(Shortfall("engagement", d.estimate, rule.min_engaged_diff))
    return out


def decide(c: Comparison, rule: Rule) -> str:
    """The verdict from a comparison that has enough data (see the module's rule)."""
    r, r90, m = c.collapse_ratio, c.collapse_ratio_90, rule.margin
    if r.high < 1 and r.estimate <= 1 - m:
        return "stabilizes"
    if r.low > 1 and r.estimate >= 1 + m:
        return "destabilizes"
    if r90.low > 1 - m and r90.high < 1 + m:
        return "no_clear_effect"
    return "inconclusive"


def more_needed(c: Comparison, rule: Rule, block_s: float = 60) -> MoreNeeded:
    """Minutes of blocks likely to settle an inconclusive comparison. Method: the interval's
    width on the log scale shrinks as 1 / sqrt(blocks per condition) (blocks are the
    bootstrap's units); taking the current estimate as the truth, find the number of blocks
    at which the deciding test would pass with 80% probability: |distance to the bound| =
    (z_test + z_80%) x standard error. The bound is 1 (with the estimate beyond the margin)
    or the nearer margin (with the estimate inside it)."""
    r, m = c.collapse_ratio, rule.margin
    k = min(c.clusters_a, c.clusters_b)
    est = math.log(max(r.estimate, 1e-9))
    se = (math.log(max(r.high, 1e-9)) - math.log(max(r.low, 1e-9))) / (2 * Z95)
    if est <= math.log(1 - m) or est >= math.log(1 + m):
        toward, gap, z = ("stabilizes" if est < 0 else "destabilizes"), abs(est), Z95
    else:
        toward, gap, z = "no_clear_effect", min(est - math.log(1 - m), math.log(1 + m) - est), Z90
    if not (se > 0 and gap > 0 and math.isfinite(se)):
        return MoreNeeded(None, toward, k)
    blocks = k * (se * (z + Z_POWER) / gap) ** 2
    minutes = max(0.0, blocks - k) * 2 * block_s / 60
    more = int(5 * math.ceil(max(minutes, 1) / 5))  # whole 5-minute steps: an estimate, not a promise
    return MoreNeeded(more if more <= MAX_MORE_MIN else None, toward, k)


def _session_results(s: Steps, sessions: list, rule: Rule, per: dict[int, Comparison]) -> list[SessionResult]:
    """A row per session: its length, protocol, rates and its own verdict (from its share of
    the pooled bootstrap's replicates), all from per-session sums (no loop over steps)."""
    m = len(sessions)
    i, j, t = s.session, s.judged, s.toe_judged
    count = lambda w: np.bincount(i, weights=w, minlength=m)  # noqa: E731
    steps, judged_n, toe_n = count(None), count(j), count(t)
    collapses, engaged = count(s.collapse & j), count(s.engaged & t)
    bounds = np.searchsorted(i, np.arange(m + 1))  # steps are stored session by session
    rows = []
    for k, (row, _) in enumerate(sessions):
        lo, hi = bounds[k], bounds[k + 1]
        ic, blk, on = s.ic_ms[lo:hi], s.block[lo:hi], s.cue_block[lo:hi]
        minutes = float(ic[-1] - ic[0]) / 60_000 if hi - lo > 1 else 0.0
        has = blk > 0
        c = per.get(k)
        verdict = "insufficient_data" if c is None or shortfalls(c, rule) else decide(c, rule)
        rows.append(SessionResult(
            str(row.id), str(row.foot), getattr(row, "started_at", None), int(steps[k]), minutes,
            float(ic[has][0] - ic[0]) / 60_000 if has.any() else float("nan"),
            len(np.unique(blk[has & on])), len(np.unique(blk[has & ~on])),
            float(_div(engaged[k], toe_n[k])), float(_div(collapses[k], judged_n[k])),
            c.collapse_rate_a if c else float("nan"), c.collapse_rate_b if c else float("nan"),
            2 * 60_000 / float(np.median(np.diff(ic))) if hi - lo > 2 else float("nan"), verdict,
            getattr(row, "damage", None)))
    return rows


def _trend(rows: list[SessionResult]) -> dict[str, float | None]:
    trend: dict[str, float | None] = {"engaged_per_session": None, "collapse_per_session": None}
    if len(rows) >= 3:
        x = np.arange(len(rows))
        for key, attr in (("engaged_per_session", "engaged_rate"), ("collapse_per_session", "collapse_rate")):
            y = np.array([getattr(r, attr) for r in rows])
            ok = np.isfinite(y)
            if ok.sum() >= 3:
                trend[key] = float(np.polyfit(x[ok], y[ok], 1)[0])
    return trend


def analyse(runner: str, sessions: list[tuple[object, np.ndarray]], rule: Rule = Rule(), seed: int = SEED,
            steps: Steps | None = None) -> Analysis:
    """sessions: [(SessionRow, structured step array)] of one runner, oldest first."""
    rng = np.random.default_rng(seed)
    s = steps if steps is not None else Steps.from_sessions(sessions)
    primary, per_session = _block_comparison(s, rng)
    if primary is not None:  # the verdict rests on blocks; the rest is context, fewer replicates
        secondary, _ = _engagement_comparison(s, rng, CONTEXT_BOOTSTRAP)
        by_foot = _block_comparison
    else:
        (primary, per_session), secondary, by_foot = _engagement_comparison(s, rng), None, _engagement_comparison
    short = shortfalls(primary, rule)
    verdict = "insufficient_data" if short or primary is None else decide(primary, rule)
    more = more_needed(primary, rule) if verdict == "inconclusive" and primary is not None else None
    per_foot = ({foot: by_foot(s.subset(s.foot == i), rng, CONTEXT_BOOTSTRAP)[0] for i, foot in enumerate(s.feet)}
                if len(s.feet) > 1 else {})
    rows = _session_results(s, sessions, rule, per_session)
    used = int(s.judged.sum())
    return Analysis(runner, verdict, primary.basis if primary else "none", rule, short, more, int(len(s.ic_ms)),
                    used, int(len(s.ic_ms)) - used, primary, secondary, per_foot, rows, _trend(rows))
