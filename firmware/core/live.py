# The live view's wire: while the insole records, a host that asks gets one fixed-size line
# per step on the USB console (archcue live). Both ends read this module: the insole builds
# and sends the lines, the host parses them.
#
# Host -> insole, single bytes read between frames:
#   "L"  start (or restart) the stream: the insole answers with a hello line
#   "l"  stop the stream (the run goes on)
#   "+"  the host has read one more line (a credit, see below)
#   "P" d           the runner's pain now (hips or feet, core/arms.py), d = "0".."9" or ":" (10)
#   "X" d d d       the runner's expectation of the feet, hips and sham cues, 0-10 each
#   "F" d d         familiarisation: cue patterns the runner named right, of those played
# An answer is kept (one at a time) until the app writes it as an event record at the next
# toe-off (no flash write in stance); a malformed one is dropped and counted (`bad`).
# Insole -> host, one line each:
#   #H [session, rate_hz, cue_mode, warmup_s, block_s, foot, runner, battery_mv]   JSON, <= HELLO_MAX
#   #S <48 hex: the 24-byte step record><4 hex: steps recorded><4 hex: lines dropped><4 hex: battery mV>
#   #E <4 hex: steps recorded>   the run ended (button, Ctrl-C, end of data)
#
# Never stall sampling for a reader: a console write on an ESP32 waits when its transmit
# buffer is full (the UART REPL in 10 ms RTOS ticks until its 128-byte FIFO drains; native
# USB CDC up to 500 ms per chunk while a host holds the port open and does not read), and
# MicroPython's ESP32 port reports stdout always writable to poll(). So the insole never
# has more than WINDOW lines unread by the host: each line costs a credit, each "+" from the
# host gives one back, a line without a credit is dropped and counted. WINDOW lines fit the
# smallest transmit buffer (TinyUSB CDC: 256 bytes) whatever the host does; the HAL's
# console_write() adds the transport's own limit (the UART's drain at its line rate).
#
# A step line is built after toe-off, when the record leaves the pipeline (the foot is in
# swing), into a buffer allocated once: step() allocates nothing (heap_lock test).
import json

from .mp import const, micropython

START = const(76)  # "L"
STOP = const(108)  # "l"
CREDIT = const(43)  # "+"
PAIN = const(80)  # "P"
EXPECT = const(88)  # "X"
FAMILIAR = const(70)  # "F"
_DIGIT0 = const(48)  # "0"; ":" is 10
WINDOW = const(2)  # unread lines at most: 2 x HELLO_MAX + the end line < 256 bytes
HELLO_MAX = const(120)  # bytes, newline included
# A step line's fields (where each starts; the host parses them from here too)
REC_AT = const(2)  # the record, 2 hex digits a byte
SEQ_AT = const(50)
DROPPED_AT = const(54)
BATTERY_AT = const(58)
LINE = const(63)  # newline included
_HEX = b"0123456789abcdef"
_BYTES_PER_POLL = const(8)  # a poll every 50 ms: 160 bytes/s, far above a host's 2 credits a step
_BATTERY_EVERY_MS = const(60000)  # the battery ADC read allocates on the board: once a minute


def ptr8(buf):
    """CPython's stand-in for viper's byte-pointer cast (core/mp.py has the 16/32-bit ones)."""
    return buf


# Viper: the hex of a record costs a board ~2 ms as bytecode, frames lost at 1 kHz.
@micropython.viper
def _hex_bytes(dst, at: int, src, n: int):
    """src[0:n] as 2n lowercase hex digits at dst[at:]."""
    d = ptr8(dst)
    s = ptr8(src)
    h = ptr8(_HEX)
    for i in range(n):
        b = int(s[i])
        d[at + 2 * i] = h[b >> 4]
        d[at + 2 * i + 1] = h[b & 15]


@micropython.viper
def _hex_u16(dst, at: int, value: int):
    """value (0..0xFFFF) as 4 lowercase hex digits at dst[at:]."""
    d = ptr8(dst)
    h = ptr8(_HEX)
    for i in range(3, -1, -1):
        d[at + i] = h[value & 15]
        value >>= 4


class Live:
    """The insole's end: commands from poll(), a line per step from step()."""

    def __init__(self, hal, session, cfg):
        self.hal = hal
        self.hello_info = [session, cfg["rate_hz"], cfg["cue_mode"], cfg["warmup_s"], cfg["block_s"],
                           cfg["foot"], cfg["runner_id"]]
        self.on = False
        self.credit = 0
        self.recorded = 0  # steps recorded this run, streamed or not
        self.sent = 0
        self.dropped = 0  # step lines not sent: no credit, or the transport had no room
        self.battery = 0
        self.battery_at = 0
        self.now_ms = 0
        line = bytearray(LINE)
        line[0] = 35  # "#"
        line[1] = 83  # "S"
        line[LINE - 1] = 10
        self.line = line
        self.answer = bytearray(4)  # command, then its digits (0-10 each)
        self.wanted = 0  # digits still to come for answer[0]
        self.got = 0
        self.ready = False  # a whole answer waits for the app (take_answer)
        self.bad = 0

    def _answer_byte(self, c):
        """A byte of an answer command (PAIN, EXPECT, FAMILIAR) or of its digits; False if not one."""
        if self.wanted:
            if not _DIGIT0 <= c <= _DIGIT0 + 10:
                self.wanted = 0
                self.bad += 1
                return True
            self.got += 1
            self.answer[self.got] = c - _DIGIT0
            self.wanted -= 1
            self.ready = self.wanted == 0
            return True
        n = 1 if c == PAIN else 3 if c == EXPECT else 2 if c == FAMILIAR else 0
        if not n:
            return False
        if self.ready:  # the last answer is not written yet: this one is dropped
            self.bad += 1
            return True
        a = self.answer
        a[0] = c
        a[1] = a[2] = a[3] = 0
        self.wanted = n
        self.got = 0
        return True

    def take_answer(self):
        """The waiting answer (bytearray: command, digits) or None; the next one may come."""
        if not self.ready:
            return None
        self.ready = False
        return self.answer

    def poll(self):
        """Act on the bytes the host sent (never waits for one); a host that floods the
        console is read a few bytes a call, so it cannot hold the loop either."""
        for _ in range(_BYTES_PER_POLL):
            c = self.hal.console_byte()
            if c < 0:
                return
            if c == START:
                self._start()
            elif c == STOP:
                self.on = False
            elif c == CREDIT and self.credit < WINDOW:
                self.credit += 1
            elif c != CREDIT:
                self._answer_byte(c)

    def _start(self):
        self.on = True
        self.credit = WINDOW
        self.dropped = 0
        self.battery = self.hal.battery_mv()
        self.battery_at = self.now_ms
        self._send(hello(self.hello_info + [self.battery]))

    def _send(self, buf):
        if self.credit > 0 and self.hal.console_write(buf):
            self.credit -= 1
            return True
        return False

    def step(self, rec, now_ms):
        """One step record (record.SIZE bytes) has been recorded: stream it if asked."""
        self.recorded += 1
        self.now_ms = now_ms
        if not self.on:
            return
        if now_ms - self.battery_at >= _BATTERY_EVERY_MS:
            self.battery = self.hal.battery_mv()
            self.battery_at = now_ms
        line = self.line
        _hex_bytes(line, REC_AT, rec, len(rec))
        _hex_u16(line, SEQ_AT, self.recorded & 0xFFFF)
        _hex_u16(line, DROPPED_AT, self.dropped if self.dropped < 0xFFFF else 0xFFFF)
        _hex_u16(line, BATTERY_AT, self.battery & 0xFFFF)
        if self._send(line):
            self.sent += 1
        else:
            self.dropped += 1

    def end(self):
        """The run is over: say so, if anyone is listening (a credit is waived: the stream stops)."""
        if self.on:
            self.credit = 1
            self._send(("#E %04x\n" % (self.recorded & 0xFFFF)).encode())
            self.on = False


def hello(info):
    """The hello line; the runner's name is left out if the line would not fit."""
    text = b"#H " + json.dumps(info).encode() + b"\n"
    if len(text) > HELLO_MAX:
        info = info[:6] + [""] + info[7:]
        text = b"#H " + json.dumps(info).encode() + b"\n"
    return text

