"""python -m simulator generate: write a synthetic run as a replayable recording + truth."""
from __future__ import annotations

import argparse
import csv
from pathlib import Path

from host.sources.engine import check_rate
from host.sources.recording import UNITS, write_recording
from simulator.errors import ScenarioError
from simulator.scenario import load_scenario, scenario_names
from simulator.synth import FEET, generate

TRUTH_COLUMNS = ("ic_ms", "to_ms", "kind", "strike", "collapse", "toe_engaged")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("generate", help="synthesise a run as a recording CSV (plus ground truth)",
                       description="Generate a synthetic runner's recording in the replay input format.")
    p.add_argument("--scenario", required=True, help=f"one of: {', '.join(scenario_names())}, or a path")
    p.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    p.add_argument("--rate", type=int, default=200, help="sample rate in Hz (default 200)")
    p.add_argument("--seconds", type=float, help="override the scenario's duration")
    p.add_argument("--foot", choices=FEET, default="right",
                   help="which insole: the left one lands midway between the right one's landings "
                        "(same scenario and seed: one runner on two insoles)")
    p.add_argument("--units", choices=UNITS, default="newton", help="newtons (before the sensor) or raw ADC counts")
    p.add_argument("--out", type=Path, required=True, help="recording CSV to write")
    p.add_argument("--truth", type=Path, help="ground-truth steps CSV to write")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    check_rate(args.rate)
    if args.seconds is not None and args.seconds < 1:
        raise ScenarioError(f"--seconds {args.seconds:g}: a run lasts at least 1 s")
    run_ = generate(load_scenario(args.scenario), seed=args.seed, rate_hz=args.rate, seconds=args.seconds,
                    foot=args.foot)
    values = run_.forces if args.units == "newton" else run_.counts
    write_recording(args.out, run_.t_ms, values, args.units)
    if args.truth:
        with open(args.truth, "w", newline="") as f:
            # the truth CSV is the documented columns; internal per-step extras stay out
            w = csv.DictWriter(f, TRUTH_COLUMNS, extrasaction="ignore")
            w.writeheader()
            w.writerows(run_.truth)
    print(f"{run_.scenario} ({run_.foot} foot): {run_.seconds:.0f} s, {len(run_.truth)} steps -> {args.out}")
    return 0
