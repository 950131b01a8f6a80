"""python -m simulator validate: the coach's verdict against the simulator's truth.

Runs many seeds of a scenario through the firmware (block protocol), analyses each run
like a pulled session, and counts the verdicts. A responder should come out `stabilizes`,
a non-responder `no_clear_effect` (or `inconclusive` when the run is too short to rule an
effect out), never `stabilizes`; a short run `insufficient_data`. The power table over
responder strengths and run lengths is in `make bench` (tests/bench_report.py)."""
from __future__ import annotations

import sys
import tempfile
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from hardware.board_data import load_board
from host.store.db import Store
from host.verdict.analysis import analyse
from simulator.device import run_synth
from simulator.scenario import load_scenario
from simulator.synth import generate

PROTOCOL = {"cue_mode": "blocks", "warmup_s": 600, "block_s": 60}


def verdict_for(scenario: str, seed: int, seconds: float) -> str:
    run = generate(load_scenario(scenario), seed=seed, seconds=seconds)
    with tempfile.TemporaryDirectory(prefix="archcue-validate-") as tmp:
        run_synth(run, load_board(), PROTOCOL, Path(tmp))
        store = Store(Path(tmp) / "s.sqlite")
        store.import_device(Path(tmp) / "device")
        sessions = [(s, store.steps(s.id)) for s in store.sessions()]
        store.close()
    return analyse(f"{scenario}#{seed}", sessions).verdict


def verdicts(scenario: str, seeds: range, seconds: float, jobs: int = 2) -> Counter:
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        futures = [pool.submit(verdict_for, scenario, seed, seconds) for seed in seeds]
        out: Counter = Counter()
        tty = sys.stderr.isatty()
        for i, f in enumerate(futures, 1):
            out[f.result()] += 1
            if tty or i == len(futures) or i % 10 == 0:
                print(f"{chr(13) if tty else ''}{scenario}: {i}/{len(futures)} runs", end="" if tty else "\n",
                      file=sys.stderr, flush=True)
    if tty:
        print(file=sys.stderr)
    return out
