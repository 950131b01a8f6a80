# The unix-port figures behind `make bench`'s ESP32 estimate, in one MicroPython process:
# a fixed calibration workload (before and after), the core's cost per frame
# (bench_pipeline.py: each 200-frame chunk at its best of 15 passes) and the board HAL's
# per-frame work (hal/esp32.py on a stand-in `machine` whose methods are C builtins: the
# calls are real, the hardware is not).
# Usage: micropython bench_esp32_frame.py FRAMES.bin RATE_HZ BOARD.json
# Prints one JSON line: calib_us, calib_after_us, core_us, hal_us.
import json
import sys
import time
from array import array

from board_check_device import calibration  # the same workload the board check times on a board
from fake_machine import Esp32, Machine

from core.channels import COUNT

PASSES = 5
CALIB_LOOPS = 2000
HAL_PASSES = 60  # short passes: the quietest of many shows through a shared machine's load
HAL_FRAMES = 500


def best_calibration_us():
    best = None
    for _ in range(PASSES):
        t0 = time.ticks_us()
        calibration(CALIB_LOOPS)
        dt = time.ticks_diff(time.ticks_us(), t0)
        best = dt if best is None or dt < best else best
    return best / CALIB_LOOPS


def hal_us(board, rate):
    """What the run loop asks of the HAL each frame: sample() (its wait ends at once: the
    work, not the idling) and the sample clock. The loaded and the bare loop each at their
    best over many short passes, so a disturbed pass of either cannot skew the difference."""
    sys.modules["machine"] = Machine
    sys.modules["esp32"] = Esp32
    from hal import esp32

    hal = esp32.Board(board, rate)
    hal.led("running")
    frame = array("H", [0] * COUNT)
    loaded = bare = 1 << 29
    for _ in range(HAL_PASSES):
        t0 = time.ticks_us()
        for _ in range(HAL_FRAMES):
            hal.due = time.ticks_add(time.ticks_us(), -hal.period_us)
            hal.sample(frame)
            hal.ms  # noqa: B018 (the run loop reads it every frame: its cost counts)
        t1 = time.ticks_us()
        for _ in range(HAL_FRAMES):
            hal.due = time.ticks_add(time.ticks_us(), -hal.period_us)
        t2 = time.ticks_us()
        loaded = min(loaded, time.ticks_diff(t1, t0))
        bare = min(bare, time.ticks_diff(t2, t1))
    return (loaded - bare) / HAL_FRAMES


def main(path, rate, board_path):
    import bench_pipeline

    with open(board_path) as f:
        board = json.load(f)
    calib = best_calibration_us()
    core = bench_pipeline.main(path, rate, board_path)
    hal = hal_us(board, rate)
    print(json.dumps({"calib_us": calib, "calib_after_us": best_calibration_us(), "core_us": core["us_per_frame"],
                      "hal_us": hal, "frames": core["frames"]}))


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), sys.argv[3])
