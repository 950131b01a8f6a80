"""The board HAL (hal/esp32.py) around the chip, under CPython on fake `machine`, `esp32`
and `time` modules (tests/test_smallint.py's, with the board's pins scripted here):
loads read right whatever the chip's ADC reference, light sleep between runs, the
battery's low cue and the clean seal before a brown-out, deep sleep on an empty cell, the
watchdog handed from boot.py's timer to the loop, the clock the rate allows."""
from __future__ import annotations

from array import array

import numpy as np
import pytest

from firmware.core import fsr
from simulator.scenario import load_scenario
from simulator.synth import generate
from tests import chip
from tests.test_smallint import Clock, fake_machine, load_firmware

RATE = 200


class Slept(BaseException):
    """machine.deepsleep() never returns."""


class Hardware:
    """What the board's pins see: a load on every FSR, the cell, USB power, the button; and
    what the HAL did: pin writes and ADC reads (clock us), light and deep sleeps, timers."""

    def __init__(self, board: dict, clock: Clock, vref_mv: float = 1100) -> None:
        self.board, self.clock, self.vref = board, clock, vref_mv
        self.chip = {"adc": board["adc"]}  # the chip's curves (the HAL drops the bounds from its board)
        self.newtons = 0.0
        self.cell_mv = 3900
        self.usb = 1
        self.button = 1  # up (active low)
        self.events: list[tuple[int, str, int]] = []
        self.sleeps: list[int] = []
        self.timers: list[tuple[int, str]] = []
        self.frames: np.ndarray | None = None  # counts per frame, read in turn (channel 0 advances)
        self.frame = -1
        self.noise = np.random.default_rng(int(vref_mv))  # the battery pin: 6 counts rms a read

    def machine(self):
        hw = self
        fsr_pins = [ch["pin"] for ch in self.board["channels"]]
        m = fake_machine(None, fsr_pins)
        usb, btn = self.board["usb_sense"]["pin"], self.board["button"]["pin"]

        class Pin(m.Pin):
            def value(self, v=None):
                if v is None:
                    return hw.usb if self.pin == usb else hw.button if self.pin == btn else 0
                hw.events.append((hw.clock.us, f"pin{self.pin}", v))

        class ADC(m.ADC):
            def __init__(self, pin, atten=0):
                self.pin = pin.pin

            def read_u16(self):
                return hw.raw(self.pin) << 4

            def read_uv(self):
                return chip.uv(hw.chip, hw.unit(self.pin), hw.vref, hw.raw(self.pin))

        class Timer:
            def __init__(self, n):
                self.n = n

            def init(self, **kw):
                hw.timers.append((self.n, "init"))

            def deinit(self):
                hw.timers.append((self.n, "deinit"))

        def lightsleep(ms):
            hw.sleeps.append(ms)
            hw.clock.us += ms * 1000

        def deepsleep(ms=0):
            raise Slept

        m.Pin, m.ADC, m.Timer, m.lightsleep, m.deepsleep = Pin, ADC, Timer, lightsleep, deepsleep
        return m

    def unit(self, pin: int) -> int:
        return self.board["battery"]["adc_unit"] if pin == self.board["battery"]["pin"] else 1

    def raw(self, pin: int) -> int:
        if pin == self.board["battery"]["pin"]:
            volts = self.cell_mv / 1000 / self.board["battery"]["divider_ratio"]
            noise = round(self.noise.normal(0, self.board["adc"]["noise_counts_rms"]))
            return chip.raw(self.chip, self.unit(pin), self.vref, volts) + noise
        i = [ch["pin"] for ch in self.board["channels"]].index(pin)
        self.events.append((self.clock.us, "adc", i))
        if self.frames is not None:
            if i == 0:
                self.frame += 1
                if self.frame >= len(self.frames):
                    raise KeyboardInterrupt  # the data ended: the app's Ctrl-C path seals the session
            return int(self.frames[self.frame, i])
        return chip.raw(self.chip, 1, self.vref, fsr.force_to_volts(self.newtons, self.board))


def _board_hal(monkeypatch, board: dict, **hw_kw):
    board = {**board, "adc": {**board["adc"]}}  # the HAL puts this chip's curve in its copy
    clock = Clock()
    hw = Hardware(board, clock)
    for k, v in hw_kw.items():
        setattr(hw, k, v)
    fw = load_firmware(monkeypatch, clock, hw.machine())
    return fw, hw, board


@pytest.mark.parametrize("vref", [1000, 1050, 1100, 1150, 1200])
def test_100_n_reads_within_10_percent_on_every_chip(monkeypatch, board, vref) -> None:
    """Espressif's documented spread of the ADC reference (eFuse Vref 1000-1200 mV): the
    HAL places its chip from read_u16()/read_uv() pairs on the battery pin at boot and the
    lookup table is built on that chip's curve. Read through the nominal curve instead,
    100 N would read 69-132 N (the second half of the test)."""
    clock = Clock()
    data = {**board, "adc": {**board["adc"]}}
    hw = Hardware(data, clock, vref_mv=vref)  # its reads noisy, as a chip's are
    fw = load_firmware(monkeypatch, clock, hw.machine())
    hal = fw["hal.esp32"].Board(data, RATE)
    assert hal.vref_mv == pytest.approx(vref, abs=3)
    lut = fsr.build_lut(data)  # as the app builds it, after the HAL
    nominal = fsr.build_lut(board)
    for newtons in (20, 50, 100, 150):
        hw.newtons = newtons
        counts = hw.raw(data["channels"][0]["pin"])
        assert lut[counts] / 10 == pytest.approx(newtons, rel=0.02)
        if newtons == 100:
            assert lut[counts] / 10 == pytest.approx(100, rel=0.10)
            off = abs(nominal[counts] / 10 - 100)
            assert off < 2 if vref == 1100 else off > 9  # uncalibrated: the spread shows


def test_stopped_on_the_cell_it_light_sleeps(monkeypatch, board) -> None:
    fw, hw, data = _board_hal(monkeypatch, board, usb=0)
    hal = fw["hal.esp32"].Board(data, RATE)
    frame = array("H", [0] * 6)
    ms = hal.ms
    hw.events.clear()
    hal.idle(frame)
    assert hw.sleeps == [data["sleep"]["wake_ms"]]  # woken by the button, USB power or the time
    assert hal.ms - ms == pytest.approx(data["sleep"]["wake_ms"], abs=2)  # the sample clock counts the sleep
    assert [e[1:] for e in hw.events] == [(f"pin{data['led']['pin']}", 0)]  # the LED off, nothing sampled
    esp32_wakes = __import__("sys").modules["esp32"].wakes
    assert ("ext0", hal.button, False) in esp32_wakes  # the button (pressed: low)
    assert ("ext1", (hal.usb_pin,), True) in esp32_wakes  # USB power
    hw.button = 0  # held: no sleep until it is released (its level would wake the chip at once)
    hal.idle(frame)
    hw.button, hw.usb = 1, 1  # a cable in: no sleep, so a host's Ctrl-C reaches the REPL
    hal.idle(frame)
    assert hw.sleeps == [data["sleep"]["wake_ms"]]


def test_the_app_idles_through_the_hal(monkeypatch, board) -> None:
    """app._wait_for_start: every tick of the wait is hal.idle(), then the watchdog."""
    fw, hw, data = _board_hal(monkeypatch, board, usb=0)
    hal = fw["hal.esp32"].Board(data, RATE)
    presses = iter([False] * 3 + [True] * 2)  # released, pressed, released: the next run starts
    monkeypatch.setattr(hal, "button_pressed", lambda: next(presses, False))
    feeds = []
    monkeypatch.setattr(hal, "wdt_feed", lambda: feeds.append(len(hw.sleeps)))
    assert fw["app"]._wait_for_start(hal)
    assert len(hw.sleeps) >= 2 and feeds == sorted(feeds) and feeds[-1] == len(hw.sleeps)


def test_a_low_cell_buzzes_once_and_an_empty_one_ends_the_run(monkeypatch, board) -> None:
    fw, hw, data = _board_hal(monkeypatch, board, usb=0)
    hal = fw["hal.esp32"].Board(data, RATE)
    played = []
    monkeypatch.setattr(hal, "pattern", played.append)
    minute = 60_000_000

    def at(cell_mv: int) -> bool:
        hw.cell_mv = cell_mv
        hw.clock.us += minute
        return hal.power_check()

    assert not hal.power_check()  # 3.9 V
    assert not at(3450) and played == ["battery_low"]
    assert not at(3420) and played == ["battery_low"]  # once
    assert not hal.power_check()  # not read again within the minute
    assert not at(3300)  # one reading under empty_mv: not yet
    assert at(3300)  # two in a row: the app ends the run now
    hw.usb = 1
    assert not at(3300)  # on USB power the cell charges: nothing is empty


def test_no_reading_while_the_motor_runs(monkeypatch, board) -> None:
    fw, hw, data = _board_hal(monkeypatch, board, cell_mv=3300)
    hal = fw["hal.esp32"].Board(data, RATE)  # booted on USB power
    hw.usb = 0
    hal.haptic(150)  # the motor's current sags the cell
    for _ in range(3):
        hw.clock.us += 60_000_000
        assert not hal.power_check() and hal.empty_reads == 0


def test_an_empty_cell_seals_the_run_then_deep_sleeps(monkeypatch, board, tmp_path) -> None:
    """The app's run loop on the board HAL: the cell falls through the low and the empty
    level; the run ends with reason "battery", its session sealed, then deep sleep."""
    counts = generate(load_scenario("rearfoot_easy"), seed=1, rate_hz=RATE, seconds=400).counts
    fw, hw, data = _board_hal(monkeypatch, board, usb=0, frames=counts)
    cfg, _ = fw["core.config"].validate({"rate_hz": RATE, "cue_mode": "every"})
    hal = fw["hal.esp32"].Board(data, RATE)
    played = []
    real_pattern = hal.pattern
    monkeypatch.setattr(hal, "pattern", lambda name: (played.append(name), real_pattern(name)))
    levels = iter([3900, 3450, 3320, 3310])
    real_mv = hal.battery_mv
    monkeypatch.setattr(hal, "battery_mv", lambda: (setattr(hw, "cell_mv", next(levels, 3300)), real_mv())[1])
    sessionlog = fw["core.sessionlog"]
    monkeypatch.setattr(sessionlog, "free_bytes", lambda root: 1_800_000)
    session = sessionlog.SessionLog(str(tmp_path), "aabbcc", {"rate_hz": RATE}, flush_ms=60000, log=lambda m: None)
    lut = fsr.build_lut(data)
    assert fw["app"].run(hal, cfg, lut, session) == "battery"
    assert played == ["battery_low"]
    path = sessionlog.path(str(tmp_path), session.sid)
    assert sessionlog.is_sealed(path) and sessionlog.scan_path(path)[2] > 100  # every step kept, sealed
    with pytest.raises(Slept):
        hal.close()


def test_a_pull_at_the_repl_does_not_deep_sleep(monkeypatch, board) -> None:
    fw, hw, data = _board_hal(monkeypatch, board)
    hal = fw["hal.esp32"].Board(data, RATE)
    hal.wdt_feed()
    hal.close()  # Ctrl-C: the loop stopped on purpose, the watchdog kept fed at the REPL
    assert hw.timers[-1] == (0, "init")


def test_an_empty_cell_at_boot_goes_back_to_sleep(monkeypatch, board) -> None:
    fw, hw, data = _board_hal(monkeypatch, board, usb=0, cell_mv=3200)
    with pytest.raises(Slept):
        fw["hal.esp32"].Board(data, RATE)
    led = f"pin{data['led']['pin']}"
    assert [v for _, what, v in hw.events if what == led] == [1, 0, 1, 0, 1, 0]  # three blinks
    hw.usb = 1  # charging: it boots
    fw["hal.esp32"].Board(dict(data, adc=hw.chip["adc"]), RATE)


def test_the_loops_first_feed_takes_the_watchdog_from_boot_py(monkeypatch, board) -> None:
    fw, hw, data = _board_hal(monkeypatch, board)
    hal = fw["hal.esp32"].Board(data, RATE)
    hal.wdt_feed()
    hal.wdt_feed()
    assert hw.timers == [(0, "deinit")]  # boot.py's feeder stopped once: a hung loop is not hidden


@pytest.mark.parametrize("rate, mhz", [(200, 160), (500, 160), (1000, 240)])
def test_the_clock_is_the_lowest_the_rate_allows(monkeypatch, board, rate, mhz) -> None:
    fw, hw, data = _board_hal(monkeypatch, board)
    set_to = []
    __import__("sys").modules["machine"].freq = set_to.append
    fw["hal.esp32"].Board(data, rate)
    assert set_to == [mhz * 1_000_000]
