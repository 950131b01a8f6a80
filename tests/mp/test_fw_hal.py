# The board HAL's per-frame call allocates nothing: the real hal/esp32.py on the stand-in
# `machine` (fake_machine.py, the unix port's C builtins in place of the hardware) under
# heap_lock, through a cue's pulse, a pattern and LED changes, as a run makes them.
# MicroPython only; tests/test_hal_esp32.py checks the same HAL's behaviour under CPython.
import sys
from array import array

from core.channels import COUNT

RATE = 5000  # a 200 us grid: 0.6 s of real waiting covers pulses, a pattern and blinks
BOARD = {
    "channels": [{"pin": 32 + c} for c in range(COUNT)],
    "haptic": {"pin": 25, "pwm_hz": 20000, "duty_pct": 75},
    "button": {"pin": 0, "active_low": True},
    "led": {"pin": 2},
    "battery": {"pin": 26, "divider_ratio": 2.0},
}


def test_sample_and_cues_allocate_nothing():
    if sys.implementation.name != "micropython":
        import pytest

        pytest.skip("needs heap_lock and MicroPython's builtins as the fake hardware")
    import micropython
    from fake_machine import Machine

    sys.modules["machine"] = Machine
    from hal import esp32

    hal = esp32.Board(BOARD, RATE)
    frame = array("H", [0] * COUNT)
    hal.led("running")
    hal.start()
    micropython.heap_lock()
    try:
        for i in range(3000):
            hal.sample(frame)  # a busy host may make it skip ticks: that path is locked too
            if i == 10:
                hal.haptic(80)
            elif i == 500:
                hal.pattern("ready")
            elif i == 1500:
                hal.led("fault")
    finally:
        micropython.heap_unlock()
    assert hal.ms >= 600 and not hal.pulsing and hal.steps == (), (hal.ms, hal.pulsing, hal.steps)
