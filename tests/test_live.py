"""archcue live, end to end and against the board's consoles.

1. The real board HAL (hal/esp32.py) and the stream (core/live.py) under CPython, against
   models of what an ESP32's console does when its transmit buffer is full (it cannot be
   run here; MicroPython's ESP32 port, read for the models: the UART REPL writes into a
   128-byte FIFO and waits in 10 ms RTOS ticks while it is full, draining at 115200 baud
   whether or not a host reads; native USB CDC (TinyUSB) waits up to 500 ms per chunk
   while a host holds the port open and does not read its 256-byte buffer; poll() reports
   stdout always writable). A host that reads, one that is slow, one that stops: the
   insole never waits. A naive writer in the same models does wait: the models can fail.
2. The virtual insole under tmux: `archcue live` in a pane (send-keys / capture-pane),
   Ctrl-C leaving the run going, a host that stops reading (Ctrl-Z), the view within one
   step of the insole, and the session pulled afterwards complete."""
from __future__ import annotations

import importlib
import io
import os
import re
import select
import shutil
import signal
import subprocess
import sys
import threading
import time
import types
from collections import deque
from collections.abc import Iterator
from pathlib import Path

import pytest
import serial
from rich.console import Console as RichConsole

from firmware.core import config, record, sessionlog
from host import cli
from host.store.db import Store
from host.sync import live as host_live
from host.sync.live import LiveState, minutes, parse, render
from tests.helpers import wait_for

FIRMWARE = Path(__file__).resolve().parents[1] / "firmware"
UART_FIFO, UART_US_PER_BYTE, RTOS_TICK_US = 128, 1e6 * 10 / 115200, 10_000
CDC_BUFFER, CDC_TIMEOUT_US = 256, 500_000


TICKS = 1 << 30  # the ESP32 port's ticks period


class Clock:
    """`time` for the board HAL, in microseconds the test moves; ticks wrap as the board's."""

    def __init__(self) -> None:
        self.us = 0

    def ticks_us(self) -> int:
        return self.us % TICKS

    def ticks_ms(self) -> int:
        return self.us // 1000 % TICKS

    def ticks_add(self, t: int, d: int) -> int:
        return (t + d) % TICKS

    def ticks_diff(self, a: int, b: int) -> int:
        return (a - b + TICKS // 2) % TICKS - TICKS // 2


class Console:
    """The board's stdout/stdin as MicroPython's ESP32 port makes them, over one transport.
    uart: bytes leave the FIFO at the line rate (a bridge drops what no host reads);
    cdc: bytes leave only as the host reads. A write that does not fit waits, as the port's
    does; every wait is recorded."""

    def __init__(self, clock: Clock, kind: str) -> None:
        self.clock, self.kind = clock, kind
        self.queued = 0.0  # bytes in the transmit buffer
        self.at = 0  # when `queued` was last brought up to date
        self.waits: list[int] = []  # us the writer was held, per write that had to wait
        self.unread = b""  # what reached the host and it has not read yet
        self.host_bytes = deque()  # bytes the host sent: "L", "+", ...
        self.buffer = self  # sys.stdout.buffer / sys.stdin.buffer

    def _drain(self) -> None:
        if self.kind == "uart":
            self.queued = max(0.0, self.queued - (self.clock.us - self.at) / UART_US_PER_BYTE)
        self.at = self.clock.us

    def write(self, buf: bytes) -> int:
        self._drain()
        room = UART_FIFO if self.kind == "uart" else CDC_BUFFER
        if self.queued + len(buf) > room:
            if self.kind == "uart":  # the FIFO drains by itself: wait in RTOS ticks until it fits
                need = (self.queued + len(buf) - room) * UART_US_PER_BYTE
                wait = int(-(-need // RTOS_TICK_US) * RTOS_TICK_US)
            else:  # only a reading host frees room: the port gives up after its timeout
                wait = CDC_TIMEOUT_US
            self.waits.append(wait)
            self.clock.us += wait
            self._drain()
        self.queued = min(self.queued + len(buf), room)
        self.unread += bytes(buf)
        return len(buf)

    def host_reads(self) -> int:
        """The host reads all that reached it and acknowledges each line; returns lines read."""
        if self.kind == "cdc":
            self._drain()
            self.queued = 0.0
        *lines, self.unread = self.unread.split(b"\n")
        for line in lines:
            if parse(line):
                self.host_bytes.append(ord("+"))
        return len(lines)

    def readinto(self, buf: bytearray) -> int:
        buf[0] = self.host_bytes.popleft()
        return 1


class Poll:
    def __init__(self, console: Console) -> None:
        self.console = console

    def register(self, *args) -> None:
        pass

    def ipoll(self, timeout: int) -> list:
        return [(self.console, 1)] if self.console.host_bytes else []


def _board(monkeypatch: pytest.MonkeyPatch, board: dict, console: Console, clock: Clock):
    """The real hal/esp32.py Board, its console on `console`, its clock on `clock`."""
    machine = types.ModuleType("machine")
    for name in ("ADC", "PWM", "WDT", "Pin", "Timer", "I2C", "RTC"):
        setattr(machine, name, object)
    monkeypatch.setitem(sys.modules, "machine", machine)
    monkeypatch.setitem(sys.modules, "esp32", types.ModuleType("esp32"))
    monkeypatch.syspath_prepend(str(FIRMWARE))
    for name in [n for n in sys.modules if n in ("core", "hal") or n.startswith(("core.", "hal."))]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "time", clock)  # the board's time, `from time import ticks_*` too
    esp32 = importlib.import_module("hal.esp32")
    monkeypatch.setitem(sys.modules, "time", time)  # pytest's own clock back, as test_smallint does
    monkeypatch.setattr(esp32, "sys", types.SimpleNamespace(stdout=console, stdin=console))
    monkeypatch.setattr(esp32, "select", types.SimpleNamespace(poll=lambda: Poll(console), POLLIN=1))
    hal = esp32.Board.__new__(esp32.Board)  # only the console part: no pins in CPython
    hal.console_in = esp32.select.poll()
    hal.inbyte = bytearray(1)
    hal.tx_idle_at = clock.ticks_us()
    hal.battery_mv = lambda: 3900
    return hal, importlib.import_module("core.live")


def _records(n: int) -> list[bytearray]:
    out = []
    for i in range(n):
        buf = bytearray(record.SIZE)
        record.pack_into(buf, 0, record.FLAG_CALIBRATED, 500 * i, 250, 1500, 3000, 800, 20, 0, 2000, 0, 0)
        out.append(buf)
    return out


def _streaming(monkeypatch: pytest.MonkeyPatch, board: dict, kind: str) -> tuple:
    """(clock, console, stream): the board HAL on a `kind` console, a host that asked for the stream."""
    clock = Clock()
    console = Console(clock, kind)
    hal, live = _board(monkeypatch, board, console, clock)
    cfg, _ = config.validate({})
    stream = live.Live(hal, "aabbcc-000001", cfg)
    console.host_bytes.append(ord("L"))
    stream.poll()
    return clock, console, stream


def _run(stream, console: Console, clock: Clock, reading, burst: int = 1, naive: bool = False) -> int:
    """Two minutes of running, a step every 350 ms (`burst` records at once, as after a
    flash stall); reading(i) says whether the host reads before step i. Returns lines read."""
    read = 0
    for i, rec in enumerate(_records(340)):
        clock.us += 350_000
        if reading(i):
            read += console.host_reads()
        stream.poll()
        for _ in range(burst):
            if naive:
                console.write(stream.line)
            else:
                stream.step(rec, clock.us // 1000)
    return read + console.host_reads()


HOSTS = {
    "reads": lambda i: True,
    "slow (every 5 s)": lambda i: i % 14 == 0,
    "stops after 20 s": lambda i: i < 57,
    "stops, comes back": lambda i: i < 57 or i > 200,
}


@pytest.mark.parametrize("kind", ["uart", "cdc"])
@pytest.mark.parametrize("host", list(HOSTS))
@pytest.mark.parametrize("burst", [1, 3])
def test_the_board_never_waits_on_its_console(monkeypatch, board, kind: str, host: str, burst: int) -> None:
    clock, console, stream = _streaming(monkeypatch, board, kind)
    read = _run(stream, console, clock, HOSTS[host], burst)
    assert console.waits == []  # the sampler was never held
    assert stream.sent + stream.dropped == 340 * burst
    if host == "reads" and burst == 1:
        assert stream.dropped == 0 and read == 341
    if host.startswith("stops"):
        assert stream.dropped > 100  # counted, not waited for
    if host == "stops, comes back":
        assert read > 57 + 100  # the stream resumed


@pytest.mark.parametrize("kind", ["uart", "cdc"])
def test_the_models_catch_a_writer_that_ignores_them(monkeypatch, board, kind: str) -> None:
    clock, console, stream = _streaming(monkeypatch, board, kind)
    _run(stream, console, clock, HOSTS["stops after 20 s"], burst=3, naive=True)
    assert console.waits and max(console.waits) >= RTOS_TICK_US


def test_the_run_end_line_waits_for_no_uart(monkeypatch, board) -> None:
    """Records left in the ring at the run's end go out in one burst with the end line:
    the UART's FIFO cannot take all of it at once, so the HAL declines the rest."""
    clock, console, stream = _streaming(monkeypatch, board, "uart")
    clock.us += 350_000
    console.host_reads()
    stream.poll()
    for rec in _records(2):
        stream.step(rec, clock.us // 1000)
    stream.end()
    assert console.waits == [] and stream.sent == 2 and not stream.on


def test_a_long_pause_does_not_silence_the_stream(monkeypatch, board) -> None:
    """Nine minutes without a step (ticks_diff reaches only half the 2**30 us ticks period):
    the next landing still goes out."""
    clock, console, stream = _streaming(monkeypatch, board, "uart")
    for pause_s in (1, 540, 700, 1000):
        clock.us += pause_s * 1_000_000
        console.host_reads()
        stream.poll()
        stream.step(_records(1)[0], clock.us // 1000)
    assert stream.sent == 4 and stream.dropped == 0 and console.waits == []


ARCHCUE = Path(sys.executable).parent / "archcue"
COUNTS = re.compile(r"steps recorded (\d+) · shown (\d+)(?: · (\d+) not shown)?")


class Pane:
    """A tmux server of its own, one interactive shell in a 110 x 40 pane."""

    def __init__(self, folder: Path) -> None:
        self.socket = str(folder / "tmux.sock")
        self._tmux("new-session", "-d", "-x", "110", "-y", "40", "env PS1='$ ' bash --norc --noprofile -i")

    def _tmux(self, *args: str) -> str:
        return subprocess.run(["tmux", "-S", self.socket, *args], check=True, capture_output=True,
                              text=True, timeout=10).stdout

    def keys(self, *keys: str) -> None:
        self._tmux("send-keys", *keys)

    def text(self) -> str:
        return self._tmux("capture-pane", "-p")

    def counts(self, until=lambda recorded, shown, missing: True) -> tuple[int, int, int]:
        """(recorded, shown, not shown) as the view says last, once `until` holds for them
        (the screen may be between two states when it is read: keys sent, not yet acted on)."""
        seen = []

        def read() -> bool:
            found = COUNTS.findall(self.text())
            if found:
                seen.append(tuple(int(v or 0) for v in found[-1]))
            return bool(found) and until(*seen[-1])

        wait_for(read)
        return seen[-1]

    def close(self) -> None:
        subprocess.run(["tmux", "-S", self.socket, "kill-server"], capture_output=True, timeout=10)


@pytest.fixture()
def served(tmp_path: Path) -> Iterator[tuple[Path, int]]:
    """A virtual insole (responder at 2x) and the pid of its firmware process."""
    log = (tmp_path / "serve.log").open("w")
    proc = subprocess.Popen([sys.executable, "-m", "simulator", "serve", "--scenario", "responder", "--speed", "2",
                             "--seconds", "400", "--dir", str(tmp_path / "vi")],
                            stdout=log, stderr=log, start_new_session=True)
    booted = re.compile(r"firmware booted \(power on\), pid (\d+)")
    wait_for(lambda: booted.search((tmp_path / "serve.log").read_text()) is not None, timeout=60)
    pid = int(booted.search((tmp_path / "serve.log").read_text()).group(1))
    wait_for(lambda: (tmp_path / "vi" / "device" / sessionlog.DIR).exists())
    yield tmp_path / "vi", pid
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
    log.close()


@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux not installed (make setup installs it)")
def test_live_view_in_tmux(served: tuple[Path, int], tmp_path: Path) -> None:
    vi, firmware = served
    link, store = vi / "port", tmp_path / "store.sqlite"
    command = f"{ARCHCUE} --store {store} live --port {link}"
    pane = Pane(tmp_path)
    try:
        pane.keys(command, "Enter")
        pane.counts(until=lambda recorded, shown, missing: shown >= 3)
        session = re.search(r"session (\S+) ·", pane.text()).group(1)

        # Ctrl-C closes the view only: the run goes on, in the same session, unsealed
        pane.keys("C-c")
        wait_for(lambda: "live view closed; the insole goes on recording" in pane.text())
        before = pane.counts()[0]
        path = sessionlog.path(str(vi / "device"), session)
        assert sessionlog.scan_path(path)[3] is None  # no trailer: still recording
        pane.keys("clear", "Enter")
        wait_for(lambda: "steps recorded" not in pane.text())
        pane.keys(command, "Enter")
        pane.counts(until=lambda recorded, shown, missing: recorded > before + 2)
        assert f"session {session} ·" in pane.text()

        # a host that stops reading (Ctrl-Z), then reads again: the insole recorded every
        # step meanwhile, sent what the credits allowed, and says how many it dropped
        pane.keys("C-z")
        time.sleep(4)  # ~8 s of running, ~12 steps
        pane.keys("fg", "Enter")
        recorded, shown, missing = pane.counts(until=lambda recorded, shown, missing: missing >= 5)
        pane.counts(until=lambda recorded, now_shown, missing: now_shown >= shown + 10)  # the stream flows again

        # within one step: freeze the insole, look at the view, then stop the run
        os.kill(firmware, signal.SIGSTOP)
        time.sleep(0.2)
        frozen = pane.counts()[0]
        with serial.Serial(str(link), timeout=1) as port:
            port.write(b"\x03")  # Ctrl-C on the USB line: the run ends, its session sealed
        os.kill(firmware, signal.SIGCONT)
        wait_for(lambda: sessionlog.scan_path(path)[3] is not None)
        wait_for(lambda: "the run ended" in pane.text())
        final = pane.text()
    finally:
        pane.close()
    header, _, n, trailer, _ = sessionlog.scan_path(path)
    assert n - 1 <= frozen <= n and trailer["steps"] == n
    assert f"the run ended: session {session}, {n} steps recorded" in final

    pulled = subprocess.run([str(ARCHCUE), "--store", str(store), "pull", "--port", str(link)],
                            capture_output=True, text=True, timeout=120)
    assert pulled.returncode == 0, pulled.stderr
    [(row, steps)] = Store(store).runner_steps("unassigned")
    assert row.id == session and row.status == "ok" and len(steps) == n
    shown_rows = re.findall(r"^\s*(\d+)\s+(\d+:\d\d\.\d)\s+(\d+) ms", final, re.M)
    assert len(shown_rows) >= 10
    for index, clock, stance in shown_rows:  # the view's landings are the stored records
        stored = steps[int(index) - 1]
        assert (minutes(int(stored["ic_ms"])), int(stored["stance_ms"])) == (clock, int(stance))
    assert missing > 0 and recorded - shown >= missing
    assert max(steps["ic_ms"][1:] - steps["ic_ms"][:-1]) < 2000  # recorded all along, read or not


# --- the host's end, against a stand-in insole on a pseudo-terminal -----------------------

def _step_line(recorded: int, rec: bytes, dropped: int = 0, battery: int = 3900) -> bytes:
    return b"#S" + rec.hex().encode() + b"%04x%04x%04x\n" % (recorded & 0xFFFF, dropped, battery)


HELLO = b'#H ["sim0001-000002", 200, "blocks", 600, 60, "left", "Zo\\u00eb\\u001b[31m", 3910]\n'


def test_parse_takes_the_insole_lines_and_nothing_else() -> None:
    rec = bytes(_records(3)[2])
    assert parse(_step_line(70000, rec, 3, 3850)) == ("step", rec, 70000 & 0xFFFF, 3, 3850)
    assert parse(HELLO)[1][6] == "Zo\u00eb\x1b[31m"
    assert parse(b"#E 002a\r\n") == ("end", 42)
    for junk in (b"archcue: run ended (interrupted): 12 steps", b"#S" + b"zz" * 30, _step_line(1, rec)[:-5],
                 b'#H ["too", "short"]', b"#H {not json", b"#E 00zz", b"\xff\xfe#S", b""):
        assert parse(junk) is None, junk


def test_the_view_counts_what_it_missed_and_unwraps_the_16_bit_count() -> None:
    state = LiveState()
    state.apply(parse(HELLO))
    recs = _records(4)
    for recorded, rec in ((65534, recs[0]), (65535, recs[1]), (65536 + 3, recs[2])):  # three lost in between
        state.apply(parse(_step_line(recorded, bytes(rec))))
    assert state.recorded == 65539 and state.received == 3
    text = _rendered(state)
    assert "steps recorded 65539 · shown 3 · 3 not shown" in text
    assert "Zoë\\x1b[31m, left foot" in text  # the insole's strings shown escaped
    assert "battery 3.90 V" in text and "warm-up" in text


def _rendered(state: LiveState) -> str:
    console = RichConsole(width=110, record=True, file=io.StringIO())
    console.print(render(state, "/dev/ttyUSB0"))
    return console.export_text()


def test_the_view_names_the_block_the_rates_and_a_sensor_left_out() -> None:
    state = LiveState()
    state.apply(parse(HELLO))
    for i in range(60):  # a minute in block 1 (cue on), every third landing collapsed, arch sensor out late
        buf = bytearray(record.SIZE)
        flags = record.FLAG_CALIBRATED | record.FLAG_CUE_BLOCK | (record.FLAG_COLLAPSE if i % 3 == 0 else 0)
        record.pack_into(buf, 0, flags, 600_000 + 60_000 + 1000 * i, 250, 1500, 3000, 800, 20, 0, 2000, 2,
                         0b10 if i == 59 else 0)
        state.apply(parse(_step_line(i + 1, bytes(buf))))
    text = _rendered(state)
    assert "block 2, buzz ON (0:01.0 left)" in text  # 60 s blocks after a 600 s warm-up: 660-720 s
    assert "sensors: arch left out" in text
    assert "60 steps/min" in text and "20.0 collapses/min (34% of 59 judged)" in text


def test_the_view_counts_blocks_past_the_records_127() -> None:
    """Two and a half hours in, the record's block counter has stopped at 127: the view names the
    block by time (issue 20)."""
    state = LiveState()
    state.apply(parse(HELLO))
    buf = bytearray(record.SIZE)
    record.pack_into(buf, 0, record.FLAG_CALIBRATED, 9_030_000, 250, 1500, 3000, 800, 20, 0, 2000, 127, 0)
    state.apply(parse(_step_line(1, bytes(buf))))
    assert "block 141, buzz off (0:30.0 left)" in _rendered(state)  # 600 s warm-up, 60 s blocks


def _sent(master: int) -> bytes:
    """All the host wrote to the stand-in insole (a pty hands it over in pieces)."""
    out = b""
    while select.select([master], [], [], 0.3)[0]:
        out += os.read(master, 1024)
    return out


def test_an_insole_that_does_not_answer_is_one_line_error(pty_port, monkeypatch, capsys) -> None:
    master, port = pty_port
    monkeypatch.setattr(host_live, "HELLO_RETRY_S", 0.1)
    monkeypatch.setattr(host_live, "GIVE_UP_S", 0.5)
    assert cli.main(["live", "--port", port]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "does not answer a live request; is it recording?" in err
    asked = _sent(master)
    assert asked.count(b"L") >= 3 and b"\x03" not in asked  # asked again, never interrupted the insole


def test_a_lost_link_is_one_line_error(pty_port, capsys) -> None:
    master, port = pty_port
    threading.Timer(0.3, os.write, [master, HELLO + _step_line(1, bytes(_records(1)[0]))]).start()
    threading.Timer(0.8, os.close, [master]).start()  # unplugged mid-stream
    assert cli.main(["live", "--port", port]) == 1
    out, err = capsys.readouterr()
    assert "link lost" in err and "sim0001-000002" in out


def test_a_port_that_is_not_there_is_one_line_error(tmp_path, capsys) -> None:
    assert cli.main(["live", "--port", str(tmp_path / "ttyUSB9")]) == 1
    assert "no such port" in capsys.readouterr().err


def test_a_garbled_line_is_skipped_and_still_acknowledged(pty_port) -> None:
    master, port = pty_port
    good = bytearray(_step_line(2, bytes(_records(2)[1])))
    bad = bytearray(_step_line(1, bytes(_records(1)[0])))
    bad[10] = ord("f") if bad[10] != ord("f") else ord("e")  # a flipped digit: the record's CRC fails
    link = host_live.LiveLink(port)  # opening the port flushes what waits in it: the insole speaks after
    os.write(master, HELLO + bytes(bad) + bytes(good))
    events = []
    try:
        for event in link.events():
            events += [event] if event else []
            if len(events) == 2:
                break
    finally:
        link.stop()
    assert [e[0] for e in events] == ["hello", "step"] and events[1][2] == 2
    assert _sent(master) == b"L+++l"  # a credit back for each of the three lines, then stop


def test_a_silent_stream_is_asked_again(pty_port, monkeypatch) -> None:
    """Credits lost with a line split on the way would silence the stream: after RESYNC_S
    without a line the host starts it afresh (the insole resets its credits on "L")."""
    master, port = pty_port
    monkeypatch.setattr(host_live, "RESYNC_S", 0.5)
    link = host_live.LiveLink(port)
    os.write(master, HELLO)
    try:
        for _ in zip(range(8), link.events()):  # ~1.5 s, the hello then silence
            pass
    finally:
        link.stop()
    sent = _sent(master)
    assert sent.startswith(b"L+L") and sent.endswith(b"l") and set(sent) == set(b"L+l")
