"""`archcue import`: a recording from another device (a lab CSV, a Moticon OpenGo export) run
through the real firmware (host/engine.py, as `simulator replay` runs it) with the coach's
config, sealed as the insole seals a session, and imported as a pull imports one.

The session is the firmware's own: header, records and trailer written by core/sessionlog.py.
Two things are the import's, set in the header before it is sealed again by the same
SessionLog: `started_at` (the export's start time or --started-at; the simulated insole has no
clock) and `imported` (the source file's name and SHA-256, its format and units: where the
frames came from). Its device is `<format>-<8 hex>`, a hash of the source file's content and
of everything that shapes the steps (format, units, foot, rate, config), so importing the same
file the same way again finds the session already stored and adds nothing; a different
runner name does not make another copy (`archcue assign` moves it). Nothing touches the store
until the session is sealed; the import itself is one transaction.
"""
from __future__ import annotations

import hashlib
import json
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TextIO

from firmware.core import config as fw_config
from firmware.core import record, sessionlog
from hardware.board_data import load_board
from host import engine, moticon
from host.command import UserError
from host.pull import load_config
from host.recording import Recording, read_recording
from host.records import Parsed, parse_session
from host.store import Store
from host.text import check_name

FORMATS = ("csv", "moticon")


@dataclass
class Options:
    source: Path
    runner: str
    foot: str | None = None
    format: str = "csv"
    units: str | None = None
    rate: int | None = None
    config: Path | None = None
    started_at: str | None = None


@dataclass
class Imported:
    session: str
    runner: str  # where the session is in the store
    new: bool  # False: it was there already, nothing was added
    steps: int
    started_at: str | None


def import_recording(store_path: Path, opts: Options, note: Callable[[str], None],
                     progress: TextIO | None = None) -> Imported:
    """Every check first, then the firmware run, then one transaction: a failure leaves the store
    as it was (and creates none)."""
    check_name("runner", opts.runner)
    units = _units(opts)
    engine.check_rate(opts.rate)
    started_at = _iso(opts.started_at) if opts.started_at else None
    data = _read(opts.source)
    digest = hashlib.sha256(data).hexdigest()
    config = _config(opts)
    rec, exported_at = _recording(opts, units)
    device = f"{opts.format}-{_identity(digest, opts, units, config)[:8]}"
    found = _stored(store_path, device)
    if found is not None:
        return found
    with tempfile.TemporaryDirectory(prefix="archcue-import-") as tmp:
        provenance = {"file": opts.source.name, "sha256": digest, "format": opts.format,
                      "units": units}
        session = _run(rec, opts, units, config, Path(tmp), note, progress)
        sealed = _reseal(session.header, session.records, device, started_at or exported_at, provenance,
                         Path(tmp) / "import")
        return _store(store_path, sealed.read_bytes(), sealed.stem, started_at or exported_at)


def _run(rec: Recording, opts: Options, units: str, config: dict, work: Path, note: Callable[[str], None],
         progress: TextIO | None) -> Parsed:
    """The firmware's session over the recording, as the simulated insole sealed it."""
    watch = RunProgress(rec.t_ms[-1] - rec.t_ms[0], progress) if progress else None
    run = engine.replay(rec, opts.source, units, opts.rate, load_board(), config, work, note, progress=watch)
    if watch:
        watch.finish()
    sids = run.result.sessions  # none without a step: the firmware makes its session at the first
    parsed = parse_session(Path(sessionlog.path(str(work / "device"), sids[0])).read_bytes(), sids[0]) if sids else None
    if parsed and parsed.damage:
        raise UserError(f"{opts.source}: the firmware's session is damaged ({parsed.damage}); nothing imported")
    if not parsed or not parsed.records:
        raise UserError(f"{opts.source}: the firmware found no steps in {run.frames / run.rate_hz:.0f} s of the "
                        f"{config['foot']} foot; nothing imported (are --format, --units and --foot right?)")
    return parsed


def _store(store_path: Path, blob: bytes, sid: str, started_at: str | None) -> Imported:
    store = Store(store_path, create=True)
    try:
        sid, new = store.import_session(blob, hashlib.sha256(blob).hexdigest(), sid)
        return Imported(sid, store.runner_of(sid), new, store.steps(sid).size, started_at)
    finally:
        store.close()


def _units(opts: Options) -> str:
    if opts.format not in FORMATS:
        raise UserError(f"--format {opts.format!r}: one of {', '.join(FORMATS)}")
    if opts.format == "moticon":
        if opts.units not in (None, "newton"):
            raise UserError("--units: a Moticon export holds pressures (N/cm2), read as newtons; --units adc "
                            "does not apply")
        if opts.foot is None:
            raise UserError("--foot left|right: a Moticon export holds both feet; say which one to import "
                            "(import the file twice for both)")
        return "newton"
    if opts.units is None:
        raise UserError("--units newton|adc: say what the CSV's channel columns hold (forces in newtons, "
                        "or the insole's raw 12-bit ADC counts)")
    return opts.units


def _iso(text: str) -> str:
    """--started-at as the insole writes it: local time, to the second."""
    try:
        at = datetime.fromisoformat(text)
    except ValueError:
        raise UserError(f"--started-at {text!r}: not a date and time like 2026-11-29T07:30") from None
    if at.tzinfo is not None:
        at = at.astimezone().replace(tzinfo=None)
    return at.isoformat(timespec="seconds")


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as e:
        raise UserError(f"{path}: cannot read ({e.strerror})") from None


def _recording(opts: Options, units: str) -> tuple[Recording, str | None]:
    """(recording, the export's own start time)."""
    if opts.format == "csv":
        return read_recording(opts.source, units), None
    assert opts.foot is not None
    export = moticon.read_export(opts.source)
    return moticon.recording(export, opts.foot), export.started_at


def _config(opts: Options) -> dict:
    """The coach's config (validated as a pull validates it) with the runner and the foot
    (--foot, else the config's, else the firmware's default)."""
    cfg = load_config(opts.config, runner_id=opts.runner, foot=opts.foot)
    cfg.setdefault("foot", fw_config.defaults()["foot"])
    return cfg


def _identity(digest: str, opts: Options, units: str, config: dict) -> str:
    """What makes the steps: the file's content (its SHA-256) and how it is run (not the runner's name)."""
    settings = fw_config.validate({k: v for k, v in config.items() if k != "runner_id"})[0]
    key = [digest, opts.format, units, opts.rate, settings]  # settings hold the foot
    return hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()


def _stored(store_path: Path, device: str) -> Imported | None:
    if not store_path.is_file():
        return None
    store = Store(store_path, create=False)
    try:
        rows = [s for s in store.sessions() if s.device == device]
        return Imported(rows[0].id, rows[0].runner, False, rows[0].n_steps, rows[0].started_at) if rows else None
    finally:
        store.close()


def _reseal(header: dict, records: bytes, device: str, started_at: str | None, provenance: dict,
            folder: Path) -> Path:
    """The firmware's session again, through the firmware's own SessionLog (core/sessionlog.py,
    which runs on CPython too), with the import's start time and provenance in its header."""
    folder.mkdir()
    header = {k: v for k, v in header.items() if k not in ("format", "session", "device")}  # SessionLog's own
    header.update(started_at=started_at, imported=provenance)
    log = sessionlog.SessionLog(str(folder), device, header, log=lambda _message: None)
    for i in range(0, len(records), record.SIZE):
        log.append(records[i:i + record.SIZE])
    log.close()
    return Path(log.path)


class RunProgress:
    """The firmware's progress through the recording on one terminal line (a tty only)."""

    def __init__(self, total_ms: float, stream: TextIO = sys.stderr):
        self.total_ms = max(total_ms, 1.0)
        self.stream = stream

    def __call__(self, done_ms: int) -> None:
        if self.stream.isatty():
            self.stream.write(f"\rfirmware: {_clock(done_ms)} of {_clock(self.total_ms)} "
                              f"({min(100.0, 100 * done_ms / self.total_ms):.0f}%)   ")
            self.stream.flush()

    def finish(self) -> None:
        if self.stream.isatty():
            self.stream.write("\n")


def _clock(ms: float) -> str:
    return f"{int(ms // 60000)}:{int(ms // 1000 % 60):02d}"
