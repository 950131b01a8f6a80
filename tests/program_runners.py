"""Simulated runners over a training program: a learner (collapses fall with the cued runs and
are partly kept), a buzz-only responder (curls when buzzed, lands as before without the buzz) and
a non-learner (curls when buzzed, and curling changes nothing).

Each run's step records come from one of three sources, the runner's truth the same:
- "drawn": records drawn directly (tests/block_steps.py, no firmware): fast, for tests;
- "foreign": the foreign signal model (tests/foreign_runner.py) replayed through the firmware;
- "own": the project's simulator (simulator/synth.py) through the firmware, answering its cues.
The program's runs go into a store as an insole's pulled sessions with the header config the
insole echoes (plan "program", plan_step k), dated as the program lays them out.

The truth: `base` the runner's collapse rate on relaxed landings before the program; curled
landings collapse `ratio` times as often (the buzz makes the toes curl on `engaged_on` of the
landings in cued minutes, `engaged_off` otherwise); a learner's relaxed rate falls by `drop` x
(the cue it has had so far / the program's cue in all), and the retention run keeps `kept` of the
drop. Nobody's day-to-day level moves otherwise (see the README's known limits).
"""
from __future__ import annotations

import math
import tempfile
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np

from host.program.schedule import CUE_FREE_S, RETENTION_WEEKS, SHARES, retention_step, run_config
from host.store.db import Store
from tests.block_steps import block_run
from tests.foreign_runner import Protocol, generate
from tests.squad_store import add_session

KINDS = ("learner", "buzz_only", "non_learner")
RETENTION_STEP = retention_step()
BASELINE_RUNS = 2
START = datetime(2026, 9, 7, 7, 0, 0)


@dataclass(frozen=True)
class Truth:
    kind: str
    base: float  # collapse rate of relaxed landings before the program
    ratio: float  # curled / relaxed collapse rate (the buzz's way in)
    engaged_on: float
    engaged_off: float
    drop: float  # learner: share of relaxed collapses gone after the program's cue (0 otherwise)
    kept: float  # share of the drop kept at retention

    def learned(self, step: int) -> float:
        """Share of relaxed collapses gone before training run `step` (the retention run: kept)."""
        if step >= RETENTION_STEP:
            return self.drop * self.kept
        return self.drop * sum(SHARES[:max(step - 1, 0)]) / sum(SHARES)

    @property
    def retention_effect(self) -> float:
        """The true retention ratio: cue-free collapse rate, retention run / baseline."""
        return 1 - self.learned(RETENTION_STEP)


def draw(kind: str, rng: np.random.Generator) -> Truth:
    learner = kind == "learner"
    return Truth(kind, float(rng.uniform(0.3, 0.45)), float(rng.uniform(0.4, 0.6)) if kind != "non_learner" else 1.0,
                 float(rng.uniform(0.55, 0.7)), float(rng.uniform(0.1, 0.2)),
                 float(rng.uniform(0.35, 0.6)) if learner else 0.0, float(rng.uniform(0.7, 0.9)) if learner else 0.0)


@dataclass(frozen=True)
class Run:
    step: int  # 0: baseline
    when: datetime
    minutes: float

    @property
    def share(self) -> int:
        """Cue share of flagged landings in the cued minutes (0: no cue at all)."""
        return SHARES[self.step - 1] if 0 < self.step < RETENTION_STEP else 0

    def config(self) -> dict:
        """The config the run ran with, as the insole echoes it in the header."""
        if self.step == 0:
            return {"cue_mode": "blocks", "warmup_s": 600, "block_s": 60}
        return run_config(self.step)


def layout(minutes: float = 30, retention: bool = True, training: int = len(SHARES)) -> list[Run]:
    """Two baseline runs, the training runs every other day, the retention run 4 weeks later."""
    runs = [Run(0, START + timedelta(days=2 * i), minutes) for i in range(BASELINE_RUNS)]
    first = START + timedelta(days=2 * BASELINE_RUNS + 1)
    runs += [Run(k, first + timedelta(days=2 * (k - 1)), minutes) for k in range(1, training + 1)]
    if retention:
        runs.append(Run(RETENTION_STEP, runs[-1].when + timedelta(weeks=RETENTION_WEEKS), minutes))
    return runs


@dataclass
class RunProtocol(Protocol):
    """The foreign model's block layout (cue_after_s None), or cued from cue_after_s on (every / faded)."""
    cue_after_s: float | None = None

    def cue_on(self, t_ms: float) -> bool:
        if self.cue_after_s is None:
            return super().cue_on(t_ms)
        return t_ms >= self.cue_after_s * 1000


def _engaged_on(t: Truth, run: Run) -> float:
    """Toe engagement in cued minutes: a faded cue buzzes on fewer flagged landings."""
    return t.engaged_off + (t.engaged_on - t.engaged_off) * run.share / 100


def drawn_steps(t: Truth, run: Run, seed: int) -> np.ndarray:
    p = t.base * (1 - t.learned(run.step))
    if run.step == 0:
        return block_run(run.minutes, seed, collapse_off=p, ratio=t.ratio, engaged_on=t.engaged_on,
                         engaged_off=t.engaged_off)
    after = CUE_FREE_S if run.share else math.inf
    return block_run(run.minutes, seed, collapse_off=p, ratio=t.ratio, engaged_on=_engaged_on(t, run),
                     engaged_off=t.engaged_off, blocks=False, cue_after_s=after)


def foreign_steps(t: Truth, run: Run, seed: int) -> np.ndarray:
    """The foreign model (open loop: the toes answer the cued minutes, not single buzzes) replayed
    through the firmware with the run's config."""
    from hardware.board_data import load_board
    from host.sources.engine import run_firmware
    from host.sources.recording import read_recording, to_frames
    from tests.bench_report import _device_steps

    p = t.base * (1 - t.learned(run.step))
    proto = RunProtocol(toe_prob_on=_engaged_on(t, run) if run.step else t.engaged_on, toe_prob_off=t.engaged_off,
                        collapse_relaxed=p, collapse_engaged=p * t.ratio,
                        cue_after_s=None if run.step == 0 else CUE_FREE_S if run.share else math.inf)
    fr = generate(seconds=run.minutes * 60, rate_hz=200, strike="rearfoot", protocol=proto, seed=seed)
    board = load_board()
    with tempfile.TemporaryDirectory(prefix="archcue-program-") as tmp:
        csv_path = Path(tmp) / "run.csv"
        fr.write_csv(csv_path)
        frames, _ = to_frames(read_recording(csv_path, "newton"), "newton", 200, board)
        run_firmware(frames, 200, board, run.config(), Path(tmp) / "keep")
        return _device_steps(Path(tmp) / "keep" / "device")


def own_steps(t: Truth, run: Run, seed: int) -> np.ndarray:
    """The project's simulator, the runner answering the insole's own cues (closed loop)."""
    from hardware.board_data import load_board
    from simulator.device import run_synth
    from simulator.scenario import load_scenario
    from simulator.synth import generate as synth
    from tests.bench_report import _device_steps

    scenario = load_scenario("responder")
    scenario.update(p_collapse=t.base * (1 - t.learned(run.step)), p_toe_engaged=t.engaged_off,
                    responder_factor=t.ratio, responder_spread_factor=1.0 if t.ratio >= 1 else 0.5)
    synth_run = synth(scenario, seed=seed, seconds=run.minutes * 60)
    with tempfile.TemporaryDirectory(prefix="archcue-program-") as tmp:
        run_synth(synth_run, load_board(), run.config(), Path(tmp))
        return _device_steps(Path(tmp) / "device")


SOURCES = {"drawn": drawn_steps, "foreign": foreign_steps, "own": own_steps}


def sid(runner: str, run: Run) -> str:
    return f"{runner}-{run.when:%Y%m%d}"


def add_program(store: Store, runner: str, t: Truth, runs: list[Run], seed: int, source: str = "drawn",
                steps_of=None) -> dict[str, dict]:
    """The runner's runs as pulled sessions of the right insole; returns each session's config.
    steps_of(run, seed) -> steps replaces the source (a cache)."""
    configs = {}
    for i, run in enumerate(runs):
        steps = steps_of(run, seed * 100 + i) if steps_of else SOURCES[source](t, run, seed * 100 + i)
        configs[sid(runner, run)] = run.config()
        add_session(store, sid(runner, run), runner, "right", run.when.isoformat(timespec="seconds"), steps,
                    config=run.config())
    return configs


def without(runs: list[Run], role: str) -> list[Run]:
    """The layout with the baseline ("baseline") or the retention run ("retention") left out."""
    if role == "baseline":
        return [r for r in runs if r.step != 0]
    return [r for r in runs if r.step != RETENTION_STEP]

