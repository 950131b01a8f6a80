# Per-frame cost and allocations of the firmware pipeline under MicroPython.
# Usage: micropython bench_pipeline.py FRAMES.bin RATE_HZ BOARD.json
# Prints one JSON line: frames, us_per_frame, loop_us_per_frame, bytes_per_frame, steps.
import gc
import json
import sys
import time
from array import array

from core import config, fsr
from core.channels import COUNT
from core.pipeline import Pipeline

PASSES = 15
# Frames timed together: a chunk takes a millisecond or two, short enough to fall between
# the other jobs of a shared machine. The pipeline is deterministic, so chunk j does the
# same work in every pass: its best pass is its undisturbed cost, and the sum of those is
# an undisturbed pass (the same for the bare loop, subtracted).
CHUNK = 200


def main(path, rate, board_path):
    with open(path, "rb") as f:
        frames = array("H", f.read())
    with open(board_path) as f:
        lut = fsr.build_lut(json.load(f))
    cfg, _ = config.validate({"rate_hz": rate, "cue_mode": "every"})
    n = len(frames) // COUNT
    chunks = (n + CHUNK - 1) // CHUNK
    frame = array("H", [0] * COUNT)
    buf = bytearray(24)
    period_us = 1000000 // rate
    loaded = array("i", [1 << 29] * chunks)  # per chunk, the best pass with the pipeline
    bare = array("i", [1 << 29] * chunks)  # and without it: harness overhead
    worst_bytes = steps = 0
    for _ in range(PASSES):
        pipe = Pipeline(cfg, lut)
        steps = 0
        gc.collect()
        gc.disable()
        alloc0 = gc.mem_alloc()
        for j in range(chunks):
            t0 = time.ticks_us()
            for i in range(j * CHUNK, min(n, (j + 1) * CHUNK)):
                k = i * COUNT
                for c in range(COUNT):
                    frame[c] = frames[k + c]
                pipe.process(frame, i * period_us // 1000)
                if pipe.pop_record(buf):
                    steps += 1
            dt = time.ticks_diff(time.ticks_us(), t0)
            if dt < loaded[j]:
                loaded[j] = dt
        worst_bytes = max(worst_bytes, gc.mem_alloc() - alloc0)
        for j in range(chunks):
            t0 = time.ticks_us()
            for i in range(j * CHUNK, min(n, (j + 1) * CHUNK)):
                k = i * COUNT
                for c in range(COUNT):
                    frame[c] = frames[k + c]
                i * period_us // 1000
                pipe.pop_record(buf)
            dt = time.ticks_diff(time.ticks_us(), t0)
            if dt < bare[j]:
                bare[j] = dt
        gc.enable()
    best = {"frames": n, "us_per_frame": (sum(loaded) - sum(bare)) / n, "loop_us_per_frame": sum(bare) / n,
            "bytes_per_frame": worst_bytes / n, "steps": steps, "passes": PASSES}
    print(json.dumps(best))
    return best


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), sys.argv[3])
