"""Simulated runners over a training program (host/program/schedule.py): a learner (collapses
fall with the cued runs and are partly kept), a buzz-only responder (curls when buzzed, lands as
before without the buzz) and a non-learner (curls when buzzed, and curling changes nothing).

The truth: `base` the runner's collapse rate on relaxed landings before the program; curled
landings collapse `ratio` times as often (the buzz makes the toes curl on `engaged_on` of the
landings in cued minutes, `engaged_off` otherwise); a learner's relaxed rate falls by `drop` x
(the cue it has had so far / the program's cue in all), and the retention run keeps `kept` of the
drop. Nobody's day-to-day level moves otherwise (the README's known limits)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from host.program.schedule import SHARES, retention_step
from simulator.scenario import load_scenario

KINDS = ("learner", "buzz_only", "non_learner")
RETENTION_STEP = retention_step()


@dataclass(frozen=True)
class Truth:
    kind: str
    base: float  # collapse rate of relaxed landings before the program
    ratio: float  # curled / relaxed collapse rate (the buzz's way in)
    engaged_on: float
    engaged_off: float
    drop: float  # learner: share of relaxed collapses gone after the program's cue (0 otherwise)
    kept: float  # share of the drop kept at retention

    def learned(self, step: int) -> float:
        """Share of relaxed collapses gone before training run `step` (the retention run: kept)."""
        if step >= RETENTION_STEP:
            return self.drop * self.kept
        return self.drop * sum(SHARES[:max(step - 1, 0)]) / sum(SHARES)

    def collapse(self, step: int) -> float:
        """Relaxed landings' collapse rate in program run `step` (0: before the program)."""
        return self.base * (1 - self.learned(step))

    @property
    def retention_effect(self) -> float:
        """The true retention ratio: cue-free collapse rate, retention run / baseline."""
        return 1 - self.learned(RETENTION_STEP)


def draw(kind: str, rng: np.random.Generator) -> Truth:
    learner = kind == "learner"
    return Truth(kind, float(rng.uniform(0.3, 0.45)), float(rng.uniform(0.4, 0.6)) if kind != "non_learner" else 1.0,
                 float(rng.uniform(0.55, 0.7)), float(rng.uniform(0.1, 0.2)),
                 float(rng.uniform(0.35, 0.6)) if learner else 0.0, float(rng.uniform(0.7, 0.9)) if learner else 0.0)


def scenario(t: Truth, step: int, seconds: float) -> dict:
    """The project's simulator's runner for program run `step`: the responder scenario (it curls
    after a cue) with this runner's collapse rate and curling's effect."""
    sc = load_scenario("responder")
    sc.update(p_collapse=t.collapse(step), p_toe_engaged=t.engaged_off, responder_factor=t.ratio,
              responder_spread_factor=1.0 if t.ratio >= 1 else 0.5, seconds=seconds)
    return sc
