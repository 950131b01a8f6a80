"""python -m simulator score: every scenario through the firmware, scored against truth."""
from __future__ import annotations

import argparse
from pathlib import Path

from simulator.flashstall import MODES, StallEffect
from simulator.scenario import load_scenario, scenario_names
from simulator.scoring import score_all, table


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("score", help="score detection, flags and cue latency on the scenarios",
                       description="Run scenarios through the real firmware under MicroPython (cue_mode every) "
                                   "and score steps (F1, IC/TO timing in ms), collapse and toe-engagement "
                                   "balanced accuracy, and cue latency against the synthetic ground truth.")
    p.add_argument("--scenario", action="append", help="scenario name (repeatable; default: all)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--seconds", type=float, help="override each scenario's duration")
    p.add_argument("--jobs", type=int, default=2, help="scenarios run in parallel (default 2)")
    p.add_argument("--out", type=Path, help="also write the table (markdown) here")
    p.add_argument(
        "--flash-stall",
        choices=MODES,
        default="off",
        help="the flash-stall model (typical / worst SPI NOR times): adds samples lost and landing windows hit",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    names = args.scenario or scenario_names()
    for name in names:
        load_scenario(name)  # fail fast on a typo
    effects: dict[str, StallEffect] = {}
    text = table(score_all(names, args.seed, args.seconds, args.jobs, args.flash_stall, effects))
    if args.flash_stall != "off":
        text += f"\n\nflash stalls ({args.flash_stall} SPI NOR times):\n" + "\n".join(
            f"- {name}: {e.describe()}" for name, e in effects.items())
    print(text)
    if args.out:
        args.out.write_text(text + "\n")
    return 0
