"""A drill recording through the firmware's own drill code (firmware/core/drills.py), run here
under CPython on the frames the insole would read (raw counts -> the board's LUT -> 0.1 N), so
an imported drill is measured exactly as on the insole."""
from __future__ import annotations

from array import array
from dataclasses import dataclass, field

import numpy as np

from firmware.core import drills, fsr

TRIAL_FIELDS = ("trial", "held_ms", "dur_ms", "touchdowns", "sway_ml", "sway_ap", "toe_share")
RESULT_FIELDS = {  # result kind -> names of its fields after t_ms
    drills.R_BASELINE: ("total", "arch", "hallux", "toes"),
    drills.R_TRIAL: TRIAL_FIELDS,
    drills.R_TOUCHDOWN: ("trial", "dur_ms"),
    drills.R_REP: ("rep", "hold_ms", "outcome", "drop_pct", "toes_over"),
    drills.R_CYCLE: ("cycle",),
    drills.R_PHASE: ("phase",),
}
KIND_NAMES = {drills.R_BASELINE: "baseline", drills.R_TRIAL: "trial", drills.R_TOUCHDOWN: "touchdown",
              drills.R_REP: "rep", drills.R_CYCLE: "cycle", drills.R_PHASE: "phase"}


@dataclass
class Measured:
    drill: str
    results: list[dict] = field(default_factory=list)  # {"kind", "t_ms", fields...} in order
    flags: int = 0

    def of(self, kind: str) -> list[dict]:
        return [r for r in self.results if r["kind"] == kind]

    @property
    def baseline(self) -> bool:
        return bool(self.of("baseline")) and not self.flags & drills.NO_BASELINE


def measure_loads(loads: np.ndarray, rate_hz: int, drill: str, trial_s: int = 30, hold_s: int = 5) -> Measured:
    """loads (n, 6) in 0.1 N, as the firmware's LUT gives them."""
    meter = drills.DrillMeter(drills.DRILLS.index(drill), rate_hz, trial_s, hold_s)
    frame = array("i", [0] * 6)
    out = array("i", [0] * drills.SLOT)
    done = Measured(drill)
    for row in np.asarray(loads, dtype=np.int64).tolist():
        frame[:] = array("i", row)
        meter.feed(frame)
        while meter.pop(out):
            names = RESULT_FIELDS[out[0]]
            done.results.append({"kind": KIND_NAMES[out[0]], "t_ms": out[1], **dict(zip(names, out[2:]))})
    done.flags = meter.flags
    return done


def measure_counts(frames: np.ndarray, rate_hz: int, board: dict, drill: str, **kw: int) -> Measured:
    """frames (n, 6) raw ADC counts, through the board's LUT as on the insole."""
    lut = np.frombuffer(fsr.build_lut(board), dtype=np.uint16)
    return measure_loads(lut[np.asarray(frames, dtype=np.intp)], rate_hz, drill, **kw)
