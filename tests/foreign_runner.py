"""A runner model written apart from simulator/synth.py, to check claims on data the project's
own generator did not shape.

Each landing is a sum of regional load bumps (beta-shaped, in newtons, with per-step jitter);
collapse, toe engagement, walking and the non-step activities (standing, leaning, squatting,
lifting) are built from what the literature describes, not from the firmware's rules. Noise is
stated in newtons at every load, preload wanders, and any sample rate can be asked for.

    run = generate(seconds=120, strike="rearfoot", collapse_prob=0.45, seed=3)
    run.write_csv(path)     # replay input, --units newton
    run.truth               # one row per step: ic_ms, to_ms, walking, collapse, toe_engaged, cue_on
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

CHANNELS = ("heel", "arch", "met1", "met5", "hallux", "toes")
HEEL, ARCH, MET1, MET5, HALLUX, TOES = range(6)
KINDS = ("run", "walk", "stand", "lean", "squat", "lift")
TRUTH = np.dtype([("ic_ms", "f8"), ("to_ms", "f8"), ("walking", "?"), ("collapse", "?"),
                  ("toe_engaged", "?"), ("cue_on", "?"), ("stands", "?")])

# Regional bumps per strike: (onset, end) as fractions of stance, and peak newtons. Values are
# read off published plantar-pressure curves (heel first and gone by mid-stance in rearfoot
# strikers; forefoot strikers load the metatarsal heads first; the hallux loads last).
_BUMPS = {
    "rearfoot": {HEEL: (0.00, 0.62, 125), ARCH: (0.14, 0.78, 35), MET1: (0.18, 0.97, 110),
                 MET5: (0.16, 0.93, 80), HALLUX: (0.50, 1.00, 60), TOES: (0.55, 1.00, 28)},
    "midfoot": {HEEL: (0.00, 0.50, 70), ARCH: (0.02, 0.75, 38), MET1: (0.00, 0.97, 120),
                MET5: (0.00, 0.93, 90), HALLUX: (0.45, 1.00, 62), TOES: (0.50, 1.00, 30)},
    "forefoot": {HEEL: (0.22, 0.60, 35), ARCH: (0.10, 0.72, 30), MET1: (0.00, 0.97, 135),
                 MET5: (0.00, 0.90, 105), HALLUX: (0.40, 1.00, 65), TOES: (0.45, 1.00, 32)},
}
# Walking: slower, gentler heel rise, a double-hump total, loads about 0.7x running.
_WALK_BUMPS = {HEEL: (0.00, 0.55, 85), ARCH: (0.12, 0.70, 22), MET1: (0.30, 0.97, 75),
               MET5: (0.25, 0.93, 55), HALLUX: (0.60, 1.00, 40), TOES: (0.65, 1.00, 18)}
_RELAXED_TOE = 0.05  # relaxed toes still touch early in stance: a few percent of their peak
_STAND = np.array([45.0, 9.0, 28.0, 22.0, 8.0, 4.0])  # one foot's share of quiet standing


@dataclass
class Protocol:
    """Open-loop block protocol, laid out like the firmware's cue_mode "blocks"."""
    warmup_s: float = 600
    block_s: float = 60
    toe_prob_on: float = 0.6
    toe_prob_off: float = 0.15
    collapse_relaxed: float = 0.45
    collapse_engaged: float = 0.27

    def cue_on(self, t_ms: float) -> bool:
        if t_ms < self.warmup_s * 1000:
            return False
        return int((t_ms - self.warmup_s * 1000) // (self.block_s * 1000)) % 2 == 1


@dataclass
class ForeignRun:
    t_ms: np.ndarray  # (n,) int64 when the rate divides 1000, else float
    forces: np.ndarray  # (n, 6) newtons
    truth: np.ndarray  # TRUTH rows, one per step

    def write_csv(self, path: Path) -> None:
        """The replay input format: t_ms then the six channels, newtons."""
        table = np.column_stack([self.t_ms, self.forces])
        np.savetxt(path, table, delimiter=",", fmt=["%.3f"] + ["%.2f"] * 6,
                   header="t_ms," + ",".join(CHANNELS), comments="")


def _bump(u: np.ndarray, a: float, b: float) -> np.ndarray:
    """Beta-shaped bump on u in [0, 1], peak 1 (0 outside)."""
    inside = (u > 0) & (u < 1)
    uc = np.clip(u, 1e-9, 1 - 1e-9)
    peak = (a / (a + b)) ** a * (b / (a + b)) ** b
    return np.where(inside, uc ** a * (1 - uc) ** b / peak, 0.0)


def _landing(rng, t, ic, stance, bumps, collapse, engaged, walking, out):
    """Add one stance's regional loads to out (n, 6) for samples t (ms)."""
    scale = rng.normal(1.0, 0.07)
    for ch, (start, end, peak) in bumps.items():
        start, end = start + rng.normal(0, 0.015), end + rng.normal(0, 0.01)
        amp = peak * scale * rng.normal(1.0, 0.08)
        if ch == ARCH and collapse:  # the arch drops early and takes load off the heel's rim
            start, amp = max(0.0, start - 0.10), amp * rng.uniform(1.9, 2.6)
        if ch in (HALLUX, TOES) and not walking:
            early = amp * (rng.uniform(0.35, 0.6) if engaged else _RELAXED_TOE)
            _add(out, ch, t, ic + stance * 0.03, stance * rng.uniform(0.28, 0.38), early, 1.2, 1.8)
        a = rng.uniform(1.0, 1.5) if start <= 0.02 else rng.uniform(1.3, 2.0)
        _add(out, ch, t, ic + stance * max(0.0, start), stance * (min(1.0, end) - max(0.0, start)),
             amp, a, rng.uniform(1.4, 2.2))


def _add(out, ch, t, t0, dur, amp, a, b):
    lo, hi = np.searchsorted(t, [t0, t0 + dur])
    out[lo:hi, ch] += amp * _bump((t[lo:hi] - t0) / dur, a, b)


def _still(rng, kind, t, t0, t1, out, landed=False):
    """Loads of a non-step activity between t0 and t1: no steps, slow changes only. Landed:
    the foot comes down from a walk at t0 and stays (its load builds up over ~0.2 s)."""
    lo, hi = np.searchsorted(t, [t0, t1])
    s = (t[lo:hi] - t0) / 1000.0
    phase = rng.uniform(0, 2 * np.pi)
    if kind == "stand":  # quiet stance: sway of a few percent
        w = 1.0 + 0.05 * np.sin(2 * np.pi * s / 3.1 + phase)
    elif kind == "lean":  # weight shifted onto and off this foot every few seconds
        w = 1.05 + 0.85 * np.sin(2 * np.pi * s / rng.uniform(3.0, 5.0) + phase)
    elif kind == "squat":  # down and up over ~3 s: load moves to the forefoot and back
        w = 1.0 + 0.35 * np.sin(2 * np.pi * s / rng.uniform(2.5, 3.5) + phase)
    else:  # lift: a box raised and set down, ~40% more load for a couple of seconds
        w = 1.0 + 0.2 * (1 - np.cos(2 * np.pi * s / rng.uniform(2.0, 4.0) + phase))
    if landed:
        w = w * np.clip(s / 0.2, 0, 1) ** 1.5
    out[lo:hi] += np.outer(np.clip(w, 0.15 if not landed else 0.0, None), _STAND * rng.normal(1.0, 0.05))
    if kind == "squat":  # heels lift as the knees go forward
        out[lo:hi, HEEL] *= np.clip(1.4 - 0.6 * w, 0.1, 1.0)


def _segments(seconds, segments):
    plan, t = [], 0.0
    while t < seconds:
        for seg in segments:
            kind, dur = seg[0], float(seg[1])
            if kind not in KINDS:
                raise ValueError(f"segment kind {kind!r} not one of {KINDS}")
            cadence = seg[2] if len(seg) > 2 else None
            plan.append((kind, t * 1000, min(seconds, t + dur) * 1000, cadence))
            t += dur
            if t >= seconds:
                break
    return plan


def generate(seconds: float = 120, rate_hz: float = 200, strike: str = "rearfoot",
             cadence_spm: float = 170, collapse_prob: float = 0.2, toe_prob: float = 0.0,
             noise_n: float = 0.3, preload_n: float = 0.0, preload_wander_n: float = 0.0,
             dead: tuple[str, ...] = (), segments: list | None = None,
             protocol: Protocol | None = None, seed: int = 0) -> ForeignRun:
    """One insole's run; segments are (kind, seconds[, cadence_spm]) repeated to fill."""
    rng = np.random.default_rng(seed)
    n = int(seconds * rate_hz)
    t = np.arange(n) * (1000.0 / rate_hz)
    forces = np.zeros((n, 6))
    truth = []
    walked = False  # a walk or run came before: the foot lands at the still segment's start and stays
    for kind, t0, t1, cadence in _segments(seconds, segments or [("run", seconds)]):
        if kind in ("run", "walk"):
            truth += _steps(rng, t, kind, t0, t1, cadence or (cadence_spm if kind == "run" else 108),
                            strike, collapse_prob, toe_prob, protocol, forces)
        else:
            landed = walked and t1 - t0 > 1000
            _still(rng, kind, t, t0, t1, forces, landed)
            if landed:
                truth.append((t0, t1, True, False, False, False, True))
        walked = kind in ("run", "walk")
    forces += _preload(rng, t, preload_n, preload_wander_n)
    forces += rng.normal(0.0, noise_n, forces.shape) if noise_n > 0 else 0.0
    forces = np.clip(forces, 0.0, 300.0)
    for name in dead:
        forces[:, CHANNELS.index(name)] = 0.0
    t_out = t.astype(np.int64) if 1000 % rate_hz == 0 else t
    return ForeignRun(t_out, forces, np.array(truth, dtype=TRUTH))


def _steps(rng, t, kind, t0, t1, cadence, strike, collapse_prob, toe_prob, protocol, forces):
    walking = kind == "walk"
    period = 2 * 60000.0 / cadence  # one foot lands every other step
    duty = 0.62 if walking else float(np.clip(0.36 * (170.0 / cadence) ** 1.5, 0.25, 0.45))
    bumps = _WALK_BUMPS if walking else _BUMPS[strike]
    rows, ic = [], t0 + rng.uniform(0.1, 0.6) * period
    while True:
        p = period * rng.normal(1.0, 0.02)
        stance = p * duty * rng.normal(1.0, 0.03)
        if ic + stance >= t1:
            return rows
        cue_on = protocol is not None and not walking and protocol.cue_on(ic)
        engaged, collapse = _judgement(rng, walking, cue_on, collapse_prob, toe_prob, protocol)
        _landing(rng, t, ic, stance, bumps, collapse, engaged, walking, forces)
        rows.append((ic, ic + stance, walking, collapse, engaged, cue_on, False))
        ic += p


def _judgement(rng, walking, cue_on, collapse_prob, toe_prob, protocol):
    """(toes engaged, arch collapsed) for one landing."""
    if walking:
        return False, False
    if protocol is None:
        return rng.random() < toe_prob, rng.random() < collapse_prob
    engaged = rng.random() < (protocol.toe_prob_on if cue_on else protocol.toe_prob_off)
    p = protocol.collapse_engaged if engaged else protocol.collapse_relaxed
    return engaged, rng.random() < p


def _preload(rng, t, level, wander):
    """Shoe preload per channel: a constant plus a slow random wander (smoothed, peak `wander`)."""
    base = np.full(6, level) * rng.uniform(0.7, 1.3, 6)
    if wander <= 0 or len(t) < 2:
        return base
    knots = np.arange(0, t[-1] + 20000, 20000.0)  # a new level every 20 s, interpolated
    walk = rng.uniform(-wander, wander, (len(knots), 6))
    return base + np.column_stack([np.interp(t, knots, walk[:, c]) for c in range(6)])
