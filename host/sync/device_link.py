"""Finding an insole on USB and talking to it through mpremote's Python transport."""
from __future__ import annotations

import base64
import contextlib
import errno
import io
import json
import os
import re
import time
from dataclasses import dataclass
from pathlib import Path

import serial
from mpremote.transport import TransportError
from mpremote.transport_serial import SerialTransport
from serial.tools import list_ports

from firmware.core import record, sessionlog
from host.command import UserError
from host.sync.port_lock import PortBusy, PortLock

# USB VID:PID of the usual ESP32 USB-serial bridges and of Espressif native USB
KNOWN_USB = {
    (0x10C4, 0xEA60): "Silicon Labs CP210x",
    (0x1A86, 0x7523): "WCH CH340",
    (0x1A86, 0x55D4): "WCH CH9102",
    (0x0403, 0x6001): "FTDI FT232R",
    (0x0403, 0x6015): "FTDI FT231X",
    (0x303A, 0x1001): "Espressif USB JTAG/serial",
    (0x303A, 0x4001): "Espressif native USB (MicroPython)",
}
BAUD = 115200
PORT_RESET_MS = 10_000  # a power-on this recent when a pull opens the port: the opening reset the board
UPDATE_HOST = "update archcue (pip install -U / git pull, then make setup)"


class LinkError(UserError):
    pass


class InsoleError(LinkError):
    """The insole ran the call and raised: its traceback's last line is in the message."""


class LinkLost(LinkError):
    """The insole stopped answering mid-conversation: unplugged, reset or hung."""


def link_lost(port: str, e: BaseException) -> LinkLost:
    """One line for a link that broke, in words, not the serial library's: an OS error on the port
    (pyserial's SerialException is one) is the cable or the port gone; anything else (mpremote's
    timeouts) an insole that went quiet."""
    why = "the insole was unplugged (or its USB port failed)" if isinstance(e, OSError) else \
        "the insole stopped answering"
    return LinkLost(f"{port}: link lost: {why}")


def find_port(port: str | None) -> str:
    """The port to use: the one given, or the single ESP32-looking USB device plugged in."""
    if port:
        path = os.path.realpath(port)
        if not Path(path).exists():
            raise LinkError(f"{port}: no such port; {_ports_found()}")
        if not os.access(path, os.R_OK | os.W_OK):
            raise LinkError(f"{port}: permission denied; {_PERMISSION_HINT}")
        return path
    found = [(p.device, KNOWN_USB[(p.vid, p.pid)]) for p in list_ports.comports()
             if (p.vid, p.pid) in KNOWN_USB]
    if not found:
        raise LinkError("no insole found on USB (looked for ESP32 USB bridges: "
                        f"{', '.join(sorted(set(KNOWN_USB.values())))}); plug it in or pass --port")
    if len(found) > 1:
        listing = ", ".join(f"{dev} ({what})" for dev, what in found)
        raise LinkError(f"several possible insoles: {listing}; choose one with --port")
    return found[0][0]


_PERMISSION_HINT = ("on Linux, add yourself to the group that owns the port (usually dialout: "
                    "`sudo usermod -aG dialout $USER`, then log in again)")


def _ports_found() -> str:
    ports = sorted(p.device for p in list_ports.comports())
    return f"ports found: {', '.join(ports)}" if ports else "no serial ports found"


def open_serial(port: str) -> serial.Serial:
    """The port as a plain serial line (archcue live: no REPL, the run goes on). Opened
    exclusive (flock on the device, as mpremote does) and without resetting the board."""
    try:
        line = serial.serial_for_url(port, do_not_open=True, baudrate=BAUD, timeout=0.2, write_timeout=2,
                                     exclusive=True)
        open_quietly(line)
        return line
    except serial.SerialException as e:
        raise _cannot_open(port, e) from None


def open_quietly(line: serial.Serial, windows: bool = os.name == "nt") -> None:
    """Open without pulling the classic board's auto-reset: its EN goes low while RTS is
    asserted and DTR is not, so that state never occurs (mpremote's transport_serial.py).
    Linux and macOS raise DTR and RTS together on open, and pyserial then sets DTR before
    RTS, both kept high; Windows drivers (CP210x) may raise them at different times: both
    low through the open, then DTR before RTS."""
    line.dtr = not windows  # applied by open(), DTR first
    line.rts = not windows
    line.open()
    if windows:
        line.dtr = True
        line.rts = True


def close_quietly(line: serial.Serial) -> None:
    """Close as mpremote does: RTS low before DTR (never DTR low with RTS high), then close."""
    try:
        line.rts = False
        line.dtr = False
    except OSError as e:
        if e.errno not in (errno.EINVAL, errno.ENOTTY):  # a pty (the virtual insole) has no modem lines
            raise
    line.close()


def _cannot_open(port: str, e: Exception) -> UserError:
    """Why a port did not open, in the coach's words: a permission to get, or another program
    (mpremote, a serial terminal: pyserial's exclusive flock) holding it."""
    if "exclusively lock" in str(e):
        return PortBusy(f"{port} is busy: another program (mpremote, a serial terminal?) holds it; close it first")
    hint = f"; {_PERMISSION_HINT}" if "ermission" in str(e) else ""
    return LinkError(f"{port}: cannot open ({e}){hint}")


_RUN_ENDED = re.compile(r"run ended \(interrupted\): (\d+) steps\b.*?session (\S+?);")  # firmware/app.py's log


@dataclass(frozen=True)
class Firmware:
    """What sync.version() said (firmware/sync.py); version None: firmware from before it."""
    version: str | None = None
    reset_cause: str | None = None
    uptime_ms: int | None = None

    @property
    def reset_by_port(self) -> bool:
        """Started from power-on moments before the pull: the port's DTR/RTS reset it."""
        return self.reset_cause == "power-on" and (self.uptime_ms or 0) < PORT_RESET_MS


def check_versions(answer: dict) -> Firmware:
    """The handshake's answer, refused (one line, nothing copied) when the insole writes a
    session format or step record this archcue cannot read."""
    fmt, rec = answer.get("format"), answer.get("record")
    if type(fmt) is not int or not 1 <= fmt <= sessionlog.FORMAT_VERSION:
        raise LinkError(f"the insole writes session format {fmt}; this archcue reads up to "
                        f"{sessionlog.FORMAT_VERSION}: {UPDATE_HOST}")
    if type(rec) is not int or not 1 <= rec <= record.RECORD_VERSION:
        raise LinkError(f"the insole writes step record version {rec}; this archcue reads up to "
                        f"{record.RECORD_VERSION}: {UPDATE_HOST}")
    uptime = answer.get("uptime_ms")
    return Firmware(str(answer.get("firmware")), str(answer.get("reset_cause")),
                    uptime if type(uptime) is int else None)


# a firmware end of pull: sync.restart() (a hard reset), or machine.reset() where sync has none
_RESTART = ("import sync\nif hasattr(sync, 'restart'):\n sync.restart()\n"
            "import machine\nmachine.reset()\n")


class Insole:
    """An archcue insole in the raw REPL, its firmware loop stopped (Ctrl-C seals the run)."""

    def __init__(self, port: str, command: str = "archcue pull"):
        self.port = port
        self.stopped_run: tuple[str, int] | None = None  # (session, steps) of the run this link stopped
        self.lock = PortLock(port, command)  # before the port opens: a live view on it is left alone
        try:
            self._open()
        except BaseException:
            self.lock.release()
            raise

    def _open(self) -> None:
        try:
            self.t = SerialTransport(self.port, baudrate=BAUD, timeout=2)  # a silent port must not hang us
        except TransportError as e:
            raise _cannot_open(self.port, e) from None
        self._enter_raw_repl()
        try:
            self.firmware = self._handshake()
            self.info = self.call_json("info()")
        except LinkError as e:
            if not isinstance(e, LinkLost):
                self.restart()  # refused: the insole goes back to recording, nothing copied
            self.close()
            raise

    def _handshake(self) -> Firmware:
        try:
            answer = self.call_json("version()")
        except InsoleError as e:
            if "ImportError" in str(e):
                raise LinkError(f"{self.port}: a MicroPython board, but not running archcue firmware "
                                "(no sync module); deploy it with `make deploy PORT=...`") from None
            if "AttributeError" in str(e) or "NameError" in str(e):
                return Firmware()  # before the handshake: it writes format 1
            raise
        if not isinstance(answer, dict):
            raise LinkError(f"{self.port}: unexpected answer to version(): {answer!r:.200}")
        try:
            return check_versions(answer)
        except LinkError as e:
            raise LinkError(f"{self.port}: {e}") from None

    def _interrupt(self) -> None:
        """Ctrl-C, and read what the firmware says as it stops up to the REPL prompt: a run
        in progress logs "run ended (interrupted): N steps, ... session ID;" as it seals.
        An insole already at its REPL answers nothing more and costs the idle timeout."""
        try:
            self.t.serial.write(b"\r\x03")
            said = self.t.read_until(1, b">>> ", timeout=2).decode(errors="replace")
        except (TransportError, OSError):
            return  # the raw REPL's own attempts below say what is wrong
        found = _RUN_ENDED.search(said)
        if found:
            self.stopped_run = (found.group(2), int(found.group(1)))

    def _enter_raw_repl(self, attempts: int = 3) -> None:
        """Interrupt the firmware and enter the raw REPL. A board still booting (or a run
        ending at that moment) can miss the first Ctrl-C / Ctrl-A: try again."""
        self._interrupt()
        for _ in range(attempts):
            try:
                with contextlib.redirect_stdout(io.StringIO()):  # mpremote prints what it got
                    self.t.enter_raw_repl(soft_reset=False, timeout_overall=3)
                return
            except (TransportError, OSError) as e:
                error = e
                time.sleep(0.3)
        self.t.close()
        raise LinkError(f"{self.port}: no MicroPython REPL answered; is this an archcue insole? ({error})")

    def call(self, expr: str, timeout: float = 30) -> bytes:
        try:
            out, err = self.t.exec_raw(f"import sync\nsync.{expr}", timeout=timeout)
        except (TransportError, OSError) as e:
            raise link_lost(self.port, e) from None
        if err:
            raise InsoleError(f"{self.port}: the insole reported an error: {err.decode(errors='replace').strip()}")
        return out

    def call_json(self, expr: str) -> object:
        out = self.call(expr)
        try:
            return json.loads(out)
        except json.JSONDecodeError:
            raise LinkError(f"{self.port}: unexpected answer to {expr}: {out[:200]!r}") from None

    def call_lines(self, expr: str) -> list:
        """An answer streamed as one JSON value per line."""
        out = self.call(expr)
        try:
            return [json.loads(line) for line in out.splitlines() if line.strip()]
        except json.JSONDecodeError:
            raise LinkError(f"{self.port}: unexpected answer to {expr}: {out[:200]!r}") from None

    def read(self, sid: str, offset: int, n: int) -> bytes:
        out = self.call(f"read({sid!r}, {offset}, {n})")
        try:
            return base64.b64decode(out, validate=False)
        except ValueError:
            raise LinkError(f"{self.port}: garbled data for {sid} at {offset}") from None

    def restart(self) -> None:
        """A hard reset, not waited for (the board is gone at once): the firmware boots afresh
        and records. Not the soft reset (Ctrl-D), which left the watchdog armed with only
        boot.py's timer feeding it (issue 26)."""
        try:
            self.t.exec_raw_no_follow(_RESTART)
        except (OSError, TransportError):
            pass

    def close(self) -> None:
        try:
            self.t.close()  # mpremote's: RTS low, then DTR, then close (close_quietly)
        except (OSError, TransportError):
            pass
        self.lock.release()
