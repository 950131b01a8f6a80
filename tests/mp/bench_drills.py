# Per-frame cost and allocations of the drill meter (core/drills.py) under MicroPython, for
# each drill over a scripted set (relaxed standing, then the drill's own loads).
# Usage: micropython bench_drills.py   Prints one JSON line per drill.
import gc
import json
import time
from array import array

from core import drills

RATE = 200
FRAMES = 12000  # one minute at 200 Hz
PASSES = 5
RELAXED = (400, 80, 250, 200, 60, 40)
MOVES = {  # what the drill does after 4 s of standing: (loads, seconds) repeated
    drills.BALANCE: (((800, 160, 500, 400, 120, 80), 8.0), ((560, 112, 350, 280, 84, 56), 0.5)),
    drills.SHORT_FOOT: (((400, 40, 300, 200, 60, 40), 6.0), (RELAXED, 3.0)),
    drills.TOE_WAVER: (((400, 80, 250, 200, 200, 0), 0.8), ((400, 80, 250, 200, 0, 160), 0.8)),
}


def frames_of(drill):
    out = array("H", [0] * (FRAMES * 6))
    i = 0
    plan = ((RELAXED, 4.0),) + MOVES[drill] * 40
    for loads, seconds in plan:
        for _ in range(int(seconds * RATE)):
            if i == FRAMES:
                return out
            for c in range(6):
                out[i * 6 + c] = loads[c]
            i += 1
    return out


def main():
    for drill in (drills.BALANCE, drills.SHORT_FOOT, drills.TOE_WAVER):
        frames = frames_of(drill)
        frame = array("i", [0] * 6)
        out = array("i", [0] * drills.SLOT)
        best = None
        for _ in range(PASSES):
            meter = drills.DrillMeter(drill, RATE)
            results = 0
            gc.collect()
            gc.disable()
            alloc0 = gc.mem_alloc()
            t0 = time.ticks_us()
            for i in range(FRAMES):
                o = i * 6
                for c in range(6):
                    frame[c] = frames[o + c]
                meter.feed(frame)
                while meter.pop(out):
                    results += 1
            us = time.ticks_diff(time.ticks_us(), t0)
            alloc = gc.mem_alloc() - alloc0
            gc.enable()
            if best is None or us < best[0]:
                best = (us, alloc, results)
        print(json.dumps({"drill": drills.DRILLS[drill], "frames": FRAMES, "us_per_frame": best[0] / FRAMES,
                          "bytes_per_frame": best[1] / FRAMES, "results": best[2]}))


main()
