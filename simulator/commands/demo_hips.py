"""python -m simulator demo --hips-or-feet: a runner with knee pain through the hips-or-feet
protocol in pain mode, end to end but the cable. `archcue plan --protocol hips-or-feet --pain`,
then each run the plan asks for through the firmware (the engine, with the config a pull would
write: the run's arm order, 3-minute blocks); the simulated runner curls the toes on the feet
cue (one pulse) and not on the hips (two) or sham (three) patterns. The coach types the runner's
answers into `archcue live` as the run goes (the expectation before it, the familiarisation and
the warm-up's pain, a pain per block in its last 30 s: host/hips_or_feet/lab_run.py's timing),
the live wire's bytes on the virtual clock; the firmware writes them as answer records (and
stops the cues at a safety stop). The runs are stored as a pull stores them. The pain comes
from simulator/pain.py: a runner whose pain the feet cue eases by 2 points. Then
`archcue hips-or-feet --runner` and the report, as a coach would run them.

The simulated insole has no clock: the runs are dated two days apart, ending yesterday."""
from __future__ import annotations

import argparse
from datetime import datetime, timedelta

import numpy as np

from firmware.core import arms
from firmware.core import config as fw_config
from hardware.board_data import load_board
from host.cli import main as archcue
from host.hips_or_feet import lab_run, ratings
from host.plan.history import history
from host.plan.plan import next_config
from host.plan.protocol import PROTOCOL
from host.store.db import Store
from simulator import pain
from simulator.commands.demo import _say, hint
from simulator.commands.demo_program import store_run
from simulator.device import run_synth
from simulator.scenario import load_scenario
from simulator.synth import generate

RUNNER = "demo-knee"
BASE = {"runner_id": RUNNER, "foot": "right"}
KIND = "feet"  # the simulated runner's pain eases with the feet cue (simulator/pain.py KINDS)
EXPECTATION = {"feet": 6, "hips": 6, "sham": 4}  # asked before each run
WARMUP_S = fw_config.defaults()["warmup_s"]  # the plan leaves the warm-up at the firmware's default


def _ratings(config: dict, rng: np.random.Generator) -> ratings.Run:
    """One run's answers from the pain model, in block order, cut at a safety stop."""
    orders = ratings.arm_rounds(config["arm_order"])
    warmup = float(rng.integers(3, 6))
    rounds = pain.one_run(pain.KINDS[KIND], orders, warmup, rng)
    said = [r.pain[arm] for r, order in zip(rounds, orders) for arm in order]
    stop = next((b for b, p in enumerate(said, 1) if arms.safety_stop(p, warmup)), len(said))
    return ratings.parse(f"{RUNNER}'s answers", {"warmup_pain": warmup, "rounds": [list(o) for o in orders],
                                                 "pain": said[:stop], "expectation": EXPECTATION,
                                                 "familiarisation": [10, 10]})


def run_hips_or_feet(args: argparse.Namespace) -> int:
    store = Store(args.dir / "archcue.sqlite")
    plan = argparse.Namespace(protocol="hips-or-feet", pain=True, rounds=None, runs=None)
    store.save_plan(RUNNER, {"protocol": PROTOCOL.update(None, plan, history(store, RUNNER))})
    rng = np.random.default_rng(args.seed)
    when = datetime.now().replace(hour=18, minute=0, second=0, microsecond=0) - timedelta(days=3)
    insole = args.dir / "insole"
    for k in range(10):  # as many runs as the plan asks for
        planned = next_config(store.plan(RUNNER) or {}, history(store, RUNNER))
        if not planned.get("plan_step"):
            break
        config = BASE | planned
        seconds = WARMUP_S + len(config["arm_order"].replace(" ", "")) * config["block_s"] + 20
        _say(f"run {k + 1}: hips-or-feet run {config['plan_step']}, pain mode, arm order {config['arm_order']}, "
             f"{seconds / 60:.0f} simulated minutes")
        synth = generate(load_scenario("responder"), seed=args.seed + k, seconds=seconds)
        said = lab_run.typed(_ratings(config, rng), config, seconds * 1000, RUNNER)
        run_synth(synth, load_board(), config, insole, said=said)
        store_run(store, insole / "device", when)
        when += timedelta(days=2)
    store.close()
    where = ["--store", str(args.dir / "archcue.sqlite")]
    archcue([*where, "hips-or-feet", "--runner", RUNNER])
    html_path = args.dir / f"report-{RUNNER}.html"
    archcue([*where, "report", RUNNER, "--out", str(html_path)])
    print("(this simulated runner's pain eases 2 points with the feet cue)")
    print(f"try: {hint(args.dir / 'archcue.sqlite', 'hips-or-feet', '--runner', RUNNER)}")
    return 0
