# The FSR model: force -> FSR resistance -> divider volts -> ADC counts, and back.
# One definition, used by the firmware (a counts -> load lookup table built once at boot)
# and by the simulator (force -> counts, through forward_table). Every constant comes from
# the merged board dict (hardware/board_data.py, written to the device as board.json):
#   board["fsr"]: k_ohm_newton, break_force_n, open_ohm, max_force_n
#   board: divider_ohm, supply_v, adc.curve_v_counts
# Equations (hardware/README.md has the derivation and the numbers):
#   R(F) = k / F above the break force (conductance proportional to force), else open_ohm
#   V    = Vs * Rd / (Rd + R)   the FSR runs from the supply to the ADC node and the divider
#                               resistor Rd from the node to ground: more force, more volts
#   N    = curve(V)             the chip's transfer curve at 11 dB, piecewise linear, 0..4095
# Runs on MicroPython and CPython; floats are fine here: nothing in this module is per-sample.
from array import array

from .channels import ADC_MAX

LUT_SCALE = 10  # LUT entries are in 0.1 N
LUT_CAP = 65535  # array('H') ceiling


def fsr_ohm(force_n, board):
    """FSR resistance (ohm) under force_n newtons."""
    fsr = board["fsr"]
    if force_n <= fsr["break_force_n"]:
        return fsr["open_ohm"]
    return min(fsr["open_ohm"], fsr["k_ohm_newton"] / force_n)


def force_to_volts(force_n, board):
    rd = board["divider_ohm"]
    return board["supply_v"] * rd / (rd + fsr_ohm(force_n, board))


def volts_to_force(volts, board):
    """Inverse of force_to_volts; max_force_n at or above the supply (and as a ceiling)."""
    fsr = board["fsr"]
    vs = board["supply_v"]
    if volts >= vs:
        return float(fsr["max_force_n"])
    if volts <= 0:
        return 0.0
    r = board["divider_ohm"] * (vs - volts) / volts
    if r >= fsr["open_ohm"]:
        return 0.0
    return min(float(fsr["max_force_n"]), fsr["k_ohm_newton"] / r)


def volts_to_counts(volts, board):
    """The ADC transfer curve: piecewise linear through the board's (volts, counts)
    breakpoints, clamped to 0..ADC_MAX. Returns a float (no quantisation)."""
    curve = board["adc"]["curve_v_counts"]
    if volts <= curve[0][0]:
        c = curve[0][1]
    else:
        c = curve[-1][1]
        for i in range(1, len(curve)):
            v1, c1 = curve[i]
            if volts <= v1:
                v0, c0 = curve[i - 1]
                c = c0 + (c1 - c0) * (volts - v0) / (v1 - v0)
                break
    return min(float(ADC_MAX), max(0.0, float(c)))


def counts_to_volts(counts, board):
    """The lowest voltage that reads `counts` (the curve is flat in its dead zone and at
    saturation: a flat stretch answers its lower end)."""
    return curve_volts(board["adc"]["curve_v_counts"], counts)


def curve_volts(curve, counts):
    """counts_to_volts on a curve given as [[volts, counts], ...]."""
    if counts <= curve[0][1]:
        return float(curve[0][0])
    for i in range(1, len(curve)):
        v1, c1 = curve[i]
        if counts <= c1:
            v0, c0 = curve[i - 1]
            if c1 == c0:
                return float(v0)
            return v0 + (v1 - v0) * (counts - c0) / (c1 - c0)
    return float(curve[-1][0])


def force_to_counts(force_n, board):
    """Forward model, one scalar: newtons on the FSR -> the ADC count it reads (rounded)."""
    return int(volts_to_counts(force_to_volts(force_n, board), board) + 0.5)


def counts_to_force(counts, board):
    """Inverse model: an ADC count -> newtons. 0 in the dead zone (counts <= 0); at
    saturation (ADC_MAX) the model's ceiling max_force_n, since any larger load reads the same."""
    if counts <= 0:
        return 0.0
    if counts >= ADC_MAX:
        return float(board["fsr"]["max_force_n"])
    return volts_to_force(counts_to_volts(counts, board), board)


def saturation_force(board):
    """The smallest force (N) that reads ADC_MAX: where the model stops resolving load."""
    v = counts_to_volts(ADC_MAX, board)
    vs = board["supply_v"]
    if v >= vs:
        return float(board["fsr"]["max_force_n"])
    return board["fsr"]["k_ohm_newton"] * v / (board["divider_ohm"] * (vs - v))


def new_lut():
    """The LUT's 8 KiB, in one block: the largest the firmware takes. main.py takes it first,
    while the heap is in one piece (imports leave it in pieces no larger than a few KiB)."""
    return array("H", range(ADC_MAX + 1))  # sized by len(range): no temporary copy


def build_lut(board, lut=None):
    """counts -> load in 0.1 N for every 12-bit count (8 KiB), built once at boot (into
    `lut`, from new_lut(), if given); the firmware then converts a sample with one index per
    channel. Monotonic non-decreasing, 0 in the dead zone, max_force_n * 10 at saturation,
    capped at 65535."""
    if lut is None:
        lut = new_lut()
    lut[0] = 0
    last = 0
    for c in range(1, ADC_MAX + 1):
        v = int(counts_to_force(c, board) * LUT_SCALE + 0.5)
        if v > LUT_CAP:
            v = LUT_CAP
        if v < last:  # a non-monotonic board curve must not make load fall as counts rise
            v = last
        lut[c] = v
        last = v
    return lut


def forward_table(board, max_force_n, step_n):
    """(forces, counts) sampled every step_n newtons from 0 to max_force_n (inclusive): the
    forward model as two lists, for the simulator's vectorised interpolation. Counts are
    floats (unquantised): the simulator adds noise, then rounds."""
    forces = []
    counts = []
    n = int(max_force_n / step_n + 1e-9)
    for i in range(n + 1):
        f = i * step_n
        forces.append(f)
        counts.append(volts_to_counts(force_to_volts(f, board), board))
    if forces[-1] < max_force_n:
        forces.append(float(max_force_n))
        counts.append(volts_to_counts(force_to_volts(max_force_n, board), board))
    return forces, counts
