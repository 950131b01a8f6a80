"""Board data and the FSR model: one source of truth, physically sane."""
from __future__ import annotations

import pytest

from firmware.core import fsr
from hardware.board_data import CHANNELS, BoardError, board_names, load_board

ADC1_PINS = {"esp32": set(range(32, 40)), "esp32s3": set(range(1, 11))}


@pytest.mark.parametrize("name", board_names())
def test_fsrs_on_adc1_in_order_and_no_pin_twice(name: str) -> None:
    b = load_board(name)
    assert tuple(ch["name"] for ch in b["channels"]) == CHANNELS
    assert {ch["pin"] for ch in b["channels"]} <= ADC1_PINS[b["mcu"]]
    pins = [ch["pin"] for ch in b["channels"]] + [b["haptic"]["pin"], b["button"]["pin"], b["led"]["pin"],
                                                  b["battery"]["pin"], b["drv2605l"]["sda"], b["drv2605l"]["scl"]]
    assert len(pins) == len(set(pins))


def test_unknown_board_lists_the_known_ones() -> None:
    with pytest.raises(BoardError, match="known boards: esp32_devkitc, esp32s3_devkitc"):
        load_board("arduino")


@pytest.mark.parametrize("name", board_names())
def test_fsr_model_round_trip_and_range(name: str) -> None:
    b = load_board(name)
    for force in (1, 2, 5, 10, 20, 50, 100, 150, 200):
        counts = fsr.force_to_counts(force, b)
        assert 0 < counts < 4095
        assert fsr.counts_to_force(counts, b) == pytest.approx(force, rel=0.03)
    assert fsr.force_to_counts(0, b) == 0
    assert fsr.force_to_counts(400, b) == 4095
    assert 2500 < fsr.force_to_counts(60, b) < 3700  # typical running peak: upper ADC range, not saturated


def test_lut_is_monotonic_with_dead_zone_and_ceiling(board: dict) -> None:
    lut = fsr.build_lut(board)
    assert len(lut) == 4096 and lut[0] == 0
    assert all(a <= b for a, b in zip(lut, lut[1:]))
    assert lut[4095] == board["fsr"]["max_force_n"] * 10


def test_generated_files_match_the_data() -> None:
    from hardware.generate import main

    assert main(["--check"]) == 0, "hardware files are stale: run `make hardware`"


def test_deploy_builds_every_module_for_the_board(tmp_path) -> None:
    from hardware.deploy import build

    files = build("esp32_devkitc", tmp_path / "out")
    names = {f.relative_to(tmp_path / "out").as_posix() for f in files}
    assert {"boot.py", "main.py", "app.mpy", "core/pipeline.mpy", "hal/esp32.mpy", "board.json", "config.json"} <= names
    assert (tmp_path / "out" / "core" / "gait.mpy").read_bytes()[:1] == b"M"  # .mpy header


def test_deploy_to_a_missing_port_is_a_clear_error(capsys) -> None:
    from hardware.deploy import main

    assert main(["--port", "/dev/does-not-exist"]) == 2
    assert "no such port" in capsys.readouterr().err
