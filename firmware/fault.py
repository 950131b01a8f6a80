# A failed boot shows: the status LED blinks every 150 ms, from a timer, so it goes on at
# the REPL. Kept as source and independent of the rest of the firmware: it must work when
# that cannot load (a module the board's MicroPython refuses, a torn board.json: then only
# the REPL says why).
import sys

BLINK_MS = 150
TIMER = 2  # 0 feeds the watchdog, 1 watches a pull


def show():
    if sys.platform != "esp32":
        return  # the simulator's insole has no LED
    import json

    import machine

    try:
        with open("board.json") as f:
            pin = json.load(f)["led"]["pin"]
    except (OSError, ValueError, KeyError):
        return
    led = machine.Pin(pin, machine.Pin.OUT, value=1)
    machine.Timer(TIMER).init(period=BLINK_MS, callback=lambda t: led.value(not led.value()))
