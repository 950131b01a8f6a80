"""The verdict rule: from the comparisons host/verdict/analysis.py measures to a word.

VERDICT RULE (margin m, default 15%)
Two effects are estimated from the same randomized blocks and the same bootstrap replicates:
  the buzz's effect  B = collapse rate with the buzz / without it (the randomized contrast);
  curling's effect   C = collapse rate of curled / uncurled landings among the landings the
                     buzz made curl (instrumental variable, the complier ratio of Wald/CACE:
                     C = [P(collapse, curled | buzz) - P(collapse, curled | no buzz)] /
                         [P(collapse, uncurled | no buzz) - P(collapse, uncurled | buzz)]).
The buzz changes toe engagement on only some landings, so B is C diluted (60% vs 15%
engagement: a curling effect of 40% shows as a buzz effect of about 19%). C answers the
runner's question; B is the causal anchor (it needs no assumption beyond randomization).
C assumes the buzz acts on collapses only through the toes (no effect of the buzz itself).
A third comparison, as-treated (A), asks the runner's question directly:
  A = collapse rate of curled / uncurled landings inside the same one-minute windows (warm-up
      and blocks of both conditions: the windows hold pace and fatigue alike; landings with
      both flags judged, windows that hold both kinds), same bootstrap and stretch as B.
A assumes curling is not chosen on landings that would collapse anyway (or stay steady
anyway). Nothing randomizes that: the buzz follows a collapsed landing and asks for a curl on
the next few, and a runner may curl unasked when the foot feels unsteady; if collapses come in
runs, curled landings meet more of them and A leans toward "no help".
Why A is asked (rule `equivalence`, default "itt+as-treated"): B alone is biased toward "no
difference" by the landings the buzz did not move (non-compliance), and C rules out the margin
only with about 5x the blocks (its interval is B's divided by the engagement difference, ~0.45).
Equivalence trials claim "no difference" only when both the intention-to-treat and the
per-protocol / as-treated analyses show it (CONSORT extension for non-inferiority and
equivalence trials, Piaggio et al., JAMA 2012;308:2594): a small curling effect hides in B's
dilution but not in A, and a bias of A's assumption does not pass B. With "complier" the rule
is C's alone, as before (no assumption about when the runner curls; far more minutes).
  insufficient_data  fewer than min_steps landings or min_blocks blocks in either condition,
                     fewer than min_collapses collapses in both conditions together, or
                     (blocks) toes not engaged at least min_engaged_diff more often when cued,
                     and clearly more (the difference's 95% interval above 0): a runner whose
                     toes did not answer the buzz gets no curling verdict
  stabilizes         B's 95% interval entirely below 1 and C at most 1 - m; by default also
                     A's 95% interval entirely below 1 (both analyses agree: no new number)
  destabilizes       the same, above 1 and C at least 1 + m
  no_clear_effect    by default (itt+as-treated): B's and A's 90% intervals both inside
                     (1 - m, 1 + m); with equivalence "complier": C's 90% interval inside it.
                     An effect as large as the margin is ruled out (two one-sided tests at 5%,
                     the equivalence convention)
  inconclusive       otherwise, with the minutes of blocks likely to settle it (more_needed)
Curling's effect is a ratio whose denominator is the buzz's change in toe engagement (times how
often those landings collapse uncurled). When that denominator's 95% interval reaches 0 (the
buzz did not change the toes), or C's own 95% interval runs from every collapse gone to twice
as many, C is not estimable (curling_unknown): it is not shown as a number and decides
nothing, so stabilizes, destabilizes and the complier option's no_clear_effect cannot be
reached on it.
Without blocks (observational: engaged vs not-engaged landings) the comparison is A itself, and
B and C are its collapse ratio.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from host.verdict.bootstrap import Z90, Z95, Interval

WINDOW_MS = 60_000
Z_POWER = 0.841621  # 80%: "likely" in the minutes-needed estimate
MAX_MORE_MIN = 120  # beyond this the estimate is too close to the margin to promise a length
VERDICTS = ("stabilizes", "destabilizes", "no_clear_effect", "inconclusive", "insufficient_data")
EQUIVALENCE = ("itt+as-treated", "complier")  # what no_clear_effect rests on (module doc), the default first


@dataclass(frozen=True)
class Rule:
    margin: float = 0.15  # a 15% change in how often the arch collapses is worth a coach's attention
    min_steps: int = 150
    min_blocks: int = 3
    min_collapses: int = 10
    min_engaged_diff: float = 0.10
    equivalence: str = EQUIVALENCE[0]

    def __post_init__(self) -> None:
        if self.equivalence not in EQUIVALENCE:  # a misspelt basis must not fall back to either rule unseen
            raise ValueError(f"equivalence {self.equivalence!r}: one of {', '.join(EQUIVALENCE)}")


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
    collapse_ratio: Interval  # 95%: the buzz's effect (blocks) or engaged vs not (observational)
    collapse_ratio_90: Interval
    curling_ratio: Interval  # 95%: curling's effect (see the module's rule)
    curling_ratio_90: Interval  # 90%, for ruling an effect out
    curling_denominator: Interval  # 95%, linear: curling's effect is estimable only above 0 (curling_unknown)
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


ALL_GONE, DOUBLED = 0.005, 2.0  # a ratio interval from "100% fewer" to "100% more" (as worded) tells no size


def uninformative(r: Interval) -> bool:
    """A ratio's interval runs from (about) every collapse gone to twice as many, or is missing:
    it tells neither a direction nor a size."""
    return not (r.low >= ALL_GONE or r.high < DOUBLED)


def curling_unknown(c: Comparison, rule: Rule) -> str:
    """Why curling's effect is not estimable ("" when it is): "toes" (the buzz did not change
    the toes: the engagement test of `shortfalls` fails), "few" (the denominator's 95% interval
    reaches 0: too few landings the buzz changed, or they seldom collapse), "rough" (its 95%
    interval tells no size)."""
    d = c.engaged_rate_diff
    if c.basis == "blocks" and (not d.estimate >= rule.min_engaged_diff or not d.low > 0):
        return "toes"
    if not c.curling_denominator.low > 0:
        return "few"
    return "rough" if uninformative(c.curling_ratio) else ""


def inside(r: Interval, m: float) -> bool:
    """The interval lies inside (1 - m, 1 + m): a change as large as the margin is ruled out."""
    return 1 - m < r.low and r.high < 1 + m


def _clear(r: Interval, side: int) -> bool:
    """The interval lies entirely below (side -1) or above (side 1) no change."""
    return r.high < 1 if side < 0 else r.low > 1


def asks_as_treated(c: Comparison, rule: Rule) -> bool:
    """Whether the rule asks the as-treated comparison to agree. Without blocks the comparison
    is as-treated itself, so nothing more is asked."""
    return rule.equivalence != "complier" and c.basis == "blocks"


def decide(c: Comparison, rule: Rule, as_treated: Comparison | None = None) -> str:
    """The verdict from a comparison that has enough data (see the module's rule); as_treated:
    curled vs not curled landings in the same minutes, which the default rule also asks."""
    b, curl, m = c.collapse_ratio, c.curling_ratio.estimate, rule.margin
    asks, t = asks_as_treated(c, rule), as_treated
    known = not curling_unknown(c, rule)  # an effect that cannot be estimated decides nothing
    def agree(side: int) -> bool:
        return not asks or (t is not None and _clear(t.collapse_ratio, side))
    if _clear(b, -1) and known and curl <= 1 - m and agree(-1):
        return "stabilizes"
    if _clear(b, 1) and known and curl >= 1 + m and agree(1):
        return "destabilizes"
    if asks:
        ruled_out = inside(c.collapse_ratio_90, m) and t is not None and inside(t.collapse_ratio_90, m)
    else:
        ruled_out = known and inside(c.curling_ratio_90, m)
    return "no_clear_effect" if ruled_out else "inconclusive"


def verdict_of(c: Comparison | None, rule: Rule, as_treated: Comparison | None = None) -> str:
    """The verdict of a comparison that may be missing or short of data."""
    return "insufficient_data" if c is None or shortfalls(c, rule) else decide(c, rule, as_treated)


def _log(x: float) -> float:
    return math.log(max(x, 1e-9))


def _extra_minutes(r: Interval, z: float, gap: float, units: int, unit_min: float) -> float:
    """Minutes after which an interval over `units` clusters (its width on the log scale
    shrinking as 1 / sqrt(clusters), `unit_min` minutes of blocks adding one) would clear a
    bound `gap` away from the estimate with 80% probability; inf when it cannot be told."""
    se = (_log(r.high) - _log(r.low)) / (2 * z)
    if not (se > 0 and gap > 0 and math.isfinite(se)):
        return math.inf
    return max(0.0, units * (se * (z + Z_POWER) / gap) ** 2 - units) * unit_min


def more_needed(c: Comparison, rule: Rule, as_treated: Comparison | None = None, block_s: float = 60) -> MoreNeeded:
    """Minutes of blocks likely to settle an inconclusive comparison. Method: an interval's
    width on the log scale shrinks as 1 / sqrt(clusters) (blocks per condition, or one-minute
    windows for the as-treated comparison: the bootstrap's units); taking the current
    estimates as the truth, find the clusters at which each deciding test would pass with 80%
    probability: |distance to the bound| = (z_test + z_80%) x standard error, and take the
    slowest test. With curling's effect beyond the margin the tests are the buzz's 95% interval
    clearing 1 (and, by default, the as-treated one clearing it the same way); inside it, the
    90% intervals clearing the nearer margin: by default the buzz's and the as-treated one,
    with the complier option curling's. The few-clusters stretch (host/verdict/bootstrap.py) is kept: the
    estimate errs long."""
    m, k = rule.margin, min(c.clusters_a, c.clusters_b)
    asks, t = asks_as_treated(c, rule), as_treated
    per_block = 2 * block_s / 60  # minutes of blocks that add a block to each condition
    window = WINDOW_MS / 60_000  # ... and a window to the as-treated comparison
    curl = _log(c.curling_ratio.estimate)
    def to_margin(est: float) -> float:
        return min(est - math.log(1 - m), math.log(1 + m) - est)
    def as_treated_minutes(interval, z: float, gap) -> float:  # the as-treated test's minutes (inf: none)
        if t is None:
            return math.inf
        return _extra_minutes(interval(t), z, gap(_log(t.collapse_ratio.estimate)), min(t.clusters_a, t.clusters_b),
                              window)
    if curl <= math.log(1 - m) or curl >= math.log(1 + m):
        side = -1 if curl < 0 else 1
        toward = "stabilizes" if side < 0 else "destabilizes"
        minutes = [_extra_minutes(c.collapse_ratio, Z95, abs(_log(c.collapse_ratio.estimate)), k, per_block)]
        if asks:
            minutes.append(as_treated_minutes(lambda r: r.collapse_ratio, Z95, lambda est: side * est))
    elif asks:
        toward = "no_clear_effect"
        minutes = [_extra_minutes(c.collapse_ratio_90, Z90, to_margin(_log(c.collapse_ratio.estimate)), k, per_block),
                   as_treated_minutes(lambda r: r.collapse_ratio_90, Z90, to_margin)]
    else:
        toward, minutes = "no_clear_effect", [_extra_minutes(c.curling_ratio_90, Z90, to_margin(curl), k, per_block)]
    need = max(minutes)
    if not math.isfinite(need):
        return MoreNeeded(None, toward, k)
    more = int(5 * math.ceil(max(need, 1) / 5))  # whole 5-minute steps: an estimate, not a promise
    return MoreNeeded(more if more <= MAX_MORE_MIN else None, toward, k)


