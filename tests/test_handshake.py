"""The pull's handshake with the insole (sync.version(), issue 26): a newer format refused in
one line with nothing copied, firmware from before the handshake noted, the reset cause and the
battery in the summary, the hard restart that ends a pull, the port's modem lines that never
reset a classic board, and `archcue --version`."""
from __future__ import annotations

import json
import re
import sys
import types
from pathlib import Path

import pytest

from firmware.core import record, sessionlog
from host.cli import main as archcue
from host.sync import device_link
from host.sync.device_link import SerialTransport, close_quietly, open_quietly

ROOT = Path(__file__).resolve().parents[1]
VERSION = {"firmware": "0.2.0", "format": sessionlog.FORMAT_VERSION, "record": record.RECORD_VERSION,
           "reset_cause": "hard", "uptime_ms": 60_000}
INFO = {"device": "insole", "board": "esp32_devkitc", "config": {}, "config_errors": [], "free_bytes": 10**6,
        "battery_mv": 3910, "usb_power": True, "flash_full": None}


class FakeInsole:
    """mpremote's SerialTransport as an insole at its raw REPL with no session on it:
    `answers` maps a sync call's name to (stdout, stderr)."""

    calls: list[str]
    answers: dict[str, tuple[bytes, bytes]]

    def __init__(self, port: str, baudrate: int, timeout: float):
        self.serial = types.SimpleNamespace(write=lambda data: None)

    def read_until(self, *args: object, **kw: object) -> bytes:
        return b">>> "

    def enter_raw_repl(self, **kw: object) -> None:
        pass

    def exec_raw(self, command: str, timeout: float) -> tuple[bytes, bytes]:
        call = command.removeprefix("import sync\nsync.")
        self.calls.append(call)
        return self.answers.get(call.split("(")[0], (b"", b""))

    def exec_raw_no_follow(self, command: str) -> None:
        self.calls.append(command)

    def close(self) -> None:
        self.calls.append("close")


def _fake(monkeypatch: pytest.MonkeyPatch, version: tuple[bytes, bytes]) -> list[str]:
    calls: list[str] = []
    FakeInsole.calls = calls
    FakeInsole.answers = {"version": version, "info": (json.dumps(INFO).encode(), b"")}
    monkeypatch.setattr(device_link, "SerialTransport", FakeInsole)
    return calls


def _pull(tmp_path: Path) -> int:
    port = tmp_path / "ttyFAKE"
    port.touch()
    return archcue(["--store", str(tmp_path / "s.sqlite"), "pull", "--port", str(port)])


def _answer(**changes: object) -> tuple[bytes, bytes]:
    return json.dumps({**VERSION, **changes}).encode(), b""


@pytest.mark.parametrize(("changes", "said"), [
    ({"format": sessionlog.FORMAT_VERSION + 1},
     f"the insole writes session format {sessionlog.FORMAT_VERSION + 1}; this archcue reads up to "
     f"{sessionlog.FORMAT_VERSION}: update archcue (pip install -U / git pull, then make setup)"),
    ({"record": record.RECORD_VERSION + 1},
     f"the insole writes step record version {record.RECORD_VERSION + 1}; this archcue reads up to "
     f"{record.RECORD_VERSION}: update archcue"),
])
def test_a_newer_insole_is_refused_in_one_line_and_nothing_is_copied(
        changes: dict, said: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    calls = _fake(monkeypatch, _answer(**changes))
    assert _pull(tmp_path) == 1
    err = capsys.readouterr().err
    errors = [line for line in err.splitlines() if line.startswith("archcue:")]
    assert len(errors) == 1 and said in errors[0]
    # only the handshake, then the insole is sent back to recording: no listing, read or delete
    assert calls[0].startswith("version(") and calls[1] == device_link._RESTART and calls[2:] == ["close"]


def test_firmware_without_the_handshake_is_noted_once_and_pulled(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    calls = _fake(monkeypatch, (b"", b"Traceback (most recent call last):\r\n  File \"<stdin>\", line 2, in "
                                b"<module>\r\nAttributeError: 'module' object has no attribute 'version'\r\n"))
    assert _pull(tmp_path) == 0
    out = capsys.readouterr().out
    assert out.count("predates the version handshake") == 1 and "make deploy" in out
    assert "sessions()" in calls and calls[-2:] == [device_link._RESTART, "close"]


def test_a_board_without_archcue_firmware_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    _fake(monkeypatch, (b"", b"Traceback (most recent call last):\r\nImportError: no module named 'sync'\r\n"))
    assert _pull(tmp_path) == 1
    assert "not running archcue firmware" in capsys.readouterr().err


@pytest.mark.parametrize(("cause", "uptime_ms", "said"), [
    ("power-on", 3_000, "the insole restarted when the port opened (its run was cut; the steps before are in "
                        "the session)"),
    ("watchdog", 3_000, "the insole was reset by its watchdog"),
    ("power-on", 600_000, None),  # switched on ten minutes ago: nothing to report
    ("hard", 2_000, None),  # the last pull's restart
])
def test_the_summary_reports_the_reset_cause_and_the_battery(
        cause: str, uptime_ms: int, said: str | None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    _fake(monkeypatch, _answer(reset_cause=cause, uptime_ms=uptime_ms))
    assert _pull(tmp_path) == 0
    out = capsys.readouterr().out
    assert "battery 3.91 V" in out
    assert ("restarted" in out or "watchdog" in out) == (said is not None)
    assert said is None or said in out


def test_the_restart_falls_back_to_machine_reset(monkeypatch: pytest.MonkeyPatch) -> None:
    """What the pull sends at its end, run against a sync module with restart() and one without."""
    done: list[str] = []
    machine = types.SimpleNamespace(reset=lambda: done.append("machine.reset"))
    monkeypatch.setitem(sys.modules, "machine", machine)

    class Reset(Exception):
        pass

    def restart() -> None:
        done.append("sync.restart")
        raise Reset  # a hard reset: nothing after it runs

    monkeypatch.setitem(sys.modules, "sync", types.SimpleNamespace(restart=restart))
    with pytest.raises(Reset):
        exec(device_link._RESTART, {})
    monkeypatch.setitem(sys.modules, "sync", types.SimpleNamespace())  # firmware 0.1: no sync.restart
    exec(device_link._RESTART, {})
    assert done == ["sync.restart", "machine.reset"]


class LineLog:
    """A serial port that records its modem lines, with the classic ESP32 board's auto-reset
    circuit behind them: EN is pulled low (a reset) while RTS is asserted and DTR is not.
    open() behaves as pyserial on Linux (the kernel raises both, then DTR, then RTS are set
    as asked) or on Windows (both set together)."""

    windows = False

    def __init__(self, *args: object, **kw: object):
        self.events: list[tuple[str, object]] = []
        self.is_open = False
        self._dtr = self._rts = True
        self.live = (False, False)  # (DTR, RTS) on the wire

    def _wire(self, dtr: bool, rts: bool) -> None:
        self.live = (dtr, rts)
        self.events.append(("lines", self.live))

    @property
    def dtr(self) -> bool:
        return self._dtr

    @dtr.setter
    def dtr(self, value: bool) -> None:
        self._dtr = value
        if self.is_open:
            self._wire(value, self.live[1])

    @property
    def rts(self) -> bool:
        return self._rts

    @rts.setter
    def rts(self, value: bool) -> None:
        self._rts = value
        if self.is_open:
            self._wire(self.live[0], value)

    def isOpen(self) -> bool:  # noqa: N802 (pyserial's name, used by mpremote)
        return self.is_open

    def open(self) -> None:
        self.is_open = True
        if self.windows:
            self._wire(self._dtr, self._rts)
        else:
            self._wire(True, True)
            self._wire(self._dtr, self.live[1])
            self._wire(self.live[0], self._rts)

    def close(self) -> None:
        self.is_open = False
        self.events.append(("close", None))

    @property
    def resets(self) -> int:
        return sum(1 for what, lines in self.events if what == "lines" and lines == (False, True))


@pytest.mark.parametrize("windows", [False, True])
def test_the_port_opens_and_closes_without_resetting_the_board(windows: bool) -> None:
    line = LineLog()
    line.windows = windows
    open_quietly(line, windows=windows)  # type: ignore[arg-type]
    assert line.is_open and line.live == (True, True) and line.resets == 0
    close_quietly(line)  # type: ignore[arg-type]
    assert line.events[-3:] == [("lines", (True, False)), ("lines", (False, False)), ("close", None)]
    assert line.resets == 0


def test_live_and_pull_open_the_port_that_way(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """archcue live's open_serial and the pull's transport (mpremote's) both go through
    serial_for_url: neither makes the reset state on open or close."""
    made: list[LineLog] = []

    def serial_for_url(*args: object, **kw: object) -> LineLog:
        made.append(LineLog())
        return made[-1]

    monkeypatch.setattr(device_link.serial, "serial_for_url", serial_for_url)
    close_quietly(device_link.open_serial(str(tmp_path / "tty")))  # type: ignore[arg-type]
    SerialTransport(str(tmp_path / "tty"), baudrate=device_link.BAUD, timeout=2).close()
    for line in made:
        assert line.events[-1] == ("close", None) and line.resets == 0
        assert line.events[-3:-1] == [("lines", (True, False)), ("lines", (False, False))]


def test_version_says_the_release_and_the_formats_it_reads(capsys: pytest.CaptureFixture[str]) -> None:
    release = re.search(r'^version = "(.+)"$', (ROOT / "pyproject.toml").read_text(), re.M).group(1)  # type: ignore[union-attr]
    with pytest.raises(SystemExit) as done:
        archcue(["--version"])
    assert done.value.code == 0
    assert capsys.readouterr().out == (f"archcue {release} (reads session format up to {sessionlog.FORMAT_VERSION}, "
                                       f"step records up to version {record.RECORD_VERSION})\n")
