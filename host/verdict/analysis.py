"""Does curling the toes at landing stabilize this runner's foot loading? Numbers and the
verdict only: every word a coach reads is in host/reports/report.py.

The verdict rests on the block protocol when the insole ran it (cue-on vs cue-off blocks
inside the same runs control for pace and fatigue); otherwise on landings with vs without
toe engagement inside the same one-minute windows (observational: the report says so).

Statistic: the ratio of arch-collapse rates at landing, condition / comparison (cue-on /
cue-off, or engaged / not engaged); below 1, the arch collapses less often. The firmware
flags collapse per landing against the runner's own baseline, so the rate is comparable
across runners and shoes. The coefficient of variation (CV) of the arch share (the design
brief's suggestion) is reported but does not decide: when landings are a mix of collapsed
and normal ones it barely moves as collapses become rarer. Intervals are percentile
intervals of a bootstrap over blocks (or windows), stratified by run: consecutive steps
are correlated, and a per-step test would overstate certainty. Several sessions pool: every
block of every run is a cluster, collapse rates are ratios of sums, so a session weighs by
its judged landings. Seeded: the same store gives the same report.

The rule that turns these numbers into a verdict is in host/verdict/rule.py; the bootstrap
and its few-clusters correction in host/verdict/bootstrap.py.

Runs, not sessions (host/store/runs.py): a left and a right session whose landings overlap in
time are one run; their blocks are matched by time, and a block of both feet is one cluster (the
two feet's landings of the same minutes are not independent evidence). Leftovers (sessions too
short to hold a block, or with no running) are listed, never counted. Runs come oldest first.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from firmware.core import channels
from host.store.records import STEPS_DTYPE, flag
from host.store.runs import Shape, group, shape, start_ms
from host.verdict.bootstrap import Interval, cv, div, interval, resample, stretch
from host.verdict.rule import (
    WINDOW_MS,
    Comparison,
    MoreNeeded,
    Rule,
    Shortfall,
    decide,
    more_needed,
    shortfalls,
    verdict_of,
)

BOOTSTRAP = 2000  # replicates for each comparison a verdict rests on
SESSION_BOOTSTRAP = 1000  # of the pooled replicates, the ones each session's own verdict uses
SEED = 20261124
ARCH_BIT = 1 << channels.ARCH  # the arch channel's bit in the record's per-channel fault mask


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
    run: str = ""  # the id of its run's first session: the other insole of a pair names the same
    when: str | None = None  # started_at, or (clock not set) when it was pulled or imported


@dataclass
class RunResult:
    """One run: one insole's session or both insoles' (host/store/runs.py), its numbers pooled
    over its sessions on one clock (a block or a minute of both feet once)."""
    run: str  # its first session's id
    sessions: list[str]
    feet: list[str]  # its sessions' feet, in the same order
    started_at: str | None  # the insole clock at its start; None: the clock was not set
    when: str | None  # started_at, or when it was pulled or imported (undated runs are placed there)
    imported: bool  # a recording from another device (archcue import), not an insole's run
    minutes: float  # first to last landing of either insole
    warmup_min: float
    blocks_on: int
    blocks_off: int
    steps: int
    engaged_rate: float
    collapse_rate: float
    collapse_on: float
    collapse_off: float
    verdict: str


@dataclass
class Leftover:
    """A session no one ran as a run (host/store/runs.py): listed on request, never counted."""
    session: str
    foot: str
    started_at: str | None
    when: str | None
    minutes: float
    blocks: int
    steps: int
    why: str
    imported: bool = False  # a recording from another device (archcue import), not an insole's run


@dataclass
class Asymmetry:
    """Collapse rates of the left and right foot over the minutes both insoles recorded."""
    left_rate: float
    right_rate: float
    diff: Interval  # left - right, 95%, a bootstrap over one-minute windows of both feet
    left_steps: int
    right_steps: int
    windows: int
    runs: int


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
    as_treated: Comparison | None  # with blocks: curled vs not curled landings in the same minutes
    per_foot: dict[str, Comparison | None] = field(default_factory=dict)
    per_foot_as_treated: dict[str, Comparison | None] = field(default_factory=dict)
    per_foot_verdict: dict[str, str] = field(default_factory=dict)  # each foot's own verdict, same rule
    asymmetry: Asymmetry | None = None  # with left and right sessions of the same run
    sessions: list[SessionResult] = field(default_factory=list)  # the runs' sessions, oldest run first
    trend: dict[str, float | None] = field(default_factory=dict)
    runs: list[RunResult] = field(default_factory=list)  # oldest first
    leftovers: list[Leftover] = field(default_factory=list)
    minutes: float = 0.0  # of running in all the runs (a minute of both feet once)


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
    # per session, not per step: its run (the first session's index) and its start after the
    # run's start, in ms and in blocks (left and right insoles of one run, matched by time), and
    # its shape (a leftover's steps are left out: it has none here)
    runs: np.ndarray
    shift_ms: np.ndarray
    shift_blocks: np.ndarray
    shapes: list[Shape]
    ids: list[str]  # each session's id

    @classmethod
    def from_sessions(cls, sessions: list[tuple[object, np.ndarray]]) -> Steps:
        """sessions: [(row, decoded steps)]; a row with a stored `shape` (host.store.db.SessionRow)
        is taken at its word, else the shape is found from the steps with the insole's defaults."""
        shapes = [getattr(row, "shape", None) or shape(s) for row, s in sessions]
        kept = [s[:0] if sh.leftover else s for (_, s), sh in zip(sessions, shapes)]
        lens = [len(s) for s in kept]
        feet = sorted({str(row.foot) for (row, _), sh in zip(sessions, shapes) if not sh.leftover})
        cat = np.concatenate(kept) if sessions else np.zeros(0, dtype=STEPS_DTYPE)
        placed = group([(str(row.foot), start_ms(getattr(row, "started_at", None)), sh)
                        for (row, _), sh in zip(sessions, shapes)])
        f4 = np.float32
        return cls(np.repeat(np.arange(len(sessions), dtype=np.int32), lens),
                   np.repeat(np.array([feet.index(str(row.foot)) if n else 0 for (row, _), n in zip(sessions, lens)],
                             dtype=np.int8), lens),
                   feet, cat["ic_ms"].astype(np.int32), (cat["arch_share"] / f4(1e4)).astype(f4),
                   (cat["toe_share"] / f4(1e4)).astype(f4), flag(cat, "collapse"), flag(cat, "toe_engaged"),
                   flag(cat, "cue_block"), cat["block"].astype(np.int16), judged(cat), toe_judged(cat),
                   cat["loading_rate"].astype(f4) * f4(10), (cat["ml_index"] / f4(1e4)).astype(f4),
                   cat["stance_ms"].astype(f4), np.array([p.run for p in placed], dtype=np.int64),
                   np.array([p.shift_ms for p in placed], dtype=np.int64),
                   np.array([p.shift_blocks for p in placed], dtype=np.int64), shapes,
                   [str(row.id) for row, _ in sessions])

    def subset(self, mask: np.ndarray) -> Steps:
        return Steps(**{k: (v if k in _PER_SESSION else v[mask]) for k, v in self.__dict__.items()})

    def block_keys(self) -> np.ndarray:
        """Cluster key of each step's block: its run and its block counted from the run's start."""
        return self.runs[self.session] * _SESSION_KEY + self.block + self.shift_blocks[self.session]

    def window_keys(self) -> np.ndarray:
        """Cluster key of each step's one-minute window, counted from the run's start."""
        return self.runs[self.session] * _SESSION_KEY + (self.ic_ms + self.shift_ms[self.session]) // WINDOW_MS


_PER_SESSION = {"feet", "runs", "shift_ms", "shift_blocks", "shapes", "ids"}


# per-cluster sums the bootstrap needs; *_both: landings judged for the arch and the toes
_STATS = ("n", "arch", "arch2", "collapse", "n_toe", "engaged", "n_both", "collapse_curled", "collapse_uncurled")
_AS_TREATED_STATS = ("n", "collapse")  # all a verdict reads of the as-treated comparison (its collapse ratio)


def _clusters(keys: np.ndarray, s: Steps) -> tuple[np.ndarray, np.ndarray]:
    """(clusters, len(_STATS)) sums per cluster (block or window), and each cluster's run."""
    uniq, inv = np.unique(keys, return_inverse=True)
    j, t = s.judged, s.toe_judged
    both = j & t
    cols = (lambda: j, lambda: s.arch * j, lambda: s.arch * s.arch * j, lambda: s.collapse & j, lambda: t,
            lambda: s.engaged & t, lambda: both, lambda: s.collapse & s.engaged & both,
            lambda: s.collapse & ~s.engaged & both)  # one at a time: a million steps x 9 float columns is memory
    return (np.column_stack([np.bincount(inv, weights=c(), minlength=len(uniq)) for c in cols]),
            uniq // _SESSION_KEY)


_SESSION_KEY = 100_000  # cluster key = run * _SESSION_KEY + block (or window), matched by time across feet


def _from_sums(basis: str, pa: np.ndarray, pb: np.ndarray, ba: np.ndarray, bb: np.ndarray, ka: int, kb: int,
               loading_cv_ratio: float = float("nan"), ml_sd_ratio: float = float("nan")) -> Comparison:
    """A comparison from point sums (len(_STATS)) and replicate sums (reps, len(_STATS))."""
    n, arch, arch2, col, nt, eng = range(6)
    w95, w90 = stretch(ka, kb, 0.95), stretch(ka, kb, 0.90)
    cv_a, cv_b = float(cv(pa[n], pa[arch], pa[arch2])), float(cv(pb[n], pb[arch], pb[arch2]))
    ra, rb = float(div(pa[col], pa[n])), float(div(pb[col], pb[n]))
    sa, sb = div(ba[:, col], ba[:, n]), div(bb[:, col], bb[:, n])
    ea, eb = float(div(pa[eng], pa[nt])), float(div(pb[eng], pb[nt]))
    ratio, ratio_samples = float(div(ra, rb)), div(sa, sb)
    curl, curl_samples = float(_curling(pa, pb)), _curling(ba, bb)
    den, den_samples = float(_curling_parts(pa, pb)[1]), _curling_parts(ba, bb)[1]
    return Comparison(
        basis=basis, steps_a=int(pa[n]), steps_b=int(pb[n]), clusters_a=ka, clusters_b=kb,
        collapses_a=int(pa[col]), collapses_b=int(pb[col]),
        arch_mean_a=float(div(pa[arch], pa[n])), arch_mean_b=float(div(pb[arch], pb[n])),
        arch_cv_a=cv_a, arch_cv_b=cv_b,
        arch_cv_ratio=interval(div(cv(ba[:, n], ba[:, arch], ba[:, arch2]), cv(bb[:, n], bb[:, arch], bb[:, arch2])),
                               float(div(cv_a, cv_b)), widen=w95),
        collapse_rate_a=ra, collapse_rate_b=rb,
        collapse_ratio=interval(ratio_samples, ratio, widen=w95),
        collapse_ratio_90=interval(ratio_samples, ratio, 0.90, w90),
        curling_ratio=interval(curl_samples, curl, widen=w95), curling_ratio_90=interval(curl_samples, curl, 0.90, w90),
        curling_denominator=interval(den_samples, den, widen=w95, log=False),
        collapse_rate_diff=interval(sa - sb, ra - rb, widen=w95, log=False), engaged_rate_a=ea, engaged_rate_b=eb,
        engaged_rate_diff=interval(div(ba[:, eng], ba[:, nt]) - div(bb[:, eng], bb[:, nt]), ea - eb, widen=w95,
                                   log=False),
        loading_rate_cv_ratio=loading_cv_ratio, ml_sd_ratio=ml_sd_ratio)


def _curling(a: np.ndarray, b: np.ndarray) -> np.ndarray | float:
    """Curling's effect, the complier ratio (host/verdict/rule.py), from sums of condition a (cued) and b,
    points (len(_STATS)) or replicates (reps, len(_STATS)). Compared within one condition
    (engaged vs not), it is the plain collapse ratio. A negative numerator (fewer curled
    collapses with the buzz than without, by chance) is a ratio of 0; where the denominator
    is not positive the uncurled rate of those landings is unknown: no ratio (nan)."""
    num, den = _curling_parts(a, b)
    with np.errstate(invalid="ignore"):
        return np.where(den > 0, div(np.maximum(num, 0), np.where(den > 0, den, 1)), np.nan)


def _curling_parts(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray | float, np.ndarray | float]:
    """Curling's effect as numerator and denominator: the collapses the buzz added to curled
    landings, and those it took from uncurled ones (shares of all landings). The denominator is
    the buzz's change in toe engagement times how often those landings collapse uncurled: near 0
    when the buzz did not change the toes (or those landings seldom collapse), and the ratio is
    then not estimable (rule.curling_unknown)."""
    n, col_curled, col_uncurled = (_STATS.index(k) for k in ("n_both", "collapse_curled", "collapse_uncurled"))
    return (div(a[..., col_curled], a[..., n]) - div(b[..., col_curled], b[..., n]),
            div(b[..., col_uncurled], b[..., n]) - div(a[..., col_uncurled], a[..., n]))


def compare(a: Steps, b: Steps, keys_a: np.ndarray, keys_b: np.ndarray, basis: str, rng: np.random.Generator,
            reps: int = BOOTSTRAP, per_session: tuple[str, ...] = ()) -> tuple[Comparison, dict[int, Comparison]]:
    """Condition a against b with cluster-bootstrap intervals; with per_session (the _STATS a
    run's verdict reads), the same for each run (one session, or both insoles of one run) that
    holds both conditions (its share of the same replicates; what it does not read is nan)."""
    (ca, sa_), (cb, sb_) = _clusters(keys_a, a), _clusters(keys_b, b)
    keep, cols = (SESSION_BOOTSTRAP if per_session else 0), tuple(_STATS.index(k) for k in per_session)
    (ua, ra_, qa, pa), (ub, rb_, qb, pb) = (resample(ca, sa_, rng, reps, keep, cols),
                                            resample(cb, sb_, rng, reps, keep, cols))
    pooled = _from_sums(basis, pa.sum(0), pb.sum(0), ra_, rb_, len(ca), len(cb),
                        float(div(cv(*_sums(a.loading_rate)), cv(*_sums(b.loading_rate)))),
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


def _block_comparison(s: Steps, rng: np.random.Generator, reps: int = BOOTSTRAP,
                      per_session: tuple[str, ...] = ()) -> tuple[Comparison | None, dict[int, Comparison]]:
    inside = (s.judged | s.toe_judged) & (s.block > 0)
    on, off = inside & s.cue_block, inside & ~s.cue_block
    if not on.any() or not off.any():
        return None, {}
    key = s.block_keys()  # a block belongs to its run: both feet's landings of one block are one cluster
    return compare(s.subset(on), s.subset(off), key[on], key[off], "blocks", rng, reps, per_session)


def _engagement_comparison(s: Steps, rng: np.random.Generator, reps: int = BOOTSTRAP,
                           per_session: tuple[str, ...] = ()) -> tuple[Comparison | None, dict[int, Comparison]]:
    """Engaged vs not-engaged landings inside the same one-minute windows (both flags judged)."""
    key = s.window_keys()
    usable = s.judged & s.toe_judged
    eng, rel = usable & s.engaged, usable & ~s.engaged
    both = np.intersect1d(key[eng], key[rel])  # matched windows only: like with like
    eng &= np.isin(key, both)
    rel &= np.isin(key, both)
    if not eng.any() or not rel.any():
        return None, {}
    return compare(s.subset(eng), s.subset(rel), key[eng], key[rel], "engagement", rng, reps, per_session)


def _per_unit(s: Steps, unit: np.ndarray, m: int) -> dict[str, np.ndarray]:
    """Per unit (each step's session, or its run): landings, rates, blocks per condition (a block
    of both feet once) and, on the run's clock, the first and last landing and the first in a
    block. Sums over the steps, no loop."""
    j, tj, has = s.judged, s.toe_judged, s.block > 0
    count = lambda w: np.bincount(unit, weights=w, minlength=m)  # noqa: E731
    on, off = j & has & s.cue_block, j & has & ~s.cue_block
    t = s.ic_ms.astype(np.int64) + s.shift_ms[s.session]
    key = unit.astype(np.int64) * _SESSION_KEY + s.block + s.shift_blocks[s.session]

    def blocks(mask: np.ndarray) -> np.ndarray:
        return np.bincount(np.unique(key[mask]) // _SESSION_KEY, minlength=m)

    def first(mask: np.ndarray) -> np.ndarray:
        out = np.full(m, np.iinfo(np.int64).max)
        np.minimum.at(out, unit[mask], t[mask])
        return out

    last = np.full(m, np.iinfo(np.int64).min)
    np.maximum.at(last, unit, t)
    return {"steps": count(None), "engaged": div(count(s.engaged & tj), count(tj)),
            "collapse": div(count(s.collapse & j), count(j)), "on": div(count(s.collapse & on), count(on)),
            "off": div(count(s.collapse & off), count(off)), "blocks_on": blocks(has & s.cue_block),
            "blocks_off": blocks(has & ~s.cue_block), "start": first(np.ones_like(has)), "end": last,
            "block_start": first(has)}


def _minutes(u: dict[str, np.ndarray], k: int) -> tuple[float, float]:
    """A unit's minutes (first to last landing) and warm-up (to its first landing in a block)."""
    start = u["start"][k]
    warmup = (u["block_start"][k] - start) / 60_000 if u["block_start"][k] < np.iinfo(np.int64).max else np.nan
    return float(u["end"][k] - start) / 60_000, float(warmup)


def _when(row: object) -> str | None:
    """When a session ran: its insole clock, else when it was pulled or imported."""
    return getattr(row, "started_at", None) or getattr(row, "imported_at", None)


def _session_results(s: Steps, sessions: list, rule: Rule, per: dict[int, Comparison],
                     as_treated: dict[int, Comparison]) -> dict[int, SessionResult]:
    """A row per counted session (leftovers have none): its length, protocol, rates and its run's
    verdict (from the run's share of the pooled bootstraps' replicates: both insoles of a run
    share it)."""
    m = len(sessions)
    u = _per_unit(s, s.session, m)
    bounds = np.searchsorted(s.session, np.arange(m + 1))  # steps are stored session by session
    rows = {}
    for k, (row, _) in enumerate(sessions):
        if s.shapes[k].leftover:
            continue
        ic = s.ic_ms[bounds[k]:bounds[k + 1]]
        run = int(s.runs[k])
        minutes, warmup = _minutes(u, k)
        rows[k] = SessionResult(
            str(row.id), str(row.foot), getattr(row, "started_at", None), int(u["steps"][k]), minutes, warmup,
            int(u["blocks_on"][k]), int(u["blocks_off"][k]), float(u["engaged"][k]), float(u["collapse"][k]),
            float(u["on"][k]), float(u["off"][k]),
            2 * 60_000 / float(np.median(np.diff(ic))) if len(ic) > 2 else float("nan"),
            verdict_of(per.get(run), rule, as_treated.get(run)), getattr(row, "damage", None),
            str(sessions[run][0].id), _when(row))
    return rows


def _oldest_first(sessions: list, ids: list[int]) -> list[int]:
    """Session indices by when they ran (undated ones when pulled or imported; with neither, as
    given, last)."""
    def key(i: int) -> tuple[bool, int, int]:
        t = start_ms(_when(sessions[i][0]))
        return t is None, t or 0, i
    return sorted(ids, key=key)


def _run_results(s: Steps, sessions: list, rule: Rule, per: dict[int, Comparison],
                 as_treated: dict[int, Comparison], counted: list[int]) -> list[tuple[RunResult, list[int]]]:
    """Each run (oldest first) with its sessions' indices (oldest first), pooled on the run's clock."""
    u = _per_unit(s, s.runs[s.session], len(sessions))
    members: dict[int, list[int]] = {}
    for k in _oldest_first(sessions, counted):
        members.setdefault(int(s.runs[k]), []).append(k)
    out = []
    for r, ks in members.items():
        head = sessions[r][0]
        minutes, warmup = _minutes(u, r)
        out.append((RunResult(
            str(head.id), [str(sessions[k][0].id) for k in ks], [str(sessions[k][0].foot) for k in ks],
            getattr(head, "started_at", None), _when(head), bool(getattr(head, "imported", None)), minutes, warmup,
            int(u["blocks_on"][r]), int(u["blocks_off"][r]), int(u["steps"][r]), float(u["engaged"][r]),
            float(u["collapse"][r]), float(u["on"][r]), float(u["off"][r]),
            verdict_of(per.get(r), rule, as_treated.get(r))), ks))
    return out


def _leftovers(s: Steps, sessions: list) -> list[Leftover]:
    out = []
    for k in _oldest_first(sessions, [k for k, sh in enumerate(s.shapes) if sh.leftover]):
        row, sh = sessions[k][0], s.shapes[k]
        out.append(Leftover(str(row.id), str(row.foot), getattr(row, "started_at", None), _when(row), sh.minutes,
                            sh.blocks_on + sh.blocks_off, sh.steps, sh.why_leftover(),
                            bool(getattr(row, "imported", None))))
    return out


def _trend(runs: list[RunResult]) -> dict[str, float | None]:
    """Points per run of each rate, a straight line through the runs in time order (3 or more)."""
    trend: dict[str, float | None] = {"engaged_per_run": None, "collapse_per_run": None}
    if len(runs) >= 3:
        x = np.arange(len(runs))
        for key, attr in (("engaged_per_run", "engaged_rate"), ("collapse_per_run", "collapse_rate")):
            y = np.array([getattr(r, attr) for r in runs])
            ok = np.isfinite(y)
            if ok.sum() >= 3:
                trend[key] = float(np.polyfit(x[ok], y[ok], 1)[0])
    return trend


def analyse(runner: str, sessions: list[tuple[object, np.ndarray]], rule: Rule = Rule(), seed: int = SEED,
            steps: Steps | None = None) -> Analysis:
    """sessions: [(SessionRow, structured step array)] of one runner, in any order; steps: the same
    sessions' Steps.from_sessions, if already built. Leftovers are listed, never counted."""
    rng = np.random.default_rng(seed)
    s = steps if steps is not None else Steps.from_sessions(sessions)
    primary, per_session = _block_comparison(s, rng, per_session=_STATS)
    if primary is not None:  # the verdict rests on blocks, and by default on the as-treated comparison too
        as_treated, at_session = _engagement_comparison(s, rng, per_session=_AS_TREATED_STATS)
        by_foot = _block_comparison
    else:
        (primary, per_session), as_treated, at_session = _engagement_comparison(s, rng, per_session=_STATS), None, {}
        by_foot = _engagement_comparison
    short = shortfalls(primary, rule)
    verdict = "insufficient_data" if short or primary is None else decide(primary, rule, as_treated)
    more = more_needed(primary, rule, as_treated) if verdict == "inconclusive" and primary is not None else None
    feet = list(enumerate(s.feet)) if len(s.feet) > 1 else []
    foot_steps = {foot: s.subset(s.foot == i) for i, foot in feet}
    per_foot = {foot: by_foot(f, rng, SESSION_BOOTSTRAP)[0] for foot, f in foot_steps.items()}
    foot_at = {foot: _engagement_comparison(f, rng, SESSION_BOOTSTRAP)[0]
               for foot, f in foot_steps.items() if as_treated is not None}
    foot_verdicts = {f: verdict_of(c, rule, foot_at.get(f)) for f, c in per_foot.items()}
    rows = _session_results(s, sessions, rule, per_session, at_session)
    runs = _run_results(s, sessions, rule, per_session, at_session, list(rows))
    used = int(s.judged.sum())
    return Analysis(runner, verdict, primary.basis if primary else "none", rule, short, more, int(len(s.ic_ms)),
                    used, int(len(s.ic_ms)) - used, primary, as_treated, per_foot, foot_at, foot_verdicts,
                    asymmetry(s, rng), [rows[k] for _, ks in runs for k in ks], _trend([r for r, _ in runs]),
                    [r for r, _ in runs], _leftovers(s, sessions), sum(r.minutes for r, _ in runs))


def asymmetry(s: Steps, rng: np.random.Generator, reps: int = SESSION_BOOTSTRAP) -> Asymmetry | None:
    """Left minus right collapse rate over the one-minute windows both feet of a run recorded
    (warm-up and blocks alike). A window of both feet is one cluster, so the interval counts
    each minute once; windows resampled inside their run, with the few-clusters stretch."""
    if not {"left", "right"} <= set(s.feet):
        return None
    left, right = s.feet.index("left"), s.feet.index("right")
    key = s.window_keys()
    j = s.judged
    both = np.intersect1d(key[j & (s.foot == left)], key[j & (s.foot == right)])
    use = j & np.isin(key, both)
    if not use.any():
        return None
    uniq, inv = np.unique(key[use], return_inverse=True)
    foot, col = s.foot[use], s.collapse[use]
    stats = np.column_stack([np.bincount(inv, weights=w, minlength=len(uniq)) for w in
                             (foot == left, col & (foot == left), foot == right, col & (foot == right))])
    _, boot, _, point = resample(stats, uniq // _SESSION_KEY, rng, reps)
    point = point.sum(0)
    rate = lambda x: div(x[..., 1], x[..., 0]) - div(x[..., 3], x[..., 2])  # noqa: E731
    k = len(uniq)
    return Asymmetry(float(div(point[1], point[0])), float(div(point[3], point[2])),
                     interval(rate(boot), float(rate(point)), widen=stretch(k, k, 0.95), log=False),
                     int(point[0]), int(point[2]), k, len(np.unique(uniq // _SESSION_KEY)))




CLUSTER_STATS = _STATS  # the per-cluster sums compare_clusters takes, in this order


def compare_clusters(ca: np.ndarray, runs_a: np.ndarray, cb: np.ndarray, runs_b: np.ndarray, basis: str,
                     rng: np.random.Generator, reps: int = BOOTSTRAP) -> Comparison:
    """compare() from sums already taken per cluster (rows of CLUSTER_STATS; runs_a / runs_b:
    each cluster's run, the bootstrap's strata): for callers that summed the clusters
    elsewhere (the cohort, in SQL). Clusters in the order of their keys and a generator seeded
    as analyse() seeds it give the report's very intervals. Loading-rate and sway ratios need
    the steps: nan here."""
    (_, ra, _, pa), (_, rb, _, pb) = resample(ca, runs_a, rng, reps), resample(cb, runs_b, rng, reps)
    return _from_sums(basis, pa.sum(0), pb.sum(0), ra, rb, len(ca), len(cb))
