"""What the flash-stall model (firmware/hal/sim.py FlashStall) costs a run: samples lost
and landing windows that lost a sample, from the stalls the simulator HAL logged and the
synthetic runner's true contacts."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

MODES = ("off", "typical", "worst")


@dataclass
class StallEffect:
    stalls: int
    stalled_ms: float
    longest_ms: float
    frames: int
    lost: int  # frames never sampled
    landings: int
    windows_hit: int  # true landings with a lost sample in their loading window

    @property
    def lost_pct(self) -> float:
        return 100 * self.lost / self.frames if self.frames else 0.0

    def describe(self) -> str:
        return (f"{self.lost:,} of {self.frames:,} samples lost ({self.lost_pct:.3f}%), "
                f"{self.windows_hit} of {self.landings} landing windows hit; {self.stalls} stalls, "
                f"{self.stalled_ms / 1000:.1f} s stalled, longest {self.longest_ms:.0f} ms")


def stall_effect(stalls: list[tuple[int, int, int]], truth: list[dict], rate_hz: int, frames: int,
                 window_ms: int) -> StallEffect:
    """stalls: (t_ms, stall_us, frames missed) as logged; truth: steps with ic_ms."""
    period = 1000 / rate_hz
    lost_t = np.array([t + k * period for t, _, missed in stalls for k in range(1, missed + 1)])
    ic = np.array(sorted(s["ic_ms"] for s in truth), dtype=float)
    hit = 0
    if len(lost_t) and len(ic):
        lost_t.sort()
        first = np.searchsorted(lost_t, ic, side="left")  # the first lost frame at or after contact
        nxt = lost_t[np.minimum(first, len(lost_t) - 1)]
        hit = int(((first < len(lost_t)) & (nxt <= ic + window_ms)).sum())
    us = [s[1] for s in stalls]
    return StallEffect(len(stalls), sum(us) / 1000, max(us, default=0) / 1000, frames,
                       sum(s[2] for s in stalls), len(ic), hit)
