"""The board HAL's one call a frame, sample(), under CPython on fake `machine` and `time`
modules (those of tests/test_smallint.py): it reads every channel, paces a fixed grid,
counts overruns, and ends pulses, plays patterns (on the PWM motor or a DRV2605L) and
blinks the LED on the sample clock while doing nothing on the frames where nothing is
due."""
from __future__ import annotations

from array import array

import pytest

from tests.test_buzz import duration_ms, pulses
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
    h = fw["hal.esp32"].Board(dict(board), RATE)  # its copy takes this chip's ADC curve
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


def _motor_calls(name: str, t0: int, duty: int) -> list[tuple[int, int]]:
    """The motor's (ms, duty) calls for a buzz pattern started at t0."""
    calls, t = [], t0
    for on, off in pulses(name):
        calls += [(t, duty), (t + on, 0)]
        t += on + off
    return calls


def test_a_pattern_plays_its_pulses_without_blocking(hal) -> None:
    hal.start()
    hal.pattern("ready")
    _run(hal, duration_ms("ready") + 100)
    assert hal.motor.calls == _motor_calls("ready", 0, hal.motor_duty)
    assert not hal.steps


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
    hal.pattern("ready")  # as main() plays it before a run
    _run(hal, 10)
    hal.start()  # the run begins: t = 0
    assert hal.ms == hal.now_ms() == 0
    _run(hal, 600)
    assert hal.ms == 600
    assert [c for c in hal.motor.calls if c[0] <= 600] == _motor_calls("ready", -10, hal.motor_duty)[1:]


class Drv:
    """A DRV2605L on the I2C bus: (sample-clock ms, register, value) per register write;
    plays are GO (register 0x0C) writes."""

    def __init__(self, hal_ref: list) -> None:
        self.hal_ref = hal_ref
        self.writes: list[tuple[int, int, int]] = []

    def __call__(self, *args, **kw) -> Drv:  # machine.I2C(0, sda=..., scl=..., freq=...)
        return self

    def scan(self) -> list[int]:
        return [0x5A]

    def writeto_mem(self, address: int, reg: int, buf: bytearray) -> None:
        assert address == 0x5A and len(buf) == 1
        hal = self.hal_ref[0] if self.hal_ref else None
        self.writes.append((int(hal.ms) if hal else -1, reg, buf[0]))

    def plays(self) -> list[int]:
        return [ms for ms, reg, _ in self.writes if reg == 0x0C]


@pytest.fixture
def drv_hal(monkeypatch, board):
    clock = Clock()
    machine = fake_machine(Levels(), [ch["pin"] for ch in board["channels"]])
    ref: list = []
    machine.I2C = Drv(ref)
    fw = load_firmware(monkeypatch, clock, machine)
    h = fw["hal.esp32"].Board(dict(board), RATE)  # its copy takes this chip's ADC curve
    ref.append(h)
    return h, machine.I2C


def test_a_drv2605l_pattern_plays_all_its_pulses(drv_hal) -> None:
    hal, drv = drv_hal
    assert hal.drv is not None  # found on the bus: the driver chip, not the MOSFET
    hal.start()
    _run(hal, 1000)
    hal.led("running")  # a run's LED: nothing else due for a minute (the wake-up a run sets)
    _run(hal, 1)
    hal.pattern("flash_full")  # four long pulses
    _run(hal, 2000)
    start = 1001
    assert drv.plays() == [t for t, duty in _motor_calls("flash_full", start, 1) if duty]  # all, on time
    assert not hal.steps
    effects = [v for _, reg, v in drv.writes if reg == 0x04][-4:]
    assert effects == [47] * 4  # 300 ms pulses: the long buzz


def test_a_drv2605l_cue_plays_at_once(drv_hal) -> None:
    hal, drv = drv_hal
    hal.start()
    _run(hal, 10)
    hal.haptic(100)
    assert drv.plays() == [10]
    assert [v for _, reg, v in drv.writes if reg == 0x04][-1] == 1  # a short cue: the strong click
