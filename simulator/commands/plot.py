"""python -m simulator plot: channels, truth and what the firmware decided, on one figure."""
from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from hardware.board_data import load_board
from simulator.device import run_synth
from simulator.plot import draw
from simulator.scenario import load_scenario, scenario_names
from simulator.synth import generate


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("plot", help="plot a stretch of a scenario: channels, truth, detections, cues",
                       description="Run a scenario through the firmware and draw the six channels with the "
                                   "true and detected contacts, collapse / toe flags and cues.")
    p.add_argument("--scenario", required=True, help=f"one of: {', '.join(scenario_names())}")
    p.add_argument("--seconds", default="40:50", help="window A:B in seconds (default 40:50, after calibration)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--cue-mode", default="every", choices=("off", "every", "faded", "blocks"))
    p.add_argument("--out", type=Path, required=True, help="PNG to write")
    p.set_defaults(func=run)


def _window(text: str) -> tuple[float, float]:
    try:
        a, b = (float(x) for x in text.split(":"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"--seconds wants A:B, got {text!r}") from None
    if not 0 <= a < b:
        raise argparse.ArgumentTypeError(f"--seconds wants 0 <= A < B, got {text!r}")
    return a, b


def run(args: argparse.Namespace) -> int:
    a, b = _window(args.seconds)
    scenario = load_scenario(args.scenario)
    run_ = generate(scenario, seed=args.seed, seconds=max(b + 1, 30.0))
    with tempfile.TemporaryDirectory(prefix="archcue-plot-") as tmp:
        result = run_synth(run_, load_board(), {"cue_mode": args.cue_mode, "warmup_s": 0}, Path(tmp))
    draw(run_, result, a, b, args.out)
    print(f"wrote {args.out}")
    return 0
