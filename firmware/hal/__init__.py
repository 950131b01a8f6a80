# The hardware abstraction: the only code that touches `machine` / `esp32`. Two
# implementations with the same methods: esp32.Board (the insole) and sim.Board (the
# simulator, which feeds recorded or synthetic frames on a virtual clock).
#
#   wait_next_sample() -> int   block until the next sample tick; returns ticks missed
#   read_frame(frame) -> bool   fill array('H', 6) with raw 12-bit counts; False: no more
#   now_ms() -> int             ms since the run started (sample clock)
#   haptic(pulse_ms)            start a pulse and return at once; service() ends it
#   pattern(name)               a distinct non-blocking pattern: "ready", "flash_full", "fault"
#   service()                   called every frame: ends pulses, steps patterns
#   button_pressed() -> bool    debounced start/stop button
#   led(state)                  "idle", "running", "fault", "safe"
#   battery_mv() -> int
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
#   close()                     motor off, release pins
