"""The oracle bound on the foreign drill performer (tests/foreign_drills.py): the drill meter's
own rules (firmware/core/drills.py) given the performer's true relaxed baseline instead of the
one it learns from the set's first steady 2 s. On the insole's signal (noise, preload, FSR model
and LUT, block means) it is the best the issue's rule can do with what the insole sees; on the
noise-free forces it checks that the truth itself obeys the rule."""
from __future__ import annotations

from array import array

import numpy as np

from firmware.core import drills, fsr
from hardware.board_data import load_board
from host.sources.recording import Recording, to_frames
from tests.foreign_drills import CHANNELS, DrillRecording


def insole_loads(rec: DrillRecording, rate: int = 200) -> np.ndarray:
    """What the insole reads (0.1 N): the recording through the FSR model and the board's LUT."""
    board = load_board()
    frames, _ = to_frames(Recording(rec.t_ms.astype(float), rec.forces, CHANNELS), "newton", rate, board)
    lut = np.frombuffer(fsr.build_lut(board), dtype=np.uint16)
    return lut[np.asarray(frames, dtype=np.intp)].astype(np.int64)


def counted(loads: np.ndarray, relaxed: np.ndarray, drill: str, rate: int = 200) -> int:
    """Reps (outcome rep) or cycles the meter counts on loads (0.1 N) with its baseline set to
    the mean of the samples marked relaxed, as though known exactly."""
    meter = drills.DrillMeter(drills.DRILLS.index(drill), rate)
    base = loads[relaxed].mean(axis=0)
    for i in range(6):
        meter.base[i] = int(round(base[i]))
    meter.btotal = max(1, int(round(base.sum())))
    meter.ref = meter.base[drills.ARCH] << drills._ARCH_SHIFT
    meter.nrelax = drills._RELAX_MAX  # known: not refined from the set
    frame = array("i", [0] * 6)
    slot = array("i", [0] * drills.SLOT)
    n = 0
    for row in loads.tolist():
        frame[:] = array("i", row)
        meter.feed(frame)
        while meter.pop(slot):
            n += slot[0] == drills.R_CYCLE or slot[0] == drills.R_REP and slot[4] == drills.OUT_REP
    return n


def oracle(rec: DrillRecording, drill: str) -> tuple[int, int]:
    """(count on the insole's signal, count on the noise-free forces), both with the true baseline."""
    relaxed = rec.truth["relaxed"]
    assert rec.clean is not None
    return (counted(insole_loads(rec), relaxed, drill),
            counted(np.round(rec.clean * 10).astype(np.int64), relaxed, drill))

