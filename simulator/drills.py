"""The project's own drill performer: one-foot balance trials with touch-downs, short-foot reps
(with toe curls done by mistake, reps held too short or too shallow) and toe wavers (with half
cycles), at several skill levels, through the same FSR and ADC model as the synthetic runner
(simulator/synth.py: STAND_LOAD's sites, _to_counts' preload and noise). The truth says what
the performer did; the firmware's drill code (firmware/core/drills.py) has to find it.

    drill = perform("balance", skill="fair", foot="left", seed=2)
    drill.counts   # (n, 6) raw counts for the firmware;  drill.truth: what was done
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from firmware.core.channels import ARCH, HALLUX, HEEL, MET1, MET5, TOES
from hardware.board_data import load_board
from host.sources.recording import write_recording
from simulator.synth import STAND_LOAD, _to_counts

DRILLS = ("balance", "short-foot", "toe-waver")
# per skill: sway amplitude (share of the standing load moved), touch-downs a second in a
# trial, chance a trial ends early, share of spoilt efforts (curl / short / shallow rep, half cycle)
SKILLS = {
    "steady": (0.03, 0.02, 0.0, 0.05),
    "learning": (0.06, 0.07, 0.1, 0.25),
    "wobbly": (0.10, 0.15, 0.3, 0.4),
}


@dataclass
class Drill:
    drill: str
    skill: str
    foot: str
    rate_hz: int
    t_ms: np.ndarray
    forces: np.ndarray  # (n, 6) newtons on the sensors
    counts: np.ndarray  # (n, 6) raw ADC counts
    truth: dict = field(default_factory=dict)

    def write_csv(self, path: Path) -> None:
        write_recording(path, self.t_ms, self.forces, "newton")


def perform(drill: str, skill: str = "learning", foot: str = "right", seed: int = 0, rate_hz: int = 200,
            noise_n: float = 0.5, scale: float | None = None, count: int | None = None) -> Drill:
    """One drill set; scale: the insole's standing load as a multiple of STAND_LOAD (drawn if None)."""
    rng = np.random.default_rng([seed, DRILLS.index(drill), 0 if foot == "left" else 1])
    scale = scale or rng.uniform(3.0, 6.0)  # a standing foot on the insole: ~60-130 N
    sway, td_rate, early, spoil = SKILLS[skill]
    if drill == "balance":
        w, fore, ml, extra, truth = _balance(rng, rate_hz, sway, td_rate, early, count or 3)
    elif drill == "short-foot":
        w, fore, ml, extra, truth = _short_foot(rng, rate_hz, sway, spoil, count or 8)
    else:
        w, fore, ml, extra, truth = _waver(rng, rate_hz, sway, spoil, count or 8)
    stand = np.asarray(STAND_LOAD) * scale
    shares = np.ones((len(w), 6))
    shares[:, HEEL] -= fore
    shares[:, 2:] += fore[:, None] * 0.8
    shares[:, [ARCH, MET1, HALLUX]] += ml[:, None]
    shares[:, [MET5, TOES]] -= ml[:, None]
    forces = np.clip(shares * stand * w[:, None] + extra * stand, 0, None)
    board = load_board()
    counts, _ = _to_counts(np.stack([forces, forces]), {"sensors": {"noise_n": noise_n, "preload_n": 1.0}},
                           board, rate_hz, rng)
    t_ms = np.arange(len(w)) * 1000 // rate_hz
    return Drill(drill, skill, foot, rate_hz, t_ms, forces, counts, truth)


def _sway(rng, tt, amp):
    """Postural sway: three sines of 0.15-0.9 Hz (front-back, medial-lateral, vertical)."""
    out = []
    for a in (amp, amp * 0.7, amp * 0.3):
        f = rng.uniform(0.15, 0.9, 3)
        ph = rng.uniform(0, 2 * np.pi, 3)
        out.append(a / 2 * np.sin(2 * np.pi * f[:, None] * tt + ph[:, None]).sum(axis=0))
    return out


def _linear(tt, t0, t1, rise):
    """1 between t0 and t1, linear ramps of `rise` s before t0 and after t1."""
    return np.clip(np.minimum(tt - (t0 - rise), t1 + rise - tt) / rise, 0, 1)


def _balance(rng, rate, sway, td_rate, early, trials):
    share = rng.uniform(0.42, 0.58)  # this foot's part of the weight standing on both
    plan, t = [], rng.uniform(3, 5)
    for _ in range(trials):
        lift = rng.uniform(0.2, 0.5)
        start = t + lift
        length = rng.uniform(5, 25) if rng.random() < early else 30 + rng.uniform(0.5, 2.0)
        tds, u = [], start + 1.5 + rng.exponential(1 / td_rate)
        while u < start + min(length, 30) - 1.2:
            d = rng.uniform(0.2, 1.8)
            if length < 30 and u + d > start + length - 2.5:
                break  # a touch-down running into the foot put down for good is the trial's end
            tds.append((u, d, rng.uniform(0.25, 0.7)))
            u += d + 1.2 + rng.exponential(1 / td_rate)
        plan.append((start, length, lift, tds))
        t = start + length + rng.uniform(4, 7)
    tt = np.arange(int((t + 3) * rate)) / rate
    fore, ml, vert = _sway(rng, tt, sway)
    alone = np.zeros(len(tt))  # 1 with the other foot up
    other = np.zeros(len(tt))  # share of the weight the other foot takes back in a touch-down
    truth = []
    for start, length, lift, tds in plan:
        alone = np.maximum(alone, _linear(tt, start, start + length, lift))
        for u, d, frac in tds:
            other += frac * _linear(tt, u + 0.05, u + d, 0.05)
        held = min(30.0, length)
        first = tds[0][0] if tds else None
        truth.append({"start_s": start, "held_s": min(held, first - start) if first else held,
                      "touchdowns": [u for u, _, _ in tds]})
    w = (1 + alone * (1 / share - 1)) * (1 - other) * (1 + vert)
    return w, fore * (1 + alone), ml * (1 + alone), np.zeros((len(tt), 6)), {"drill": "balance", "trials": truth}


def _short_foot(rng, rate, sway, spoil, reps):
    kinds, t, efforts = [], rng.uniform(3, 5), []
    for _ in range(reps):
        kind = "rep" if rng.random() > spoil else ("curl", "short", "shallow")[int(rng.integers(0, 3))]
        hold = rng.uniform(2.0, 4.2) if kind == "short" else rng.uniform(5.8, 9.0)
        efforts.append((kind, t, hold))
        kinds.append(kind)
        t += hold + rng.uniform(2.5, 5)
    tt = np.arange(int((t + 2) * rate)) / rate
    fore, ml, vert = _sway(rng, tt, sway * 0.5)
    extra = np.zeros((len(tt), 6))
    for kind, t0, hold in efforts:
        x = _linear(tt, t0, t0 + hold, rng.uniform(0.3, 0.6))
        drop = rng.uniform(0.03, 0.08) if kind == "shallow" else rng.uniform(0.25, 0.6)
        extra[:, ARCH] -= drop * x
        extra[:, MET1] += drop * x * 0.6
        extra[:, MET5] += drop * x * 0.4
        if kind == "curl":  # toes clawed into the floor: several times their relaxed load
            extra[:, HALLUX] += rng.uniform(2.0, 5.0) * x
            extra[:, TOES] += rng.uniform(2.0, 5.0) * x
    truth = {"drill": "short-foot", "efforts": kinds, "reps": kinds.count("rep"), "curls": kinds.count("curl")}
    return 1 + vert, fore, ml, extra, truth


def _waver(rng, rate, sway, spoil, cycles):
    t, phases, done = rng.uniform(3, 5), [], 0
    for _ in range(cycles):
        halves = 1 if rng.random() < spoil * 0.6 else 2
        # a half cycle is the big toe pressed and given up (a lone reverse half after it would
        # be a slow full cycle to any sensor); full cycles start either way
        order = (HALLUX, TOES) if halves == 1 or rng.random() < 0.7 else (TOES, HALLUX)
        for press in order[:halves]:
            d = rng.uniform(0.5, 1.2)
            phases.append((t, d, press))
            t += d + rng.uniform(0.3, 0.6)
        done += halves == 2
        t += rng.uniform(0.4, 1.5)
    tt = np.arange(int((t + 2) * rate)) / rate
    fore, ml, vert = _sway(rng, tt, sway * 0.5)
    extra = np.zeros((len(tt), 6))
    for t0, d, press in phases:
        x = _linear(tt, t0, t0 + d, 0.15)
        lift = TOES if press == HALLUX else HALLUX
        extra[:, press] += rng.uniform(2.0, 4.0) * x
        extra[:, lift] -= rng.uniform(0.85, 1.1) * x
    shown = [(round(t0, 2), "A" if press == HALLUX else "B") for t0, _, press in phases]
    return 1 + vert, fore, ml, extra, {"drill": "toe-waver", "cycles": done, "phases": shown}


def after_a_run(run_counts: np.ndarray, rate_hz: int, drills: list[str], skill: str = "learning",
                foot: str = "right", seed: int = 0, count: int | None = None) -> tuple[np.ndarray, tuple]:
    """The virtual insole's frames and button for a drill session started on the insole: the run,
    a press that ends it, two presses 0.3 s apart that start a drill session (firmware/app.py),
    then these drills performed in order (balance twice: the insole's eyes open, then closed set)
    at one standing load. Returns (counts, the button's held tick ranges for hal/sim.py attach())."""
    press, gap, end = rate_hz // 5, rate_hz * 3 // 10, len(run_counts)
    held = tuple((end + k * (press + gap), end + k * (press + gap) + press) for k in range(3))
    sets = [d for name in drills for d in [name] * (2 if name == "balance" else 1)]
    parts = [perform(d, skill, foot, seed + i, rate_hz, scale=4.5, count=count).counts for i, d in enumerate(sets)]
    stand = np.repeat(parts[0][:1], held[-1][1] + rate_hz - end, axis=0)  # until a second after the release
    return np.concatenate([run_counts, stand, *parts]), held
