"""Bench for the coach's answer (issues 14, 13.6): how often each verdict comes out, by
responder strength and run length, on the project's simulator and on an independent signal
model (tests/foreign_runner.py); and the report's time and memory on 1 M and 3 M steps.

Each seed is simulated once at the longest length, through the real firmware with the block
protocol; the first 15, 20 and 30 minutes of a 45-minute run are themselves shorter runs, so
they are cut from it. Runs are cached in build/bench/verdict-runs (delete to redo)."""
from __future__ import annotations

import hashlib
import io
import resource
import subprocess
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / "build" / "bench" / "verdict-runs"
MINUTES = (15, 20, 30, 45)  # of which 10 are warm-up
STRENGTHS = (0.35, 0.6, 0.8, 1.0)  # engaged toes cut collapses to this share; 1.0 = non-responder
VERDICTS = ("stabilizes", "no_clear_effect", "inconclusive", "destabilizes", "insufficient_data")
PROTOCOL = {"cue_mode": "blocks", "warmup_s": 600, "block_s": 60}
Row = tuple[str, str, str]


def _own_steps(strength: float, seed: int, seconds: float) -> np.ndarray:
    """The project's simulator: a responder scenario whose engaged toes cut collapses to
    `strength` (the non-responder scenario for 1.0), the runner answering the insole's cues."""
    from hardware.board_data import load_board
    from simulator.device import run_synth
    from simulator.synth import generate, load_scenario

    scenario = load_scenario("non_responder" if strength >= 1 else "responder")
    if strength < 1:
        scenario["responder_factor"] = strength
    run = generate(scenario, seed=seed, seconds=seconds)
    with tempfile.TemporaryDirectory(prefix="archcue-bench-") as tmp:
        run_synth(run, load_board(), PROTOCOL, Path(tmp))
        return _device_steps(Path(tmp) / "device")


def foreign_protocol(strength: float):
    """The foreign model's block-protocol runner (open loop: toes engaged on 60% of cue-on
    and 15% of cue-off landings, as in issue 14)."""
    from tests.foreign_runner import Protocol

    return Protocol(warmup_s=600, block_s=60, toe_prob_on=0.6, toe_prob_off=0.15, collapse_relaxed=0.45,
                    collapse_engaged=0.45 * strength)


def _foreign_steps(strength: float, seed: int, seconds: float) -> np.ndarray:
    """The independent signal model, rendered to newtons, replayed through the firmware with
    the engine `simulator replay` uses (the CSV it reads, the same frames and firmware run)."""
    from hardware.board_data import load_board
    from simulator.device import run_firmware
    from simulator.recording import read_recording, to_frames
    from tests.foreign_runner import generate

    run = generate(seconds=seconds, rate_hz=200, strike="rearfoot", protocol=foreign_protocol(strength), seed=seed)
    board = load_board()
    with tempfile.TemporaryDirectory(prefix="archcue-bench-") as tmp:
        csv_path = Path(tmp) / "run.csv"
        run.write_csv(csv_path)
        frames, _ = to_frames(read_recording(csv_path, "newton"), "newton", 200, board)
        run_firmware(frames, 200, board, PROTOCOL, Path(tmp) / "keep")
        return _device_steps(Path(tmp) / "keep" / "device")


def _device_steps(device: Path) -> np.ndarray:
    """Every session on the simulated insole through the store's import (as a pull does)."""
    from host.store import Store

    store = Store(device.parent / "s.sqlite")
    for f in sorted((device / "sessions").glob("*.acs")):
        data = f.read_bytes()
        store.import_session(data, hashlib.sha256(data).hexdigest())
    [(_, steps)] = store.runner_steps(store.runners()[0][0])
    return np.array(steps)


MODELS = {"own": _own_steps, "foreign": _foreign_steps}


def run_steps(model: str, strength: float, seed: int, minutes: float = max(MINUTES)) -> np.ndarray:
    """One simulated run's steps, cached."""
    path = CACHE / f"{model}-{strength:g}-{seed}-{minutes:g}.npy"
    if path.exists():
        return np.load(path)
    steps = MODELS[model](strength, seed, minutes * 60)
    CACHE.mkdir(parents=True, exist_ok=True)
    np.save(path.with_suffix(".tmp.npy"), steps)
    path.with_suffix(".tmp.npy").rename(path)
    return steps


def cut(steps: np.ndarray, minutes: float) -> np.ndarray:
    """The first `minutes` of a run: a shorter run of the same runner."""
    return steps[steps["ic_ms"] < minutes * 60_000]


def simulate_all(models: tuple[str, ...], seeds: range, jobs: int = 2) -> None:
    todo = [(m, s, seed) for m in models for s in STRENGTHS for seed in seeds
            if not (CACHE / f"{m}-{s:g}-{seed}-{max(MINUTES):g}.npy").exists()]
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        for i, _ in enumerate(pool.map(_simulate, todo), 1):
            print(f"\r[bench] verdict runs {i}/{len(todo)}", end="", file=sys.stderr, flush=True)
    if todo:
        print(file=sys.stderr)


def _simulate(job: tuple[str, float, int]) -> None:
    run_steps(*job)
