"""python -m simulator demo: a synthetic runner through the real firmware, summarised."""
from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np

from firmware.core import config as fw_config
from hardware.board_data import load_board
from simulator.device import run_synth
from simulator.scoring import score
from simulator.synth import generate, load_scenario


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("demo", help="the end-to-end demo (make demo)",
                       description="Synthesise a runner, run the real firmware over it in MicroPython, "
                                   "and print what the insole saw, judged and cued.")
    p.add_argument("--scenario", default="responder")
    p.add_argument("--seconds", type=float, default=600)
    p.add_argument("--seed", type=int, default=7)
    p.set_defaults(func=run)


def _bar(frac: float, width: int = 30) -> str:
    return "#" * int(round(frac * width))


def run(args: argparse.Namespace) -> int:
    scenario = load_scenario(args.scenario)
    print(f"scenario {scenario['name']}: {scenario['description']}")
    run_ = generate(scenario, seed=args.seed, seconds=args.seconds)
    print(f"synthetic runner: {run_.seconds / 60:.0f} min at {run_.rate_hz} Hz, {len(run_.truth)} true steps")
    cfg = {"cue_mode": "blocks", "warmup_s": 120, "block_s": 60}
    print("running the firmware (app + core + simulator HAL) in the MicroPython unix port ...", file=sys.stderr)
    with tempfile.TemporaryDirectory(prefix="archcue-demo-") as tmp:
        res = run_synth(run_, load_board(), cfg, Path(tmp))
    steps = res.records
    print(res.log.strip())
    s = score(res.truth, steps, res.haptics, run_.seconds, fw_config.defaults()["landing_window_ms"])
    print(f"\nsteps detected {s.detected} of {s.true_steps} (F1 {s.f1:.3f}); contact timing error "
          f"median {s.ic_err_median_ms:.0f} ms, p95 {s.ic_err_p95_ms:.0f} ms")
    print(f"arch collapse flagged on {sum(r['collapse'] for r in steps)} landings "
          f"(balanced accuracy {s.collapse_bacc:.2f}); toes engaged on {sum(r['toe_engaged'] for r in steps)} "
          f"(balanced accuracy {s.toe_bacc:.2f}); {s.cues} cues, p95 {s.cue_after_ic_p95_ms:.0f} ms after contact")
    print("\nblock  cues  steps  collapse rate (protocol: warm-up, then cue-off / cue-on blocks)")
    blocks = np.array([r["block"] for r in steps])
    for b in np.unique(blocks):
        sel = [r for r in steps if r["block"] == b]
        rate = np.mean([r["collapse"] for r in sel if r["calibrated"]] or [0.0])
        label = "warm-up" if b == 0 else ("cue-on " if sel[0]["cue_block"] else "cue-off")
        print(f"{b:>3} {label} {sum(r['cued'] for r in sel):>4} {len(sel):>6}  {rate:5.2f} {_bar(rate)}")
    return 0
