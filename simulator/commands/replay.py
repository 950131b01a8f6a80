"""python -m simulator replay: a recording (yours or ours) through the real firmware."""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

from hardware.board_data import DEFAULT_BOARD, board_names, load_board
from host.insole_config import load_config
from host.sources import engine
from host.sources.recording import UNITS, RecordingError, read_recording, write_steps


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
    engine.check_rate(args.rate)
    _check_writable(args.out)  # before a long run, not after it
    if args.input.is_file() and args.input.stat().st_size > 8_000_000:
        print(f"reading {args.input} ({args.input.stat().st_size / 1e6:.0f} MB) ...", file=sys.stderr)
    rec = read_recording(args.input, args.units)
    board = load_board(args.board)
    config = load_config(args.config)
    with tempfile.TemporaryDirectory(prefix="archcue-replay-") as tmp:
        run = engine.replay(rec, args.input, args.units, args.rate, board, config, args.keep or Path(tmp),
                            note=lambda text: print(text, file=sys.stderr))
    steps = run.result.records
    for r in steps:  # back to the recording's own time base
        r["ic_ms"] += run.t0_ms
        r["to_ms"] += run.t0_ms
    write_steps(args.out, steps)
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
