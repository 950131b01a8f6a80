"""The project's own pain model for the hips-or-feet protocol: a runner whose knee pain answers
some of the arms (none, feet, hips, sham), rated once per block.

Deliberately plain (the tests also use a model written apart, tests/foreign_pain.py): each run
starts at a warm-up pain, each block's latent pain is that minus the arm's easing, minus a
share of the previous block's easing not yet washed out (carryover), plus Gaussian rating noise;
the rating is the whole number nearest to it, 0-10.

    rounds = runner({"feet": 2.0}, runs=2, rounds_per_run=4, seed=1)
"""
from __future__ import annotations

import numpy as np

from host.hips_or_feet.answer import ARMS, Round

NOISE_SD = 0.8  # points: the spread of one runner's answers to the same pain
CARRYOVER = 0.15  # share of the previous block's easing left at the rating (45 s unrated wash-out)
KINDS = {"nothing": {}, "feet": {"feet": 2.0}, "hips": {"hips": 2.0}, "both": {"feet": 2.0, "hips": 2.0},
         "sham": {"feet": 2.0, "hips": 2.0, "sham": 2.0}}


def orders(rounds: int, rng: np.random.Generator) -> list[tuple[str, ...]]:
    """Each round's arm order, drawn before the run."""
    return [tuple(str(a) for a in rng.permutation(ARMS)) for _ in range(rounds)]


def one_run(easing: dict[str, float], arm_orders: list[tuple[str, ...]], warmup_pain: float,
            rng: np.random.Generator) -> list[Round]:
    out, before = [], 0.0
    for order in arm_orders:
        pain = {}
        for arm in order:
            ease = easing.get(arm, 0.0)
            latent = warmup_pain - ease - CARRYOVER * before + rng.normal(0, NOISE_SD)
            pain[arm] = float(np.clip(round(latent), 0, 10))
            before = ease
        out.append(Round(pain))
    return out


def runner(easing: dict[str, float], runs: int = 2, rounds_per_run: int = 4, seed: int = 0) -> list[Round]:
    """Ratings of `runs` runs of `rounds_per_run` rounds each, pooled oldest first."""
    rng = np.random.default_rng(seed)
    return [r for _ in range(runs)
            for r in one_run(easing, orders(rounds_per_run, rng), float(rng.integers(3, 6)), rng)]
