# The app's run loop (app.run) on a HAL made of frames in memory, under MicroPython and
# CPython: a session's clock and file (made at the first step, its clock restarted while
# none comes), and every per-run counter through a 6-hour run (issue 20.3).
from array import array

from littlefs import HEADER, MICROPYTHON

import app
import fwsynth
from core import record, sessionlog
from core.channels import COUNT
from core.live import SEQ_AT

SMALL = 1 << 30  # an ESP32's small ints: every per-frame integer stays below


class MemoryHal:
    """The HAL interface over a cycle of frames for `total` ticks, the first `rest` of them
    the cycle's first frame (a foot at rest: its preload); a console host that asks for the
    live stream and reads every line."""

    def __init__(self, frames, total, rest=0, rearm=True, rate=fwsynth.RATE, desk=False):
        self.desk = desk  # resting unloaded (on a desk), not at the preload
        self.unloaded = array("H", bytearray(2 * COUNT))
        self.rate = rate
        self.frames = frames
        self.cycle = len(frames) // COUNT
        self.total = total
        self.rest = rest
        self.rearm = rearm
        self.tick = -1
        self.ms = 0
        self.t0 = 0
        self.starts = 0
        self.inbox = [76]  # "L": stream, please
        self.lines = 0
        self.last_step = b""
        self.ended = b""

    def start(self):
        self.ms = 0
        self.t0 = self.tick + 1  # the next tick is time 0
        self.starts += 1

    def sample(self, frame):
        self.tick += 1
        if self.tick >= self.total:
            return -1
        self.ms = (self.tick - self.t0) * 1000 // self.rate
        if self.tick < self.rest:  # resting: the cycle's first frame (the preload) ...
            frame[:] = self.unloaded if self.desk else self.frames[:COUNT]  # ... or no load at all
        else:  # a slice, not a loop over the channels: this runs 26 M times in the 6-hour runs
            k = (self.tick - self.rest) % self.cycle * COUNT
            frame[:] = self.frames[k:k + COUNT]
        return 0

    def now_ms(self):
        return self.ms

    def clock_iso(self):
        return "start %d" % self.starts  # which start the session's time 0 is

    def console_byte(self):
        return self.inbox.pop() if self.inbox else -1

    def console_write(self, buf):
        self.lines += 1
        if buf[1] == 83:  # "#S"
            self.last_step = bytes(buf)
        elif buf[1] == 69:  # "#E"
            self.ended = bytes(buf)
        self.inbox.append(43)  # read: a credit back
        return True

    def haptic(self, pulse_ms):
        pass

    def pattern(self, name):
        pass

    def led(self, state):
        pass

    def button_pressed(self):
        return False

    def battery_mv(self):
        return 3900

    def wdt_feed(self):
        pass

    def flash_op(self, op, nbytes):
        pass

    def idle(self, frame):
        return self.sample(frame)

    def power_check(self):
        return False


def _root(blocks):
    if MICROPYTHON:
        import gc

        import flashsim

        gc.collect()  # the last test's flash image (up to 2 MB) goes first
        return flashsim.power_up(flashsim.Flash(block_count=blocks))
    import tempfile

    return tempfile.mkdtemp()


def _stride_cycle(rate=fwsynth.RATE):
    """64 strides of 700 ms (a collapse every 3rd landing, toes every 5th), to loop over;
    at a higher rate each frame is held (rate / 200 ticks)."""
    frames, _ = fwsynth.generate(64, collapse_every=3, toes_every=5)
    hold = rate // fwsynth.RATE
    if hold == 1:
        return frames
    out = array("H", bytearray(2 * len(frames) * hold))
    for i in range(len(frames) // COUNT):
        for j in range(hold):
            for c in range(COUNT):
                out[(i * hold + j) * COUNT + c] = frames[i * COUNT + c]
    return out


class _CPythonPort:
    """What app.run uses of MicroPython's time and gc, for a CPython run."""

    @staticmethod
    def ticks_us():
        import time

        return int(time.perf_counter() * 1e6)

    @staticmethod
    def ticks_diff(a, b):
        return a - b

    @staticmethod
    def collect():
        pass

    @staticmethod
    def mem_alloc():
        return 0


def _run(hal, cfg, made=None, blocks=64):
    """app.run over hal; returns (reason, session, log lines). made: the Pipelines and the
    Live it built, appended."""
    msgs = []
    app.log = msgs.append
    if not MICROPYTHON:
        app.time = app.gc = _CPythonPort
    built = made if made is not None else []

    class Pipeline(app.Pipeline):
        def __init__(self, *args):
            super().__init__(*args)
            built.append(self)

    class Live(app.Live):
        def __init__(self, *args):
            super().__init__(*args)
            built.append(self)

    real = app.Pipeline, app.Live
    app.Pipeline, app.Live = Pipeline, Live
    try:
        session = sessionlog.SessionLog(_root(blocks), "aabbcc", dict(HEADER, started_at=hal.clock_iso()),
                                        flush_ms=60000, log=msgs.append)
        reason = app.run(hal, cfg, fwsynth.IDENTITY_LUT, session)
    finally:
        app.Pipeline, app.Live = real
    return reason, session, msgs


def _records(session):
    got = []
    found = sessionlog.scan_path(session.path, got.append)
    return found, got


def test_a_run_without_a_step_leaves_no_session():
    hal = MemoryHal(_stride_cycle(), 30 * fwsynth.RATE, rest=30 * fwsynth.RATE)  # 30 s without a step
    reason, session, msgs = _run(hal, fwsynth.config())
    assert reason == "end of data" and not session.opened and sessionlog.session_ids(session.root) == []
    assert any("nothing recorded (no step)" in m for m in msgs), msgs


def test_the_clock_restarts_while_no_step_comes_so_a_run_starts_near_0():
    made = []
    hal = MemoryHal(_stride_cycle(), 95 * fwsynth.RATE, rest=65 * fwsynth.RATE)  # 65 s still, then 30 s running
    reason, session, msgs = _run(hal, fwsynth.config(), made)
    found, got = _records(session)
    restarts = 65000 // app._REARM_MS  # every 10 s without a contact: at 10, 20 ... 60 s
    assert len(made) == 2 + restarts and hal.starts == 1 + restarts, (len(made), hal.starts)  # pipelines and a Live
    first_ic = got[0][record.I_IC_MS]
    assert 0 < first_ic < 65000 - restarts * app._REARM_MS + 1000, first_ic  # its own landing, near 0
    assert found.header["started_at"] == "start %d" % hal.starts  # the header's time 0 is the clock's
    assert found.records == len(got) > 35


def test_an_insole_put_on_and_run_at_once_misses_at_most_its_first_strides():
    """Unloaded on a desk for a minute, then the preload and the run at once: the pipeline
    takes the new preload for a held load (standing); the clock and pipeline restart as soon
    as it says so (LOADED), not 10 s later."""
    strides = 42  # in the 30 s of running (700 ms each, the first at 300 ms)
    for rest_s in (3, 65):
        hal = MemoryHal(_stride_cycle(), (rest_s + 30) * fwsynth.RATE, rest=rest_s * fwsynth.RATE, desk=True)
        _, session, _ = _run(hal, fwsynth.config())
        found, got = _records(session)
        assert strides - 4 <= found.records <= strides and got[0][record.I_IC_MS] < 3000, (rest_s, found.records)


def test_a_recording_keeps_its_own_time():
    hal = MemoryHal(_stride_cycle(), 95 * fwsynth.RATE, rest=65 * fwsynth.RATE, rearm=False)
    _, session, _ = _run(hal, fwsynth.config())
    _, got = _records(session)
    assert 65000 < got[0][record.I_IC_MS] < 66000 and hal.starts == 1


def _big_ints(obj, skip, path, out, depth=0):
    """How many ints an object holds (attributes, lists, tuples, arrays); those past an
    ESP32 small int go to out, with where (a name is only made for those)."""
    if type(obj) is int:
        if not -SMALL <= obj < SMALL:
            out.append((path, obj))
        return 1
    if id(obj) in skip or depth > 4:
        return 0
    skip.add(id(obj))
    n = 0
    if isinstance(obj, (list, tuple, array)):
        for i, v in enumerate(obj):
            if type(v) is int:
                n += 1
                if not -SMALL <= v < SMALL:
                    out.append(("%s[%d]" % (path, i), v))
            else:
                n += _big_ints(v, skip, "%s[%d]" % (path, i), out, depth + 1)
    elif hasattr(obj, "__dict__") and not isinstance(obj, type):
        for k, v in obj.__dict__.items():
            n += _big_ints(v, skip, path + "." + k, out, depth + 1)
    return n


HOURS = 6 if MICROPYTHON else 0.05  # CPython is ~20x slower: the same checks over 3 minutes


def test_every_per_run_counter_holds_through_a_6_hour_run():
    """At 200 Hz: 4.3 M frames, ~30,000 steps, 10 s blocks (2,100 of them: the record's
    7-bit block number wraps 16 times). Every record is kept and unwraps to its block; the
    session's, the live stream's and the clock's counters agree; no firmware object holds
    an int past an ESP32 small int but the session summary's sums (per step, in swing)."""
    _long_run(fwsynth.RATE)


def test_every_per_run_counter_holds_through_a_6_hour_run_at_1khz():
    """The same at 1 kHz: 21.6 M frames (the frame counters' and the clock's case)."""
    _long_run(1000)


def _long_run(rate):
    made = []
    frames = _stride_cycle(rate)
    total = int(HOURS * 3600 * rate)
    hal = MemoryHal(frames, total, rate=rate)
    warmup_ms, block_ms = 600000, 10000
    cfg = fwsynth.config(cue_mode="blocks", warmup_s=warmup_ms // 1000, block_s=block_ms // 1000, rate_hz=rate)
    reason, session, msgs = _run(hal, cfg, made, blocks=512)  # a 4 MB board's 2 MB: 6 h take 740 KB
    assert reason == "end of data" and len(made) == 2, msgs
    pipe, live = made
    seen = {"n": 0, "ic": 0, "wraps": 0}

    def check(v):  # each record as the host reads it (a list of 30,000 would crowd the heap)
        seen["n"] += 1
        ic = v[record.I_IC_MS]
        assert ic > seen["ic"]
        seen["ic"] = ic
        stored = v[record.I_BLOCK]
        if ic < warmup_ms:
            assert stored == 0
            return
        block = 1 + (ic - warmup_ms) // block_ms  # record.py's unwrap
        assert stored == 1 + (block - 1) % record.BLOCK_WRAP, (ic, stored, block)
        assert bool(v[record.I_FLAGS] & record.FLAG_CUE_BLOCK) == (block % 2 == 0)  # odd off, even on
        seen["wraps"] = max(seen["wraps"], (block - 1) // record.BLOCK_WRAP)

    def cue(e):  # a cued landing's event (record.EVENT_CUE) follows its step
        seen["cues"] = seen.get("cues", 0) + 1
        assert e[0] == record.EVENT_CUE and e[1] <= seen["ic"] and e[2][0] < 1000

    found = sessionlog.scan_path(session.path, check, on_event=cue)
    n, last_ic, wraps = seen["n"], seen["ic"], seen["wraps"]
    assert found.bad == 0 and found.records == n + seen.get("cues", 0) and n == pipe.steps == found.trailer["steps"]
    assert pipe.records.lost == 0
    assert hal.ms == (total - 1) * 1000 // rate  # the clock counted every frame
    assert last_ic > hal.ms - 2000 and found.trailer["last_to_ms"] > last_ic
    assert total // hal.cycle * 64 <= n <= (total // hal.cycle + 1) * 64  # every stride of every cycle
    if MICROPYTHON:
        assert wraps == 16, wraps
    # the live stream: every step sent, its 16-bit counter is the step count's low bits
    assert hal.lines == 1 + n + 1 and int(hal.last_step[SEQ_AT:SEQ_AT + 4], 16) == n & 0xFFFF
    assert int(hal.ended[3:7], 16) == n & 0xFFFF
    big = []
    skip = {id(session.summary), id(hal)}  # the summary's sums of squares: per step, in swing; hal: this test's
    checked = sum(_big_ints(obj, skip, name, big) for name, obj in (("pipeline", pipe), ("live", live),
                                                                       ("session", session)))
    if not MICROPYTHON:  # CPython logs to a folder on the host's disk: its free bytes are no board's
        big = [(p, v) for p, v in big if p != "session.free_seen"]
    assert not big, big[:5]
    print("%g h at %d Hz: %d frames, %d steps, block number wrapped %d times, %d ints checked"
          % (HOURS, rate, total, n, wraps, checked))
