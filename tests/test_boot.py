"""boot.py and main.py on a board, under CPython with a fake `machine`: after a soft reset
a timer feeds the watchdog the last run left armed (until the loop's first feed takes it
over, tests/test_hal_power.py); a hard boot leaves it off; a start that fails blinks the
fault pattern from a timer and still reaches the REPL with its error. (boot.py's other
job, finishing an interrupted update, runs in MicroPython in tests/test_deploy.py.)"""
from __future__ import annotations

import json
import sys
import types
from pathlib import Path

import pytest

from simulator.device import ROOT

FIRMWARE = ROOT / "firmware"


class Machine(types.ModuleType):
    PWRON_RESET, HARD_RESET, WDT_RESET, DEEPSLEEP_RESET, SOFT_RESET = 1, 2, 3, 4, 5

    def __init__(self, cause: int) -> None:
        super().__init__("machine")
        self.cause = cause
        self.log: list[tuple] = []
        self.callbacks: dict[int, object] = {}
        m = self

        class WDT:
            def __init__(self, timeout: int) -> None:
                m.log.append(("WDT", timeout))

            def feed(self) -> None:
                m.log.append(("feed",))

        class Timer:
            def __init__(self, n: int) -> None:
                self.n = n

            def init(self, period: int, callback) -> None:
                m.log.append(("Timer", self.n, period))
                m.callbacks[self.n] = callback

        class Pin:
            OUT = 1

            def __init__(self, pin: int, mode: int = 0, value: int = 0) -> None:
                self.pin, self.level = pin, value

            def value(self, v=None):
                if v is None:
                    return self.level
                self.level = int(v)
                m.log.append(("pin", self.pin, self.level))

        self.WDT, self.Timer, self.Pin = WDT, Timer, Pin

    def reset_cause(self) -> int:
        return self.cause


@pytest.fixture
def board_dir(tmp_path: Path, monkeypatch, board) -> Path:
    (tmp_path / "board.json").write_text(json.dumps(board))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "platform", "esp32")
    return tmp_path


def _boot(monkeypatch, cause: int) -> Machine:
    machine = Machine(cause)
    monkeypatch.setitem(sys.modules, "machine", machine)
    exec((FIRMWARE / "boot.py").read_text(), {"__name__": "__main__"})
    return machine


def test_after_a_soft_reset_a_timer_feeds_the_watchdog(board_dir, monkeypatch, board) -> None:
    machine = _boot(monkeypatch, Machine.SOFT_RESET)
    assert machine.log == [("WDT", board["wdt_ms"]), ("Timer", 0, 1000)]  # fed every second, 5 s allowed
    machine.callbacks[0](None)
    assert machine.log[-1] == ("feed",)


@pytest.mark.parametrize("cause", [Machine.PWRON_RESET, Machine.HARD_RESET, Machine.WDT_RESET,
                                   Machine.DEEPSLEEP_RESET])
def test_a_hard_boot_leaves_the_watchdog_off(board_dir, monkeypatch, cause) -> None:
    assert _boot(monkeypatch, cause).log == []


def test_boot_goes_on_without_a_board_file(board_dir, monkeypatch, capsys) -> None:
    (board_dir / "board.json").unlink()
    _boot(monkeypatch, Machine.SOFT_RESET)
    assert "boot.py feed_watchdog" in capsys.readouterr().out  # said, and the boot went on


def test_a_failed_start_blinks_the_fault_pattern(board_dir, monkeypatch, board) -> None:
    machine = Machine(Machine.PWRON_RESET)
    monkeypatch.setitem(sys.modules, "machine", machine)
    monkeypatch.syspath_prepend(str(FIRMWARE))
    broken = types.ModuleType("app")

    def main(lut: object = None) -> None:
        raise ValueError("incompatible .mpy file")  # a module the board's MicroPython refuses

    broken.main = main
    monkeypatch.setitem(sys.modules, "app", broken)
    monkeypatch.delitem(sys.modules, "fault", raising=False)
    with pytest.raises(ValueError, match="incompatible"):  # the REPL still says why
        exec((FIRMWARE / "main.py").read_text(), {"__name__": "__main__"})
    led = board["led"]["pin"]
    assert ("Timer", 2, 150) in machine.log
    for _ in range(4):
        machine.callbacks[2](None)
    assert [e[2] for e in machine.log if e[:2] == ("pin", led)] == [0, 1, 0, 1]  # on, then blinking
