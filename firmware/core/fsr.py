# The FSR model: force -> FSR resistance -> divider volts -> ADC counts, and back.
# One definition, used by the firmware (a counts -> load lookup table built at boot) and
# by the simulator (force -> counts). Constants come from the merged board dict
# (hardware/board_data.py): fsr.k_ohm_newton, break_force_n, open_ohm, max_force_n,
# divider_ohm, supply_v, adc.curve_v_counts. Wiring: FSR from supply to the ADC node,
# divider resistor from the node to ground, so V = Vs * Rd / (Rd + R_fsr).
from array import array

ADC_MAX = 4095


def fsr_ohm(force_n, board):
    """FSR resistance: conductance proportional to force above the break force."""
    fsr = board["fsr"]
    if force_n <= fsr["break_force_n"]:
        return fsr["open_ohm"]
    return min(fsr["open_ohm"], fsr["k_ohm_newton"] / force_n)


def force_to_volts(force_n, board):
    rd = board["divider_ohm"]
    return board["supply_v"] * rd / (rd + fsr_ohm(force_n, board))


def volts_to_force(volts, board):
    """Inverse of force_to_volts; the model's max force at or above the supply."""
    fsr = board["fsr"]
    vs = board["supply_v"]
    if volts >= vs:
        return fsr["max_force_n"]
    if volts <= 0:
        return 0.0
    r = board["divider_ohm"] * (vs - volts) / volts
    if r >= fsr["open_ohm"]:
        return 0.0
    return min(fsr["max_force_n"], fsr["k_ohm_newton"] / r)


def volts_to_counts(volts, board):
    """ADC transfer curve (piecewise linear through the board's breakpoints)."""
    curve = board["adc"]["curve_v_counts"]
    if volts <= curve[0][0]:
        return curve[0][1]
    for i in range(1, len(curve)):
        v1, c1 = curve[i]
        if volts <= v1:
            v0, c0 = curve[i - 1]
            return c0 + (c1 - c0) * (volts - v0) / (v1 - v0)
    return curve[-1][1]


def counts_to_volts(counts, board):
    """Lowest voltage that reads `counts`: the dead zone reads as no load, saturation as
    the lowest saturating voltage."""
    curve = board["adc"]["curve_v_counts"]
    for i in range(1, len(curve)):
        v1, c1 = curve[i]
        if counts <= c1:
            v0, c0 = curve[i - 1]
            if c1 == c0:
                return v0
            return v0 + (v1 - v0) * (counts - c0) / (c1 - c0)
    return curve[-1][0]


def force_to_counts(force_n, board):
    return int(volts_to_counts(force_to_volts(force_n, board), board) + 0.5)


def counts_to_force(counts, board):
    if counts >= ADC_MAX:
        return board["fsr"]["max_force_n"]
    return volts_to_force(counts_to_volts(counts, board), board)


def build_lut(board):
    """counts -> load in 0.1 N for every 12-bit count; built once at boot."""
    lut = array("H", bytearray(2 * (ADC_MAX + 1)))
    for c in range(ADC_MAX + 1):
        lut[c] = min(65535, int(counts_to_force(c, board) * 10 + 0.5))
    return lut


def forward_table(board, max_force_n, step_n):
    """(forces, counts) sampled along the forward model, for vectorised interpolation."""
    forces = []
    counts = []
    f = 0.0
    while f <= max_force_n:
        forces.append(f)
        counts.append(volts_to_counts(force_to_volts(f, board), board))
        f += step_n
    return forces, counts
