# The insole's main loop: sample, process, cue, log. Wires core to a HAL.
import gc
import json
import sys
from array import array

from core import config, fsr, record, sessionlog
from core.pipeline import Pipeline

FIRMWARE_VERSION = "0.1.0"
# Relative to the working directory, which is the filesystem root on a board (and in the
# simulator, where the unix port's VfsPosix cannot rename across absolute paths).
BOARD_FILE = "board.json"
CONFIG_FILE = "config.json"
ROOT = "."  # sessions live in ./sessions
_SERVICE_MS = 50  # records, log flush, watchdog and button every this many ms


def log(msg):
    print("archcue:", msg)


def _make_hal(board, rate):
    if sys.platform == "esp32":
        from hal import esp32

        return esp32.Board(board, rate)
    from hal import sim

    return sim.Board(board, rate)


def _header(board, cfg, hal):
    return {
        "firmware": FIRMWARE_VERSION,
        "board": board.get("name", "?"),
        "foot": cfg["foot"],
        "runner": cfg["runner_id"],
        "rate_hz": cfg["rate_hz"],
        "config": cfg,
        "started_at": hal.clock_iso(),
        "battery_mv": hal.battery_mv(),
    }


def run(hal, cfg, lut, session):
    """Sample until the data ends, the button stops the run, or Ctrl-C. Returns the reason."""
    pipe = Pipeline(cfg, lut)
    frame = array("H", [0] * 6)
    rec = bytearray(record.SIZE)
    gc.collect()
    mem_start = gc.mem_alloc()
    every = max(1, cfg["rate_hz"] * _SERVICE_MS // 1000)
    n = 0
    warned_full = False
    reason = "end of data"
    hal.led("running")
    try:
        while True:
            missed = hal.wait_next_sample()
            if missed:
                pipe.mark_dropped(missed)
            if not hal.read_frame(frame):
                break
            pulse = pipe.process(frame, hal.now_ms())
            if pulse:
                hal.haptic(pulse)  # first thing after the decision: cue latency matters
            hal.service()
            n += 1
            if n % every:
                continue
            while pipe.pop_record(rec):
                session.append(rec)
            session.tick(hal.now_ms())
            hal.wdt_feed()
            hal.check_interrupt()
            if session.full and not warned_full:
                warned_full = True
                hal.pattern("flash_full")
            if hal.button_pressed():
                reason = "button"
                break
    except KeyboardInterrupt:
        reason = "interrupted"
    finally:
        while pipe.pop_record(rec):
            session.append(rec)
        session.close()
        hal.led("idle")
    gc.collect()
    log("run ended (%s): %d steps, %d frames (%d missed by the sampler), %d records lost to a full"
        " ring, session %s; heap in use %d bytes at start, %d at end"
        % (reason, pipe.steps, n, pipe.dropped, pipe.ring_lost, session.sid, mem_start, gc.mem_alloc()))
    return reason


def main():
    with open(BOARD_FILE) as f:
        board = json.load(f)
    cfg, errors = config.load(CONFIG_FILE)
    for e in errors:
        log("config: " + e)
    hal = _make_hal(board, cfg["rate_hz"])
    if hal.button_pressed():
        hal.led("safe")
        log("safe mode (button held at boot): main loop not started")
        return
    try:
        sessionlog.recover(ROOT, log)
        lut = fsr.build_lut(board)
        while True:
            session = sessionlog.SessionLog(ROOT, hal.device_id(), _header(board, cfg, hal), log=log)
            hal.pattern("ready")
            if run(hal, cfg, lut, session) != "button" or not _wait_for_start(hal):
                break
    finally:
        hal.close()


def _wait_for_start(hal):
    """After the button stopped a run: idle until it is released and pressed again.
    Returns False on Ctrl-C (stay stopped, at the REPL)."""
    try:
        while hal.button_pressed():
            _idle_tick(hal)
        while not hal.button_pressed():
            _idle_tick(hal)
    except KeyboardInterrupt:
        return False
    return True


def _idle_tick(hal):
    hal.wait_next_sample()  # paces the wait at the sample rate instead of spinning
    hal.wdt_feed()
    hal.service()
    hal.check_interrupt()
