# The board HAL's per-frame call allocates nothing: the real hal/esp32.py on the stand-in
# `machine` (fake_machine.py, the unix port's C builtins in place of the hardware) under
# heap_lock, through a cue's pulse, a pattern, LED changes and the battery check, as a run
# makes them; and a DRV2605L's cues and patterns likewise.
# MicroPython only; tests/test_hal_esp32.py and test_hal_power.py check the same HAL's
# behaviour under CPython.
import json
import sys
from array import array

from core.channels import COUNT

RATE = 5000  # a 200 us grid: 0.6 s of real waiting covers pulses, a pattern and blinks
BOARD_FILE = "hardware/boards/esp32_devkitc.json"  # the tests run from the project root


def _board_hal(i2c=None):
    import micropython  # noqa: F401 (MicroPython only: the caller skips otherwise)
    from fake_machine import Esp32, Machine

    Machine.I2C = i2c or Machine.EMPTY_BUS
    sys.modules["machine"] = Machine
    sys.modules["esp32"] = Esp32
    from hal import esp32

    with open(BOARD_FILE) as f:
        return esp32.Board(json.load(f), RATE)


def _skip_on_cpython():
    if sys.implementation.name != "micropython":
        import pytest

        pytest.skip("needs heap_lock and MicroPython's builtins as the fake hardware")


def _run_locked(hal, frames, at):
    """frames of sample() under heap_lock, at[i](hal) called at frame i."""
    import micropython

    frame = array("H", [0] * COUNT)
    micropython.heap_lock()
    try:
        for i in range(frames):
            hal.sample(frame)  # a busy host may make it skip ticks: that path is locked too
            if i in at:
                at[i](hal)
            hal.power_check()  # every 50 ms block of a run calls it: locked too
    finally:
        micropython.heap_unlock()


def test_sample_and_cues_allocate_nothing():
    _skip_on_cpython()
    hal = _board_hal()
    hal.low_mv = 1 << 20  # the stand-in's battery reads low: the battery_low pattern plays, locked too
    hal.led("running")
    hal.start()
    # 5,000 frames: 1 s of the grid, past the end of "ready" (SL: 520 ms from 0.1 s)
    _run_locked(hal, 5000, {10: lambda h: h.haptic(80), 500: lambda h: h.pattern("ready"),
                            1500: lambda h: h.led("fault")})
    assert hal.ms >= 600 and not hal.pulsing and not hal.steps, (hal.ms, hal.pulsing, hal.steps)
    assert hal.low


class DrvBus:
    """A DRV2605L on the bus: register writes land in a bytearray (no allocation)."""

    def __init__(self, *a, **kw):
        self.regs = bytearray(16)
        self.go = 0

    def scan(self):
        return [0x5A]

    def writeto_mem(self, address, reg, buf):
        self.regs[reg] = buf[0]
        if reg == 0x0C:
            self.go += 1


def test_a_drv2605l_cue_and_pattern_allocate_nothing():
    _skip_on_cpython()
    bus = DrvBus()
    hal = _board_hal(lambda *a, **kw: bus)
    assert hal.drv is not None
    hal.led("running")
    hal.start()
    go = bus.go
    # 9,000 frames: 1.8 s of the grid, past the pattern's end (its last pulse starts at 1.28 s, ends 1.58 s)
    _run_locked(hal, 9000, {10: lambda h: h.haptic(80), 100: lambda h: h.pattern("flash_full")})
    assert bus.go - go == 5 and not hal.steps, (bus.go - go, hal.steps)  # the cue and all four pulses
