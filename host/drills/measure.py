"""A drill recording through the firmware's own drill code (firmware/core/drills.py), run here
under CPython on the frames the insole would read (raw counts -> the board's LUT -> 0.1 N), so
an imported drill is measured and logged exactly as on the insole: the same event records
(firmware/core/record.py EVENTS), decoded as a pulled session's are."""
from __future__ import annotations

from array import array
from dataclasses import dataclass, field

import numpy as np

from firmware.core import drills, fsr, record
from host.store.records import decode_events


@dataclass
class Measured:
    drill: str
    records: bytes  # the set's event records, 24 bytes each, as the session log holds them
    results: list[dict] = field(default_factory=list)  # decode_events(records)

    def of(self, kind: str) -> list[dict]:
        """The results of one kind: "trial", "touchdown", "rep", "cycle", "baseline", "set_end"."""
        return [r for r in self.results if r["kind"] == f"drill_{kind}"]

    @property
    def baseline(self) -> bool:
        """A relaxed standing baseline was learnt (and nothing showed it was not relaxed)."""
        end = self.of("set_end")
        return bool(self.of("baseline")) and bool(end) and not end[0]["flags"] & drills.NO_BASELINE


def measure_loads(loads: np.ndarray, rate_hz: int, drill: str, eyes: str = "", trial_s: int = 30,
                  hold_s: int = 5) -> Measured:
    """loads (n, 6) in 0.1 N, as the firmware's LUT gives them: one drill set."""
    meter = drills.DrillMeter(drills.DRILLS.index(drill), rate_hz, trial_s, hold_s)
    frame = array("i", [0] * 6)
    slot = array("i", [0] * drills.SLOT)
    buf = bytearray(record.SIZE)
    out = bytearray()
    drills.pack_set(buf, 0, 0, meter.drill, drills.EYES.index(eyes), trial_s, hold_s)
    out += buf
    for row in np.asarray(loads, dtype=np.int64).tolist():
        frame[:] = array("i", row)
        meter.feed(frame)
        while meter.pop(slot):
            if drills.pack(buf, 0, slot):
                out += buf
    drills.pack_set_end(buf, 0, drills.ms_of(meter.frames, rate_hz), meter)
    out += buf
    return Measured(drill, bytes(out), decode_events(bytes(out)))


def measure_counts(frames: np.ndarray, rate_hz: int, board: dict, drill: str, **kw) -> Measured:
    """frames (n, 6) raw ADC counts, through the board's LUT as on the insole."""
    lut = np.frombuffer(fsr.build_lut(board), dtype=np.uint16)
    return measure_loads(lut[np.asarray(frames, dtype=np.intp)], rate_hz, drill, **kw)
