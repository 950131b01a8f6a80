"""python -m simulator replay: a recording (yours or ours) through the real firmware."""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

import numpy as np

from hardware.board_data import DEFAULT_BOARD, board_names, load_board
from simulator.device import run_firmware
from simulator.firmware_config import RATE_MAX_HZ, RATE_MIN_HZ, load_config
from simulator.recording import UNITS, RecordingError, long_gaps, read_recording, to_frames, write_steps


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "replay", help="run a recorded CSV through the firmware, write the detected steps",
        description="Replay a recording through the real firmware (app + core + simulator HAL) in the "
                    "MicroPython unix port. INPUT is a CSV with a header: t_ms and any of heel, arch, met1, "
                    "met5, hallux, toes (absent channels read as unconnected). Newtons go through the FSR "
                    "model to ADC counts first. Irregular or off-rate samples are resampled onto the "
                    "firmware's fixed sample grid.")
    p.add_argument("input", type=Path, help="recording CSV")
    p.add_argument("--units", choices=UNITS, required=True, help="units of the channel columns")
    p.add_argument("--rate", type=int, help="firmware sample rate in Hz (default: the recording's own rate)")
    p.add_argument("--board", default=DEFAULT_BOARD, choices=board_names(), help="board profile (FSR model, ADC)")
    p.add_argument("--config", type=Path, help="firmware config.json to run with (validated)")
    p.add_argument("--out", type=Path, required=True, help="steps CSV to write")
    p.add_argument("--keep", type=Path, help="keep the simulated device folder (session logs) here")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.rate is not None and not RATE_MIN_HZ <= args.rate <= RATE_MAX_HZ:
        raise RecordingError(f"--rate {args.rate} Hz is outside the firmware's {RATE_MIN_HZ}..{RATE_MAX_HZ} Hz")
    _check_writable(args.out)  # before a long run, not after it
    if args.input.is_file() and args.input.stat().st_size > 8_000_000:
        print(f"reading {args.input} ({args.input.stat().st_size / 1e6:.0f} MB) ...", file=sys.stderr)
    rec = read_recording(args.input, args.units)
    if len(rec.t_ms) < 2:
        raise RecordingError(f"{args.input}: one sample is not a recording (need at least two data lines)")
    rate = args.rate or int(round(rec.rate_hz()))
    if not RATE_MIN_HZ <= rate <= RATE_MAX_HZ:
        step = float(np.median(np.diff(rec.t_ms)))
        raise RecordingError(f"{args.input}: the median time step is {step:g} ms ({rec.rate_hz():.3g} Hz), outside "
                             f"the firmware's {RATE_MIN_HZ}..{RATE_MAX_HZ} Hz; is t_ms in milliseconds? "
                             "(--rate sets the firmware's rate)")
    board = load_board(args.board)
    config = load_config(args.config)
    frames, resampled = to_frames(rec, args.units, rate, board)
    if resampled:
        print(f"note: the input's sample times are irregular or not {rate} Hz: resampled {len(rec.t_ms)} samples "
              f"onto the firmware's {rate} Hz grid ({len(frames)} frames) by linear interpolation", file=sys.stderr)
    n_gaps, longest = long_gaps(rec, rate)
    if n_gaps:
        print(f"note: {n_gaps} gap(s) in t_ms longer than 4 sample periods (longest {longest:g} ms) were bridged "
              f"by straight lines", file=sys.stderr)
    print(f"replaying {len(frames)} frames ({len(frames) / rate:.0f} s at {rate} Hz, channels: "
          f"{', '.join(rec.present)}) through the firmware ...", file=sys.stderr)
    with tempfile.TemporaryDirectory(prefix="archcue-replay-") as tmp:
        result = run_firmware(frames, rate, board, config, args.keep or Path(tmp))
    t0 = int(round(rec.t_ms[0]))
    for r in result.records:  # back to the recording's own time base
        r["ic_ms"] += t0
        r["to_ms"] += t0
    write_steps(args.out, result.records)
    steps = result.records
    print(f"{len(steps)} steps, {sum(r['collapse'] for r in steps)} collapses, "
          f"{sum(r['toe_engaged'] for r in steps)} toe engagements, {sum(r['cued'] for r in steps)} cues "
          f"-> {args.out}")
    return 0


def _check_writable(path: Path) -> None:
    folder = path.parent if str(path.parent) else Path(".")
    if path.is_dir():
        raise RecordingError(f"{path}: is a folder; --out names the steps CSV to write")
    if not folder.is_dir():
        raise RecordingError(f"{path}: cannot write (no folder {folder})")
    if not os.access(folder, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise RecordingError(f"{path}: cannot write (permission denied)")
