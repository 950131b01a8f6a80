"""Every integer of the per-frame path stays an ESP32 small int (|x| < 2**30) for a day.

The unix port's small ints are 62-bit, so the heap_lock test cannot see an ESP32 int
turning into a heap object. Here the real board HAL (hal/esp32.py), the app loop and
core run under CPython on fake `machine` and `time` modules: the clock wraps as the
ESP32's ticks do (every 2**30 us), every int stored on a firmware object or in its lists
becomes a SmallInt whose arithmetic raises past 2**30, and the clock is fast-forwarded
through 24 hours at 1 kHz (jumps of 500 s, below ticks_diff's 2**29 us reach, each seen
by the sampler as missed frames, with real running between them)."""
from __future__ import annotations

import importlib
import inspect
import sys
import types
from array import array
from collections import deque
from pathlib import Path

import numpy as np
import pytest

from hardware.board_data import load_board
from simulator.scenario import load_scenario
from simulator.synth import generate
from tests import chip

FIRMWARE = Path(__file__).resolve().parents[1] / "firmware"
_BOARD = load_board()
STEADY_RAW = chip.raw(_BOARD, 2, 1100, 1.95)  # the battery pin's count on a nominal chip
LIMIT = 1 << 30  # MicroPython's small ints on a 32-bit port: -2**30 .. 2**30 - 1
TICKS = 1 << 30  # the ESP32 port's ticks_us / ticks_ms period
RATE = 1000
DAY_S = 24 * 3600
JUMP_US = 500_000_000
LEAD_FRAMES = 3000  # running before the first jump: the session is made (its clock no longer restarts)
FRAMES_PER_CHUNK = 150  # real frames between jumps
FINAL_FRAMES = 6000  # uninterrupted running at the end of the day


class SmallIntOverflow(AssertionError):
    pass


class SmallInt(int):
    def __new__(cls, value: int) -> SmallInt:
        if not -LIMIT <= value < LIMIT:
            raise SmallIntOverflow(f"{value} is not an ESP32 small int")
        return int.__new__(cls, value)


def _checked(name: str):
    op = getattr(int, name)

    def method(self, *args):
        result = op(self, *args)
        return SmallInt(result) if type(result) is int else result
    return method


for _name in ("add", "radd", "sub", "rsub", "mul", "rmul", "floordiv", "rfloordiv", "mod", "rmod",
              "lshift", "rlshift", "rshift", "rrshift", "and", "rand", "or", "ror", "xor", "rxor",
              "neg", "pos", "abs", "invert", "pow", "rpow"):
    setattr(SmallInt, f"__{_name}__", _checked(f"__{_name}__"))


def _wrap(value: object) -> object:
    if type(value) is int:
        return SmallInt(value)
    if type(value) is list or (type(value) is array and value.typecode == "i"):
        return CheckedList(value)  # a 32-bit array would only catch 2**31 (viper's machine words index it)
    return value


class CheckedList(list):
    def __init__(self, values: list) -> None:
        super().__init__(_wrap(v) for v in values)

    def __setitem__(self, i, value) -> None:
        super().__setitem__(i, _wrap(value))


def _checked_setattr(self, name: str, value: object) -> None:
    object.__setattr__(self, name, _wrap(value))


class Clock(types.ModuleType):
    """`time` of an ESP32: ticks wrap at 2**30; each ticks_us() call costs 37 us of CPU."""

    def __init__(self) -> None:
        super().__init__("time")
        self.us = 0

    def ticks_us(self) -> SmallInt:
        self.us += 37
        return SmallInt(self.us % TICKS)

    def ticks_ms(self) -> SmallInt:
        return SmallInt(self.us // 1000 % TICKS)

    def ticks_add(self, t: int, delta: int) -> SmallInt:
        return SmallInt((int(t) + int(delta)) % TICKS)

    def ticks_diff(self, a: int, b: int) -> SmallInt:
        return SmallInt((int(a) - int(b) + TICKS // 2) % TICKS - TICKS // 2)

    def localtime(self) -> tuple:
        return (2000, 1, 1, 0, 0, 0, 0, 0)

    def sleep_ms(self, ms: int) -> None:
        self.us += ms * 1000


class Feeder:
    """The six ADCs: frames of a synthetic run, the clock jumped between chunks; the data
    ends with a KeyboardInterrupt (the app's Ctrl-C path seals the session)."""

    def __init__(self, counts: np.ndarray, clock: Clock) -> None:
        self.counts = counts
        self.clock = clock
        self.frame = -1
        self.chunks = -(-DAY_S * 1_000_000 // JUMP_US)  # a little over a day
        self.total = LEAD_FRAMES + self.chunks * FRAMES_PER_CHUNK + FINAL_FRAMES
        self.hal = None
        self.checks: list[tuple[int, int]] = []  # (now_ms, true ms since start) at each jump
        self.start_us = 0

    def read(self, channel: int) -> int:
        if channel == 0:
            self.frame += 1
            if self.frame >= self.total:
                raise KeyboardInterrupt
            chunk, k = divmod(self.frame - LEAD_FRAMES, FRAMES_PER_CHUNK)
            if k == 0 and 0 <= chunk < self.chunks:
                self.checks.append((int(self.hal.now_ms()), (self.clock.us - self.start_us) // 1000))
                self.clock.us += JUMP_US - FRAMES_PER_CHUNK * 1000
        return int(self.counts[self.frame % len(self.counts), channel]) << 4


def fake_machine(feeder: Feeder, pins: list[int]) -> types.ModuleType:
    m = types.ModuleType("machine")

    class Pin:
        IN, OUT, PULL_UP, PULL_DOWN = 1, 2, 3, 4

        def __init__(self, pin, *args, **kw):
            self.pin = pin

        def value(self, v=None):
            return 1 if v is None else None

    class ADC:
        """The FSR pins read the feeder; any other pin a steady 1.95 V (the battery's divider)
        through a chip with the nominal 1100 mV reference, so the HAL's boot calibration
        leaves the nominal curve."""
        ATTN_11DB = 3

        def __init__(self, pin, atten=0):
            self.channel = pins.index(pin.pin) if pin.pin in pins else -1

        def read_u16(self):
            return feeder.read(self.channel) if self.channel >= 0 else STEADY_RAW << 4

        def read_uv(self):
            return chip.uv(_BOARD, 2, 1100, STEADY_RAW)

    class Stub:
        def __init__(self, *args, **kw):
            pass

        def __getattr__(self, name):
            return lambda *a, **kw: []

    m.Pin, m.ADC = Pin, ADC
    m.PWM = m.WDT = m.Timer = m.I2C = m.RTC = Stub
    m.freq = lambda hz=None: None
    m.unique_id = lambda: b"\x01\x02\x03\x04\x05\x06"
    m.PWRON_RESET, m.HARD_RESET, m.WDT_RESET, m.DEEPSLEEP_RESET, m.SOFT_RESET = 1, 2, 3, 4, 5
    m.reset_cause = lambda: 1
    return m


def fake_esp32() -> types.ModuleType:
    """`esp32`: the wake sources, recorded."""
    e = types.ModuleType("esp32")
    e.WAKEUP_ALL_LOW, e.WAKEUP_ANY_HIGH = False, True
    e.wakes = []
    e.wake_on_ext0 = lambda pin, level: e.wakes.append(("ext0", pin, level))
    e.wake_on_ext1 = lambda pins, level: e.wakes.append(("ext1", pins, level))
    return e


class HostConsole:
    """The USB console's other end (select.poll and stdin/stdout for the board HAL): it asks
    for the live stream and acknowledges every line, so the stream runs through the day."""

    def __init__(self) -> None:
        self.inbox = deque(b"L")
        self.lines = 0
        self.buffer = self

    def register(self, *args) -> None:
        pass

    def ipoll(self, timeout: int) -> list:
        return [(self, 1)] if self.inbox else []

    def readinto(self, buf: bytearray) -> int:
        buf[0] = self.inbox.popleft()
        return 1

    def write(self, buf: bytes) -> int:
        n = bytes(buf).count(b"\n")
        self.lines += n
        self.inbox.extend(b"+" * n)
        return len(buf)


def load_firmware(monkeypatch: pytest.MonkeyPatch, clock: Clock, machine: types.ModuleType,
                  console: HostConsole | None = None) -> dict:
    """Import the firmware against the fakes; every firmware class stores SmallInts."""
    console = console or HostConsole()
    monkeypatch.syspath_prepend(str(FIRMWARE))
    for name in [n for n in sys.modules if n in ("app", "core", "hal") or n.startswith(("core.", "hal."))]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "machine", machine)
    monkeypatch.setitem(sys.modules, "esp32", fake_esp32())
    monkeypatch.setitem(sys.modules, "time", clock)
    monkeypatch.setitem(sys.modules, "select", types.SimpleNamespace(poll=lambda: console, POLLIN=1))
    mods = {name: importlib.import_module(name) for name in
            ("app", "hal.esp32", "core.pipeline", "core.gait", "core.landing", "core.cue", "core.health", "core.ring",
             "core.sessionlog", "core.fsr", "core.config", "core.live", "core.power")}
    monkeypatch.setattr(mods["hal.esp32"], "sys", types.SimpleNamespace(stdin=console, stdout=console))
    monkeypatch.setitem(sys.modules, "time", importlib.import_module("time"))  # pytest's own clock back
    fake_gc = types.SimpleNamespace(collect=lambda: None, mem_alloc=lambda: 0, mem_free=lambda: 0)
    monkeypatch.setattr(mods["app"], "gc", fake_gc)
    for mod in mods.values():
        for _, cls in inspect.getmembers(mod, inspect.isclass):
            if cls.__module__ == mod.__name__ and not issubclass(cls, BaseException) and cls.__name__ != "Summary":
                monkeypatch.setattr(cls, "__setattr__", _checked_setattr, raising=False)
    return mods


def test_a_day_at_1khz_keeps_every_int_small_and_the_clock_right(monkeypatch, tmp_path, board) -> None:
    counts = generate(load_scenario("rearfoot_easy"), seed=1, rate_hz=RATE, seconds=30).counts
    clock = Clock()
    feeder = Feeder(counts, clock)
    console = HostConsole()
    fw = load_firmware(monkeypatch, clock, fake_machine(feeder, [ch["pin"] for ch in board["channels"]]), console)
    cfg, errors = fw["core.config"].validate({"rate_hz": RATE, "cue_mode": "every"})
    assert not errors
    hal = fw["hal.esp32"].Board(dict(board), RATE)  # its copy takes this chip's ADC curve
    feeder.hal = hal
    feeder.start_us = clock.us
    sessionlog = fw["core.sessionlog"]
    monkeypatch.setattr(sessionlog, "free_bytes", lambda root: 1_800_000)  # a 4 MB board's filesystem
    session = sessionlog.SessionLog(str(tmp_path), "aabbcc", {"rate_hz": RATE}, flush_ms=60000, log=lambda m: None)
    lut = fw["core.fsr"].build_lut(board)

    assert fw["app"].run(hal, cfg, lut, session) == "interrupted"  # the data ended, nothing overflowed

    elapsed_ms = (clock.us - feeder.start_us) // 1000
    assert elapsed_ms > DAY_S * 1000
    for now_ms, true_ms in feeder.checks + [(int(hal.now_ms()), elapsed_ms)]:
        assert abs(now_ms - true_ms) <= 2, (now_ms, true_ms)
    late = []
    sessionlog.scan_path(sessionlog.path(str(tmp_path), session.sid),
                         lambda v: late.append(v[2]) if v[2] > (DAY_S - 10) * 1000 else None)
    assert len(late) > 5  # steps detected and logged at the end of the day
    n_steps = sessionlog.scan_path(sessionlog.path(str(tmp_path), session.sid))[2]
    assert console.lines == 1 + n_steps + 1  # ... and streamed live all day: hello, every step, the end


@pytest.mark.parametrize("table, mhz", [(None, 240), ([[1000, 160]], 160)])
def test_the_board_hal_sets_the_cpu_clock_from_board_data(monkeypatch, board, table, mhz) -> None:
    clock = Clock()
    machine = fake_machine(Feeder(np.zeros((1, 6), dtype=np.uint16), clock), [ch["pin"] for ch in board["channels"]])
    set_to = []
    machine.freq = lambda hz=None: set_to.append(hz)
    fw = load_firmware(monkeypatch, clock, machine)
    data = {**board, "adc": {**board["adc"]}}
    if table is None:
        data.pop("cpu_mhz", None)  # absent: the HAL's default
    else:
        data["cpu_mhz"] = table
    fw["hal.esp32"].Board(data, 200)
    assert set_to == [mhz * 1_000_000]
