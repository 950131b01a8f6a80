"""The simulated runner on the firmware: a synthetic run (simulator/synth.py) through the
engine (host/sources/engine.py: the firmware in the MicroPython unix port), the runner answering
the insole's cues. ROOT is the repository, for the simulator's, tests' and bench's paths."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from host.sources.engine import RunResult, run_firmware, write_frames
from simulator.synth import SynthRun

ROOT = Path(__file__).resolve().parents[1]


def write_runner(simdir: Path, run: SynthRun) -> tuple | None:
    """Files for the simulated runner's answer to cues; the argument for sim.attach()."""
    comp = run.compliance
    if comp is None or run.counts_engaged is None:
        return None
    write_frames(simdir / "frames_engaged.bin", run.counts_engaged)
    sched = np.column_stack([comp.boundaries, comp.draws]).astype("<u4")
    (simdir / "schedule.bin").write_bytes(sched.tobytes())
    return (str(simdir / "frames_engaged.bin"), str(simdir / "schedule.bin"), str(simdir / "variants.bin"),
            int(comp.p * 65536), comp.delay_steps, comp.steps)


def run_synth(run: SynthRun, board: dict, config: dict | None, workdir: Path,
              flash_stall: str | None = None, said: list[tuple[int, bytes]] | None = None) -> RunResult:
    """A synthetic run through the firmware, the runner answering its cues (and said: what the
    coach types into archcue live, engine.run_firmware); result.truth is the per-step truth as
    the runner actually landed."""
    result = run_firmware(run.counts, run.rate_hz, board, config, workdir,
                          runner=lambda simdir: write_runner(simdir, run), flash_stall=flash_stall, said=said)
    variants = Path(workdir) / "sim" / "variants.bin"
    result.truth = run.compliance.truth(run, variants.read_bytes()) if run.compliance else run.truth
    return result
