"""Step records of a block-protocol run drawn directly (no firmware): each landing collapses and
engages the toes with the probabilities of its condition. Fast enough to test the verdict's
statistics over many seeds; the firmware-level power table is in tests/bench_report.py."""
from __future__ import annotations

import numpy as np

from firmware.core import record
from host.store.records import STEPS_DTYPE

STEP_MS = 706  # one foot at 170 steps/min
CALIBRATION = 30


def _bit(name: str) -> int:
    return 1 << record.FLAG_NAMES.index(name)


def block_run(minutes: float, seed: int, collapse_off: float = 0.4, ratio: float = 1.0, engaged_on: float = 0.6,
              engaged_off: float = 0.15, warmup_s: int = 600, block_s: int = 60, blocks: bool = True,
              cue_after_s: float | None = None) -> np.ndarray:
    """`ratio`: collapse rate on engaged landings / on relaxed ones (1.0: a non-responder);
    cue_after_s: a run without blocks, cued from this second on (cue modes every / faded)."""
    rng = np.random.default_rng(seed)
    n = int(minutes * 60_000 // STEP_MS)
    ic = np.arange(n, dtype=np.int64) * STEP_MS + 500
    k = (ic - warmup_s * 1000) // (block_s * 1000)
    block = np.where(ic < warmup_s * 1000, 0, k + 1) if blocks else np.zeros(n, dtype=np.int64)
    on = (block > 0) & (k % 2 == 1)
    if cue_after_s is not None:
        block, on = np.zeros(n, dtype=np.int64), ic >= cue_after_s * 1000
    engaged = rng.random(n) < np.where(on, engaged_on, engaged_off)
    collapse = rng.random(n) < collapse_off * np.where(engaged, ratio, 1.0)
    steps = np.zeros(n, dtype=STEPS_DTYPE)
    steps["version"] = record.RECORD_VERSION
    steps["ic_ms"] = ic
    steps["stance_ms"] = 240
    steps["peak_total"] = 1500
    steps["arch_share"] = np.where(collapse, 1600, 800) + rng.integers(0, 200, n)
    steps["toe_share"] = np.where(engaged, 1500, 600)
    steps["toe_load"] = np.where(engaged, 900, 300)
    steps["ml_index"] = rng.integers(-500, 500, n)
    steps["loading_rate"] = 6000 + rng.integers(0, 800, n)
    steps["block"] = block
    calibrated = np.arange(n) >= CALIBRATION
    steps["flags"] = ((collapse & calibrated) * _bit("collapse") + (engaged & calibrated) * _bit("toe_engaged")
                      + on * _bit("cue_block") + calibrated * _bit("calibrated"))
    return steps
