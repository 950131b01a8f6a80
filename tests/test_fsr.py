"""The FSR + divider + ADC model (firmware/core/fsr.py): one definition for the firmware's
lookup table and the simulator's forward curve. Also run under MicroPython (last test)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from firmware.core import fsr
from hardware.board_data import CHANNELS, board_names, load_board
from simulator.device import ROOT

BOARDS = [load_board(n) for n in board_names()]
IDS = [b["name"] for b in BOARDS]
# Round-trip tolerance over the useful range: 1% + 0.05 N (integer counts quantise the load;
# one count is worth up to ~0.8 N near 250 N, see the table in hardware/README.md).
REL, ABS = 0.01, 0.05


@pytest.fixture(params=BOARDS, ids=IDS)
def b(request) -> dict:
    return request.param


def test_round_trip_within_tolerance_over_the_useful_range(b: dict) -> None:
    f = max(1.0, 2 * fsr.counts_to_force(1, b))  # from twice the lightest readable load
    while f <= 250:
        back = fsr.counts_to_force(fsr.force_to_counts(f, b), b)
        assert back == pytest.approx(f, rel=REL, abs=ABS), f
        f *= 1.05


def test_forward_is_monotonic_and_inverse_too(b: dict) -> None:
    counts = [fsr.force_to_counts(i * 0.25, b) for i in range(0, 1601)]  # 0..400 N
    assert all(x <= y for x, y in zip(counts, counts[1:]))
    forces = [fsr.counts_to_force(c, b) for c in range(4096)]
    assert all(x <= y for x, y in zip(forces, forces[1:]))


def test_typical_running_loads_stay_in_the_adcs_linear_range(b: dict) -> None:
    # every typical peak, and the rated load with the rail at its tolerance, under the
    # calibrated linear range (150-2450 mV on the ESP32), which 0-150 N spans most of
    rated = b["fsr"]["rated_load_n"]
    limit = b["adc"]["linear_max_v"]
    assert fsr.force_to_volts(rated, b) * (1 + b["supply_tolerance_pct"] / 100) <= limit
    assert rated == b["fsr"]["max_force_n"]  # every load the model reads
    for name in CHANNELS:
        assert b["running_load"]["typical_peak_n"][name] <= rated / 2
    assert fsr.force_to_counts(20, b) >= 0.3 * fsr.force_to_counts(rated, b)  # light loads keep their resolution


def test_saturation_and_ceiling(b: dict) -> None:
    ceiling = b["fsr"]["max_force_n"]
    assert fsr.saturation_force(b) == ceiling  # the 2.5 V rail is below the ADC's top: it never saturates
    assert fsr.force_to_counts(1e6, b) < fsr.ADC_MAX
    assert fsr.counts_to_force(fsr.force_to_counts(400, b), b) == ceiling  # heavier reads as the ceiling
    assert fsr.counts_to_force(fsr.ADC_MAX, b) == ceiling
    assert fsr.counts_to_force(5000, b) == b["fsr"]["max_force_n"]


def test_dead_zone_and_no_load(b: dict) -> None:
    assert fsr.force_to_counts(0, b) == 0
    assert fsr.force_to_counts(b["fsr"]["break_force_n"], b) == 0  # open circuit below the break force
    assert fsr.fsr_ohm(0.1, b) == b["fsr"]["open_ohm"]
    assert fsr.counts_to_force(0, b) == 0.0
    assert fsr.counts_to_force(-3, b) == 0.0
    assert fsr.counts_to_force(1, b) < 1.0  # the lightest readable load is under 1 N


def test_esp32_dead_zone_swallows_light_touch() -> None:
    b = load_board("esp32_devkitc")
    assert fsr.force_to_counts(0.5, b) == 0  # 0.08 V: below the ESP32's ~0.14 V dead zone
    assert fsr.force_to_counts(1.0, b) > 0


def test_lut(b: dict) -> None:
    lut = fsr.build_lut(b)
    assert lut.typecode == "H" and len(lut) == 4096
    assert lut[0] == 0
    assert all(x <= y for x, y in zip(lut, lut[1:]))
    assert lut[4095] == round(b["fsr"]["max_force_n"] * 10)
    for c in (100, 1000, 2000, 3000, 3900):
        assert lut[c] == round(fsr.counts_to_force(c, b) * 10)
    assert lut[fsr.force_to_counts(100, b)] == pytest.approx(1000, rel=0.01)


def test_lut_caps_at_65535(b: dict) -> None:
    huge = {**b, "fsr": {**b["fsr"], "max_force_n": 1e5}}
    lut = fsr.build_lut(huge)
    assert max(lut) == 65535 and lut[4095] == 65535


def test_forward_table_matches_the_scalar_model(b: dict) -> None:
    forces, counts = fsr.forward_table(b, b["fsr"]["max_force_n"], 0.5)
    assert forces[0] == 0 and forces[-1] == b["fsr"]["max_force_n"] and len(forces) == len(counts) == 601
    assert all(x <= y for x, y in zip(counts, counts[1:]))
    for f, c in zip(forces[::37], counts[::37]):
        assert int(c + 0.5) == fsr.force_to_counts(f, b)
    assert counts[-1] == pytest.approx(fsr.volts_to_counts(fsr.force_to_volts(b["fsr"]["max_force_n"], b), b))
    f2, _ = fsr.forward_table(b, 1.0, 0.3)  # a step that does not divide the range: ends exactly at max
    assert f2[-1] == 1.0


def test_model_runs_under_micropython(tmp_path: Path) -> None:
    """The same module on the real MicroPython interpreter gives the same LUT."""
    micropython = Path(sys.executable).parent / "micropython"
    if not micropython.exists():
        pytest.skip("no MicroPython unix port in the venv")
    board = load_board()
    (tmp_path / "board.json").write_text(json.dumps(board))
    code = ("import json\nfrom core import fsr\nb = json.load(open(%r))\nlut = fsr.build_lut(b)\n"
            "print(len(lut), sum(lut), fsr.force_to_counts(100, b), fsr.counts_to_force(3000, b))"
            % str(tmp_path / "board.json"))
    env = {**os.environ, "MICROPYPATH": str(ROOT / "firmware")}
    r = subprocess.run([str(micropython), "-c", code], capture_output=True, text=True, env=env, timeout=60)
    assert r.returncode == 0, r.stderr
    n, total, counts, force = r.stdout.split()
    lut = fsr.build_lut(board)
    assert (int(n), int(total), int(counts)) == (4096, sum(lut), fsr.force_to_counts(100, board))
    assert float(force) == pytest.approx(fsr.counts_to_force(3000, board), rel=1e-5)
