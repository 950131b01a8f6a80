# The hardware abstraction: the only code that touches `machine` / `esp32`. Two
# implementations with the same methods: esp32.Board (the insole) and sim.Board (the
# simulator, which feeds recorded or synthetic frames on a virtual clock).
#
#   start()                     a session begins: ms starts at 0, the sample grid now
#                               (what is due on the clock keeps its distance)
#   rearm                       True where the app may restart the clock while no step has
#                               come (the board; the virtual insole); False for a recording,
#                               whose frames keep their own time
#   sample(frame) -> int        the one call a frame: block until the next sample tick, fill
#                               array('H', channels.COUNT) with raw 12-bit counts, end pulses
#                               and step patterns that fell due; returns ticks missed, -1
#                               when the data has ended (simulator)
#   ms                          the sample clock in ms (an attribute: read every frame)
#   now_ms() -> int             the same, as a call
#   haptic(pulse_ms)            start a pulse and return at once; sample() ends it
#   pattern(name)               a pattern of core/cue.py (the one vocabulary: run cues,
#                               drill prompts, "ready", "flash_full"...), without blocking
#   button_pressed() -> bool    debounced start/stop button
#   led(state)                  "idle", "running", "fault", "safe"
#   battery_mv() -> int
#   power_check() -> bool       every 50 ms of a run: reads the battery now and then, buzzes
#                               "battery_low" once; True when the cell is nearly empty (the
#                               app ends the run, its session sealed, before a brown-out)
#   idle(frame) -> int          one tick of waiting between runs: the board light-sleeps
#                               until the button or USB power (or a timeout: the app feeds
#                               the watchdog), the simulator takes a sample tick; returns
#                               as sample() does (-1: the data has ended)
#   wdt_feed()
#   device_id() -> str          stable id for session names
#   clock_iso() -> str | None   wall-clock time if the host set it, else None
#   check_interrupt()           raise KeyboardInterrupt on a host Ctrl-C (where not automatic)
#   console_byte() -> int       the next byte the host sent on the USB console, -1 if none;
#                               never waits (a Ctrl-C raises, as check_interrupt)
#   console_write(buf) -> bool  write all of buf to the console only if that cannot wait on
#                               the transport (False: nothing written); see core/live.py
#   flash_op(op, nbytes)        the session log's flash writes and syncs (sessionlog.OPEN,
#                               WRITE, SYNC): a no-op on the board, whose flash stalls by
#                               itself; the simulator's flash-stall model
#   close()                     motor off, release pins (an empty cell: deep sleep)
#
# Module functions, for the host's calls at the REPL (sync.py) with the loop stopped:
# device_id(), set_clock(...), watch_pull(seconds), restart() (a hard reset: the firmware
# boots afresh), reset_cause() ("power-on", "hard", "watchdog", "deep sleep", "soft"),
# uptime_ms(), power(board) -> (battery mV, USB power in).
