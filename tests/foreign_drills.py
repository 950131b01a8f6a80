"""A drill performer written apart from simulator/drills.py, to check the drill figures on data
the project's own model did not shape (as tests/foreign_runner.py does for runs).

The foot's load is one body-weight level spread over the six regions by a footprint that the
centre of pressure moves: two Ornstein-Uhlenbeck processes (medial-lateral, front-back) shift
load between the regions, a third moves the vertical load by a few percent. Touch-downs are
the other foot taking a share of the weight over a raised-cosine ramp; short-foot reps move
the arch's load onto the metatarsal heads; toe curls press the toes; toe wavers trade load
between hallux and lesser toes. Noise is gaussian in newtons, preload a per-channel constant.

    perf = performer("poor", foot="left", seed=3)
    rec = balance(perf, trials=3, seed=3)      # rec.forces (n, 6) N, rec.truth: per-drill truth
    rec.write_csv(path)                         # t_ms + six channels, --units newton
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

CHANNELS = ("heel", "arch", "met1", "met5", "hallux", "toes")
HEEL, ARCH, MET1, MET5, HALLUX, TOES = range(6)
_FOOTPRINT = np.array([0.38, 0.08, 0.24, 0.18, 0.08, 0.04])  # quiet standing, share of the insole's load
_MEDIAL = np.array([0.0, 1.0, 1.0, -1.0, 0.6, -0.6])  # where a medial shift of the centre moves load
_FRONT = np.array([-1.0, 0.0, 0.6, 0.6, 0.4, 0.4])  # ... and a forward one
SKILLS = {  # sway (share of load moved), touch-downs per second, chance of a spoilt rep / half cycle
    "good": dict(sway=0.04, td_rate=0.03, early_end=0.0, spoil=0.1, bounce=0.01),
    "fair": dict(sway=0.07, td_rate=0.08, early_end=0.15, spoil=0.25, bounce=0.02),
    "poor": dict(sway=0.11, td_rate=0.16, early_end=0.3, spoil=0.45, bounce=0.03),
}


@dataclass
class Performer:
    skill: str
    foot: str
    weight_n: float  # what this insole reads carrying the whole body
    share: float  # this foot's share standing on both
    footprint: np.ndarray
    noise_n: float
    preload_n: np.ndarray
    rate_hz: int


@dataclass
class DrillRecording:
    t_ms: np.ndarray
    forces: np.ndarray
    truth: dict = field(default_factory=dict)
    clean: np.ndarray | None = None  # the forces before preload and noise (the oracle's, tests/drill_oracle.py)

    def write_csv(self, path: Path) -> None:
        table = np.column_stack([self.t_ms, self.forces])
        np.savetxt(path, table, delimiter=",", fmt=["%d"] + ["%.2f"] * 6,
                   header="t_ms," + ",".join(CHANNELS), comments="")


def performer(skill: str, foot: str = "right", seed: int = 0, rate_hz: int = 200) -> Performer:
    rng = np.random.default_rng([seed, 0 if foot == "left" else 1])
    fp = _FOOTPRINT * rng.uniform(0.8, 1.2, 6)
    return Performer(skill, foot, rng.uniform(170, 300), rng.uniform(0.4, 0.6), fp / fp.sum(),
                     rng.uniform(0.3, 2.0), rng.uniform(0, 3, 6), rate_hz)


def _ou(rng, n, dt, tau, sd):
    """An Ornstein-Uhlenbeck path (n samples, time constant tau s, stationary sd)."""
    a = np.exp(-dt / tau)
    e = rng.normal(0, sd * np.sqrt(1 - a * a), n)
    out = np.empty(n)
    x = rng.normal(0, sd)
    for i in range(n):
        x = a * x + e[i]
        out[i] = x
    return out


def _ramp(t, t0, dur):
    """0 before t0, 1 after t0 + dur, a raised cosine between."""
    u = np.clip((t - t0) / dur, 0.0, 1.0)
    return 0.5 - 0.5 * np.cos(np.pi * u)


def _finish(p: Performer, rng, t, weight, extra, toe_gain=None, two_feet=False):
    """Forces from the weight level (n,), per-region extras (n, 6) and the sway (half of the
    one-legged sway standing on both feet); and the same before preload and noise."""
    n = len(t)
    dt = 1.0 / p.rate_hz
    sway = SKILLS[p.skill]["sway"] * (0.5 if two_feet else 1.0)
    ml, ap = _ou(rng, n, dt, 0.8, sway), _ou(rng, n, dt, 1.2, sway)
    bounce = 1 + _ou(rng, n, dt, 0.3, SKILLS[p.skill]["bounce"])
    shares = p.footprint[None, :] * (1 + ml[:, None] * _MEDIAL + ap[:, None] * _FRONT)
    forces = np.clip(shares, 0, None) * (weight * bounce)[:, None] + extra * weight[:, None]
    if toe_gain is not None:
        forces *= toe_gain
    clean = forces.copy()
    forces += p.preload_n + rng.normal(0, p.noise_n, forces.shape)
    return np.clip(forces, 0, 300), clean


def _t(seconds: float, rate: int) -> np.ndarray:
    return np.arange(int(seconds * rate)) * (1000.0 / rate)


def balance(p: Performer, trials: int = 3, trial_s: float = 30, seed: int = 0) -> DrillRecording:
    """Stand relaxed, then trials: lift the other foot, hold (with touch-downs), put it down."""
    rng = np.random.default_rng(seed)
    sk = SKILLS[p.skill]
    plan, t = [], rng.uniform(3.5, 6)
    for _ in range(trials):
        lift = rng.uniform(0.25, 0.6)
        start = t + lift  # the other foot is off: the whole load is this foot's
        length = trial_s + rng.uniform(0.5, 2.5)  # the runner stops a little after the 30 s
        if rng.random() < sk["early_end"]:
            length = rng.uniform(5, trial_s - 4)  # both feet down for good before the bell
        tds, u = [], start + rng.exponential(1 / sk["td_rate"]) + 1.5
        while u < start + min(length, trial_s) - 1.2:
            dur = rng.uniform(0.15, 1.6)
            if length < trial_s and u + dur > start + length - 2.5:
                break  # lifted again just before putting the foot down for good: no touch-down, the end
            tds.append((u, dur, rng.uniform(0.22, 0.6)))
            u += dur + 1.0 + rng.exponential(1 / sk["td_rate"])
        plan.append((t, lift, start, length, tds))
        t = start + length + rng.uniform(4, 8)
    tt = _t(t + 3, p.rate_hz)
    s = tt / 1000.0
    other = np.ones_like(s)  # the other foot's share of the weight, 1 - this foot's
    other *= 1 - p.share
    truth = []
    for t0, lift, start, length, tds in plan:
        other -= (1 - p.share) * (_ramp(s, t0, lift) - _ramp(s, start + length, rng.uniform(0.2, 0.5)))
        held = min(trial_s, length)
        for u, dur, frac in tds:
            ramp = rng.uniform(0.06, 0.12)
            other += frac * (_ramp(s, u, ramp) - _ramp(s, u + dur, ramp))
        first = min([u for u, _, _ in tds], default=None)
        truth.append(dict(start_s=start, held_s=min(held, first - start) if first else held,
                          touchdowns=[u for u, _, _ in tds], end_s=start + held))
    weight = p.weight_n * (1 - other)
    forces, _ = _finish(p, rng, s, weight, np.zeros((len(s), 6)))
    return DrillRecording(tt, forces, {"drill": "balance", "trials": truth})


def short_foot(p: Performer, reps: int = 8, seed: int = 0) -> DrillRecording:
    """Stand relaxed, then efforts: good reps, reps held too short, too shallow, toe curls."""
    rng = np.random.default_rng(seed)
    spoil = SKILLS[p.skill]["spoil"]
    efforts, t = [], rng.uniform(3.5, 6)
    for _ in range(reps):
        r = rng.random()
        kind = "rep" if r > spoil else ("curl", "short", "shallow")[int(rng.integers(0, 3))]
        hold = rng.uniform(2, 4.0) if kind == "short" else rng.uniform(5.7, 10)
        drop = rng.uniform(0.03, 0.08) if kind == "shallow" else rng.uniform(0.25, 0.55)
        efforts.append((kind, t, hold, drop))
        t += hold + rng.uniform(2.5, 5)
    tt = _t(t + 2, p.rate_hz)
    s = tt / 1000.0
    extra = np.zeros((len(s), 6))
    gain = np.ones((len(s), 6))
    for kind, t0, hold, drop in efforts:
        ramp = rng.uniform(0.3, 0.7)
        on = _ramp(s, t0 - ramp, ramp) - _ramp(s, t0 + hold, ramp)  # at depth from t0 for `hold` s
        moved = drop * p.footprint[ARCH]
        extra[:, ARCH] -= moved * on
        extra[:, MET1] += 0.7 * moved * on
        extra[:, HEEL] += 0.3 * moved * on
        if kind == "curl":
            gain[:, HALLUX] += rng.uniform(1.8, 4) * on
            gain[:, TOES] += rng.uniform(1.8, 4) * on
        else:  # a short foot draws the met heads back: the toes may gain a little
            gain[:, TOES] += rng.uniform(0, 0.15) * on
    weight = np.full(len(s), p.weight_n * p.share)
    forces, clean = _finish(p, rng, s, weight, extra, gain, two_feet=True)
    return DrillRecording(tt, forces, {"drill": "short-foot", "efforts": [e[0] for e in efforts],
                                       "reps": sum(e[0] == "rep" for e in efforts),
                                       "curls": sum(e[0] == "curl" for e in efforts),
                                       "relaxed": _relaxed(s, efforts),
                                       "ambiguous": _ambiguous(s, clean[:, ARCH], efforts, p.rate_hz)}, clean)


def _relaxed(s, efforts) -> np.ndarray:
    """The samples of relaxed standing: more than 1 s from every effort."""
    relaxed = np.ones(len(s), bool)
    for _, t0, hold, _ in efforts:
        relaxed &= (s < t0 - 1) | (s > t0 + hold + 1)
    return relaxed


NEAR_LINE = 0.82  # a rep whose arch comes above this share of its relaxed load is near the 85% line


def _ambiguous(s, arch, efforts, rate):
    """Reps the sway took up to the line: the arch's true load (no noise), meaned over 250 ms,
    above NEAR_LINE of its relaxed mean at some moment of the hold. The performer meant a rep,
    but whether it stayed 15% down is within what 2 s of relaxed standing can tell (the
    line is learnt from them): such sets are scored apart."""
    line = NEAR_LINE * arch[_relaxed(s, efforts)].mean()
    k = max(1, rate // 4)
    smooth = np.convolve(arch, np.ones(k) / k, mode="same")
    return sum(kind == "rep" and bool((smooth[(s >= t0) & (s <= t0 + hold)] > line).any())
               for kind, t0, hold, _ in efforts)


def toe_waver(p: Performer, cycles: int = 8, seed: int = 0) -> DrillRecording:
    """Stand relaxed, then wavers: big toe down / lesser toes up, then the reverse; a spoilt
    one stops after its first half (a half cycle)."""
    rng = np.random.default_rng(seed)
    spoil = SKILLS[p.skill]["spoil"]
    phases, t, done = [], rng.uniform(3.5, 6), 0
    for _ in range(cycles):
        half = rng.random() < spoil * 0.6
        first = (HALLUX, TOES) if rng.random() < 0.8 else (TOES, HALLUX)
        for press, lift in [first, first[::-1]][: 1 if half else 2]:
            dur = rng.uniform(0.5, 1.4)
            phases.append((t, dur, press, lift))
            t += dur + rng.uniform(0.25, 0.5)
        done += 0 if half else 1
        t += rng.uniform(0.3, 1.5)
    tt = _t(t + 2, p.rate_hz)
    s = tt / 1000.0
    gain = np.ones((len(s), 6))
    for t0, dur, press, lift in phases:
        ramp = rng.uniform(0.12, 0.25)
        on = _ramp(s, t0, ramp) - _ramp(s, t0 + dur, ramp)
        gain[:, press] += rng.uniform(1.5, 3.5) * on
        gain[:, lift] -= rng.uniform(0.75, 1.0) * on
    weight = np.full(len(s), p.weight_n * p.share)
    forces, clean = _finish(p, rng, s, weight, np.zeros((len(s), 6)), np.clip(gain, 0, None), two_feet=True)
    paired = _pairs([press for _, _, press, _ in phases])
    return DrillRecording(tt, forces, {"drill": "toe-waver", "cycles": done, "ambiguous": int(paired != done),
                                       "relaxed": s < phases[0][0] - 1,
                                       "phases": [(t0, dur, press) for t0, dur, press, _ in phases]}, clean)


def _pairs(presses: list[int]) -> int:
    """Cycles in the sequence of phases alone: each phase followed by the opposite one. A lone
    half next to a lone half the other way reads as one slow cycle to any sensor: where this
    differs from what the performer meant, the set is scored apart."""
    n, pending = 0, None
    for p in presses:
        if pending is not None and p != pending:
            n, pending = n + 1, None
        elif pending is None:
            pending = p
    return n
