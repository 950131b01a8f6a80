"""The board HAL's one call a frame, sample(), under CPython on fake `machine` and `time`
modules (those of tests/test_smallint.py): it reads every channel, paces a fixed grid,
counts overruns, and ends pulses, plays patterns and blinks the LED on the sample clock
while doing nothing on the frames where nothing is due."""
from __future__ import annotations

from array import array

import pytest

from tests.test_smallint import Clock, fake_machine, load_firmware

RATE = 1000


class Levels:
    """ADC levels by channel: each read returns the channel's 12-bit count in read_u16's scale."""

    def read(self, channel: int) -> int:
        return (100 * (channel + 1)) << 4


class Recorder:
    """A PWM or Pin stand-in: (sample-clock ms, value) per call."""

    def __init__(self, hal) -> None:
        self.hal = hal
        self.calls: list[tuple[int, int]] = []

    def duty_u16(self, value: int) -> None:
        self.calls.append((int(self.hal.ms), value))

    value = duty_u16


@pytest.fixture
def hal(monkeypatch, board):
    clock = Clock()
    machine = fake_machine(Levels(), [ch["pin"] for ch in board["channels"]])
    fw = load_firmware(monkeypatch, clock, machine)
    h = fw["hal.esp32"].Board(board, RATE)
    h.motor = Recorder(h)
    h.led_pin = Recorder(h)
    h.clock = clock
    return h


def _run(hal, frames: int) -> array:
    frame = array("H", [0] * 6)
    for _ in range(frames):
        assert hal.sample(frame) == 0
    return frame


def test_sample_reads_every_channel_as_12_bit_counts(hal) -> None:
    hal.start()
    assert list(_run(hal, 1)) == [100, 200, 300, 400, 500, 600]
    assert hal.ms == hal.now_ms() == 1


def test_the_boot_is_not_an_overrun_but_a_stall_is(hal) -> None:
    hal.clock.us += 2_000_000  # recovery, the LUT, the session header
    hal.start()
    _run(hal, 3)
    assert hal.ms == 3
    hal.clock.us += 5_500  # the loop stalled: ticks 4-7 passed, tick 8 is half a frame late
    assert hal.sample(array("H", [0] * 6)) == 4
    assert hal.ms == 8  # the sample clock counts the skipped ticks: real time
    _run(hal, 2)  # back on the grid
    assert hal.ms == 10


def test_a_pulse_ends_on_the_sample_clock(hal) -> None:
    hal.start()
    _run(hal, 10)
    hal.haptic(80)
    _run(hal, 100)
    assert hal.motor.calls == [(10, hal.motor_duty), (90, 0)]


def test_a_pattern_plays_its_pulses_without_blocking(hal) -> None:
    hal.start()
    hal.pattern("ready")  # (60 on, 80 off), (60 on)
    _run(hal, 300)
    on = hal.motor_duty
    assert hal.motor.calls == [(0, on), (60, 0), (140, on), (200, 0)]
    assert hal.steps == ()


def test_the_led_is_set_only_when_due(hal) -> None:
    hal.start()
    hal.led("running")
    _run(hal, 500)
    assert hal.led_pin.calls == [(1, 1)]  # solid on: one call, not one a frame
    hal.led("fault")  # blinks every 150 ms
    _run(hal, 600)
    assert hal.led_pin.calls[1:] == [(501, 1), (600, 0), (750, 1), (900, 0), (1050, 1)]


def test_every_session_clock_starts_at_0(hal) -> None:
    """Issue 26.2: after a 20-minute run and a button stop / start, the next session's clock
    (the records' ms since session start, its warm-up) starts at 0 again, and what was due
    on the clock (the next session's "ready" pattern) keeps its distance."""
    frame = array("H", [0] * 6)
    hal.start()
    _run(hal, 5)
    for _ in range(3):  # 20 minutes: the sampler sees these jumps as missed ticks
        hal.clock.us += 400_000_000
        hal.sample(frame)
    assert hal.ms > 1_200_000
    hal.pattern("ready")  # (60 on, 80 off), (60 on), as main() plays it before a run
    _run(hal, 10)
    hal.start()  # the run begins: t = 0
    assert hal.ms == hal.now_ms() == 0
    _run(hal, 300)
    assert hal.ms == 300
    on = hal.motor_duty
    assert [c for c in hal.motor.calls if c[0] <= 300] == [(50, 0), (130, on), (190, 0)]
