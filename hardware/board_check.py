"""python -m hardware.board_check --port PORT   (make board-check PORT=...)

Measures, on the insole at PORT, what decides whether the firmware keeps up there: the
ADC read time per channel, the real pipeline's cost per frame on recorded frames, the
stall of a session-log flush, a GC pause, the PWM call that starts a cue, the small-int
width, the heap after boot, its peak during a pull's device calls, and the lowest free
heap; on a board also the pipeline at 240 MHz, this chip's ADC calibration with a
two-point check, the executable RAM native code takes, and the power figures the power
budget rests on, with the battery life they give. It copies recorded frames and
hardware/board_check_device.py (with board_check_board.py) as bytecode and runs them with
mpremote (the firmware loop is stopped, as by a pull; a reset starts it again). Against
the virtual insole (`python -m simulator serve`) the figures are the MicroPython unix
port's, and the table says so."""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from hardware.board_data import load_board
from hardware.deploy import _tool
from hardware.generate import battery_life, budget

HERE = Path(__file__).resolve().parent
DEVICE_SCRIPT = HERE / "board_check_device.py"
BOARD_MODULE = HERE / "board_check_board.py"  # imported by the check where a board HAL runs
TAG = "BOARD-CHECK "
SECONDS = 3  # recorded running sent to the board: 600 frames at 200 Hz (7 KB: with the booted
# firmware, its board data and the LUT, one copy fits the heap a board has left)
RATE = 200
DAY_MS_1KHZ = 24 * 3600 * 1000  # the largest per-frame value: now_ms after a day


class BoardCheckError(RuntimeError):
    pass


def _frames(path: Path) -> None:
    from simulator.scenario import load_scenario
    from simulator.synth import generate

    run = generate(load_scenario("rearfoot_easy"), seed=1, rate_hz=RATE, seconds=SECONDS)
    path.write_bytes(run.counts.astype("<u2").tobytes())


def measure(port: str, timeout: float = 180) -> dict:
    """The check's two modules go as bytecode (.mpy, any port's: no native code), so the
    insole imports them without compiling: the heap the check measures is not the
    compiler's (and the unix port behind the virtual insole, whose heap stands for a
    board's, has room for it)."""
    with tempfile.TemporaryDirectory() as tmp:
        frames = Path(tmp) / "bc_frames.bin"
        _frames(frames)
        copies = [(frames, "bc_frames.bin")]
        for src, name in ((DEVICE_SCRIPT, "bc_check"), (BOARD_MODULE, "bc_board")):
            mpy = Path(tmp) / f"{name}.mpy"
            subprocess.run([_tool("mpy-cross"), "-s", f"{name}.py", "-o", str(mpy), str(src)], check=True,
                           capture_output=True)  # named as on the insole: a host path costs heap
            copies.append((mpy, mpy.name))
        cmd = [_tool("mpremote"), "connect", port, "resume"]
        for src, name in copies:
            cmd += ["fs", "cp", str(src), f":{name}", "+"]
        cmd += ["exec", "import bc_check; bc_check.main()"]
        for _, name in copies:
            cmd += ["+", "fs", "rm", f":{name}"]
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    for line in out.stdout.splitlines():
        if line.startswith(TAG):
            return json.loads(line[len(TAG):])
    raise BoardCheckError(f"no result from the board (mpremote exit {out.returncode}):\n{out.stdout}{out.stderr}")


def _us(v: float | None) -> str:
    return "n/a (no such hardware here)" if v is None else f"{v:,.0f} us"


def _cue_ms(r: dict) -> str:
    """The motor starts in the frame that ends the landing window (its `cue` event records it;
    make bench measures it against the true contact): the window, that frame's pipeline cost and
    the PWM call. The decision needs landings after calibration, which these frames are too few for."""
    from firmware.core.config import defaults

    window = defaults()["landing_window_ms"]
    extra = r["frame_us"] + (r["pwm_on_us"] or 0)
    return (f"{window + extra / 1000:.2f} ms ({window} ms landing window + {extra:,.0f} us frame and PWM); "
            "contact to motor against the true contact: make bench")


def table(r: dict) -> str:
    esp32 = r["platform"].startswith("esp32")
    where = (f"measured on the board ({r['platform']}, {r['freq_mhz']} MHz)" if esp32 else
             f"unix-port figures ({r['platform']}: the virtual insole), not an ESP32's")
    adc = r["adc_us"]
    rows = [
        (
            "ADC read_u16 per channel",
            "n/a (no ADC here)" if adc is None else ", ".join(f"{v} us" for v in adc) + f" (frame: {sum(adc)} us)",
        ),
        (
            "ADC read() / read_uv(), first channel",
            "n/a (no ADC here)" if adc is None else " / ".join(f"{v} us" for v in r["adc_first_us"]),
        ),
        (
            "HAL sample() per frame (six reads included)",
            "n/a (no board HAL here)" if r["sample_us"] is None else
            f"{r['sample_us']} us = {r['sample_us'] / 10:.1f}% CPU at 1 kHz",
        ),
        (
            f"pipeline per frame ({r['frames']} recorded frames)",
            f"{r['frame_us']:.1f} us = "
            f"{r['frame_us'] * RATE / 1e4:.1f}% CPU at {RATE} Hz, {r['frame_us'] / 10:.1f}% at 1 kHz (without ADC)",
        ),
        *_board_rows(r),
        (
            "session-log flush (24 B append + sync)",
            f"median {r['flush_median_us']:,} us, longest {r['flush_max_us']:,} us",
        ),
        ("gc.collect() pause", _us(r["gc_us"])),
        (
            "calibration workload",
            f"{r['calib_us']:.3f} us per loop (make bench times it in the unix port: "
            "the ratio of the two replaces the published one in the bench's ESP32 estimate)",
        ),
        ("PWM on (motor duty_u16 call)", _us(r["pwm_on_us"])),
        ("cue: insole's contact -> motor on", _cue_ms(r)),
        (
            "small ints",
            f"below 2**{r['small_int_bits']}: now_ms after a day is {DAY_MS_1KHZ:,}, "
            f"{(1 << r['small_int_bits']) // DAY_MS_1KHZ:,}x headroom",
        ),
        (
            "heap after boot (firmware core, LUT, pipeline)",
            f"{r['heap_after_boot']:,} bytes in use, {r['free_after_boot']:,} free",
        ),
        (
            "heap in use at its highest during a pull",
            f"{r['pull_peak']:,} bytes (sync.py's calls: session list "
            "with SHA-256, the newest session in 4 KiB chunks; sampled after each call)",
        ),
        ("free heap at its lowest during the check", f"{r['free_lowest']:,} bytes"),
    ]
    width = max(len(k) for k, _ in rows)
    return "\n".join([f"board check: {where}"] + [f"  {k.ljust(width)}  {v}" for k, v in rows])


def _board_rows(r: dict) -> list[tuple[str, str]]:
    """What only a board has: the pipeline at 1 kHz's clock, this chip's ADC calibration
    with its two-point check, the executable RAM native code takes, the power figures and
    the battery life the budget gives with them."""
    none = "n/a (no board HAL here)"
    if r.get("power") is None:
        return [("ADC calibration, two-point check", none), ("power: clock, idle wake, cell", none),
                ("battery life from the budget", none)]
    cal, pw, ram = r["adc_cal"], r["power"], r["exec_ram"]
    points = "; ".join(f"{pin} pin {uv:.3f} V by read_uv(), {lut:.3f} V by the table's curve "
                       f"({1000 * (lut - uv):+.0f} mV)" for pin, uv, lut in cal["points"])
    b = load_board(r["board"])
    awake = None if pw["wake_us"] is None else pw["wake_us"] / 1000
    hours, days = battery_life(b, budget(b, awake))
    return [
        ("pipeline per frame at 240 MHz", f"{r['frame_us_240']:.1f} us = {r['frame_us_240'] / 10:.1f}% CPU at 1 kHz"),
        ("ADC calibration, two-point check",
         f"this chip's reference {cal['vref_mv']:.0f} mV (documented 1000-1200); {points}"),
        ("executable RAM (native code loaded)",
         f"{ram[0] - ram[1]:,} of {ram[0]:,} bytes in use, largest free block {ram[2]:,}"),
        ("power: clock, idle wake, cell",
         f"{pw['mhz_200hz']} MHz at 200 Hz; idle wake awake "
         + ("n/a (S3: native USB drops in light sleep)" if awake is None else f"{awake:.2f} ms")
         + f"; cell {pw['battery_mv']} mV, USB power {'in' if pw['usb'] else 'out'}"),
        ("battery life from the budget",
         f"{hours:.1f} h recording, {days:.0f} days stopped on {b['power']['battery_mah']} mAh (hardware/README.md's "
         "currents with this wake time; a USB power meter in the cell's lead measures the currents themselves)"),
    ]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m hardware.board_check", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--port", required=True, help="serial port of the insole (or the virtual insole's link)")
    args = p.parse_args(argv)
    try:
        print(table(measure(args.port)))
    except (BoardCheckError, subprocess.TimeoutExpired) as e:
        print(f"board-check: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
