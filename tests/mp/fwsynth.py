# A tiny integer runner for firmware unit tests, runnable under MicroPython: half-sine
# stances whose load moves heel -> arch -> met heads -> toes, in raw counts with an
# identity LUT (1 count = 0.1 N). The full synthetic runner is simulator/synth.py.
import math
from array import array

from core.channels import ARCH, COUNT, HALLUX, HEEL, TOES

RATE = 200
IDENTITY_LUT = array("H", range(4096))

# channel weight profiles over stance thirds: (early, mid, late), in channel order
_NORMAL = ((50, 5, 0), (12, 20, 5), (15, 35, 30), (10, 25, 20), (1, 8, 30), (1, 5, 15))
_COLLAPSE_ARCH = (30, 30, 5)  # arch weight when the arch collapses
_TOES_ENGAGED = ((10, 15, 30), (8, 10, 15))  # hallux, toes weights when curled


def _weights(phase_third, collapse, toes, heel):
    w = [_NORMAL[c][phase_third] for c in range(COUNT)]
    if collapse:
        w[ARCH] = _COLLAPSE_ARCH[phase_third]
    if toes:
        w[HALLUX] = _TOES_ENGAGED[0][phase_third]
        w[TOES] = _TOES_ENGAGED[1][phase_third]
    if not heel:
        w[HEEL] = 0
    return w


def generate(n_steps, collapse_every=0, toes_every=0, heel=True, peak=3000, preload=40,
             stance_ms=250, cycle_ms=700, lead_ms=300, collapse_most=False):
    """Frames (array 'H', COUNT per frame) and truth [(ic_ms, to_ms, collapse, toes)].
    collapse_most: every landing collapses except one in collapse_every."""
    period_ms = 1000 // RATE
    n = (lead_ms + n_steps * cycle_ms) // period_ms
    frames = array("H", [preload] * (n * COUNT))
    truth = []
    stance_frames = stance_ms // period_ms
    for k in range(n_steps):
        collapse = collapse_every and k % collapse_every == collapse_every - 1
        if collapse_most:
            collapse = not collapse
        toes = toes_every and k % toes_every == toes_every - 1
        ic = lead_ms + k * cycle_ms
        start = ic // period_ms
        for j in range(stance_frames + 1):
            total = peak * math.sin(math.pi * j / stance_frames)
            w = _weights(min(2, 3 * j // stance_frames), collapse, toes, heel)
            ws = sum(w)
            for c in range(COUNT):
                frames[(start + j) * COUNT + c] = min(4095, preload + int(total * w[c] / ws))
        truth.append((ic, ic + stance_ms, 1 if collapse else 0, 1 if toes else 0))
    return frames, truth


def frame_at(frames, i, out):
    for c in range(COUNT):
        out[c] = frames[i * COUNT + c]


def config(**overrides):
    import core.config as config_mod

    cfg, errors = config_mod.validate(overrides)
    assert not errors, errors
    return cfg
