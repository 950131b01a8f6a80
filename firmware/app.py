# The insole's main loop: sample, process, cue, log. Wires core to a HAL.
import gc
import json
import sys
import time
from array import array

from core import channels, config, fsr, record, sessionlog
from core import live as live_wire
from core.gait import LOADED, STANCE
from core.live import Live
from core.pipeline import Pipeline

FIRMWARE_VERSION = "0.2.0"
# Relative to the working directory, which is the filesystem root on a board (and in the
# simulator, where the unix port's VfsPosix cannot rename across absolute paths).
BOARD_FILE = "board.json"
CONFIG_FILE = "config.json"
ROOT = "."  # sessions live in ./sessions
_SERVICE_MS = 50  # records, log flush, watchdog and button every this many ms
# A sync that does not end on a flash block costs an erase on the next append (45 ms
# typical on SPI NOR: 9 frames at 200 Hz), so the log syncs at block boundaries and at
# least this often: a power cut loses at most this much running.
_FLUSH_MS = 60000
# Until the first step the session has no file, and its clock (time 0 of its records,
# its warm-up) restarts with a fresh pipeline after this long without a contact: a run
# begins within it of the first landing, however long the insole lay on a desk first.
_REARM_MS = 10000
_DOUBLE_MS = 600  # idle: a second press within this of the first's release starts a drill session


def log(msg):
    print("archcue:", msg)


def _drain(pipe, rec, session, live, hal):
    """Every record the pipeline holds, to the session log and the live stream; True if any."""
    any_ = False
    while pipe.pop_record(rec):
        session.append(rec)
        live.step(rec, hal.now_ms())
        any_ = True
    if any_ and pipe.pop_cue(rec):  # after its step: the cued landing's motor start (record.EVENT_CUE)
        session.append(rec)
    return any_


def _answer(live, pipe, rec, session, hal):
    """The runner's answer entered in archcue live (core/live.py), as an event record."""
    a = live.take_answer()
    if a is None:
        return
    t = hal.now_ms()
    policy = pipe.cue
    stopped = policy.rated(a[1]) if a[0] == live_wire.PAIN else 0
    into = 0 if policy.block == 0 else (t - policy.warmup_ms) % policy.block_ms
    record.pack_event_into(rec, 0, record.EV_ANSWER, t, a[0], a[1], a[2], a[3], policy.block, stopped, into)
    session.append(rec)
    if stopped:
        log("safety stop: pain %d/10; no more cues this run" % a[1])


def _make_hal(board, rate):
    if sys.platform == "esp32":
        from hal import esp32

        return esp32.Board(board, rate)
    from hal import sim

    return sim.Board(board, rate)


def _header(board_name, cfg, config_errors, hal):
    header = {
        "firmware": FIRMWARE_VERSION,
        "board": board_name,
        "foot": cfg["foot"],
        "runner": cfg["runner_id"],
        "rate_hz": cfg["rate_hz"],
        "config": cfg,
        "started_at": hal.clock_iso(),
        "battery_mv": hal.battery_mv(),
    }
    if config_errors:
        header["config_errors"] = config_errors  # the config.json it could not use, and what it ran instead
    return header


def _waiting(session, pipe, hal):
    """No step yet, none under way, and no contact for _REARM_MS, or a load held too long
    for a stance (LOADED: the insole put on, standing; a fresh pipeline takes it as its
    zero): time to restart the session's clock (where the HAL's clock is the board's, not
    a recording's)."""
    if not hal.rearm or session.opened:
        return False
    state = pipe.gait.state
    return state == LOADED or (state != STANCE and hal.ms - pipe.gait.ic_ms >= _REARM_MS)


def run(hal, cfg, lut, session):
    """Sample until the data ends, the button stops the run, or Ctrl-C. Returns the reason.
    The session's clock starts at 0 here (hal.start()); its file is made at the first step."""
    pipe = Pipeline(cfg, lut)
    live = Live(hal, session.sid, cfg)  # archcue live: a line per step while a host asks
    frame = array("H", [0] * channels.COUNT)
    rec = bytearray(record.SIZE)
    gc.collect()
    mem_start = gc.mem_alloc()
    every = max(1, cfg["rate_hz"] * _SERVICE_MS // 1000)
    n = 0
    worst_missed = 0  # the longest loop stall, in frames
    gcs = 0
    gc_us = 0  # the longest explicit collection
    warned_full = False
    reason = "end of data"
    hal.led("running")
    hal.start()
    try:
        while True:
            missed = hal.sample(frame)  # the frame's one HAL call (it also ends pulses)
            if missed:
                if missed < 0:
                    break
                pipe.mark_dropped(missed)
                if missed > worst_missed:
                    worst_missed = missed
            pulse = pipe.process(frame, hal.ms)
            if pulse:  # first thing after the decision: cue latency matters
                name = pipe.cue.pattern  # the hips-or-feet protocol's hips and sham rhythms (core/arms.py)
                if name:
                    hal.pattern(name)
                else:
                    hal.haptic(pulse)
            n += 1
            if n % every:
                continue
            stepped = _drain(pipe, rec, session, live, hal)
            if stepped:  # the foot is in swing: a runner's answer may be written now
                _answer(live, pipe, rec, session, hal)
            # A record is pushed at toe-off: the foot is in swing and its next contact is
            # hundreds of ms away, the one moment a flash stall or a GC pause hides no
            # landing. Every flash write and sync happens here, never inside a stance.
            if stepped and session.tick(hal.now_ms()):
                t0 = time.ticks_us()
                gc.collect()  # the loop allocates nothing; this keeps it that way
                gcs += 1
                gc_us = max(gc_us, time.ticks_diff(time.ticks_us(), t0))
            elif _waiting(session, pipe, hal):
                pipe = Pipeline(cfg, lut)  # nothing learnt yet: nothing lost
                gc.collect()
                hal.start()
                session.header["started_at"] = hal.clock_iso()
            hal.wdt_feed()
            live.poll()  # the host's bytes; a Ctrl-C the port does not catch raises here
            if session.full and not warned_full:
                warned_full = True
                hal.pattern("flash_full")
            if hal.button_pressed():
                reason = "button"
                break
            if hal.power_check():  # the cell is nearly empty: seal the session before a brown-out
                reason = "battery"
                break
    except KeyboardInterrupt:
        reason = "interrupted"
    finally:
        _drain(pipe, rec, session, live, hal)
        session.close()
        live.end()
        hal.led("idle")
    gc.collect()
    # device_link.py reads "N steps ... session ID;" of an interrupted run: only when there is one
    kept = "session %s" % session.sid if session.opened else "nothing recorded (no step)"
    log("run ended (%s): %d steps, %d frames (%d missed by the sampler), %d records lost to a full"
        " ring, %s; heap in use %d bytes at start, %d at end"
        % (reason, pipe.steps, n, pipe.dropped, pipe.records.lost, kept, mem_start, gc.mem_alloc()))
    log("longest loop stall %d frames (%d ms); %d collections in swing, longest %d us"
        % (worst_missed, worst_missed * 1000 // cfg["rate_hz"], gcs, gc_us))
    if live.sent or live.dropped:
        log("live view: %d step lines sent, %d dropped (the host read too slowly or not at all)"
            % (live.sent, live.dropped))
    return reason


def main(lut=None):
    """lut: fsr.new_lut()'s block, taken by main.py before the imports (else made here)."""
    cfg, config_errors = config.load(CONFIG_FILE)  # first: its parse is freed before the board data comes
    with open(BOARD_FILE) as f:
        board = json.load(f)  # the boot's largest object (~20 KB on a board) until the HAL and the LUT take theirs
    for e in config_errors:
        log("config: " + e)
    hal = _make_hal(board, cfg["rate_hz"])
    if hal.button_pressed():
        hal.led("safe")
        log("safe mode (button held at boot): main loop not started")
        return
    try:
        lut = fsr.build_lut(board, lut)
        board_name = board.get("name", "?")
        board = None  # the HAL and the LUT took what they need: ~10 KB of heap back on a board
        gc.collect()
        sessionlog.recover(ROOT, log)  # after the board data is gone: sealing a cut session needs room
        log("heap after boot: %d bytes in use, %d free" % (gc.mem_alloc(), gc.mem_free()))
        kind = "run"
        while True:
            header = _header(board_name, cfg, config_errors, hal)
            if kind == "drills":
                header["kind"] = "drills"
            session = sessionlog.SessionLog(ROOT, hal.device_id(), header, log=log, flush_ms=_FLUSH_MS,
                                            flash=hal.flash_op)
            if kind == "run":
                hal.pattern("ready")
                reason = run(hal, cfg, lut, session)
            else:
                gc.collect()
                import drillapp  # only now: a run's heap on the board has no room for the drill code

                reason = drillapp.drill_run(hal, cfg, lut, session)
            if reason not in ("button", "done"):
                break
            kind = _wait_for_start(hal)
            if not kind:
                break
    finally:
        hal.close()


def _wait_for_start(hal):
    """After the button stopped a run (or a drill session ended): idle until it is released,
    pressed again and released (the next run must not take the press that starts it for a
    stop); a second press within _DOUBLE_MS starts a drill session instead. Returns "run" or
    "drills"; None on Ctrl-C (stay stopped, at the REPL), or when the data ends (simulator)."""
    frame = array("H", [0] * channels.COUNT)
    try:
        for pressed in (True, False, True):
            while hal.button_pressed() == pressed:
                if not _idle_tick(hal, frame):
                    return None
        released = hal.now_ms()
        while hal.now_ms() - released < _DOUBLE_MS:
            if hal.button_pressed():
                while hal.button_pressed():  # the drill session starts at the release
                    if not _idle_tick(hal, frame):
                        return None
                return "drills"
            if not _idle_tick(hal, frame):
                return None
    except KeyboardInterrupt:
        return None
    return "run"


def _idle_tick(hal, frame):
    """One tick of the wait (the board light-sleeps until the button or USB power, or a
    timeout; else paced at the sample rate, blinking the LED); False once the data has ended."""
    more = hal.idle(frame) >= 0
    hal.wdt_feed()
    hal.check_interrupt()
    return more
