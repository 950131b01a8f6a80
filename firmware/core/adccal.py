# This chip's ADC curve: the ESP32's reference differs from chip to chip (Espressif
# documents 1000-1200 mV), which moves every count's volts; the board data bounds the
# spread (adc.vref_curves) and the board HAL places its chip between the bounds at boot.
# Only the board HAL imports this (the simulator's chip is the nominal one).
from . import fsr


def chip_curve(board, unit, counts, volts):
    """This chip's ADC1 transfer curve, from one reading of a steady voltage on ADC `unit`
    (1 or 2): `counts` its mean raw count (read_u16() >> 4), `volts` the mean of the chip's
    own calibrated read_uv() there. The board's adc.vref_curves bound the documented
    spread of the chip's reference, and a chip's curve is their mix at its reference
    (linear in it, as Espressif's calibration is): the reading gives the mix, the mix
    gives the curve the FSR lookup table is built on. Returns (reference mV, curve);
    the reference is clamped to half the spread beyond either bound."""
    bounds = board["adc"]["vref_curves"]
    lo, hi = bounds["adc%d" % unit]
    v_lo = fsr.curve_volts(lo, counts)
    v_hi = fsr.curve_volts(hi, counts)
    t = 0.5 if v_hi <= v_lo else (volts - v_lo) / (v_hi - v_lo)
    t = min(1.5, max(-0.5, t))
    a_lo, a_hi = bounds["adc1"]
    curve = [[a_lo[i][0] + t * (a_hi[i][0] - a_lo[i][0]), a_lo[i][1]] for i in range(len(a_lo))]
    for i in range(1, len(curve)):  # a mix past either bound must still rise in volts
        if curve[i][0] <= curve[i - 1][0]:
            curve[i][0] = curve[i - 1][0] + 1e-6
    r0, r1 = bounds["vref_mv"]
    return r0 + t * (r1 - r0), curve
