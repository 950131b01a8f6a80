"""python -m simulator demo --program: a learner through a whole training program, end to end but
the cable: a run before the program, `archcue plan --program default`, then each run the plan asks
for through the firmware (the engine, the simulated runner answering its cues) with the config a
pull would write, stored as a pull stores it; then the program's page, as text and HTML.

The simulated insole has no clock: each run is dated as the program lays the runs out (every
other day, the retention run 4 weeks and a day after the last training run), ten weeks back from
today, so that the retention run's wait is over."""
from __future__ import annotations

import argparse
import hashlib
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np

from firmware.core import sessionlog
from hardware.board_data import load_board
from host.plan.history import history
from host.plan.plan import next_config
from host.plan.program import PROGRAM
from host.program.page import render
from host.program.schedule import RETENTION_WEEKS
from host.store.db import Store
from host.store.records import parse_session
from host.verdict.rule import Rule
from simulator.commands.demo import _say, hint
from simulator.device import run_synth
from simulator.program import draw, scenario
from simulator.synth import generate

RUNNER = "demo-learner"
BASELINE = {"cue_mode": "blocks", "warmup_s": 600, "block_s": 60, "runner_id": RUNNER, "foot": "right"}


def store_run(store: Store, device: Path, when: datetime) -> None:
    """The sessions the run left on the simulated flash, stored as a pull stores them, dated."""
    for sid in sessionlog.session_ids(str(device)):
        if store.has_session(sid):
            continue
        data = Path(sessionlog.path(str(device), sid)).read_bytes()
        parsed = parse_session(data, sid)
        parsed.header["started_at"] = when.isoformat(timespec="seconds")
        store.import_parsed(parsed, hashlib.sha256(data).hexdigest())


def run_program(args: argparse.Namespace) -> int:
    store = Store(args.dir / "archcue.sqlite")
    truth = draw("learner", np.random.default_rng(args.seed))
    when = datetime.now().replace(hour=7, minute=0, second=0, microsecond=0) - timedelta(weeks=10)
    config, insole = dict(BASELINE), args.dir / "insole"
    for k in range(20):  # the baseline, then as many runs as the plan asks for
        if k == 1:
            store.save_plan(RUNNER, {"program": PROGRAM.update(None, argparse.Namespace(program="default"),
                                                               history(store, RUNNER))})
        if k:
            planned = next_config(store.plan(RUNNER) or {}, history(store, RUNNER))
            if not planned.get("plan_step"):
                break
            config.update(planned)
        step = config.get("plan_step", 0)
        _say(f"run {k + 1}: " + (f"program run {step}, cue {config['cue_mode']}" if step else "before the program, "
                                 "block protocol") + f", {args.seconds / 60:.0f} simulated minutes")
        synth = generate(scenario(truth, step, args.seconds), seed=args.seed + k, seconds=args.seconds)
        run_synth(synth, load_board(), config, insole)
        store_run(store, insole / "device", when)
        when += timedelta(days=2) if step < 8 else timedelta(weeks=RETENTION_WEEKS, days=1)
    sessions = store.runner_steps(RUNNER)
    configs = {sid: h.get("config") or {} for sid, h in store.headers([row.id for row, _ in sessions]).items()}
    events = {row.id: store.events(row.id) for row, _ in sessions}
    plan = (store.plan(RUNNER) or {}).get("program")
    text, verdict = render(RUNNER, sessions, configs, "text", Rule(), events, plan)
    print(text)
    html_path = args.dir / f"program-{RUNNER}.html"
    html_path.write_text(render(RUNNER, sessions, configs, "html", Rule(), events, plan)[0])
    print(f"HTML program page: {html_path} (true retention effect of this simulated learner: "
          f"{100 * (1 - truth.retention_effect):.0f}% fewer collapses)")
    print(f"try: {hint(store.path, 'report', RUNNER, '--program')}")
    return 0
