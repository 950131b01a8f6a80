"""The feet's loading per arm of the hips-or-feet protocol, from the step records of the runs that
ran it (their header's config holds the arm order, firmware/core/arms.py).

The toe-curl question on such a run is the feet arm against no cue: `toe_curl_view` keeps the
warm-up and those two arms' blocks, so `archcue report` gives the feet arm's loading result by
the toe-curl verdict's own code (the hips and sham blocks are cued too, and would pass for
"buzz on" there). Loading per arm is context: an insole cannot see the hips.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from firmware.core import arms
from host.hips_or_feet.answer import ARMS
from host.store.db import SessionRow, Store
from host.store.records import flag
from host.verdict.analysis import judged

OUTSIDE = -1  # a landing in no round: the warm-up, or past the last round


def arm_of_steps(steps: np.ndarray, config: dict) -> np.ndarray:
    """Each landing's arm code (arms.ARM_NONE..SHAM), OUTSIDE for the warm-up and past the rounds;
    all OUTSIDE when the run had no arm order."""
    order = arms.parse_arms(config.get("arm_order", "")) or b""
    codes = np.array(list(order) + [OUTSIDE], dtype=np.int8)  # block n is codes[n - 1]; the last: past them
    block = steps["block"].astype(np.int64)
    inside = (block >= 1) & (block <= len(order))
    return np.where(inside, codes[np.clip(block - 1, 0, len(order))], OUTSIDE).astype(np.int8)


Sessions = list[tuple[SessionRow, np.ndarray]]


def _configs(store: Store, sessions: Sessions) -> list[dict]:
    """Each session's config as its header recorded it ({} for an import without one)."""
    headers = store.headers([row.id for row, _ in sessions])
    return [headers.get(row.id, {}).get("config") or {} for row, _ in sessions]


TOE_CURL_ARMS = (arms.ARM_NONE, arms.ARM_FEET)  # a protocol run's blocks the toe-curl verdict reads


def in_toe_curl_view(steps: np.ndarray, config: dict) -> np.ndarray:
    """Which landings the toe-curl verdict reads: every one of a run without the protocol; of a
    protocol run, its warm-up and its feet and no-cue blocks (not hips, sham, or past the rounds)."""
    if not config.get("arm_order"):
        return np.ones(len(steps), bool)
    return (steps["block"] == 0) | np.isin(arm_of_steps(steps, config), TOE_CURL_ARMS)


def protocol_runs(store: Store, sessions: Sessions) -> Sessions:
    """The sessions that ran the hips-or-feet protocol (their header's config holds an arm order)."""
    return [s for s, config in zip(sessions, _configs(store, sessions)) if config.get("arm_order")]


def toe_curl_view(store: Store, sessions: Sessions) -> Sessions:
    """The sessions as the toe-curl verdict reads them (in_toe_curl_view)."""
    return [(row, steps[in_toe_curl_view(steps, config)])
            for (row, steps), config in zip(sessions, _configs(store, sessions))]


def verdict_sessions(store: Store, runner: str) -> Sessions:
    """A runner's runs as every toe-curl verdict reads them (the report's, the squad's, the
    cohort's): drill sessions left out, protocol runs trimmed by toe_curl_view."""
    return toe_curl_view(store, store.runner_steps(runner, runs_only=True))


def _given(steps: np.ndarray, arm: np.ndarray) -> np.ndarray:
    """The arm each landing was given: a cue arm's block the insole did not buzz (after a safety
    stop it gives no more cues) is no arm's, OUTSIDE."""
    return np.where((arm > arms.ARM_NONE) & ~flag(steps, "cue_block"), OUTSIDE, arm)


@dataclass
class ArmLoading:
    arm: str
    blocks: int
    landings: int  # judged landings
    collapse_rate: float  # share of judged landings that collapsed
    sway: float  # SD of the medial-lateral index over the stance (met1 vs met5), judged landings


def loading_per_arm(store: Store, sessions: Sessions) -> list[ArmLoading]:
    """Collapses and sway per arm over every protocol run of the sessions (none when none ran it)."""
    parts = [(steps, _given(steps, arm_of_steps(steps, config)))
             for (_, steps), config in zip(sessions, _configs(store, sessions))]
    out = []
    for code, name in enumerate(ARMS):
        blocks, n, collapsed, ml = 0, 0, 0, []
        for steps, arm in parts:
            mine = (arm == code) & judged(steps)
            blocks += len(np.unique(steps["block"][arm == code]))
            n += int(mine.sum())
            collapsed += int((mine & flag(steps, "collapse")).sum())
            ml.append(steps["ml_index"][mine] / 1e4)
        if blocks:
            sway = float(np.std(np.concatenate(ml), ddof=1)) if n > 1 else float("nan")
            out.append(ArmLoading(name, blocks, n, collapsed / n if n else float("nan"), sway))
    return out
