# The unix-port figures behind `make bench`'s ESP32 estimate, in one MicroPython process:
# a fixed calibration workload (before and after), the core's cost per frame
# (bench_pipeline.py, best of 15 passes) and the board HAL's per-frame Python (hal/esp32.py on a stand-in
# `machine` whose methods are C builtins: the calls are real, the hardware is not).
# Usage: micropython bench_esp32_frame.py FRAMES.bin RATE_HZ BOARD.json
# Prints one JSON line: calib_us, calib_after_us, core_us, hal_us.
import json
import sys
import time

from board_check_device import calibration  # the same workload the board check times on a board
from fake_machine import Machine

PASSES = 5
CALIB_LOOPS = 2000
HAL_FRAMES = 5000
CORE_RUNS = 3  # x bench_pipeline's 5 passes: the machine is shared, the best is the least disturbed


def best_calibration_us():
    best = None
    for _ in range(PASSES):
        t0 = time.ticks_us()
        calibration(CALIB_LOOPS)
        dt = time.ticks_diff(time.ticks_us(), t0)
        best = dt if best is None or dt < best else best
    return best / CALIB_LOOPS


def hal_us(board, rate):
    """The app's per-frame HAL calls: wait_next_sample (the spin exits at once),
    read_frame, now_ms, service; best pass, less the bare loop."""
    from array import array

    sys.modules["machine"] = Machine
    from hal import esp32

    hal = esp32.Board(board, rate)
    frame = array("H", [0] * 6)
    best = None
    for _ in range(PASSES):
        t0 = time.ticks_us()
        for _ in range(HAL_FRAMES):
            hal.due = time.ticks_add(time.ticks_us(), -hal.period_us)
            hal.wait_next_sample()
            hal.read_frame(frame)
            hal.now_ms()
            hal.service()
        t1 = time.ticks_us()
        for _ in range(HAL_FRAMES):
            hal.due = time.ticks_add(time.ticks_us(), -hal.period_us)
        t2 = time.ticks_us()
        net = (time.ticks_diff(t1, t0) - time.ticks_diff(t2, t1)) / HAL_FRAMES
        best = net if best is None or net < best else best
    return best


def main(path, rate, board_path):
    import bench_pipeline

    with open(board_path) as f:
        board = json.load(f)
    calib = best_calibration_us()
    core = min((bench_pipeline.main(path, rate, board_path) for _ in range(CORE_RUNS)),
               key=lambda r: r["us_per_frame"])
    hal = hal_us(board, rate)
    print(json.dumps({"calib_us": calib, "calib_after_us": best_calibration_us(), "core_us": core["us_per_frame"],
                      "hal_us": hal, "frames": core["frames"]}))


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), sys.argv[3])
