"""Program runners' runs (simulator/program.py: the learner, the buzz-only responder, the
non-learner and their truth) as step records, and a program of them in a store.

Each run's step records come from one of three sources, the runner's truth the same:
- "drawn": records drawn directly (tests/block_steps.py, no firmware): fast, for tests;
- "foreign": the foreign signal model (tests/foreign_runner.py) replayed through the firmware;
- "own": the project's simulator (simulator/synth.py) through the firmware, answering its cues.
The program's runs go into a store as an insole's pulled sessions with the header config the
insole echoes (plan "program", plan_step k), dated as the program lays them out.
"""
from __future__ import annotations

import math
import tempfile
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np

from host.program.schedule import CUE_FREE_S, RETENTION_WEEKS, SHARES, run_config
from host.store.db import Store
from simulator.program import RETENTION_STEP, Truth, scenario
from tests.block_steps import block_run
from tests.foreign_runner import Protocol, generate
from tests.squad_store import add_session

BASELINE_RUNS = 2
START = datetime(2026, 9, 7, 7, 0, 0)


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
    p = t.collapse(run.step)
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

    p = t.collapse(run.step)
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
    from simulator.synth import generate as synth
    from tests.bench_report import _device_steps

    synth_run = synth(scenario(t, run.step, run.minutes * 60), seed=seed, seconds=run.minutes * 60)
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

