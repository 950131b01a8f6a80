"""Does the training program teach the runner to land with a steady arch, and is it kept?
Numbers and the retention verdict only: the words a coach reads are the report's.

Which run is what comes from each session's header config (the insole echoes the config it ran
with): `plan` "program" with `plan_step` k is the program's run k (training runs 1..N, then the
retention run); runs before the program's first run that are not program runs are the runner's
baseline. Nothing is counted from a plan's own counter, so the evidence is what was run.

Evidence is measured in the minutes without a cue only (landings whose `cue_block` flag is 0):
the baseline runs' warm-up and cue-off blocks, the first CUE_FREE_S (host/program/schedule.py) of
every training run (the insole's `cue_after_s`: no cue before it), training runs without any cue,
and the retention run.
A collapse rate in cued minutes shows how the runner answers the buzz, not how they land.
Why the first 10 minutes of a training run: they come before that day's first buzz, so they show
what the runner kept from the runs before (the learning), not today's answer to the cue; they
are the same minutes of a run as the baseline's warm-up (pace and fatigue alike); and the insole
judges no landing before its calibration (the first 30 running landings), so fewer minutes leave
too few one-minute windows (the verdict's minimum is 3 clusters, 150 landings) for an interval
worth reading. Longer would cost the training its cued minutes in a 30-minute run.

RETENTION RULE (the verdict's Rule: margin m, default 15%, and its minimum data)
  R = collapse rate of the retention run / of the baseline's cue-free landings, 95% and 90%
  intervals by the verdict's cluster bootstrap over one-minute windows, stratified by run, with
  the few-clusters stretch (host/verdict/analysis.compare).
  insufficient_data  no baseline or no retention run, fewer than min_steps judged landings or
                     min_blocks windows on either side, or fewer than min_collapses collapses
  kept               R's 95% interval entirely below 1 and R at most 1 - m (as `stabilizes`)
  not_kept           R's 90% interval above 1 - m: a drop as large as the margin is ruled out
                     (one-sided test at 5%)
  inconclusive       otherwise, with the minutes of retention running likely to settle it
A runner whose cued minutes collapse clearly less than the baseline (95% interval below 1) while
a drop as large as the margin is ruled out in the cue-free minutes (the retention run, or before
it the training runs' cue-free minutes from run 2 on) responds to the buzz and does not land
differently (`buzz_only`).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import numpy as np

from host.program.schedule import PLAN
from host.store.runs import start_ms
from host.verdict.analysis import BOOTSTRAP, SEED, SESSION_BOOTSTRAP, Steps, compare
from host.verdict.bootstrap import Z90, Z95, Interval, div, interval, resample, stretch
from host.verdict.rule import Comparison, Rule, Shortfall, _extra_minutes, shortfalls

RETENTION_VERDICTS = ("kept", "not_kept", "inconclusive", "insufficient_data")
MAX_MORE_MIN = 120


@dataclass
class ProgramRun:
    """One run of the program or of its baseline, its collapse rates in cue-free and cued minutes."""
    run: str  # its first session's id
    step: int  # plan_step; 0 for a baseline run
    role: str  # baseline | training | retention
    when: str | None
    cue_mode: str
    free_steps: int  # judged landings without a cue
    free_minutes: float  # one-minute windows holding them
    free_rate: Interval  # collapses per judged landing, 95%
    cued_steps: int
    cued_rate: Interval | None  # None: no cued landing


@dataclass
class Retention:
    verdict: str  # one of RETENTION_VERDICTS
    comparison: Comparison | None  # retention run / baseline, cue-free landings
    shortfalls: list[Shortfall] = field(default_factory=list)
    more_minutes: int | None = None  # inconclusive: minutes of retention running likely to settle it
    toward: str = ""
    weeks_after: float | None = None  # from the last training run to the retention run


@dataclass
class CueTiming:
    """When the motor started after the cued landing's contact (the insole's own contact time),
    over the program's cue events (firmware/core/record.py EVENT_CUE)."""
    cues: int
    median_ms: float
    p95_ms: float


def cue_timing(events: list[dict]) -> CueTiming | None:
    lat = [e["latency_ms"] for e in events if e.get("kind") == "cue"]
    if not lat:
        return None
    return CueTiming(len(lat), float(np.median(lat)), float(np.percentile(lat, 95)))


@dataclass
class ProgramEvidence:
    runner: str
    runs: list[ProgramRun]  # baseline first, then the program's runs by step
    retention: Retention
    cued: Comparison | None  # training runs' cued minutes / baseline
    learned: Comparison | None  # training runs' cue-free minutes from run 2 on / baseline
    buzz_only: bool
    rule: Rule
    cue: CueTiming | None = None  # the training runs' cues (None: no cue event stored)


def program_step(config: object) -> int | None:
    """The program's run number a session's config says, or None for any other run."""
    if not isinstance(config, dict) or config.get("plan") != PLAN:
        return None
    step = config.get("plan_step")
    return step if type(step) is int and step > 0 else None


def roles(heads: list[tuple[str | None, int | None]], retention_step: int) -> list[str | None]:
    """Each run's role from (when, program step) of its first session: program runs by their
    step; other runs before the program's first run are the baseline, later ones no part of it."""
    starts = [start_ms(w) for w, k in heads if k is not None]
    first = min((t for t in starts if t is not None), default=None)
    out: list[str | None] = []
    for when, step in heads:
        t = start_ms(when)
        if step is not None:
            out.append("retention" if step >= retention_step else "training")
        else:
            out.append("baseline" if first is None or (t is not None and t < first) else None)
    return out


def evidence(runner: str, sessions: list[tuple[object, np.ndarray]], configs: dict[str, dict],
             retention_step: int, rule: Rule = Rule(), seed: int = SEED,
             events: dict[str, list[dict]] | None = None, ignore: tuple[str, ...] = ()) -> ProgramEvidence:
    """sessions: [(SessionRow, steps)] of one runner (Store.runner_steps); configs: each session
    id's header config; retention_step: the plan's retention run (its training runs + 1);
    events: each session id's event records (Store.events), for the cue's timing; ignore: the
    session ids of an earlier program (the plan's "ignore")."""
    rng = np.random.default_rng(seed)
    s = Steps.from_sessions(sessions)
    counted = [k for k, sh in enumerate(s.shapes) if not sh.leftover]
    heads = sorted({int(s.runs[k]) for k in counted}, key=lambda r: (start_ms(_when(sessions[r][0])) or 0, r))
    cfg = [configs.get(str(sessions[r][0].id)) or {} for r in heads]
    steps = [program_step(c) for c in cfg]
    role = roles([(_when(sessions[r][0]), k) for r, k in zip(heads, steps)], retention_step)
    earlier = set(ignore)  # an earlier program's runs: neither this program's nor its baseline
    role = [None if str(sessions[r][0].id) in earlier else ro for r, ro in zip(heads, role)]
    run_of = s.runs[s.session]
    free, cued = s.judged & ~s.cue_block, s.judged & s.cue_block
    keys = s.window_keys()

    def mask_of(kinds: set[str], min_step: int = 0) -> np.ndarray:
        chosen = [r for r, ro, k in zip(heads, role, steps) if ro in kinds and (k or 0) >= min_step]
        return np.isin(run_of, chosen)

    base = free & mask_of({"baseline"})
    vs_base = lambda m: _compare(s, m, base, keys, rng)  # noqa: E731
    runs = [_run(s, r, ro, k or 0, c, free, cued, keys, rng, sessions)
            for r, ro, k, c in zip(heads, role, steps, cfg) if ro is not None]
    runs.sort(key=lambda x: (x.role != "baseline", x.step))
    retention = _retention(vs_base(free & mask_of({"retention"})), rule, runs)
    missing = [what for what in ("baseline", "retention") if not any(r.role == what for r in runs)]
    if missing:  # say which side is missing (the baseline first: it cannot come later), not only that one is
        retention.shortfalls = [Shortfall(missing[0], 0, 1)]
    cued_c, learned = vs_base(cued & mask_of({"training"})), vs_base(free & mask_of({"training"}, 2))
    shown = retention.comparison if retention.verdict != "insufficient_data" else learned
    buzz_only = (cued_c is not None and cued_c.collapse_ratio.high < 1 and shown is not None
                 and not shortfalls(shown, rule) and _ruled_out(shown, rule))
    trained = {sid for sid, c in configs.items() if program_step(c) is not None and sid not in earlier}
    timing = cue_timing([e for sid, evs in (events or {}).items() if sid in trained for e in evs])
    return ProgramEvidence(runner, runs, retention, cued_c, learned, buzz_only, rule, timing)


def _when(row: object) -> str | None:
    return getattr(row, "started_at", None) or getattr(row, "imported_at", None)


# A run's collapse level differs from another's by more than its landings' noise: the insole fits
# its collapse threshold anew in every run (and a runner's day differs). The verdict compares blocks
# inside one run, where that cancels; the program compares runs, so each side's interval adds this
# standard deviation on the log scale per run. Measured on the project's simulator: its non-learners'
# retention estimates (20 cue-free minutes against 30, 10 runners) spread 1.18x as far as the
# bootstrap says, 0.02 per run; without it the 95% interval covered the truth in 25/30 runners
# of the foreign model and 13/15 of the own (tests/bench_program.py), with it 28/30 and 14/15.
RUN_LEVEL_SD = 0.02


def _widened(r: Interval, z: float) -> Interval:
    """A between-run ratio's interval with RUN_LEVEL_SD for each of its two sides, added in
    quadrature to each half-width on the log scale."""
    if not (r.estimate > 0 and r.low > 0 and math.isfinite(r.high)):
        return r
    e, extra = math.log(r.estimate), (z * RUN_LEVEL_SD) ** 2 * 2
    return Interval(r.estimate, math.exp(e - math.sqrt((e - math.log(r.low)) ** 2 + extra)),
                    math.exp(e + math.sqrt((math.log(r.high) - e) ** 2 + extra)))


def _compare(s: Steps, a: np.ndarray, b: np.ndarray, keys: np.ndarray,
             rng: np.random.Generator) -> Comparison | None:
    """a against b with the verdict's bootstrap over one-minute windows, each side a different run
    (RUN_LEVEL_SD); None: a side is empty."""
    if not a.any() or not b.any():
        return None
    c = compare(s.subset(a), s.subset(b), keys[a], keys[b], "windows", rng, BOOTSTRAP)[0]
    return replace(c, collapse_ratio=_widened(c.collapse_ratio, Z95), collapse_ratio_90=_widened(c.collapse_ratio_90,
                                                                                                   Z90))


def _rate(s: Steps, mask: np.ndarray, keys: np.ndarray, rng: np.random.Generator) -> tuple[Interval, int]:
    """Collapses per judged landing of the masked landings with its 95% interval (bootstrap over
    one-minute windows with the few-clusters stretch), and the windows holding them."""
    uniq, first, inv = np.unique(keys[mask], return_index=True, return_inverse=True)
    stats = np.column_stack([np.bincount(inv, minlength=len(uniq)).astype(np.float64),
                             np.bincount(inv, weights=s.collapse[mask], minlength=len(uniq))])
    strata = s.runs[s.session][mask][first]
    _, boot, _, point = resample(stats, strata, rng, SESSION_BOOTSTRAP)
    p = point.sum(0)
    k = len(uniq)
    return interval(div(boot[:, 1], boot[:, 0]), float(div(p[1], p[0])), widen=stretch(k, k, 0.95), log=False), k


def _run(s: Steps, r: int, role: str, step: int, cfg: dict, free: np.ndarray, cued: np.ndarray, keys: np.ndarray,
         rng: np.random.Generator, sessions: list) -> ProgramRun:
    here = s.runs[s.session] == r
    f, c = free & here, cued & here
    nan = Interval(float("nan"), float("nan"), float("nan"))
    free_rate, windows = _rate(s, f, keys, rng) if f.any() else (nan, 0)
    return ProgramRun(str(sessions[r][0].id), step, role, _when(sessions[r][0]), str(cfg.get("cue_mode", "")),
                      int(f.sum()), float(windows), free_rate, int(c.sum()),
                      _rate(s, c, keys, rng)[0] if c.any() else None)


def _ruled_out(c: Comparison, rule: Rule) -> bool:
    """A drop in collapses as large as the margin is ruled out (90% interval above 1 - m)."""
    return c.collapse_ratio_90.low > 1 - rule.margin


def decide_retention(c: Comparison | None, rule: Rule) -> tuple[str, list[Shortfall]]:
    """The retention verdict of a retention / baseline comparison (module doc)."""
    if c is None:
        return "insufficient_data", [Shortfall("no_comparison", 0, 1)]
    short = shortfalls(c, rule)
    if short:
        return "insufficient_data", short
    r = c.collapse_ratio
    if r.high < 1 and r.estimate <= 1 - rule.margin:
        return "kept", []
    return ("not_kept" if _ruled_out(c, rule) else "inconclusive"), []


def _more(c: Comparison, rule: Rule) -> tuple[int | None, str]:
    """Minutes of retention running likely to settle an inconclusive verdict: the verdict's
    estimate (host/verdict/rule.more_needed) over one-minute windows of the retention run."""
    est, bound = math.log(max(c.collapse_ratio.estimate, 1e-9)), math.log(1 - rule.margin)
    k = min(c.clusters_a, c.clusters_b)
    if est <= bound:
        need, toward = _extra_minutes(c.collapse_ratio, Z95, -est, k, 1.0), "kept"
    else:
        need, toward = _extra_minutes(c.collapse_ratio_90, Z90, est - bound, k, 1.0), "not_kept"
    if not math.isfinite(need):
        return None, toward
    more = int(5 * math.ceil(max(need, 1) / 5))
    return (more if more <= MAX_MORE_MIN else None), toward


def _retention(c: Comparison | None, rule: Rule, runs: list[ProgramRun]) -> Retention:
    verdict, short = decide_retention(c, rule)
    out = Retention(verdict, c, short)
    if verdict == "inconclusive" and c is not None:
        out.more_minutes, out.toward = _more(c, rule)
    last = max((start_ms(r.when) or 0 for r in runs if r.role == "training"), default=None)
    ret = next((start_ms(r.when) for r in runs if r.role == "retention"), None)
    if last and ret:
        out.weeks_after = (ret - last) / (7 * 86_400_000)
    return out
