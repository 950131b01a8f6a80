"""python -m simulator score: every scenario through the firmware, scored against truth."""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict
from pathlib import Path

from firmware.core import config as fw_config
from hardware.board_data import load_board
from simulator.device import run_synth
from simulator.flashstall import MODES, StallEffect, stall_effect
from simulator.scoring import Score, score
from simulator.scenario import load_scenario, scenario_names

# scenarios whose faults hide what the firmware is asked to see (a dead heel hides a heel
from simulator.synth import generate

# scenarios whose faults hide what the firmware is asked to see (a dead heel hides a heel
# striker's contact); they are held to "no false cues", not to every bar
SENSOR_TROUBLE = {"dead_heel", "shorted_toes", "intermittent_met5", "noise_spikes"}
COLUMNS = (("F1", "f1", "{:.3f}"), ("IC med", "ic_err_median_ms", "{:.0f}"), ("IC p95", "ic_err_p95_ms", "{:.0f}"),
           ("TO med", "to_err_median_ms", "{:.0f}"), ("TO p95", "to_err_p95_ms", "{:.0f}"),
           ("collapse bacc", "collapse_bacc", "{:.3f}"), ("toe bacc", "toe_bacc", "{:.3f}"),
           ("arch judged", "arch_coverage", "{:.0%}"), ("toes judged", "toe_coverage", "{:.0%}"),
           ("walk bacc", "walk_bacc", "{:.3f}"),
           ("cue-IC p95", "cue_after_ic_p95_ms", "{:.0f}"), ("cue-decision max", "cue_after_decision_max_ms", "{:.0f}"),
           ("cues/min", "cues_per_min", "{:.1f}"), ("steps", "true_steps", "{}"))


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


def score_scenario(name: str, seed: int = 1, seconds: float | None = None, flash_stall: str = "off") -> Score:
    return score_with_stalls(name, seed, seconds, flash_stall)[0]


def score_with_stalls(name: str, seed: int = 1, seconds: float | None = None,
                      flash_stall: str = "off") -> tuple[Score, StallEffect]:
    run_ = generate(load_scenario(name), seed=seed, seconds=seconds)
    cfg = {"cue_mode": "every"}
    with tempfile.TemporaryDirectory(prefix="archcue-score-") as tmp:
        result = run_synth(run_, load_board(), cfg, Path(tmp), None if flash_stall == "off" else flash_stall)
    window = fw_config.defaults()["landing_window_ms"]
    effect = stall_effect(result.stalls, result.truth, run_.rate_hz, len(run_.counts), window)
    return score(result.truth, result.records, result.haptics, run_.seconds, window), effect


def table(results: dict[str, Score]) -> str:
    lines = ["| scenario | " + " | ".join(c[0] for c in COLUMNS) + " |",
             "| --- |" + " ---: |" * len(COLUMNS)]
    for name, s in results.items():
        d = asdict(s)
        mark = " (sensor trouble)" if name in SENSOR_TROUBLE else ""
        lines.append(f"| {name}{mark} | " + " | ".join(fmt.format(d[key]) for _, key, fmt in COLUMNS) + " |")
    return "\n".join(lines)


def score_all(names: list[str], seed: int, seconds: float | None, jobs: int, flash_stall: str = "off",
              effects: dict[str, StallEffect] | None = None) -> dict[str, Score]:
    """Scores per scenario; with the flash-stall model, each one's StallEffect into effects."""
    results: dict[str, Score] = {}
    start = time.perf_counter()
    with ProcessPoolExecutor(max_workers=max(1, jobs)) as pool:
        futures = {name: pool.submit(score_with_stalls, name, seed, seconds, flash_stall) for name in names}
        for i, (name, fut) in enumerate(futures.items(), 1):
            results[name], effect = fut.result()
            if effects is not None:
                effects[name] = effect
            print(f"[{i}/{len(names)}] {name} scored ({time.perf_counter() - start:.0f} s)", file=sys.stderr)
    return results


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
