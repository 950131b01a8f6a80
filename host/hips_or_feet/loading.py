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


def protocol_runs(store: Store, sessions: Sessions) -> Sessions:
    """The sessions that ran the hips-or-feet protocol (their header's config holds an arm order)."""
    return [s for s, config in zip(sessions, _configs(store, sessions)) if config.get("arm_order")]


def toe_curl_view(store: Store, sessions: Sessions) -> Sessions:
    """The sessions as the toe-curl report reads them: a protocol run keeps its warm-up and its
    feet and no-cue blocks; other runs are unchanged."""
    out = []
    for (row, steps), config in zip(sessions, _configs(store, sessions)):
        if config.get("arm_order"):
            arm = arm_of_steps(steps, config)
            steps = steps[(steps["block"] == 0) | (arm == arms.ARM_NONE) | (arm == arms.ARM_FEET)]
        out.append((row, steps))
    return out


@dataclass
class ArmLoading:
    arm: str
    blocks: int
    landings: int  # judged landings
    collapse_rate: float  # share of judged landings that collapsed
    sway: float  # SD of the medial-lateral index over the stance (met1 vs met5), judged landings


def loading_per_arm(store: Store, sessions: Sessions) -> list[ArmLoading]:
    """Collapses and sway per arm over every protocol run of the sessions (none when none ran it)."""
    parts = [(steps, arm_of_steps(steps, config)) for (_, steps), config in zip(sessions, _configs(store, sessions))]
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
