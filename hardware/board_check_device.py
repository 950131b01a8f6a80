# Runs ON the insole (sent by `make board-check` as bytecode, bc_check.mpy, and imported
# there: hardware/board_check.py): measures what decides whether the firmware keeps up on
# this board and prints one JSON line prefixed BOARD-CHECK. Every figure is taken here, on
# whatever runs this: an ESP32, or the unix port behind the virtual insole (which has no
# ADC or PWM: those are None; the board-only figures are in board_check_board.py).
# Expects board.json (deployed) and bc_frames.bin (recorded frames, 6 x uint16 LE each).
import gc
import json
import os
import sys
import time
from array import array

import micropython

FRAMES = "bc_frames.bin"
LOG = "bc_flush.tmp"
REPEAT = 200
CALIB_LOOPS = 2000
FLUSHES = 20

low = [1 << 29]  # the lowest gc.mem_free() seen


def mark():
    free = gc.mem_free()
    if free < low[0]:
        low[0] = free


def best_us(fn, n=REPEAT):
    best = 1 << 29
    for _ in range(n):
        t0 = time.ticks_us()
        fn()
        dt = time.ticks_diff(time.ticks_us(), t0)
        if dt < best:
            best = dt
    return best


class _Acc:
    def __init__(self):
        self.n = 0
        self.total = 0
        self.peak = 0
        self.hist = [0] * 8

    def add(self, v):
        self.n += 1
        self.total += v
        if v > self.peak:
            self.peak = v
        self.hist[v & 7] += 1
        return self.total >> 4


def calibration(loops):
    """A fixed workload of the per-frame kind (integer arithmetic, attribute and list
    access, a method call). `make bench` times it in the unix port next to the pipeline;
    timed here too, it turns the bench's ESP32 estimate into a measured ratio."""
    acc = _Acc()
    x = 12345
    s = 0
    for _ in range(loops):
        x = (x * 1103 + 12345) & 0xFFFF
        s += acc.add(x >> 4)
        if s > 100000:
            s -= 100000
    return s


def adc_us(board):
    """read_u16() per channel (the HAL's call), then read() and read_uv() on the first: the
    port's three reads share one driver conversion; this shows what each adds on top."""
    try:
        from machine import ADC, Pin
    except ImportError:
        return None, None
    if not hasattr(ADC, "read_u16"):
        return None, None
    adcs = [ADC(Pin(ch["pin"]), atten=ADC.ATTN_11DB) for ch in board["channels"]]
    return [best_us(adc.read_u16) for adc in adcs], [best_us(adcs[0].read), best_us(adcs[0].read_uv)]


def board_hal(board):
    """The board HAL as the firmware makes it at 200 Hz (its clock set, this chip's ADC
    curve found); None without one (the unix port has no machine.ADC)."""
    try:
        from hal import esp32
    except ImportError:
        return None
    return esp32.Board(board, 200)


def sample_us(hal, board):
    """The board HAL's per-frame call, Board.sample(), with its wait for the tick skipped
    (the FSR rail's settling included: it is part of the call): best of REPEAT."""
    frame = array("H", [0] * len(board["channels"]))

    def one():
        hal.due = time.ticks_add(time.ticks_us(), -hal.period_us)  # the tick is now
        hal.sample(frame)

    return best_us(one)


def pwm_us(board):
    try:
        from machine import PWM, Pin
    except ImportError:
        return None
    hap = board["haptic"]
    motor = PWM(Pin(hap["pin"]), freq=hap["pwm_hz"], duty_u16=0)
    duty = hap["duty_pct"] * 65535 // 100
    t0 = time.ticks_us()
    motor.duty_u16(duty)  # the call the HAL makes to start a cue (a few us of buzz)
    dt = time.ticks_diff(time.ticks_us(), t0)
    motor.duty_u16(0)
    return dt


def frame_us(pipe, frames):
    """Mean cost of Pipeline.process per frame over the recorded frames, less the loop (the
    bare loop's best of three: a busy host slowing one pass must not make the cost negative)."""
    from core import record
    from core.channels import COUNT

    size = 2 * COUNT  # uint16 LE per channel
    n = len(frames) // size
    frame = array("H", [0] * COUNT)
    rec = bytearray(record.SIZE)
    t0 = time.ticks_us()
    for i in range(n):
        k = i * size
        for c in range(COUNT):
            frame[c] = frames[k + 2 * c] | frames[k + 2 * c + 1] << 8
        pipe.process(frame, i * 5)
        pipe.pop_record(rec)
    loaded = time.ticks_diff(time.ticks_us(), t0)
    bare = loaded
    for _ in range(3):
        t1 = time.ticks_us()
        for i in range(n):
            k = i * size
            for c in range(COUNT):
                frame[c] = frames[k + 2 * c] | frames[k + 2 * c + 1] << 8
            pipe.pop_record(rec)
        bare = min(bare, time.ticks_diff(time.ticks_us(), t1))
    return (loaded - bare) / n


def flush_us():
    """A 24-byte record appended and synced, as the session log does: each time and the
    longest (on LittleFS the append after a sync erases a block)."""
    times = []
    rec = bytes(24)
    with open(LOG, "wb") as f:
        for _ in range(FLUSHES):
            t0 = time.ticks_us()
            f.write(rec)
            f.flush()
            times.append(time.ticks_diff(time.ticks_us(), t0))
    os.remove(LOG)
    times.sort()
    return times[len(times) // 2], times[-1]


def small_int_bits():
    """N where ints below 2**N need no heap: 30 on an ESP32, 62 on the unix port."""
    bits = 8
    x = 1 << 8
    while bits < 70:
        micropython.heap_lock()
        try:
            y = x + x
        except MemoryError:
            y = None
        micropython.heap_unlock()
        if y is None:
            return bits + 1
        x = y
        bits += 1
    return bits


def pull_peak():
    """The insole's side of a pull (sync.py, as `archcue pull` calls it): the session
    list with SHA-256, then the newest session read in 4 KiB chunks. Returns the heap in
    use at its highest, sampled after each call (GC on, as in a pull)."""
    import sync
    from core import sessionlog

    peak = [0]

    def sample():
        mark()
        used = gc.mem_alloc()
        if used > peak[0]:
            peak[0] = used

    sync.sessions()
    sample()
    ids = sessionlog.session_ids(".")
    if ids:
        size = os.stat(sessionlog.path(".", ids[-1]))[6]
        for off in range(0, min(size, 4 * 4096), 4096):
            sync.read(ids[-1], off, 4096)
            sample()
    return peak[0]


def main():
    gc.collect()
    # The frames first, while the heap still has one block that large (after the boot it
    # may be fragmented); read in place: one copy fits a board's heap. Not part of the boot.
    before = gc.mem_alloc()
    frames = bytearray(os.stat(FRAMES)[6])
    frames_bytes = gc.mem_alloc() - before
    with open(FRAMES, "rb") as f:
        f.readinto(frames)
    from core import config, fsr

    lut = fsr.new_lut()  # as main.py takes it: in one piece, before the imports fragment the heap
    from core.pipeline import Pipeline

    with open("board.json") as f:
        board = json.load(f)
    hal = board_hal(board)  # as the app boots: the HAL first (it takes this chip's ADC curve)
    # the app lets the board dict go once the HAL and the table have it: the check keeps
    # only what the table and the figures below read (the unix port's heap is a board's)
    curve = board["adc"]["curve_v_counts"]
    board = {k: board[k] for k in ("name", "mcu", "channels", "haptic", "battery", "usb_sense", "fsr",
                                   "divider_ohm", "supply_v")}
    board["adc"] = {"curve_v_counts": curve}
    gc.collect()
    cfg, _ = config.validate({"rate_hz": 200, "cue_mode": "every"})
    fsr.build_lut(board, lut)
    mark()
    pipe = Pipeline(cfg, lut)
    gc.collect()
    after_boot = gc.mem_alloc() - frames_bytes
    free_boot = gc.mem_free() + frames_bytes
    mark()
    adc, adc_first = adc_us(board)
    out = {
        "adc_us": adc,
        "adc_first_us": adc_first,
        "sample_us": None if hal is None else sample_us(hal, board),
        "platform": sys.platform,
        "freq_mhz": None,
        "frame_us": frame_us(pipe, frames),
        "frames": len(frames) // (2 * len(board["channels"])),
        "pwm_on_us": pwm_us(board),
        "small_int_bits": small_int_bits(),
        "calib_us": best_us(lambda: calibration(CALIB_LOOPS), 5) / CALIB_LOOPS,
        "board": board.get("name"),
        "power": None,
    }
    if hal is not None:  # what only a board has (bc_board.py: its code stays off the unix port's heap)
        import bc_board

        out.update(bc_board.figures(hal, board, lambda: frame_us(pipe, frames), best_us))
    mark()
    frames = pipe = lut = None  # a pull runs on a stopped insole: its heap, not the check's
    gc.collect()
    out["flush_median_us"], out["flush_max_us"] = flush_us()
    mark()
    out["pull_peak"] = pull_peak()
    t0 = time.ticks_us()
    gc.collect()
    out["gc_us"] = time.ticks_diff(time.ticks_us(), t0)
    try:
        import machine

        out["freq_mhz"] = machine.freq() // 1000000
    except (ImportError, AttributeError):
        pass
    out["heap_after_boot"] = after_boot
    out["free_after_boot"] = free_boot
    out["free_lowest"] = low[0]
    print("BOARD-CHECK " + json.dumps(out))


if __name__ == "__main__":
    main()
