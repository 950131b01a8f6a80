"""An ESP32 chip with a given ADC reference, as Espressif's calibration models it (the
board data's adc.vref_curves: each unit's curve at the lowest and the highest reference of
the documented spread, a chip's curve their mix at its own): what it reads for a voltage
(raw counts, read_u16() >> 4) and what its calibrated read_uv() says for a raw count."""
from __future__ import annotations

from firmware.core import fsr


def curve(board: dict, unit: int, vref_mv: float) -> list[list[float]]:
    (r0, r1), (lo, hi) = board["adc"]["vref_curves"]["vref_mv"], board["adc"]["vref_curves"][f"adc{unit}"]
    t = (vref_mv - r0) / (r1 - r0)
    return [[a[0] + t * (b[0] - a[0]), a[1]] for a, b in zip(lo, hi)]


def _as_board(c: list) -> dict:
    return {"adc": {"curve_v_counts": c}}


def raw(board: dict, unit: int, vref_mv: float, volts: float) -> int:
    """The count this chip reads for `volts` on ADC `unit`."""
    return int(fsr.volts_to_counts(volts, _as_board(curve(board, unit, vref_mv))) + 0.5)


def uv(board: dict, unit: int, vref_mv: float, counts: int) -> int:
    """This chip's read_uv() for a raw count: its eFuse calibration, in microvolts."""
    return int(fsr.counts_to_volts(counts, _as_board(curve(board, unit, vref_mv))) * 1e6)
