# Runs at every boot (a soft reset too), before main.py. It must run whatever firmware is
# installed, and nothing here may fail.
# 1. A firmware update a cut interrupted is finished: `make deploy` copies the new files
#    into .staged/, then commits by renaming its journal to update.json (one atomic
#    rename); from then on, the renames it lists are done here, before anything is
#    imported, so the board boots the old firmware or the new, never a mix
#    (hardware/deploy.py).
# 2. A watchdog a run started survives a soft reset (the host's, mpremote's), but the
#    timer that fed it does not: after a soft reset a timer feeds it until the app's first
#    feed takes over (hal/esp32.py: wdt_feed), so neither the boot nor the REPL is cut.
import gc
import os
import sys

JOURNAL = "update.json"
STAGED = ".staged"


def finish_update():
    try:
        f = open(JOURNAL)
    except OSError:
        return  # nothing pending
    import json

    with f:
        plan = json.load(f)
    for path in plan["put"]:
        try:
            os.rename(STAGED + "/" + path, path)  # replaces the old file in one step
        except OSError:
            pass  # moved before the cut
    for path in plan["drop"]:
        try:
            os.remove(path)
        except OSError:
            pass
    for path in plan["rmdir"]:
        try:
            os.rmdir(path)
        except OSError:
            pass
    os.remove(JOURNAL)
    print("archcue: firmware %s installed" % plan["version"])


def feed_watchdog():
    if sys.platform != "esp32":
        return
    import machine

    if machine.reset_cause() != machine.SOFT_RESET:
        return  # a hard boot starts with the watchdog off
    import json

    with open("board.json") as f:
        wdt = machine.WDT(timeout=json.load(f).get("wdt_ms", 5000))  # the running one, reconfigured
    machine.Timer(0).init(period=1000, callback=lambda t: wdt.feed())


for _step in (finish_update, feed_watchdog):
    try:
        _step()
    except Exception as e:  # the boot must go on
        print("archcue: boot.py %s: %r" % (_step.__name__, e))
gc.collect()  # compiling this file leaves no garbage in the heap the app boots into
