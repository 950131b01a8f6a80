# Simulator HAL: frames come from a binary file (little-endian uint16, one per channel in
# channel order) on a virtual sample clock, optionally paced to real time x speed.
# Haptic calls are logged with their virtual time. The simulator's bootstrap calls
# attach() before it mounts the device folder as "/", so these host files stay reachable.
#
# The simulated runner answers cues: given a second frame file with the toes curled on
# every landing and a step schedule, each landing in the window after a cue is taken from
# that file with the runner's compliance probability. The choice per step is logged.
#
# The flash-stall model (attach(flash_stall="typical" | "worst")): on an ESP32 every SPI
# NOR erase or program freezes the CPU (code runs from the flash cache), so the frames
# whose tick falls inside one are never sampled. FlashStall counts the erases and programs
# LittleFS issues for the session log's writes and syncs; the board's flash timings turn
# them into a stall; the frames it covers are skipped (their data is lost) and reported
# missed, as the board's sampler would. Each stall is logged: t_ms,stall_us,frames missed.
#
# The wearer (attach(control=PATH), the virtual insole's DIR/sim/wearer): "rest" in that
# file and the insole lies unloaded (frames of zeros, the data waits); "run" and the data
# plays on. The button: held or not for the whole run, or held over given ranges of sample
# ticks (a stop, and a start again: several sessions in one boot).
import os
import select
import sys
import time
from array import array

from core.cue import PATTERNS

_host = {"frames": None, "haptics": None, "speed": 0.0, "interactive": False, "button_held": False,
         "runner": None, "flash_stall": None, "stalls": None, "control": None, "said": None}
_FRAMES_PER_READ = 256
_CONTROL_EVERY = 64  # sample ticks between looks at the wearer's file


def attach(frames_path, haptics_path, speed=0.0, interactive=False, button_held=False, runner=None,
           flash_stall=None, control=None, said=None):
    """Open the host-side files (before the device folder becomes "/"). button_held: a bool,
    or ((first tick, last tick), ...) when it is held. runner: None, or (engaged frames
    path, schedule path, variants log path, p x 65536, delay, steps). flash_stall: None, or
    ("typical" | "worst", stall log path). control: None, or the wearer's file. said: None, or
    a file of what a coach types into archcue live on the virtual clock: (t_ms as 4 bytes
    little-endian, one byte of the live wire) pairs, in time order."""
    _host["frames"] = open(frames_path, "rb")
    _host["haptics"] = open(haptics_path, "a")
    _read_cause(haptics_path.rsplit("/", 1)[0] + "/reset_cause")  # beside it, on the host
    _host["speed"] = speed
    _host["interactive"] = interactive
    _host["button_held"] = button_held
    if control:
        _host["control"] = open(control, "rb")
    if said:
        _host["said"] = open(said, "rb")
    if flash_stall:
        _host["flash_stall"] = flash_stall[0]
        _host["stalls"] = open(flash_stall[1], "w")
    if runner:
        engaged, schedule, variants, p, delay, steps = runner
        # (boundary frame, uniform draw) per step, read into its array: a read() first would
        # leave a hole of the file's size in the heap, too fragmented for the 8 KiB LUT
        sched = array("I", range(os.stat(schedule)[6] // 4))
        with open(schedule, "rb") as f:
            f.readinto(sched)
        _host["runner"] = (open(engaged, "rb"), sched, open(variants, "wb"), p, delay, steps)


_CLOCK_FILE = "sim_clock.json"  # the simulated RTC, kept on the device's "flash"


def set_clock(y, mo, d, h, mi, s):
    """The host sets the clock at a pull; later runs stamp their sessions with it."""
    with open(_CLOCK_FILE, "w") as f:
        f.write('"%04d-%02d-%02dT%02d:%02d:%02d"' % (y, mo, d, h, mi, s))


RESTART_FILE = "sim_restart_at"  # the bridge (simulator/virtual_insole.py) reboots the firmware at this time


def watch_pull(seconds):
    """As the board's: restart unless the host calls again within `seconds` (0: stop
    watching). The unix port cannot reset itself while it waits at the REPL, so the
    deadline goes to the bridge, which reboots the firmware as the board's reset would."""
    if seconds:
        with open(RESTART_FILE, "w") as f:
            f.write(str(time.time() + seconds))
        return
    try:
        os.remove(RESTART_FILE)
    except OSError:
        pass


def restart():
    """As the board's hard reset: the process ends, and the bridge boots the firmware afresh,
    which then reports "hard" (attach())."""
    cause = _host.get("cause")
    if cause:
        cause.write("hard")
        cause.close()
    sys.exit()


_BOOT_MS = time.ticks_ms()
_RESET_CAUSE = ["power-on"]  # the bridge starts a fresh process for every boot; attach() reads why


def _read_cause(path):
    """Why this boot (what the last process's restart() left; nothing: power-on), and the file
    opened afresh for this process's own restart()."""
    try:
        with open(path) as f:
            _RESET_CAUSE[0] = f.read() or "power-on"
    except OSError:
        pass  # no file yet: power-on
    _host["cause"] = open(path, "w")


def reset_cause():
    return _RESET_CAUSE[0]


def uptime_ms():
    return time.ticks_diff(time.ticks_ms(), _BOOT_MS)


def power(board):
    """(battery mV, USB power in): the virtual insole is always plugged in."""
    return 3900, True


_ID_FILE = "sim_id"  # a virtual insole's id (several can share a store); written by `serve`


def device_id():
    try:
        with open(_ID_FILE) as f:
            return f.read().strip()
    except OSError:
        return "sim0001"


class _Runner:
    """Which variant each step is taken from: curled toes when the runner complies."""

    def __init__(self, spec):
        self.frames, self.sched, self.log, self.p, self.delay, self.steps = spec
        self.next = 0  # index of the next step boundary
        self.engaged = False
        self.prompt_from = -1
        self.prompt_to = -2

    def at_frame(self, frame_no):
        sched = self.sched
        k = self.next
        if 2 * k < len(sched) and frame_no >= sched[2 * k]:
            self.engaged = self.prompt_from <= k <= self.prompt_to and sched[2 * k + 1] < self.p
            self.log.write(b"\x01" if self.engaged else b"\x00")
            self.next = k + 1

    def cued(self):
        current = self.next - 1  # the step whose boundary passed last
        self.prompt_from = current + self.delay
        self.prompt_to = current + self.delay + self.steps - 1


class FlashStall:
    """Erases and programs LittleFS (MicroPython's VfsLfs2: 128-byte program cache) issues
    for appends to one file, read from lfs2.c: the first write after a sync erases a fresh
    block and copies the partial last block into it (lfs2_ctz_extend), a full block opens
    a new one (erase, skip-list pointers), a sync programs the cache's tail and a metadata
    commit; every `_COMMITS` commits the directory's metadata block is compacted (erase).
    The counts are checked against a real VfsLfs2 in tests/mp/test_fw_flashstall.py."""

    _CACHE = 128
    _COMMITS = 64  # ~64-byte commits fill a 4 KiB metadata block

    def __init__(self, erase_us, prog_us, block=4096):
        self.erase_us = erase_us
        self.prog_us = prog_us
        self.block = block
        self.erases = 0
        self.progs = 0
        self.commits = 0
        self.open()

    def open(self):
        self.size = 0
        self.index = 0  # block of the file being filled, and the offset in it
        self.off = 0
        self.writing = False  # a block is open for appending (no sync since)
        self.dirty = False
        self.progs += 1  # the new directory entry

    def _new_block(self):
        # imported here: attach() builds the model before the device folder (and core) is mounted
        from core.sessionlog import block_capacity

        self.erases += 1
        self.index += 1
        self.off = self.block - block_capacity(self.index, self.block)  # skip-list pointers, in the cache

    def write(self, n):
        cache = self._CACHE
        if not self.writing:
            self.writing = True
            if self.size == 0:
                self.erases += 1
            elif self.off == self.block:
                self._new_block()
            else:  # copy-on-write of the partial last block
                self.erases += 1
                self.progs += self.off // cache
        self.dirty = True
        while n:
            if self.off == self.block:
                self._new_block()
            take = min(n, self.block - self.off)
            self.progs += (self.off + take) // cache - self.off // cache
            self.off += take
            self.size += take
            n -= take

    def sync(self):
        if not self.dirty:
            return
        self.dirty = False
        self.writing = False
        if self.off % self._CACHE:
            self.progs += 1
        self.progs += 1  # the metadata commit
        self.commits += 1
        if self.commits == self._COMMITS:
            self.commits = 0
            self.erases += 1  # compaction into the pair's other block
            self.progs += 2

    def op(self, op, nbytes):
        """One session-log event (sessionlog.OPEN / WRITE / SYNC); returns the stall in us."""
        e, p = self.erases, self.progs
        if op == 0:
            self.open()
        elif op == 1:
            self.write(nbytes)
        else:
            self.sync()
        return (self.erases - e) * self.erase_us + (self.progs - p) * self.prog_us


class Board:
    def __init__(self, board, rate_hz):
        if _host["frames"] is None:
            raise RuntimeError("hal.sim: attach() the frame source first")
        # imported here: attach() runs before the device folder (and core) is mounted
        from core.channels import COUNT
        from core.power import drop_host_data

        drop_host_data(board)
        # the simulated chip is the nominal one (frames come in its counts): the bounds of the
        # chip spread the board HAL calibrates against go too, as they do there
        board["adc"] = dict(board["adc"])
        board["adc"].pop("vref_curves", None)
        self.rate = rate_hz
        self.period_us = 1000000 // rate_hz
        self.frame_no = -1  # sample ticks since boot
        self.played = -1  # frames of the data played (the runner's schedule counts these)
        self.ms = 0  # now_ms() as whole ms + a remainder in 1/rate ms: small ints for days
        self.ms_rem = 0
        self.at_zero = True  # the next tick is the session's time 0
        self.rearm = _host["interactive"]  # the virtual insole is a board; a recording keeps its time
        self.resting = False
        self.wearer = bytearray(4)
        self.flash = None
        self.stall_us = 0
        mode = _host["flash_stall"]
        if mode:
            t = board["flash"]
            self.flash = FlashStall(t["sector_erase_us"][mode], t["page_program_us"][mode])
        self.count = COUNT
        self.buf = array("H", bytearray(2 * COUNT * _FRAMES_PER_READ))
        self.have = 0
        self.pos = 0
        self.runner = _Runner(_host["runner"]) if _host["runner"] else None
        self.alt = array("H", bytearray(2 * COUNT * _FRAMES_PER_READ)) if self.runner else None
        self.pulse_end = -1
        self.t0 = time.ticks_ms()
        self.poller = None
        self.out_poller = None
        self.inbyte = bytearray(1)
        self.said = bytearray(5)  # the next typed byte (attach(said=...)): its t_ms, the byte
        self.said_at = -1  # its time once read; -1: none read
        if _host["interactive"]:
            self.poller = select.poll()
            self.poller.register(sys.stdin, select.POLLIN)
            self.out_poller = select.poll()
            self.out_poller.register(sys.stdout, select.POLLOUT)
        self.led_state = "idle"

    def _advance(self):
        self.frame_no += 1
        if self.at_zero:
            self.at_zero = False
        else:
            rem = self.ms_rem + 1000
            self.ms += rem // self.rate
            self.ms_rem = rem % self.rate
        control = _host["control"]
        if control and self.frame_no % _CONTROL_EVERY == 0:
            control.seek(0)
            n = control.readinto(self.wearer)
            if n:  # "rest": unloaded; anything else ("run"): the data plays
                self.resting = n == 4 and self.wearer == b"rest"

    def _stalled(self):
        """Frames lost to the flash stall since the last tick (their data is skipped)."""
        missed = self.stall_us // self.period_us
        _host["stalls"].write("%d,%d,%d\n" % (self.ms, self.stall_us, missed))
        self.stall_us = 0
        for _ in range(missed):
            self._advance()
            if self.resting:
                continue
            if not self._play():
                break
            self.pos += self.count
        return missed

    def flash_op(self, op, nbytes):
        if self.flash:
            self.stall_us += self.flash.op(op, nbytes)

    def start(self):
        """A session begins: the next tick is its time 0 (the virtual clock has no gap to
        skip). A pulse keeps its distance."""
        if self.pulse_end >= 0:
            self.pulse_end = max(0, self.pulse_end - self.ms)
        self.ms = 0
        self.ms_rem = 0
        self.at_zero = True

    def sample(self, frame):
        """The next frame on the virtual clock (paced to real time x speed); -1 when the
        data has ended, else the frames a flash stall cost (their data skipped)."""
        missed = self._stalled() if self.stall_us else 0
        self._advance()
        speed = _host["speed"]
        if speed:
            due = int(self.frame_no * 1000 / self.rate / speed)
            wait = due - time.ticks_diff(time.ticks_ms(), self.t0)
            if wait > 0:
                time.sleep_ms(wait)
        count = self.count
        if self.resting:
            for c in range(count):
                frame[c] = 0  # unloaded: the insole lies on a desk
        else:
            if not self._play():
                return -1
            p = self.pos
            buf = self.buf
            if self.runner and self.runner.engaged and self.alt is not None:
                buf = self.alt
            for c in range(count):
                frame[c] = buf[p + c]
            self.pos = p + count
        if self.pulse_end >= 0 and self.ms >= self.pulse_end:
            self.pulse_end = -1
        return missed

    def _play(self):
        """The data's next frame is at self.pos (the runner is told); False when the data
        has ended."""
        if not self._fill():
            return False
        self.played += 1
        if self.runner:
            self.runner.at_frame(self.played)
        return True

    def _fill(self):
        """A frame is buffered at self.pos; False when the data has ended."""
        if self.pos >= self.have:
            n = _host["frames"].readinto(self.buf)
            self.have = (n or 0) // 2
            self.pos = 0
            if self.runner:
                self.runner.frames.readinto(self.alt)
        return self.have >= self.count

    def now_ms(self):
        return self.ms

    def haptic(self, pulse_ms):
        t = self.ms
        self.pulse_end = t + pulse_ms
        _host["haptics"].write("%d,%d\n" % (t, pulse_ms))
        if self.runner:
            self.runner.cued()

    def pattern(self, name):
        if name not in PATTERNS:  # as on the board: a name the vocabulary lacks is a bug
            raise KeyError(name)
        _host["haptics"].write("%d,%s\n" % (self.ms, name))

    def button_pressed(self):
        held = _host["button_held"]
        if held is True or held is False:
            return held
        for first, last in held:
            if first <= self.frame_no <= last:
                return True
        return False

    def idle(self, frame):
        """Stopped between runs: time passes a sample tick at a time (the board sleeps).
        Returns as sample() does (-1: the data has ended)."""
        return self.sample(frame)

    def power_check(self):
        return False  # the virtual insole runs on USB power

    def led(self, state):
        self.led_state = state

    def battery_mv(self):
        return 3900

    def wdt_feed(self):
        pass

    def device_id(self):
        return device_id()

    def clock_iso(self):
        """The time the host last set (the simulated RTC does not tick on its own)."""
        try:
            with open(_CLOCK_FILE) as f:
                return f.read().strip('"')
        except OSError:
            return None

    def check_interrupt(self):
        while self.console_byte() >= 0:
            pass

    def console_byte(self):
        """A host Ctrl-C arrives as a byte on the raw serial line, as on a board's USB."""
        if _host["said"]:
            c = self._said()
            if c >= 0:
                return c
        if self.poller:
            for _ in self.poller.ipoll(0):
                sys.stdin.buffer.readinto(self.inbyte)
                if self.inbyte[0] == 3:
                    raise KeyboardInterrupt
                return self.inbyte[0]
        return -1

    def _said(self):
        """The next byte typed (attach(said=...)) once the virtual clock reaches its time, or -1."""
        if self.said_at < 0:
            if _host["said"].readinto(self.said) != 5:
                _host["said"] = None  # all typed
                return -1
            s = self.said
            self.said_at = s[0] | s[1] << 8 | s[2] << 16 | s[3] << 24
        if self.ms < self.said_at:
            return -1
        self.said_at = -1
        return self.said[4]

    def console_write(self, buf):
        """The pseudo-terminal says whether it has room (unlike the board's stdout)."""
        if self.out_poller:
            for _ in self.out_poller.ipoll(0):
                sys.stdout.buffer.write(buf)
                return True
        return False

    def close(self):
        self.pulse_end = -1
        _host["haptics"].flush()
        if _host["stalls"]:
            _host["stalls"].flush()
        if self.runner:
            self.runner.log.flush()
