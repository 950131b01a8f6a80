"""Hips or feet: from the runner's pain ratings per block to a verdict.

RULE (fixed before the run, CENT 2015: a single-person multiple-crossover trial)
A round gives each arm (none, feet, hips, sham) one block, in a random order fixed before the
run. The pain rated at the end of each block (0-10) is the outcome.
  drop(cue)      per round, pain with no cue minus pain with the cue; its mean over rounds
  vs sham(cue)   per round, pain with the sham minus pain with the cue; its mean
  clear          a randomization test over rounds: under "the cue does nothing", swapping the
                 two arms' blocks inside a round was as likely as the order drawn, so each
                 round's difference flips its sign at random; p = the share of the 2^n flips
                 whose mean reaches the observed one (one-sided), clear when p <= 0.05. With
                 n rounds the smallest p is 2^-n: 4 rounds (one run) can never be clear, 5 can.
  helped(arm)    mean drop >= 1.2 points (the smallest change on the 0-10 scale that matters
                 to runners with patellofemoral pain) and clear; the sham can help too
  eases(cue)     helped, the cue beats the sham by >= 1 point with its own test clear, and the
                 sham did not help: an open-label placebo can ease pain by about as much as a
                 real change, and a runner whose pain answers a sham cannot have it told apart
  ruled out      the randomization test's 95% upper bound of the cue's mean drop is below 1.2
Verdicts: feet | hips | both (the cues that ease); "any cue helped (the sham too: cannot tell)"
when none eases but an arm helped and no helping cue beat the sham by 1 point; "neither" when
both cues are ruled out (the report says after how many rounds); "not decided yet" otherwise,
with the rounds likely to settle it. The answer says only that a cue eased the pain while it
was used, by how much: never that the hips or the arch caused the pain.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from host.verdict.rule import Z_POWER

ARMS = ("none", "feet", "hips", "sham")
CUES = ("feet", "hips")
VERDICTS = ("feet", "hips", "both", "any cue helped (the sham too: cannot tell)", "neither", "not decided yet")
CANNOT_TELL = VERDICTS[3]
MIN_DROP = 1.2  # points on 0-10: the smallest meaningful change in patellofemoral pain
MIN_OVER_SHAM = 1.0  # points a cue must beat the sham by
ALPHA = 0.05
Z_ONE_SIDED = 1.644854  # 95% one-sided: the normal stand-in for the test in the rounds estimate
MAX_ROUNDS = 24  # past this the estimate sits too near a bar to promise rounds (6 runs of 4)
_EXACT = 16  # rounds up to which every sign flip is enumerated (65,536); beyond, drawn
_DRAWS = 20_000
_SD_FLOOR = 1.0  # a few integer ratings can agree by chance: never plan on less spread than 1 point


@dataclass(frozen=True)
class Round:
    """One round's ratings, arm -> pain (0-10)."""
    pain: dict[str, float]


@dataclass
class Contrast:
    """One arm against another over the rounds: per-round differences (other minus this arm:
    positive when this arm had less pain), their mean, the test and its 95% upper bound."""
    against: str
    diffs: list[float]
    mean: float
    p: float
    upper: float

    @property
    def clear(self) -> bool:
        return self.p <= ALPHA


@dataclass
class CueResult:
    arm: str
    vs_none: Contrast
    vs_sham: Contrast | None  # None for the sham itself
    eases: bool
    helped: bool
    ruled_out: bool


@dataclass
class Answer:
    verdict: str
    rounds: int
    arms: dict[str, CueResult]
    rounds_needed: int | None = None  # more rounds likely to settle "not decided yet"; None: > MAX_ROUNDS
    rule: list[str] = field(default_factory=list)


def flips(n: int, rng: np.random.Generator) -> np.ndarray:
    """Sign patterns (k, n): all 2^n when few rounds, else random draws plus the identity."""
    if n <= _EXACT:
        bits = (np.arange(1 << n)[:, None] >> np.arange(n)) & 1
        return 1 - 2 * bits
    return np.vstack([np.ones((1, n), int), rng.choice((-1, 1), size=(_DRAWS, n))])


def p_value(diffs: np.ndarray, signs: np.ndarray) -> float:
    """One-sided randomization p: the share of sign flips whose mean reaches the observed mean."""
    observed = diffs.mean()
    flipped = signs @ diffs / len(diffs)
    return float(np.mean(flipped >= observed - 1e-9))


def upper_bound(diffs: np.ndarray, signs: np.ndarray) -> float:
    """The 95% upper bound of the mean difference by inverting the randomization test: the
    smallest shift d for which 'the difference is d' is rejected toward less (bisection: the
    p-value falls as d rises)."""
    def p_below(d: float) -> float:
        x = diffs - d
        return float(np.mean(signs @ x <= x.sum() + 1e-9))
    lo, hi = float(diffs.mean()), float(diffs.mean() + 2 * np.ptp(diffs) + 11)
    if p_below(hi) > ALPHA:  # too few rounds: nothing is ever rejected
        return math.inf
    for _ in range(40):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if p_below(mid) > ALPHA else (lo, mid)
    return hi


def contrast(rounds: list[Round], arm: str, against: str, rng: np.random.Generator) -> Contrast:
    diffs = np.array([r.pain[against] - r.pain[arm] for r in rounds], float)
    signs = flips(len(diffs), rng)
    return Contrast(against, diffs.tolist(), float(diffs.mean()), p_value(diffs, signs), upper_bound(diffs, signs))


def judge(arm: str, rounds: list[Round], rng: np.random.Generator, sham_helped: bool = False) -> CueResult:
    """One arm's contrasts and what they show; a cue never eases when the sham itself helped."""
    none = contrast(rounds, arm, "none", rng)
    sham = contrast(rounds, arm, "sham", rng) if arm != "sham" else None
    helped = none.mean >= MIN_DROP and none.clear
    beats_sham = sham is not None and sham.mean >= MIN_OVER_SHAM and sham.clear
    return CueResult(arm, none, sham, helped and beats_sham and not sham_helped, helped, none.upper < MIN_DROP)


def _rounds_for(c: Contrast, gap: float) -> float:
    """Rounds at which a one-sided test of the mean difference would clear a bound `gap` away
    with 80% probability, taking the current spread as the truth (normal approximation)."""
    sd = max(float(np.std(c.diffs, ddof=1)) if len(c.diffs) > 1 else 0.0, _SD_FLOOR)
    return math.inf if gap <= 0 else ((Z_ONE_SIDED + Z_POWER) * sd / gap) ** 2


def rounds_needed(results: dict[str, CueResult], n: int) -> int | None:
    """More rounds likely to settle each cue (eases, or ruled out), the slower cue deciding.
    A cue whose estimates point to easing is planned toward eases (both tests), else toward
    ruled out; at least 5 rounds in all (the test's floor)."""
    need = 0.0
    for cue in CUES:
        r = results[cue]
        toward_eases = r.vs_none.mean >= MIN_DROP and r.vs_sham is not None and r.vs_sham.mean >= MIN_OVER_SHAM
        if toward_eases:
            assert r.vs_sham is not None
            need = max(need, _rounds_for(r.vs_none, r.vs_none.mean), _rounds_for(r.vs_sham, r.vs_sham.mean))
        else:
            need = max(need, _rounds_for(r.vs_none, MIN_DROP - r.vs_none.mean))
    if need > MAX_ROUNDS + n:
        return None
    return max(max(math.ceil(need), 5) - n, 1)


def _verdict(results: dict[str, CueResult]) -> str:
    eased = [c for c in CUES if results[c].eases]
    if eased:
        return "both" if len(eased) == 2 else eased[0]
    sham = results["sham"].vs_none.mean
    cue_no_better = any(results[c].helped and results[c].vs_none.mean - sham < MIN_OVER_SHAM for c in CUES)
    if results["sham"].helped or cue_no_better:
        return CANNOT_TELL
    return "neither" if all(results[c].ruled_out for c in CUES) else "not decided yet"


def analyse(rounds: list[Round], seed: int = 0) -> Answer:
    """The answer from complete rounds (each arm rated once)."""
    if not rounds:  # runs that count, but no round rated whole yet
        return Answer("not decided yet", 0, {}, 5, rule_lines())
    rng = np.random.default_rng(seed)  # only for more than _EXACT rounds: the same answer every time
    sham = judge("sham", rounds, rng)
    results = {cue: judge(cue, rounds, rng, sham.helped) for cue in CUES} | {"sham": sham}
    verdict = _verdict(results)
    more = rounds_needed(results, len(rounds)) if verdict == "not decided yet" else 0
    return Answer(verdict, len(rounds), results, more, rule_lines())


def rule_lines() -> list[str]:
    """The rule as printed beside the answer."""
    return [f"a cue eases the pain when, over the rounds, the pain with it is at least {MIN_DROP:g} points lower "
            f"than with no cue, a randomization test over rounds is clear (p <= {ALPHA:g}, one-sided), and it "
            f"beats the sham by at least {MIN_OVER_SHAM:g} point with its own test clear; when the sham itself "
            f"eased the pain that much (clear), no cue is named",
            f"'neither' only when the test's 95% upper bound of each cue's easing is below {MIN_DROP:g} points",
            "with n rounds the test's smallest p is 1 in 2^n: one run of 4 rounds cannot be clear; plan two",
            "the answer says a cue eased the pain while it was used, by how much: not what causes the pain"]
