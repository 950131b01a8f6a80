"""`archcue import`: a recording from another device (a lab CSV, a Moticon OpenGo export) run
through the real firmware (host/sources/engine.py, as `simulator replay` runs it) with the coach's
config, sealed as the insole seals a session, and imported as a pull imports one. A Moticon
export holds both insoles: each foot is its own firmware run and session, as two insoles of one
run would be (`--foot` imports one). Without --format the file's first bytes say what it is
(`sniff`): a Moticon export by its header, a spreadsheet or other binary file is refused with
one line, anything else is read as CSV.

The session is the firmware's own: header, records and trailer written by core/sessionlog.py.
Two things are the import's, set in the header before it is sealed again by the same
SessionLog: `started_at` (the export's start time or --started-at; the simulated insole has no
clock) and `imported` (the source file's name and SHA-256, its format and units: where the
frames came from). Its device is `<format>-<8 hex>`, a hash of the source file's content and
of everything that shapes the steps (format, units, foot, rate, config), so importing the same
file the same way again finds the session already stored and adds nothing; a different
runner name does not make another copy (`archcue assign` moves it). Nothing touches the store
until every foot's session is sealed; each session is stored in one transaction, so a failure
in the store leaves at most the feet stored before it, and the same import again adds only
the rest.

A recording imported while it was still being written and then again once finished is counted
once: a file that changes while it is read is refused (host/sources/recording.py), and the
finished file, whose beginning is byte for byte the file imported before, replaces that import
(_replaced; the coach's notes on it move to the new session). Replacing rather than
refusing: the coach's intent is plain (the same run, now whole), the new session holds every
step the old one did, and a refusal would only ask for a second command with nothing to decide.

A lab run of the hips-or-feet protocol in pain mode comes with its ratings file (--ratings,
host/hips_or_feet/lab_run.py): checked whole first, its protocol becomes the run's config (over
--config, which may not contradict it), and its ratings the runner's answers, event records
merged among the firmware's records before the session is sealed, in every foot's session (the
hips-or-feet answer counts a run's answers once). The ratings' content is part of the device
hash: the same ratings again add nothing; other ratings (a corrected file) make another
session, which replaces the import with the earlier ratings (_replaced), as one recording is one
run with one set of ratings.
"""
from __future__ import annotations

import hashlib
import json
import os
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import TextIO

from firmware.core import config as fw_config
from firmware.core import record, sessionlog
from hardware.board_data import load_board
from host.command import UserError
from host.drills import importer as drill_importer
from host.files import open_regular
from host.hips_or_feet import lab_run, ratings
from host.insole_config import load_config
from host.sources import engine, moticon
from host.sources.recording import CsvRecording, Samples, settled
from host.store.db import Store
from host.store.records import Parsed, parse_session
from host.text import check_name, clock

FORMATS = ("csv", "moticon")
SNIFF_BYTES = 1 << 16  # a Moticon export's '#' header is about 2.5 KB
# a file that starts like one of these is no text recording: (magic bytes, what it is)
BINARY = ((b"PK\x03\x04", "a spreadsheet or other zip file (.xlsx, .docx, .zip)"),
          (b"\xd0\xcf\x11\xe0", "an Excel 97-2003 spreadsheet (.xls)"), (b"%PDF", "a PDF"))


@dataclass
class Options:
    source: Path
    runner: str
    foot: str | None = None  # moticon: None imports every foot the export recorded
    format: str | None = None  # None: recognised from the file (sniff)
    units: str | None = None
    rate: int | None = None
    config: Path | None = None
    started_at: str | None = None
    drill: str | None = None  # a drill set (host/drills/importer.py), not a run
    eyes: str | None = None  # balance: open (default) or closed
    ratings: Path | None = None  # a lab run's ratings file (host/hips_or_feet/lab_run.py)


Replaced = tuple[str, int, str]  # (session, steps, why) of an earlier import of the same run, replaced


@dataclass
class Imported:
    session: str
    foot: str
    runner: str  # where the session is in the store
    new: bool  # False: it was there already, nothing was added
    steps: int
    started_at: str | None
    replaced: list[Replaced] = field(default_factory=list)  # earlier imports of this run


def import_recording(store_path: Path, opts: Options, note: Callable[[str], None],
                     progress: TextIO | None = None) -> list[Imported]:
    """Every check first, then the firmware runs (one per foot), then the store: a bad file or
    option, or a failing firmware run, leaves the store as it was (and creates none). One
    Imported per foot, in the order left, right."""
    check_name("runner", opts.runner)
    lab = _ratings(opts)  # checked whole before anything else
    if opts.drill is not None:
        drill_importer.check(opts.drill, opts.eyes, opts.foot)
    opts = replace(opts, format=_format(opts, note))
    units = _units(opts)
    engine.check_rate(opts.rate)
    started_at = _iso(opts.started_at) if opts.started_at else None
    recordings, exported_at, digest, size = _recordings(opts, units, note)
    started_at = started_at or exported_at
    feet = [_foot(opts, foot, rec, lab) for foot, rec in recordings]  # every foot checked before any run
    if lab is not None and started_at is None:  # undated sessions are never paired (host/store/runs.py)
        note("note: no start time (--started-at): the run's session is not paired with the other foot's; import "
             "both feet's recordings with the same --started-at, and the run's ratings count once")
    done: list[Imported | Sealed] = []  # per foot: what the store holds already, or the session to store
    with tempfile.TemporaryDirectory(prefix="archcue-import-") as tmp:
        for foot, rec, config, answers in feet:
            device = f"{opts.format}-{_identity(digest, opts, units, config, lab)[:8]}"
            found = _stored(store_path, device)
            if found is not None:
                done.append(found)
                continue
            replaces = [] if opts.drill else _replaced(store_path, opts, units, config, (digest, size), lab)
            _check_writable(store_path)  # before the firmware's run, which takes a while
            provenance = {"file": opts.source.name, "sha256": digest, "bytes": size, "format": opts.format,
                          "units": units} | ({"ratings": opts.ratings.name} if opts.ratings else {})
            work = Path(tmp) / (foot or "run")
            if opts.drill:
                work.mkdir()
                header, records = drill_importer.drill_session(rec, opts.source, units, opts.rate, load_board(),
                                                               config, opts.drill, opts.eyes, note)
            else:
                session = _run(rec, opts, units, config, work, note, progress)
                header, records = session.header, lab_run.merged(session.records, answers)
            sealed = reseal(header | {"started_at": started_at, "imported": provenance}, records, device,
                            work / "import")
            done.append(Sealed(sealed.read_bytes(), sealed.stem, config["foot"], replaces))
    return _store(store_path, done, started_at)


@dataclass
class Sealed:
    """A foot's session sealed by the import, not yet stored."""
    data: bytes
    session: str
    foot: str
    replaces: list[Replaced]  # earlier imports of this run in the store (_replaced)


def sniff(path: Path) -> str:
    """A file's format from its first bytes: "moticon" for an OpenGo text export's header, else
    "csv"; a spreadsheet or binary file is refused with one line."""
    with open_regular(path) as (f, _):
        head = f.read(SNIFF_BYTES)
    _check_text(path, head)
    lines = head.decode("utf-8-sig", errors="replace").splitlines()
    return "moticon" if moticon.is_export("\n".join(lines[:-1] if len(head) == SNIFF_BYTES else lines)) else "csv"


def _format(opts: Options, note: Callable[[str], None]) -> str:
    """--format, or the one the file's header shows; a Moticon export given as a CSV is refused."""
    found = sniff(opts.source)
    if opts.format is None and found == "moticon":
        note(f"note: {opts.source.name} is a Moticon OpenGo text export (recognised by its header)")
    if opts.format == "csv" and found == "moticon":
        raise UserError(f"{opts.source}: a Moticon OpenGo text export, not a CSV: leave out --format "
                        "(or give --format moticon)")
    if opts.format is not None and opts.format not in FORMATS:
        raise UserError(f"--format {opts.format!r}: one of {', '.join(FORMATS)}")
    return opts.format or found


def _check_text(path: Path, head: bytes) -> None:
    """A spreadsheet, PDF or other binary file gets one line: export the text file instead."""
    what = next((name for magic, name in BINARY if head.startswith(magic)), None)
    if what is None and b"\0" in head:
        what = "a binary file"
    if what is not None:
        raise UserError(f"{path}: {what}, not a text recording: export the text file instead (Moticon OpenGo: "
                        "its text export, .txt; a lab system: a CSV with t_ms and the channel columns)")


def _run(rec: Samples, opts: Options, units: str, config: dict, work: Path, note: Callable[[str], None],
         progress: TextIO | None) -> Parsed:
    """The firmware's session over the recording, as the simulated insole sealed it."""
    work.mkdir()
    watch = RunProgress(rec.t_last - rec.t_first, progress, f"{config['foot']} foot") if progress else None
    run = engine.replay(rec, opts.source, units, opts.rate, load_board(), config, work, note, progress=watch,
                        records=False)
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


def _store(store_path: Path, done: list[Imported | Sealed], started_at: str | None) -> list[Imported]:
    """The sealed sessions into the store, one transaction each (replacing the shorter versions
    of the recording it holds); the ones it held already as they were."""
    if all(isinstance(d, Imported) for d in done):
        return [d for d in done if isinstance(d, Imported)]
    store = Store(store_path, create=True)
    try:
        out = []
        for d in done:
            if isinstance(d, Sealed):
                sid, new = store.import_session(d.data, hashlib.sha256(d.data).hexdigest(), d.session,
                                                replaces=[old for old, _, _ in d.replaces])
                d = Imported(sid, d.foot, store.runner_of(sid), new, store.steps(sid).size, started_at,
                             d.replaces)
            out.append(d)
        return out
    finally:
        store.close()


def _units(opts: Options) -> str:
    if opts.format == "moticon":
        if opts.units not in (None, "newton"):
            raise UserError("--units: a Moticon export holds pressures (N/cm2), read as newtons; --units adc "
                            "does not apply")
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


def _check_writable(store_path: Path) -> None:
    """The store (or the folder it will be made in) can be written: a read-only disk or mount is
    said before the run, not after it (a full disk shows only as the import writes)."""
    target = store_path if store_path.exists() else next(p for p in store_path.parents if p.exists())
    if not os.access(target, os.W_OK):
        raise UserError(f"{store_path}: the store cannot be written (a read-only disk or mount, or no "
                        "permission); nothing was imported")


def _stat(path: Path) -> os.stat_result:
    try:
        return os.stat(path)
    except OSError as e:
        raise UserError(f"{path}: cannot read ({e.strerror})") from None


def _recordings(opts: Options, units: str, note: Callable[[str], None]
                ) -> tuple[list[tuple[str | None, Samples]], str | None, str, int]:
    """[(foot, recording)] (foot None: the config's, for a CSV), the export's own start time, and
    the file's SHA-256 and size. A CSV is read in chunks (and checked unchanged when it is read
    again for the firmware); a Moticon export whole."""
    if opts.format == "csv":
        rec = CsvRecording(opts.source, units, opts.rate)
        settled(opts.source, rec.stat)
        return [(opts.foot, rec)], None, rec.sha256, rec.size
    before = _stat(opts.source)
    export = moticon.read_export(opts.source)
    digest, size = _file_sha(opts.source)
    settled(opts.source, before)
    feet = [opts.foot] if opts.foot else moticon.sides(export)
    if not feet:
        raise UserError(f"{opts.source}: every pressure cell of both insoles is blank; nothing to import")
    if not opts.foot and len(feet) < len(moticon.SIDES):
        note(f"note: only the {feet[0]} insole recorded in {opts.source.name}: one session")
    return [(foot, moticon.recording(export, foot)) for foot in feet], export.started_at, digest, size


def _file_sha(path: Path, size: int | None = None) -> tuple[str, int]:
    """(SHA-256, bytes) of the file, or of its first `size` bytes, read in blocks."""
    sha, done = hashlib.sha256(), 0
    try:
        with open(path, "rb") as f:
            while size is None or done < size:
                block = f.read(1 << 20 if size is None else min(1 << 20, size - done))
                if not block:
                    break
                sha.update(block)
                done += len(block)
    except OSError as e:
        raise UserError(f"{path}: cannot read ({e.strerror})") from None
    return sha.hexdigest(), done


def _replaced(store_path: Path, opts: Options, units: str, config: dict, file: tuple[str, int],
              lab: ratings.Run | None) -> list[Replaced]:
    """The earlier imports of this run that this import replaces, so the store counts the run
    once: a shorter version of this very recording run the same way (the file imported then is
    the beginning of this one, byte for byte: a recording imported while it was still being
    written, say; imports made before archcue kept the file's size are not found), and, for an
    import with ratings, this recording's foot imported with other ratings (a corrected file)."""
    if not store_path.is_file():
        return []
    store = Store(store_path, create=False)
    try:
        rows = store.sessions()
        headers = store.headers([s.id for s in rows])
    finally:
        store.close()
    digest, size = file
    found = []
    for row in rows:
        source = headers[row.id].get("imported") or {}
        old_size, old_sha = source.get("bytes"), source.get("sha256")
        if source.get("format") != opts.format:
            continue
        if (type(old_size) is int and 0 < old_size < size and isinstance(old_sha, str)
                and row.device == f"{opts.format}-{_identity(old_sha, opts, units, config, lab)[:8]}"
                and _file_sha(opts.source, old_size)[0] == old_sha):
            found.append((row.id, row.n_steps, "an earlier import of this recording's beginning"))
        elif lab is not None and "ratings" in source and old_sha == digest and row.foot == config["foot"]:
            found.append((row.id, row.n_steps, "an earlier import of this recording with ratings"))
    return found


def _ratings(opts: Options) -> ratings.Run | None:
    """--ratings, read and checked whole (ratings.load: one line on any mistake)."""
    if opts.ratings is None:
        return None
    if opts.drill is not None:
        raise UserError("--ratings: a drill set has no pain ratings (they go with a hips-or-feet run)")
    return ratings.load(opts.ratings)


def _foot(opts: Options, foot: str | None, rec: Samples, lab: ratings.Run | None
          ) -> tuple[str | None, Samples, dict, list[lab_run.Answer]]:
    """A foot's recording with the config it runs with and the answers its session holds: the
    ratings' protocol and answers, when the import has them."""
    config = _config(opts, foot)
    if lab is None:
        return foot, rec, config, []
    config = lab_run.with_protocol(lab, config, str(opts.config))
    return foot, rec, config, lab_run.answers(lab, config, rec.t_last - rec.t_first, str(opts.ratings))


def _config(opts: Options, foot: str | None) -> dict:
    """The coach's config (validated as a pull validates it) with the runner and the foot
    (the import's, else the config's, else the firmware's default)."""
    cfg = load_config(opts.config, runner_id=opts.runner, foot=foot)
    cfg.setdefault("foot", fw_config.defaults()["foot"])
    return cfg


def _identity(digest: str, opts: Options, units: str, config: dict, lab: ratings.Run | None) -> str:
    """What makes the session: the file's content (its SHA-256), how it is run (not the runner's
    name) and the ratings it holds (their content: the same ratings again add nothing)."""
    settings = fw_config.validate({k: v for k, v in config.items() if k != "runner_id"})[0]
    key = [digest, opts.format, units, opts.rate, settings]  # settings hold the foot
    if opts.drill:  # the same file as another drill is another session
        key += [opts.drill, opts.eyes]
    if lab is not None:  # other ratings of the same recording: another session
        key += [lab_run.content(lab)]
    return hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()


def _stored(store_path: Path, device: str) -> Imported | None:
    if not store_path.is_file():
        return None
    store = Store(store_path, create=False)
    try:
        rows = [s for s in store.sessions() if s.device == device]
        return (Imported(rows[0].id, rows[0].foot, rows[0].runner, False, rows[0].n_steps, rows[0].started_at)
                if rows else None)
    finally:
        store.close()


def reseal(header: dict, records: bytes, device: str, folder: Path) -> Path:
    """The firmware's session again, through the firmware's own SessionLog (core/sessionlog.py,
    which runs on CPython too), with the header given (an import's start time and provenance)."""
    folder.mkdir()
    header = {k: v for k, v in header.items() if k not in ("format", "session", "device")}  # SessionLog's own
    log = sessionlog.SessionLog(str(folder), device, header, log=lambda _message: None)
    for i in range(0, len(records), record.SIZE):
        log.append(records[i:i + record.SIZE])
    log.close()
    return Path(log.path)


class RunProgress:
    """The firmware's progress through the recording on one terminal line (a tty only)."""

    def __init__(self, total_ms: float, stream: TextIO = sys.stderr, label: str = ""):
        self.total_ms = max(total_ms, 1.0)
        self.stream = stream
        self.label = f" ({label})" if label else ""

    def __call__(self, done_ms: int) -> None:
        if self.stream.isatty():
            self.stream.write(f"\rfirmware{self.label}: {clock(done_ms)} of {clock(self.total_ms)} "
                              f"({min(100.0, 100 * done_ms / self.total_ms):.0f}%)   ")
            self.stream.flush()

    def finish(self) -> None:
        if self.stream.isatty():
            self.stream.write("\n")
