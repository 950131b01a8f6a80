"""A runner's pain ratings from a model written apart from simulator/pain.py, to check the
hips-or-feet answer (host/hips_or_feet/answer.py) on data the project's own model did not shape.

Pain mode: rounds of four 3-minute blocks (none, feet, hips, sham in a random order per round),
rated once at 2:45 into each block. The latent pain of a knee under load:
  - a warm-up pain of 3-5 points, rising with fatigue (0.02 points a minute) and wandering (a
    random walk, 0.25 points a block);
  - each arm's true easing reaches its full size with a 40 s time constant once the cue starts
    and fades with a 70 s one when it stops: at the rating, about 10% of the previous block's
    easing is still there (carryover) and the current one is at 98%;
  - expectation: the runner's belief in each arm (0-10, asked before the run) eases the pain by
    0.1 point per point above 5 (or worsens it below), the sham included (an open-label placebo);
  - ratings: whole numbers 0-10 from the latent pain plus noise (SD 1 point), and with
    probability 0.3 the runner repeats the previous answer when it is within a point (anchoring).
Two runs of 4 rounds each are two days: the wander and the fatigue start again.

    rounds = runner("feet", easing=2.0, runs=2, rounds_per_run=4, seed=3)   # list[Round]
"""
from __future__ import annotations

import math

import numpy as np

from host.hips_or_feet.answer import ARMS, Round

BLOCK_S, RATED_AT_S = 180.0, 165.0
ON_TAU_S, OFF_TAU_S = 40.0, 70.0
FATIGUE_PER_MIN, WANDER = 0.02, 0.25
EXPECTATION_PER_POINT = 0.1
NOISE_SD, ANCHOR_P = 1.0, 0.3
# Which arms ease the pain in each kind of runner ("sham": every cue arm eases alike, the sham
# included: a runner answering to being cued, not to the instruction).
KINDS = {"nothing": (), "feet": ("feet",), "hips": ("hips",), "both": ("feet", "hips"),
         "sham": ("feet", "hips", "sham")}


def _easing(kind: str, easing: float) -> dict[str, float]:
    return {arm: (easing if arm in KINDS[kind] else 0.0) for arm in ARMS}


def _expectations(kind: str, rng: np.random.Generator) -> dict[str, float]:
    """Beliefs asked before the run: the cues around 6, the sham a little lower, none 5 (no
    effect). A sham-responder believes in every cue alike: it answers to being cued, so its
    sham eases as much as the cues (the bar's runner)."""
    cues = [float(rng.integers(3, 10)), float(rng.integers(3, 10)), float(rng.integers(2, 9))]
    if kind == "sham":
        cues = [cues[0]] * 3
    return {"none": 5.0, "feet": cues[0], "hips": cues[1], "sham": cues[2]}


def _one_run(ease: dict[str, float], expect: dict[str, float], rounds: int,
             rng: np.random.Generator) -> list[Round]:
    base = rng.uniform(3.0, 5.0)
    wander, prev_effect, prev_rating = 0.0, 0.0, None
    carry_at_rating = math.exp(-RATED_AT_S / OFF_TAU_S)
    build_at_rating = 1 - math.exp(-RATED_AT_S / ON_TAU_S)
    out = []
    for r in range(rounds):
        pain = {}
        for i, arm in enumerate(rng.permutation(ARMS)):
            block = 4 * r + i
            effect = ease[arm] + EXPECTATION_PER_POINT * (expect[arm] - 5)
            wander += rng.normal(0, WANDER)
            latent = (base + FATIGUE_PER_MIN * (block * BLOCK_S + RATED_AT_S) / 60 + wander
                      - effect * build_at_rating - prev_effect * carry_at_rating)
            rating = float(np.clip(round(latent + rng.normal(0, NOISE_SD)), 0, 10))
            if prev_rating is not None and abs(rating - prev_rating) <= 1 and rng.random() < ANCHOR_P:
                rating = prev_rating
            pain[str(arm)] = rating
            prev_effect, prev_rating = effect, rating
        out.append(Round(pain))
    return out


def runner(kind: str, easing: float = 2.0, runs: int = 2, rounds_per_run: int = 4, seed: int = 0) -> list[Round]:
    rng = np.random.default_rng(seed)
    ease, expect = _easing(kind, easing), _expectations(kind, rng)
    return [r for _ in range(runs) for r in _one_run(ease, expect, rounds_per_run, rng)]
