# A drill session's loop (core/drillsession.py wired to the HAL), the app's other kind of
# session. Its own module, imported by app.main() only when a drill session starts: the
# board-sized heap holds a run's code and pipeline or a drill session's, not both.
import gc
from array import array

import app
from core import channels
from core.drillsession import DrillSession


def drill_run(hal, cfg, lut, session, sizes=()):
    """A drill session (core/drillsession.py): until its last set, the button, the cell or the
    data's end. Returns the reason, as app.run() does."""
    ds = DrillSession(cfg, session, *sizes)  # sizes: (trials, trial_s, reps), the defaults if ()
    frame = array("H", [0] * channels.COUNT)
    loads = array("i", [0] * channels.COUNT)
    every = max(1, cfg["rate_hz"] * app._SERVICE_MS // 1000)  # the run loop's service period
    n = 0
    reason = "end of data"
    hal.led("running")
    hal.start()
    try:
        while not ds.done:
            if hal.sample(frame) < 0:
                break
            for i in range(channels.COUNT):
                loads[i] = lut[frame[i]]
            ds.frame(loads)
            n += 1
            if n % every:
                continue
            pattern = ds.service(hal.ms)
            if pattern:
                hal.pattern(pattern)
            session.tick(hal.now_ms())
            hal.wdt_feed()
            if hal.button_pressed():
                reason = "button"
                break
            if hal.power_check():
                reason = "battery"
                break
        else:
            reason = "done"
    except KeyboardInterrupt:
        reason = "interrupted"
    finally:
        session.close()
        hal.led("idle")
    gc.collect()
    app.log("drill session ended (%s): %d sets, %d frames, session %s" % (reason, ds.k + 1, n, session.sid))
    return reason
