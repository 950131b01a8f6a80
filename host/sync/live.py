"""archcue live: watch an insole while it records, a landing at a time.

The host asks the insole for its step stream (firmware/core/live.py: the wire, both ends),
acknowledges each line it reads (the insole never has more than a couple unread, so a
view that falls behind costs lines, counted and shown, never the insole's sampling) and
redraws a terminal view with `rich` at every landing. Ctrl-C stops the stream only: the
insole goes on recording, its session untouched."""
from __future__ import annotations

import contextlib
import json
import select
import sys
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np
import serial
from rich.console import Console, Group
from rich.live import Live as View
from rich.table import Table
from rich.text import Text

from firmware.core import arms, channels, record
from firmware.core import live as wire
from host.command import UserError
from host.store.records import SATURATED, decode, flag
from host.sync.answers import ANSWER_HELP, answer_bytes
from host.sync.device_link import LinkError, close_quietly, link_lost, open_serial
from host.sync.port_lock import PortLock
from host.text import plural, shown
from host.verdict.analysis import judged, toe_judged
from host.verdict.rule import WINDOW_MS

SHOWN = 12  # landings listed
HELLO_RETRY_S = 1.5  # ask again when the insole has not answered (it may be starting its run)
GIVE_UP_S = 10.0
RESYNC_S = 5.0  # silent this long after the hello: ask again (a runner standing still costs a hello)


def parse(line: bytes) -> tuple | None:
    """A console line -> ("hello", info) | ("step", record bytes, recorded, dropped, battery_mv)
    | ("end", recorded); None for anything else (the firmware's log lines, noise)."""
    line = line.rstrip(b"\r\n")
    try:
        if line.startswith(b"#H "):
            info = json.loads(line[3:])
            return ("hello", info) if isinstance(info, list) and len(info) == 8 else None
        if line.startswith(b"#S") and len(line) == wire.LINE - 1:
            fields = [line[a:b] for a, b in ((wire.SEQ_AT, wire.DROPPED_AT), (wire.DROPPED_AT, wire.BATTERY_AT),
                                             (wire.BATTERY_AT, len(line)))]
            rec = bytes.fromhex(line[wire.REC_AT:wire.SEQ_AT].decode("ascii"))
            record.unpack(rec)  # its CRC: a line garbled on the way is dropped here
            return ("step", rec, *(int(f, 16) for f in fields))
        if line.startswith(b"#E ") and len(line) == 7:
            return ("end", int(line[3:], 16))
    except (ValueError, UnicodeDecodeError):
        return None
    return None


class LiveLink:
    """The stream over the insole's USB console: ask, read, acknowledge, stop."""

    def __init__(self, port: str):
        self.port = port
        self.lock = PortLock(port, "archcue live")  # a pull or a second view is told who holds the port
        try:
            self.serial = open_serial(port)
        except BaseException:
            self.lock.release()
            raise
        self.pending = b""

    def _write(self, data: bytes) -> None:
        try:
            self.serial.write(data)
        except (serial.SerialException, OSError) as e:
            raise link_lost(self.port, e) from None

    def events(self) -> Iterator[tuple | None]:
        """Parsed lines as they come (each acknowledged), None about every 0.2 s of silence."""
        self._write(bytes([wire.START]))
        first = asked = heard = time.monotonic()
        answered = False
        while True:
            try:
                data = self.serial.read(max(1, self.serial.in_waiting))
            except (serial.SerialException, OSError) as e:
                raise link_lost(self.port, e) from None
            self.pending += data
            *lines, self.pending = self.pending.split(b"\n")
            for line in lines:
                if line.startswith(b"#"):  # each line the insole sent cost it a credit, even one garbled here
                    self._write(bytes([wire.CREDIT]))
                    heard = time.monotonic()
                event = parse(line)
                if event:
                    answered = answered or event[0] == "hello"
                    yield event
            now = time.monotonic()
            if not answered and now - asked > HELLO_RETRY_S:
                if now - first > GIVE_UP_S:
                    raise LinkError(f"{self.port}: the insole does not answer a live request; is it recording? "
                                    "(one left at its REPL by `archcue pull --no-restart` records again after "
                                    "`archcue pull` or a reset)")
                self._write(bytes([wire.START]))
                asked = now
            elif answered and now - max(heard, asked) > RESYNC_S:
                self._write(bytes([wire.START]))  # credits lost with a line split on the way: start afresh
                asked = now
            if not data:
                yield None

    def send(self, data: bytes) -> None:
        """An answer of the runner (answer_bytes) to the insole."""
        self._write(data)

    def stop(self) -> None:
        """Stop the stream, never the run: no Ctrl-C is sent."""
        try:
            self.serial.write(bytes([wire.STOP]))
            self.serial.flush()
        except (serial.SerialException, OSError):
            pass
        with contextlib.suppress(serial.SerialException, OSError):  # a cable pulled: the port is gone
            close_quietly(self.serial)
        self.lock.release()


def _typed() -> str | None:
    """A line typed into the view's terminal, if one is waiting (never blocks); None at end of input."""
    try:
        ready, _, _ = select.select([sys.stdin], [], [], 0)
    except (OSError, ValueError):  # no selectable stdin (closed, or not a file)
        return None
    return sys.stdin.readline() if ready else ""


@dataclass
class Landing:
    recorded: int
    steps: np.ndarray  # one decoded record


@dataclass
class LiveState:
    hello: list | None = None
    battery_mv: int = 0
    recorded: int = 0  # steps the insole has recorded, by its count
    received: int = 0
    before: int = -1  # steps recorded before the first one this view received
    dropped: int = 0  # lines the insole could not send since this view asked
    ended: bool = False
    landings: deque = field(default_factory=lambda: deque(maxlen=SHOWN))
    recent: deque = field(default_factory=deque)  # the last minute of insole time
    said: str = ""  # what became of the last typed answer

    def apply(self, event: tuple) -> None:
        kind = event[0]
        if kind == "hello":
            self.hello = event[1]
            self.battery_mv = event[1][7]
        elif kind == "step":
            _, rec, recorded, dropped, battery = event
            steps = decode(rec)
            self.recorded, self.dropped, self.battery_mv = self._unwrap(recorded), dropped, battery
            if self.before < 0:
                self.before = self.recorded - 1
            self.received += 1
            self.landings.appendleft(Landing(self.recorded, steps))
            self.recent.append(steps)
            t = int(steps["ic_ms"][0])
            while int(self.recent[0]["ic_ms"][0]) < t - WINDOW_MS:
                self.recent.popleft()
        elif kind == "end":
            self.recorded = self._unwrap(event[1])
            self.ended = True

    def _unwrap(self, seq: int) -> int:
        """The insole counts steps in 16 bits on the wire; the view keeps the full count."""
        return self.recorded + ((seq - self.recorded) & 0xFFFF)

    @property
    def session(self) -> str:
        return shown(self.hello[0]) if self.hello else "?"


def _pct(value: int) -> str:
    return f"{value / 100:.1f}%"


def minutes(ms: int) -> str:
    """ms since the run started as m:ss.s, as the view shows times."""
    s = ms / 1000
    return f"{int(s // 60)}:{s % 60:04.1f}"


def _row(landing: Landing) -> list[str]:
    s = landing.steps
    d = {name: int(s[name][0]) for name in s.dtype.names}
    if flag(s, "walking")[0]:
        collapse = toes = "walking"
    else:
        collapse = ("yes" if d["flags"] & record.FLAG_COLLAPSE else "no") if judged(s)[0] else "?"
        toes = ("yes" if d["flags"] & record.FLAG_TOE_ENGAGED else "no") if toe_judged(s)[0] else "?"
    block = "warm-up" if d["block"] == 0 else f"{d['block']} {'on' if d['flags'] & record.FLAG_CUE_BLOCK else 'off'}"
    return [str(landing.recorded), minutes(d["ic_ms"]), f"{d['stance_ms']} ms", _pct(d["arch_share"]),
            _pct(d["toe_share"]), collapse, toes, "buzz" if d["flags"] & record.FLAG_CUED else "", block]


def _rates(state: LiveState) -> str:
    if len(state.recent) < 2:
        return "rates: after a few landings"
    steps = np.concatenate(list(state.recent))
    span_min = max(1.0, float(steps["ic_ms"][-1] - steps["ic_ms"][0])) / 60000
    per_min = (len(steps) - 1) / len(steps) / span_min  # n landings span n - 1 step times
    j, tj = judged(steps), toe_judged(steps)
    collapses = int((flag(steps, "collapse") & j).sum())
    engaged = int((flag(steps, "toe_engaged") & tj).sum())
    cues = int(flag(steps, "cued").sum())
    share = f" ({collapses / j.sum():.0%} of {int(j.sum())} judged)" if j.sum() else " (none judged yet)"
    toes = f"{engaged / tj.sum():.0%}" if tj.sum() else "?"
    return (f"last minute: {len(steps) * per_min:.0f} steps/min, {collapses * per_min:.1f} collapses/min"
            f"{share}, toes engaged {toes}, {cues * per_min:.1f} buzzes/min")


def _protocol(state: LiveState) -> str:
    if not state.hello or not state.landings:
        return "protocol: waiting for a landing"
    _, _, mode, warmup_s, block_s, _, _, _ = state.hello
    s = state.landings[0].steps
    t, block = int(s["ic_ms"][0]), int(s["block"][0])
    if mode != "blocks":
        return f"protocol: cue mode {shown(mode)} (no blocks)"
    if block == 0 and flag(s, "cued")[0]:  # a hips-or-feet warm-up's familiarisation play (firmware/core/cue.py)
        play = (t - arms.FAMILIAR_AT_MS) // arms.FAMILIAR_GAP_MS + 1
        return f"protocol: warm-up, familiarisation play {play} of {arms.FAMILIAR_PLAYS}: ask which cue it was"
    if block == 0:
        return f"protocol: warm-up, no buzz ({minutes(max(0, warmup_s * 1000 - t))} left)"
    if block >= SATURATED:  # the record's counter stops at 127 (host/store/records.py): the block by time
        block = (t - warmup_s * 1000) // (block_s * 1000) + 1
    on = "buzz ON" if flag(s, "cue_block")[0] else "buzz off"
    left = warmup_s * 1000 + block * block_s * 1000 - t
    return f"protocol: block {block}, {on} ({minutes(max(0, left))} left)"


def _health(state: LiveState) -> str:
    if not state.landings:
        return "sensors: ?"
    s = state.landings[0].steps
    out = int(s["faults"][0])
    excluded = [name for i, name in enumerate(channels.NAMES) if out >> i & 1]
    if excluded:
        return f"sensors: {', '.join(excluded)} left out (open or shorted)"
    return "sensors: noisy signal (kept)" if flag(s, "sensor_fault")[0] else "sensors: all healthy"


def render(state: LiveState, port: str) -> Group:
    if not state.hello:
        return Group(Text(f"archcue live: asking the insole on {port} for its landings ..."))
    session, rate, _, _, _, foot, runner, _ = state.hello
    who = f"{shown(runner)}, " if runner else ""
    head = Text(f"archcue live · session {shown(session)} · {who}{shown(foot)} foot · {rate} Hz · "
                f"battery {state.battery_mv / 1000:.2f} V", style="bold")
    missing = state.recorded - state.before - state.received if state.landings else 0
    counts = f"steps recorded {state.recorded} · shown {state.received}"
    if missing > 0:
        counts += f" · {missing} not shown (the view fell behind; the insole recorded them all)"
    if state.ended:
        counts += " · the run ended: `archcue pull` copies it"
    table = Table(box=None, pad_edge=False, header_style="bold")
    for col in ("#", "time", "stance", "arch", "toes", "collapse", "toes engaged", "cued", "block"):
        table.add_column(col, justify="right" if col in ("#", "time", "stance", "arch", "toes") else "left")
    for landing in state.landings:
        table.add_row(*_row(landing))
    lines = [head, Text(counts), Text(_protocol(state)), Text(_health(state)), Text(_rates(state)), table,
             Text(state.said or ANSWER_HELP, style="dim"),
             Text("Ctrl-C closes this view; the insole goes on recording", style="dim")]
    return Group(*lines)


def _answer(link: LiveLink, line: str) -> str:
    """Send a typed answer; what the view says about it."""
    try:
        link.send(answer_bytes(line))
    except UserError as e:
        return f"not sent: {e}"
    return f"sent: {line.strip()} (written with the run at the next landing)"


def watch(port: str, console: Console | None = None) -> int:
    """Run the view until Ctrl-C or the end of the run; the insole keeps recording."""
    console = console or Console()
    link = LiveLink(port)
    state = LiveState()
    typing = True  # until the input ends
    try:
        with View(render(state, port), console=console, auto_refresh=False) as view:
            for event in link.events():
                line = _typed() if typing else ""
                typing = line is not None
                if line and line.strip():
                    state.said = _answer(link, line)
                if event:
                    state.apply(event)
                if event or line:
                    view.update(render(state, port), refresh=True)
                if state.ended:
                    break
    except KeyboardInterrupt:
        pass
    finally:
        link.stop()
    if state.ended:
        console.print(f"the run ended: session {state.session}, {plural(state.recorded, 'step')} recorded")
    else:
        console.print(f"live view closed; the insole goes on recording session {state.session} "
                      f"({plural(state.recorded, 'step')} so far). `archcue pull` stops the run and copies it.")
    return 0
