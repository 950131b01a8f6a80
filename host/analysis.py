"""Does curling the toes at landing stabilize this runner's foot loading?

The verdict rests on the block protocol when the insole ran it (cue-on vs cue-off blocks
inside the same runs control for pace and fatigue); otherwise on landings with vs without
toe engagement inside the same one-minute windows (observational: said so in the report).

Statistic: the ratio of arch-collapse rates at landing, condition / comparison (cue-on /
cue-off, or engaged / not engaged); below 1, the arch collapses less often: the loading is
steadier from landing to landing. The firmware flags collapse per landing against the
runner's own baseline, so the rate is comparable across runners and shoes. The design
brief's suggestion, the coefficient of variation (CV) of the arch load share, is reported
too but does not decide: when steps are a mix of collapsed and normal landings, the CV
barely moves as the share of collapses changes (a two-point mixture's CV is flat over
the range that matters), so it would miss real effects. Intervals are 95% percentile
intervals of a cluster bootstrap over blocks (or windows): consecutive steps are
correlated, and a per-step test would overstate certainty. Seeded: the same store gives
the same report.

VERDICT RULE
  insufficient_data  fewer than MIN_STEPS landings or MIN_BLOCKS blocks in either condition,
                     or the toes were not engaged more often in the cued condition (blocks:
                     engaged-rate difference below MIN_ENGAGED_DIFF or its interval reaching 0)
  stabilizes         collapse ratio <= 1 - MIN_EFFECT and its interval entirely below 1
  destabilizes       collapse ratio >= 1 + MIN_EFFECT and its interval entirely above 1
  no_clear_effect    otherwise
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from host.records import flag

MIN_STEPS = 150
MIN_BLOCKS = 3
MIN_ENGAGED_DIFF = 0.10
MIN_EFFECT = 0.15  # a 15% change in how often the arch collapses is worth a coach's attention
BOOTSTRAP = 2000  # replicates for the comparison a verdict rests on
CONTEXT_BOOTSTRAP = 500  # for the per-foot and secondary comparisons shown beside it
SEED = 20261124
WINDOW_MS = 60_000
ARCH_BIT = 1 << 1  # the arch channel's bit in the record's per-channel fault mask


@dataclass
class Interval:
    estimate: float
    low: float
    high: float


@dataclass
class Comparison:
    basis: str  # "blocks" or "engagement"
    label_a: str
    label_b: str
    steps_a: int
    steps_b: int
    clusters_a: int
    clusters_b: int
    arch_mean_a: float
    arch_mean_b: float
    arch_cv_a: float
    arch_cv_b: float
    arch_cv_ratio: Interval
    collapse_rate_a: float
    collapse_rate_b: float
    collapse_ratio: Interval
    collapse_rate_diff: Interval
    engaged_rate_a: float
    engaged_rate_b: float
    engaged_rate_diff: Interval
    loading_rate_cv_ratio: float
    ml_sd_ratio: float


@dataclass
class SessionTrend:
    session: str
    foot: str
    started_at: str | None
    steps: int
    engaged_rate: float
    collapse_rate: float
    cadence_spm: float
    stance_ms: float


@dataclass
class Analysis:
    runner: str
    verdict: str
    basis: str
    reasons: list[str]
    explanation: str
    steps_total: int
    steps_used: int
    primary: Comparison | None
    secondary: Comparison | None
    per_foot: dict[str, Comparison | None] = field(default_factory=dict)
    sessions: list[SessionTrend] = field(default_factory=list)
    trend: dict[str, float | None] = field(default_factory=dict)


@dataclass
class Steps:
    """A runner's steps as columns (all sessions, both feet)."""

    session: np.ndarray  # index into the session list
    foot: np.ndarray  # "left" / "right" per step
    ic_ms: np.ndarray
    arch: np.ndarray  # arch share 0..1 (of the load behind the toes)
    toe: np.ndarray  # hallux + toes share 0..1 (of the whole landing load)
    collapse: np.ndarray
    engaged: np.ndarray
    cue_block: np.ndarray
    block: np.ndarray
    usable: np.ndarray  # calibrated, arch sensor healthy
    loading_rate: np.ndarray
    ml: np.ndarray
    stance_ms: np.ndarray

    @classmethod
    def from_sessions(cls, sessions: list[tuple[object, np.ndarray]]) -> Steps:
        arrays = [s for _, s in sessions] or [np.zeros(0)]
        cat = np.concatenate(arrays) if sessions else None
        if cat is None or len(cat) == 0:
            z = np.zeros(0)
            return cls(z.astype(int), z.astype(str), z, z, z, z.astype(bool), z.astype(bool), z.astype(bool),
                       z.astype(int), z.astype(bool), z, z, z)
        sess = np.concatenate([np.full(len(s), i) for i, (_, s) in enumerate(sessions)])
        foot = np.concatenate([np.full(len(s), row.foot) for row, s in sessions])
        return cls(sess, foot, cat["ic_ms"].astype(np.int64), cat["arch_share"] / 1e4, cat["toe_share"] / 1e4,
                   flag(cat, "collapse"),
                   flag(cat, "toe_engaged"), flag(cat, "cue_block"), cat["block"].astype(np.int64),
                   flag(cat, "calibrated") & ((cat["faults"] & ARCH_BIT) == 0),
                   cat["loading_rate"].astype(float) * 10, cat["ml_index"] / 1e4, cat["stance_ms"].astype(float))

    def subset(self, mask: np.ndarray) -> Steps:
        return Steps(**{k: v[mask] for k, v in self.__dict__.items()})


_STATS = ("n", "arch", "arch2", "collapse", "engaged")  # per-cluster sums the bootstrap needs
_BOOT_CHUNK = 250  # bootstrap replicates per matrix product: bounds memory for many clusters


def _clusters(keys: np.ndarray, s: Steps) -> np.ndarray:
    """(clusters, len(_STATS)) sums per cluster (block or window)."""
    _, inv = np.unique(keys, return_inverse=True)
    cols = [np.ones(len(inv)), s.arch, s.arch * s.arch, s.collapse.astype(float), s.engaged.astype(float)]
    return np.column_stack([np.bincount(inv, weights=c) for c in cols])


def _bootstrap(stats: np.ndarray, rng: np.random.Generator, reps: int) -> np.ndarray:
    """(reps, len(_STATS)) sums over clusters resampled with replacement: each
    replicate's cluster counts times the per-cluster sums (one matrix product)."""
    k = len(stats)
    out = []
    for start in range(0, reps, _BOOT_CHUNK):
        b = min(_BOOT_CHUNK, reps - start)
        idx = rng.integers(0, k, (b, k), dtype=np.int32) + (np.arange(b, dtype=np.int32) * k)[:, None]
        counts = np.bincount(idx.ravel(), minlength=b * k).reshape(b, k)
        out.append(counts.astype(np.float64) @ stats)  # float: BLAS, not an integer loop
    return np.vstack(out)


def _cv(n: np.ndarray, s1: np.ndarray, s2: np.ndarray) -> np.ndarray:
    mean = s1 / n
    var = np.maximum(s2 - s1 * s1 / n, 0) / np.maximum(n - 1, 1)
    return np.sqrt(var) / np.where(mean > 0, mean, np.nan)


def _interval(samples: np.ndarray, estimate: float) -> Interval:
    samples = samples[np.isfinite(samples)]  # a resample with no events has no ratio
    if not len(samples):
        return Interval(float(estimate), float("nan"), float("nan"))
    lo, hi = np.percentile(samples, [2.5, 97.5])
    return Interval(float(estimate), float(lo), float(hi))


def compare(a: Steps, b: Steps, keys_a: np.ndarray, keys_b: np.ndarray, basis: str, labels: tuple[str, str],
            rng: np.random.Generator, reps: int = BOOTSTRAP) -> Comparison:
    """Condition a against b, with cluster-bootstrap intervals (clusters: blocks or windows)."""
    ca, cb = _clusters(keys_a, a), _clusters(keys_b, b)
    ba, bb = _bootstrap(ca, rng, reps), _bootstrap(cb, rng, reps)
    pa, pb = ca.sum(0), cb.sum(0)
    n, arch, arch2 = (_STATS.index(x) for x in ("n", "arch", "arch2"))
    cv_a, cv_b = float(_cv(pa[n], pa[arch], pa[arch2])), float(_cv(pb[n], pb[arch], pb[arch2]))
    with np.errstate(divide="ignore", invalid="ignore"):
        cv_ratio = _cv(ba[:, n], ba[:, arch], ba[:, arch2]) / _cv(bb[:, n], bb[:, arch], bb[:, arch2])
        rates = {}
        for name in ("collapse", "engaged"):
            i = _STATS.index(name)
            ra, rb = float(pa[i] / pa[n]), float(pb[i] / pb[n])
            sa, sb = ba[:, i] / ba[:, n], bb[:, i] / bb[:, n]
            rates[name] = (ra, rb, _interval(sa - sb, ra - rb), _interval(sa / sb, ra / rb if rb else float("nan")))
    return Comparison(
        basis, labels[0], labels[1], len(a.arch), len(b.arch), len(ca), len(cb),
        float(pa[arch] / pa[n]), float(pb[arch] / pb[n]), cv_a, cv_b,
        _interval(cv_ratio, cv_a / cv_b), rates["collapse"][0], rates["collapse"][1], rates["collapse"][3],
        rates["collapse"][2], rates["engaged"][0], rates["engaged"][1], rates["engaged"][2],
        float(_cv(*_sums(a.loading_rate)) / _cv(*_sums(b.loading_rate))),
        float(np.std(a.ml) / np.std(b.ml)) if len(a.ml) > 1 and np.std(b.ml) > 0 else float("nan"),
    )


def _sums(v: np.ndarray) -> tuple[float, float, float]:
    return float(len(v)), float(v.sum()), float((v * v).sum())


def _block_comparison(s: Steps, rng: np.random.Generator, reps: int = BOOTSTRAP) -> Comparison | None:
    inside = s.usable & (s.block > 0)
    on, off = inside & s.cue_block, inside & ~s.cue_block
    if not on.any() or not off.any():
        return None
    key = s.session * 1000 + s.block  # a block belongs to its session
    return compare(s.subset(on), s.subset(off), key[on], key[off], "blocks", ("cue-on blocks", "cue-off blocks"),
                   rng, reps)


def _engagement_comparison(s: Steps, rng: np.random.Generator, reps: int = BOOTSTRAP) -> Comparison | None:
    """Engaged vs not-engaged landings inside the same one-minute windows."""
    key = s.session * 100_000 + s.ic_ms // WINDOW_MS
    usable = s.usable
    eng, rel = usable & s.engaged, usable & ~s.engaged
    both = np.intersect1d(key[eng], key[rel])  # matched windows only: like with like
    eng &= np.isin(key, both)
    rel &= np.isin(key, both)
    if not eng.any() or not rel.any():
        return None
    return compare(s.subset(eng), s.subset(rel), key[eng], key[rel], "engagement",
                   ("toes engaged", "toes not engaged"), rng, reps)


def _judge(c: Comparison | None) -> tuple[str, list[str]]:
    if c is None:
        return "insufficient_data", ["no landings to compare (no cue-off/cue-on blocks and no engaged landings)"]
    reasons = []
    if min(c.steps_a, c.steps_b) < MIN_STEPS:
        reasons.append(f"only {min(c.steps_a, c.steps_b)} landings in a condition (need {MIN_STEPS})")
    if min(c.clusters_a, c.clusters_b) < MIN_BLOCKS:
        unit = "blocks" if c.basis == "blocks" else "one-minute windows"
        reasons.append(f"only {min(c.clusters_a, c.clusters_b)} {unit} in a condition (need {MIN_BLOCKS})")
    if c.basis == "blocks":
        d = c.engaged_rate_diff
        if d.estimate < MIN_ENGAGED_DIFF or d.low <= 0:
            reasons.append(f"toe engagement barely differed between blocks ({100 * c.engaged_rate_a:.0f}% vs "
                           f"{100 * c.engaged_rate_b:.0f}%): the cue did not change what the toes did")
    if reasons:
        return "insufficient_data", reasons
    r = c.collapse_ratio
    if r.estimate <= 1 - MIN_EFFECT and r.high < 1:
        return "stabilizes", []
    if r.estimate >= 1 + MIN_EFFECT and r.low > 1:
        return "destabilizes", []
    return "no_clear_effect", []


def _trend(s: Steps, sessions: list) -> tuple[list[SessionTrend], dict[str, float | None]]:
    m = len(sessions)
    used = s.usable.astype(float)
    per = {name: np.bincount(s.session, weights=w, minlength=m) for name, w in
           (("steps", np.ones(len(s.session))), ("used", used), ("engaged", used * s.engaged),
            ("collapse", used * s.collapse))}
    bounds = np.searchsorted(s.session, np.arange(1, m))  # steps are stored session by session
    rows = []
    for i, ((row, _), ic, stance) in enumerate(zip(sessions, np.split(s.ic_ms, bounds), np.split(s.stance_ms, bounds))):
        used_i = per["used"][i]
        rows.append(SessionTrend(row.id, row.foot, row.started_at, int(per["steps"][i]),
                                 float(per["engaged"][i] / used_i) if used_i else float("nan"),
                                 float(per["collapse"][i] / used_i) if used_i else float("nan"),
                                 2 * 60000 / float(np.median(np.diff(ic))) if len(ic) > 2 else float("nan"),
                                 float(np.median(stance)) if len(stance) else float("nan")))
    trend: dict[str, float | None] = {"engaged_per_session": None, "collapse_per_session": None}
    if len(rows) >= 3:
        x = np.arange(len(rows))
        for key, attr in (("engaged_per_session", "engaged_rate"), ("collapse_per_session", "collapse_rate")):
            y = np.array([getattr(r, attr) for r in rows])
            ok = np.isfinite(y)
            if ok.sum() >= 3:
                trend[key] = float(np.polyfit(x[ok], y[ok], 1)[0])
    return rows, trend


def _explain(runner: str, verdict: str, basis: str, c: Comparison | None, reasons: list[str]) -> str:
    if verdict == "insufficient_data" or c is None:
        return (f"There is not enough evidence yet to say whether curling the toes helps {runner}: "
                + "; ".join(reasons) + ". Run the block protocol again (steady pace, 10 minutes warm-up, "
                "then alternating one-minute cue-off and cue-on blocks) and pull the insoles afterwards.")
    r = c.collapse_ratio
    change = (1 - r.estimate) * 100
    how = ("When the insole cued toe curling" if basis == "blocks"
           else "On landings where the toes were engaged (compared with other landings in the same minutes)")
    what = {"stabilizes": "collapsed less often", "destabilizes": "collapsed more often",
            "no_clear_effect": "collapsed about as often"}[verdict]
    text = (f"{how}, {runner}'s arch {what}: on {100 * c.collapse_rate_a:.0f}% of landings versus "
            f"{100 * c.collapse_rate_b:.0f}% ({abs(change):.0f}% {'fewer' if change >= 0 else 'more'}; 95% interval "
            f"{100 * (1 - r.high):.0f}% to {100 * (1 - r.low):.0f}% fewer), with the toes engaged on "
            f"{100 * c.engaged_rate_a:.0f}% versus {100 * c.engaged_rate_b:.0f}% of landings. ")
    verdicts = {
        "stabilizes": "Curling the toes at landing appears to stabilize this runner's foot loading; "
                      "the arch is a plausible contributor to the knee pain and foot-core work is worth trying.",
        "no_clear_effect": "Curling the toes made no clear difference, so the feet are a less likely source; "
                           "look further up the chain (hips).",
        "destabilizes": "Curling the toes made the loading less steady; do not coach it for this runner.",
    }
    basis_note = ("" if basis == "blocks" else " This rests on landings the runner chose to engage, not on a "
                  "controlled comparison: confirm with the block protocol.")
    return text + verdicts[verdict] + basis_note


def analyse(runner: str, sessions: list[tuple[object, np.ndarray]], seed: int = SEED) -> Analysis:
    """sessions: [(SessionRow, structured step array)] of one runner, oldest first."""
    rng = np.random.default_rng(seed)
    s = Steps.from_sessions(sessions)
    blocks = _block_comparison(s, rng)
    if blocks is not None:  # the verdict rests on blocks; the rest is context, fewer replicates
        primary, secondary = blocks, _engagement_comparison(s, rng, CONTEXT_BOOTSTRAP)
        by_foot = _block_comparison
    else:
        primary, secondary, by_foot = _engagement_comparison(s, rng), None, _engagement_comparison
    verdict, reasons = _judge(primary)
    basis = primary.basis if primary else "none"
    per_foot = {foot: by_foot(s.subset(s.foot == foot), rng, CONTEXT_BOOTSTRAP) for foot in np.unique(s.foot).tolist()}
    rows, trend = _trend(s, sessions)
    return Analysis(runner, verdict, basis, reasons, _explain(runner, verdict, basis, primary, reasons),
                    int(len(s.arch)), int(s.usable.sum()), primary, secondary, per_foot, rows, trend)
